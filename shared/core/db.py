"""The database of one service: a peewee DatabaseProxy bound from a URL, and migrations.

SQLite (WAL) under var/ by default, PostgreSQL by URL. Each service owns its database; the
framework (request or message) owns the transaction: handlers never commit themselves.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from itertools import repeat
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

import peewee
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate as run_migrations
from playhouse.pool import PooledPostgresqlDatabase

from shared.core.fields import UTCDateTimeField
from shared.core.folders import private_folder

log = logging.getLogger(__name__)

#: SQLite pragmas: WAL lets the web process read while the worker writes. The page cache is
#: per connection (each thread of a process has one) and SQLite empties it whenever another
#: connection wrote, so a big one keeps little between transactions; but a scan fills it up to
#: its size, so a worker's peak memory grew with its database (at 16 MB a connection, the
#: scheduler's SQLite peak was 9, 17, 26 MB after 5,000, 10,000, 15,000 messages of the soak,
#: docs/GUARANTEES.md "Memory"). 2 MB, SQLite's default: at most about 2 MB a thread.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 30000,
    "cache_size": -2000,
}


class SerializedSqliteDatabase(peewee.SqliteDatabase):
    """SQLite whose write transactions queue on a lock inside the process.

    SQLite allows one writer at a time. Threads of one worker that wait in SQLite's busy
    handler sleep in growing steps (up to 100 ms) even when the lock frees at once; waiting on
    a Python lock instead wakes them the moment it frees. Other processes (the web process)
    still wait in the busy handler.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._write_lock = threading.Lock()
        self._holder = threading.local()

    def begin(self, lock_type=None):
        self._write_lock.acquire()
        self._holder.held = True
        try:
            super().begin(lock_type)
        except BaseException:
            self._release()
            raise

    def commit(self):
        try:
            super().commit()
        except BaseException:
            raise  # the transaction rolls back next, which releases the lock
        else:
            self._release()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._release()

    def _release(self):
        if getattr(self._holder, "held", False):
            self._holder.held = False
            self._write_lock.release()


def private_file(path: Path) -> None:
    """Creates `path` empty with mode 0600 when it does not exist (SQLite gives its -wal and -shm
    files the mode of the database file)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)


def database_from_url(url: str) -> peewee.Database:
    """Gives an unconnected peewee database for a sqlite:/// or postgresql:// URL."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else parsed.path
        if path and path != ":memory:":
            private_folder(Path(path).parent)
            private_file(Path(path))
        # lock_type IMMEDIATE: a transaction takes the write lock up front, so two writers
        # queue on busy_timeout instead of failing with "database is locked" on upgrade.
        return SerializedSqliteDatabase(path or ":memory:", pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE",
                                     check_same_thread=False)
    if parsed.scheme in ("postgresql", "postgres"):
        return PooledPostgresqlDatabase(
            parsed.path.lstrip("/"),
            user=parsed.username, password=parsed.password,
            host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432,
            max_connections=32, stale_timeout=300, timeout=30,
        )
    raise ValueError(f"unsupported database URL scheme {parsed.scheme!r}")


def is_postgres(database) -> bool:
    db = getattr(database, "obj", database)
    return isinstance(db, peewee.PostgresqlDatabase)


def first(query, *, lock: bool = False):
    """Gives the query's first row or None; `lock` holds it (FOR UPDATE) until the transaction
    ends on PostgreSQL. SQLite needs no row lock: its writers already run one at a time."""
    if lock and is_postgres(query.model._meta.database):
        query = query.for_update()
    return query.first()


def advisory_lock(database, *parts: str) -> None:
    """Serialises, until the transaction ends, every transaction that names the same `parts`.

    PostgreSQL: a transaction-level advisory lock on a hash of the parts. SQLite: nothing to do,
    its writers already run one at a time (IMMEDIATE transactions).
    """
    if not is_postgres(database):
        return
    import hashlib

    text = "\x1f".join(parts)
    key = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big", signed=True)
    database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))


#: A migration step: `step(migrator, database, migrate)`, run in a transaction of its own.
Step = Callable[..., None]


def version_key(version: str) -> tuple[int, ...]:
    """Gives a version ("2.10.0") as numbers that sort as versions do (2.10.0 after 2.9.0)."""
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True)
class Migrations:
    """The migration steps of one part of a database, keyed by the version that introduced each
    (the OCA way, `migrations/<version>/`).

    A service's part is named after the service and its versions are its manifest's; a feature of
    shared/ that every service's database holds (users, webhooks, audit, the outbox) is a part of
    its own, with its own series (1.0.0 being its first tables), composed by shared.mesh.service.

    Parameters:
      part: the service's or the feature's name, as recorded in `schema_migration`.
      steps: {version: step}; a step may find its change already made (a fresh table).
      numbered: {number: version}: the number each step was recorded under in `schema_version`
        before steps were keyed by version. A version is taken as applied on such a database once
        every number naming it is recorded there.
    """

    part: str
    steps: dict[str, Step]
    numbered: dict[int, str] = field(default_factory=dict)

    def __post_init__(self):
        for version in self.steps:
            version_key(version)  # refuses a version that is not numbers and dots
        unknown = set(self.numbered.values()) - set(self.steps)
        if unknown:
            raise ValueError(f"{self.part}: numbered steps name versions without a step: {sorted(unknown)}")

    def ordered(self) -> list[tuple[str, Step]]:
        """Gives (version, step) from the oldest version to the newest."""
        return sorted(self.steps.items(), key=lambda item: version_key(item[0]))

    @property
    def latest(self) -> str | None:
        """The newest version with a step (None: no step yet)."""
        return self.ordered()[-1][0] if self.steps else None


