"""Fixtures for the complaints domain: the packaged chains and policies, a real calendar
(testkit.complaints_domain)."""
from __future__ import annotations

from testkit.complaints_domain import calendar, chain, chain4, policy, raise_at  # noqa: F401  (fixtures)
