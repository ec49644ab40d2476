"""Fixtures of the scheduler integration tests: the service in-process on a fresh database
(testkit.scheduler)."""
from __future__ import annotations

from testkit.scheduler import scheduler  # noqa: F401  (the fixture of these tests)
