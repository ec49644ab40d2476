"""The migration steps of the webhook tables (endpoints, deliveries, attempts), once for every
service's database (shared.mesh.service composes them): the part `webhooks`, versions of its own.

None yet: the tables are as their first version (1.0.0) made them. A change to them adds its step
here, keyed by the next version.
"""
from __future__ import annotations

from shared.core.db import Migrations

MIGRATIONS = Migrations("webhooks", {})