class SchemaMigration(peewee.Model):
    """One row per migration step applied to this database: its part and version."""

    part = peewee.CharField(max_length=64)
    version = peewee.CharField(max_length=32)
    applied_at = UTCDateTimeField()

    class Meta:
        table_name = "schema_migration"
        primary_key = peewee.CompositeKey("part", "version")


class SchemaVersion(peewee.Model):
    """The history of a database made while steps were numbered (one row per applied number):
    read once to carry it over into `schema_migration`, never written."""

    version = peewee.IntegerField(primary_key=True)
    applied_at = peewee.DateTimeField()

    class Meta:
        table_name = "schema_version"


def ensure_schema(database, models, *, migrations=()) -> dict[str, str | None]:
    """Gives {part: newest version} after creating missing tables and applying migrations.

    `migrations`: a `Migrations` or several, applied part after part in the order given (a part
    below first: a service's step may use a feature's tables, never the reverse), each from its
    oldest version to its newest, each step in its own transaction. A new database is created at
    the latest shape: every step is recorded as applied. A database whose history is numbered
    (`schema_version`) has it carried over first, so it goes on without re-running or skipping a step.
    """
    series = [migrations] if isinstance(migrations, Migrations) else list(migrations)
    parts = [s.part for s in series]
    if len(set(parts)) != len(parts):
        raise ValueError(f"a part appears twice among the migrations: {parts}")
    with database.bind_ctx([SchemaMigration, SchemaVersion]):
        fresh = not any(database.table_exists(m._meta.table_name) for m in models)
        database.create_tables([SchemaMigration], safe=True)
        database.create_tables(models, safe=True)
        done = {(row.part, row.version) for row in SchemaMigration.select()}
        if fresh:
            marked = [(s.part, version) for s in series for version in s.steps]
            _record(database, [key for key in marked if key not in done], datetime.now(timezone.utc))
            done |= set(marked)
        elif database.table_exists(SchemaVersion._meta.table_name):
            done |= _carry_over_numbered(database, series, done)
        migrator = PostgresqlMigrator(database) if is_postgres(database) else SqliteMigrator(database)
        for s in series:
            for version, step in s.ordered():
                if (s.part, version) in done:
                    continue
                with database.atomic():
                    log.info("applying migration %s %s", s.part, version)
                    step(migrator, database, run_migrations)
                    SchemaMigration.create(part=s.part, version=version, applied_at=datetime.now(timezone.utc))
        return {s.part: s.latest for s in series}


def _record(database, keys: list[tuple[str, str]], applied_at: datetime) -> None:
    if keys:
        with database.atomic():
            SchemaMigration.insert_many([{"part": part, "version": version, "applied_at": applied_at}
                                         for part, version in keys]).execute()


def _carry_over_numbered(database, series: list[Migrations], done: set) -> set:
    """Records in `schema_migration` each step that the numbered history (`schema_version`) holds
    and `schema_migration` does not yet; gives the (part, version) of every such step."""
    recorded = {row.version: row.applied_at for row in SchemaVersion.select()}
    carried = []
    for s in series:
        numbers_of: dict[str, list[int]] = {}
        for number, version in s.numbered.items():
            numbers_of.setdefault(version, []).append(number)
        for version, numbers in numbers_of.items():
            if (s.part, version) not in done and all(n in recorded for n in numbers):
                carried.append((s.part, version))
    if carried:
        log.info("carried over the numbered schema history: %s", ", ".join(f"{p} {v}" for p, v in carried))
        _record(database, carried, datetime.now(timezone.utc))
    return set(carried)


def add_missing_columns(migrator, database, migrate, wanted: dict) -> None:
    """Adds, in one migration step, each column of `wanted` ({model: {column name: field}}) that
    its table does not have yet (a migration may run on a database that has some already)."""
    steps = []
    for model, fields_ in wanted.items():
        table = model._meta.table_name
        columns = {c.name for c in database.get_columns(table)}
        steps += [migrator.add_column(table, name, field) for name, field in fields_.items() if name not in columns]
    if steps:
        migrate(*steps)


#: Rows per round trip of a PostgreSQL batch.
BULK_PAGE = 500

_SQL_CACHE: dict[tuple, tuple[str, tuple]] = {}


