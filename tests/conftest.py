"""Test infrastructure: a real Redis, real SQLite or PostgreSQL databases, real worker processes.

HUIFANG_TEST_DB=sqlite (default) or postgres (then HUIFANG_TEST_POSTGRES_URL must answer;
`make test` starts a throwaway server for it). What the tests use lives in testkit/ (shared with
bench/); its fixtures every layer may use come in as a plugin.
"""
from __future__ import annotations

pytest_plugins = ["testkit.fixtures"]
