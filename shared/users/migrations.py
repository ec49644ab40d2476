"""The migration steps of the user directory's tables, once for every service's database
(shared.mesh.service composes them): the part `users`, versions of its own, 1.0.0 its first tables.

A step defines the little it needs of a table itself: the model of today may have columns the
database of a step's time had not.
"""
from __future__ import annotations

import peewee

from shared.core.db import Migrations, add_missing_columns
from shared.core.fields import UTCDateTimeField
from shared.users.integration_tokens import integration_token_model
from shared.users.sessions import page_session_model

#: The directory's table.
_TABLE = "directory_user"


def add_not_before_column(migrator, database, migrate) -> None:
    """1.1.0: the directory's `tokens_not_before` (a person's tokens and sessions can be revoked)."""
    class _Users(peewee.Model):
        class Meta:
            table_name = _TABLE

    add_missing_columns(migrator, database, migrate, {_Users: {"tokens_not_before": UTCDateTimeField(null=True)}})


def add_branch(migrator, database, migrate) -> None:
    """1.2.0: the directory's `branch` column (a person's branch); the table may already have it."""
    if database.table_exists(_TABLE) and "branch" not in {c.name for c in database.get_columns(_TABLE)}:
        migrate(migrator.add_column(_TABLE, "branch", peewee.CharField(max_length=128, null=True)))


def add_department(migrator, database, migrate) -> None:
    """1.5.0: the directory's `department` column (a complaint assigned to a department mails its people)."""
    if database.table_exists(_TABLE) and "department" not in {c.name for c in database.get_columns(_TABLE)}:
        migrate(migrator.add_column(_TABLE, "department", peewee.CharField(max_length=200, null=True)))


def add_page_sessions(migrator, database, migrate) -> None:
    """1.3.0: the `page_session` table (a sign-out ends a page session on every service:
    shared/users/sessions.py)."""
    database.create_tables([page_session_model(database)], safe=True)


def add_integration_tokens(migrator, database, migrate) -> None:
    """1.6.0: the `integration_token` table (an organisation's integration tokens are listed and
    revoked one by one: shared/users/integration_tokens.py)."""
    database.create_tables([integration_token_model(database)], safe=True)


#: The directory's steps; `numbered`: what every service's database recorded them as before.
MIGRATIONS = Migrations("users", {"1.1.0": add_not_before_column, "1.2.0": add_branch,
                                   "1.3.0": add_page_sessions, "1.5.0": add_department,
                                   "1.6.0": add_integration_tokens},
                        numbered={31: "1.1.0", 60: "1.2.0"})
