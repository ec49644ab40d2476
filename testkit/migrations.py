"""Databases as a version before left them, for the tests of migration steps."""
from __future__ import annotations

from shared.core.db import SchemaMigration


def forget_step(database, part: str, version: str) -> None:
    """Records the step `version` of `part` as not applied (the version before had not made it)."""
    with database.bind_ctx([SchemaMigration]):
        SchemaMigration.delete().where((SchemaMigration.part == part) & (SchemaMigration.version == version)).execute()
