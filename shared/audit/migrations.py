"""The migration steps of the audit log's table (`audit_log`), once for every service's database
(shared.mesh.service composes them): the part `audit`, versions of its own.

None yet: the table is as its first version (1.0.0) made it. A change to it adds its step here,
keyed by the next version.
"""
from __future__ import annotations

from shared.core.db import Migrations

MIGRATIONS = Migrations("audit", {})