def bulk_insert(model, rows: list[dict], *, ignore_conflicts: bool = False, conflict_target: tuple = (),
                preserve: tuple = ()) -> None:
    """Inserts rows (dicts with the same keys) with one prepared statement and executemany.

    `conflict_target` + `preserve`: an upsert, the row's values of `preserve` win.

    peewee's insert_many builds the SQL of every value, which costs more than the insert
    itself at ledger sizes; the statement is built once here from a one-row query.
    """
    if not rows:
        return
    names = list(rows[0])
    fields_ = [model._meta.fields[name] for name in names]
    database = model._meta.database
    key = (model, tuple(names), ignore_conflicts, tuple(conflict_target), tuple(preserve), database.param)
    prepared = _SQL_CACHE.get(key)
    if prepared is None:
        query = model.insert_many([tuple(None for _ in fields_)], fields=fields_)
        if ignore_conflicts:
            query = query.on_conflict_ignore()
        elif conflict_target:
            query = query.on_conflict(conflict_target=[model._meta.fields[n] for n in conflict_target],
                                      preserve=[model._meta.fields[n] for n in preserve])
        sql, template = database.get_sql_context().sql(query).query()
        # peewee appends the model's (constant) defaults for the columns not given
        prepared = _SQL_CACHE[key] = (sql, tuple(template[len(fields_):]))
    sql, defaults = prepared
    columns = [_db_column(f, [row[n] for row in rows]) for f, n in zip(fields_, names)]
    columns += [repeat(d, len(rows)) for d in defaults]
    executemany(database, sql, list(zip(*columns)))


#: Field classes whose db_value leaves a value of these exact types as it is.
_PASS_THROUGH = {peewee.CharField: (str,), peewee.TextField: (str,), peewee.IntegerField: (int,),
                 peewee.BigIntegerField: (int,), peewee.BooleanField: (bool,), peewee.DateField: (date,)}
_NONE = type(None)


def _db_column(field, values: list) -> list:
    """Gives `field.db_value` of each value, converting a column of one repeated object once and
    leaving values alone where db_value would (a string of a CharField)."""
    if len(set(map(id, values))) == 1:
        return [field.db_value(values[0])] * len(values)
    kinds = _PASS_THROUGH.get(type(field))
    if kinds is not None and type(field).db_value is peewee.Field.db_value \
            and set(map(type, values)) <= {*kinds, _NONE}:
        return values
    return list(map(field.db_value, values))


def bulk_update(model, *, set_fields: tuple[str, ...], rows: list[tuple]) -> None:
    """Runs `UPDATE model SET <set_fields> WHERE id = ?` once per row tuple (values..., id)."""
    if not rows:
        return
    database = model._meta.database
    fields_ = [model._meta.fields[name] for name in set_fields]
    table = model._meta.table_name
    assignments = ", ".join(f"{f.column_name} = {database.param}" for f in fields_)
    sql = f'UPDATE "{table}" SET {assignments} WHERE "id" = {database.param}'
    executemany(database, sql, [tuple(f.db_value(v) for f, v in zip(fields_, row[:-1])) + (row[-1],)
                                 for row in rows])


def update_where(model, *, values: dict, where: dict) -> int:
    """Gives how many rows `UPDATE model SET <values> WHERE <column = value, ...>` changed.

    The statement is built once per shape (model, columns set, columns matched): on a hot path
    (a handler run per message) peewee's query builder costs more than the update itself.
    """
    database = model._meta.database
    set_fields = [model._meta.fields[name] for name in values]
    where_fields = [model._meta.fields[name] for name in where]
    key = ("update", model, tuple(values), tuple(where), database.param)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        assignments = ", ".join(f'"{f.column_name}" = {database.param}' for f in set_fields)
        match = " AND ".join(f'"{f.column_name}" = {database.param}' for f in where_fields)
        sql = _SQL_CACHE[key] = f'UPDATE "{model._meta.table_name}" SET {assignments} WHERE {match}'
    params = [f.db_value(v) for f, v in zip(set_fields, values.values())]
    params += [f.db_value(v) for f, v in zip(where_fields, where.values())]
    return database.execute_sql(sql, params).rowcount


def executemany(database, sql: str, params: list[tuple]) -> None:
    if len(params) == 1:  # one row (a handler's upsert): no batching machinery
        database.execute_sql(sql, params[0])
        return
    cursor = database.cursor()
    if is_postgres(database):
        from psycopg2.extras import execute_batch

        execute_batch(cursor, sql, params, page_size=BULK_PAGE)
    else:
        cursor.executemany(sql, params)




def distinct_values(field) -> list:
    """Gives the distinct non-null values of `field` (the leading column of one of its table's
    indexes), sorted, by a loose index scan: one index lookup per value (a recursive query of
    MIN(field) > the last one), instead of reading every row as SELECT DISTINCT may. For a
    periodic job asking which organisations have rows in a large table."""
    table = field.model._meta.table_name
    column = field.column_name
    sql = (f'WITH RECURSIVE found(v) AS (SELECT MIN("{column}") FROM "{table}" '
           f'UNION ALL SELECT (SELECT MIN("{column}") FROM "{table}" WHERE "{column}" > found.v) '
           f'FROM found WHERE found.v IS NOT NULL) SELECT v FROM found WHERE v IS NOT NULL')
    return [row[0] for row in field.model._meta.database.execute_sql(sql).fetchall()]
