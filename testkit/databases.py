"""A new, empty database per service: SQLite files, or PostgreSQL databases.

HUIFANG_TEST_DB=sqlite (default) or postgres (then HUIFANG_TEST_POSTGRES_URL must answer;
`make test` starts a throwaway server for it).
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

#: The database the tests run on: "sqlite" or "postgres".
TEST_DB = os.environ.get("HUIFANG_TEST_DB", "sqlite")


def pg_admin_url() -> str:
    """Gives the URL of the PostgreSQL server the tests make their databases on."""
    url = os.environ.get("HUIFANG_TEST_POSTGRES_URL")
    if not url:
        pytest.fail("HUIFANG_TEST_DB=postgres needs HUIFANG_TEST_POSTGRES_URL (make test-postgres sets it)")
    return url


def new_database_url(service: str, folder: Path) -> str:
    """Gives the URL of a new, empty database for one service."""
    if TEST_DB == "postgres":
        import psycopg2

        admin = pg_admin_url()
        name = f"t_{service}_{uuid.uuid4().hex[:10]}"
        conn = psycopg2.connect(admin)
        conn.autocommit = True
        conn.cursor().execute(f'CREATE DATABASE "{name}"')
        conn.close()
        parsed = urlparse(admin)
        return parsed._replace(path="/" + name).geturl()
    return f"sqlite:///{folder / (service + '.db')}"
