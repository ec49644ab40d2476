"""Fixtures of the complaints integration tests: the service on a fresh database, a frozen clock
(testkit.complaints)."""
from __future__ import annotations

from testkit.complaints import api, clock, mailer, people, settings  # noqa: F401  (the fixtures of these tests)
