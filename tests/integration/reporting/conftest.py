"""Fixtures of the reporting integration tests: the service in-process on a fresh database
(testkit.reporting)."""
from __future__ import annotations

from testkit.reporting import reporting  # noqa: F401  (the fixture of these tests)
