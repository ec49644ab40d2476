"""A database made while migration steps were numbered upgrades with steps keyed by version:
every step it had is carried over, none runs again, none is skipped, and it ends with the shape
of a database made new (tests/fixtures/numbered_schema: each service's schema and history as
main made them then; on PostgreSQL with HUIFANG_TEST_DB=postgres)."""
from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path

import pytest

from shared.core.db import Migrations, SchemaMigration, SchemaVersion, database_from_url, ensure_schema
from testkit.databases import TEST_DB, new_database_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "numbered_schema"
SERVICES = ("complaints", "reporting", "scheduler")
#: The steps added since the fixtures were made: they, and only they, run on an upgrade.
def new_since_numbered(service) -> set[tuple[str, str]]:
    """Gives the steps added since migrations were numbered: those no number stands for. They are
    the ones a database the numbered main left must run (reporting's aware datetimes, 1.13.0, the
    first of them)."""
    return {(m.part, version) for m in service.all_migrations for version in m.steps
            if version not in set(m.numbered.values())}


def _service(name: str):
    return importlib.import_module(f"services.{name}.service").SERVICE


def _database_as_numbered_main_left_it(name: str, tmp_path: Path) -> str:
    """Gives the URL of a new database holding the fixture's schema and numbered history."""
    url = new_database_url(f"{name}_numbered", tmp_path)
    if TEST_DB == "postgres":
        import psycopg2

        conn = psycopg2.connect(url)
        conn.autocommit = True
        conn.cursor().execute((FIXTURES / f"{name}.postgres.sql").read_text(encoding="utf-8"))
        conn.close()
    else:
        conn = sqlite3.connect(url[len("sqlite:///"):])
        conn.executescript((FIXTURES / f"{name}.sqlite.sql").read_text(encoding="utf-8"))
        conn.close()
    return url


def _spied(series: list[Migrations], ran: list) -> list[Migrations]:
    """Gives the same steps, each noting (part, version) in `ran` when it runs."""
    def spy(part, version, step):
        def run(migrator, database, migrate):
            ran.append((part, version))
            step(migrator, database, migrate)
        return run
    return [Migrations(s.part, {v: spy(s.part, v, step) for v, step in s.steps.items()}, numbered=s.numbered)
            for s in series]


def _upgrade(service, url: str, *, forget_numbers: tuple[int, ...] = ()) -> tuple[list, set, dict]:
    """Gives the steps run, the steps recorded and {table: columns} after the service starts on `url`."""
    service.database.initialize(database_from_url(url))
    ran: list = []
    try:
        with service.connection():
            if forget_numbers:
                with service.database.bind_ctx([SchemaVersion]):
                    SchemaVersion.delete().where(SchemaVersion.version.in_(forget_numbers)).execute()
            ensure_schema(service.database, service.all_models, migrations=_spied(service.all_migrations, ran))
            with service.database.bind_ctx([SchemaMigration]):
                recorded = {(row.part, row.version) for row in SchemaMigration.select()}
            shape = {m._meta.table_name: sorted(c.name for c in service.database.get_columns(m._meta.table_name))
                     for m in service.all_models}
    finally:
        service.database.close()
    return ran, recorded, shape


def _every_step(service) -> set[tuple[str, str]]:
    return {(s.part, version) for s in service.all_migrations for version in s.steps}


@pytest.mark.parametrize("name", SERVICES)
def test_a_database_of_numbered_migrations_goes_on_without_re_running_or_skipping_a_step(name, tmp_path):
    service = _service(name)
    # given the database as main left it while steps were numbered, and one made new today
    old = _database_as_numbered_main_left_it(name, tmp_path)
    _, _, new_shape = _upgrade(service, new_database_url(f"{name}_new", tmp_path))
    # when today's service starts on the old one
    ran, recorded, shape = _upgrade(service, old)
    # then only the steps added since run, every step is recorded, and the shape is a new database's
    assert set(ran) == new_since_numbered(service) and len(ran) == len(set(ran))
    assert recorded == _every_step(service)
    assert shape == new_shape
    # and when it starts again, nothing runs
    assert _upgrade(service, old)[0] == []


def test_a_step_the_numbered_history_lacks_runs_and_the_others_do_not(tmp_path):
    service = _service("reporting")
    # given a database whose history lacks 60 (reporting's branches and the directory's branch)
    old = _database_as_numbered_main_left_it("reporting", tmp_path)
    # when today's service starts on it
    ran, recorded, _ = _upgrade(service, old, forget_numbers=(60,))
    # then the two steps that number stood for run, once each, and nothing else runs
    assert sorted(ran) == sorted({("users", "1.2.0"), ("reporting", "1.7.0")} | new_since_numbered(service))
    assert recorded == _every_step(service)
