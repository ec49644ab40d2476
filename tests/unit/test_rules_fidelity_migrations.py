"""The rules-fidelity columns (and later ones) arrive by migration on a database of the version before (SQLite)."""
from __future__ import annotations

import importlib

import peewee
import pytest
from playhouse.migrate import SqliteMigrator, migrate

from shared.core.db import ensure_schema
from testkit.migrations import forget_step

NEW_COLUMNS = {
    "scheduler": ("1.2.0", {"callback_task": ["calendar_source", "over_time_limit", "outside_call_window"],
                      "customer": ["flag_remark", "flagged_by", "flag_complaint_id"]}),
    "complaints": ("2.3.0", {"complaint": ["rework_due_at", "reworked_at", "special_remark", "provisional_deadlines"]}),
    "reporting": ("1.4.0", {"callback": ["over_time_limit", "outside_call_window"], "served_day": ["key_customer"],
                      "complaint": ["verified_at", "repeat", "rework_due_at", "reworked_at"]}),
    # a verdict's time and its role's rank
    "reporting-1.11": ("1.11.0", {"callback_verdict": ["reviewed_at", "seniority"]}),
}


@pytest.mark.parametrize("service_name", sorted(NEW_COLUMNS))
def test_rules_the_new_columns_are_added_to_a_database_of_the_version_before(service_name, tmp_path):
    models = importlib.import_module(f"services.{service_name.split('-')[0]}.models")
    version, tables = NEW_COLUMNS[service_name]
    database = peewee.SqliteDatabase(str(tmp_path / "old.db"))
    with database.bind_ctx(models.MODELS):
        ensure_schema(database, models.MODELS, migrations=models.MIGRATIONS)
        # given the database as the version before left it: without the columns, the step not applied
        migrate(*[SqliteMigrator(database).drop_column(table, column)
                  for table, columns in tables.items() for column in columns])
        forget_step(database, models.MIGRATIONS.part, version)
        # when the new version starts on it
        assert ensure_schema(database, models.MODELS, migrations=models.MIGRATIONS) == {
            models.MIGRATIONS.part: models.MIGRATIONS.latest}
        # then the columns are there, and the tables read and write
        for table, columns in tables.items():
            assert set(columns) <= {c.name for c in database.get_columns(table)}
        for model in models.MODELS:
            model.select().count()
