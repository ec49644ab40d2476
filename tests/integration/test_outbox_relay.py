"""The outbox relay claims rows, commits, sends, then marks them sent.

A broker that is slow, or accepts connections and never answers, never holds the database
(SQLite's write lock, PostgreSQL's row locks) and so never holds up the requests that write.
"""
from __future__ import annotations

import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from shared.mesh import outbox
from shared.mesh.broker import make_broker
from shared.mesh.relay import CLAIM_SECONDS, claim_rows, relay_once
from shared.core.db import database_from_url
from shared.core.settings import load_settings
from testkit.databases import new_database_url
from testkit.tokens import SECRET


@pytest.fixture
def tables(tmp_path):
    database = database_from_url(new_database_url("relay", tmp_path))
    Outbox, OutboxMessage = outbox.outbox_model(database), outbox.message_model(database)
    database.connect()
    database.create_tables([Outbox, OutboxMessage])
    yield database, Outbox, OutboxMessage
    database.close()


def _add(database, Outbox, n: int) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(n)]
    with database.atomic():
        outbox.add(Outbox, [{"specversion": "1.0", "id": i, "type": "customer.updated", "source": "erp://test",
                             "organization": "acme-electric", "data": {"customer": {"id": "C-1"}}} for i in ids])
    return ids


class HeldBroker:
    """A broker whose first enqueue waits until released (a slow or silent broker); then it keeps all."""

    def __init__(self):
        self.entered, self.release, self.sent = threading.Event(), threading.Event(), []

    def enqueue_all(self, messages):
        if not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(60), "never released"
        self.sent += [m.args[0]["id"] for m in messages]


class KeepingBroker:
    def __init__(self):
        self.sent = []

    def enqueue_all(self, messages):
        self.sent += [m.args[0]["id"] for m in messages]


def test_no_database_lock_is_held_while_the_broker_is_called(tables):
    database, Outbox, _ = tables
    first = _add(database, Outbox, 3)
    held = HeldBroker()

    def relay():
        with database.connection_context():
            relay_once(Outbox, held)

    # given a relay pass stuck in the broker
    stuck = threading.Thread(target=relay)
    stuck.start()
    assert held.entered.wait(30)
    # when a request stores an event meanwhile (a write transaction)
    written, later = threading.Event(), []

    def write():
        with database.connection_context():
            later.extend(_add(database, Outbox, 1))
        written.set()

    threading.Thread(target=write, daemon=True).start()
    # then it commits while the broker still has not answered
    assert written.wait(20), "the write waited for the broker: the relay held the database"
    # and a second relay sends only the new row: the stuck pass's rows are claimed
    other = KeepingBroker()
    with database.connection_context():
        assert relay_once(Outbox, other) == 1
    assert other.sent == later
    held.release.set()
    stuck.join(30)
    assert held.sent == first
    with database.connection_context():
        rows = list(Outbox.select())
    assert all(r.sent_at is not None and r.claimed_until is None and r.attempts == 1 for r in rows)


def test_rows_of_a_relay_that_died_while_sending_are_taken_over_after_the_claim(tables):
    database, Outbox, OutboxMessage = tables
    ids = _add(database, Outbox, 2)
    now = datetime.now(timezone.utc)
    with database.connection_context():
        # given a relay that claimed the rows and died before marking them
        assert [r.event_id for r in claim_rows(Outbox, where=None, limit=10, columns=(
            Outbox.id, Outbox.event_id), now=now)] == ids
        # then nobody takes them while the claim lasts, and anybody after
        assert claim_rows(Outbox, where=None, limit=10, now=now + timedelta(seconds=30)) == []
        later = now + timedelta(seconds=CLAIM_SECONDS + 1)
        assert len(claim_rows(Outbox, where=None, limit=10, now=later)) == 2


class SilentServer:
    """A TCP server that accepts connections and never answers (a hung broker)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        for conn in self.held:
            conn.close()
        self.sock.close()


def test_a_broker_that_never_answers_fails_the_send_and_the_rows_wait(tables, tmp_path):
    database, Outbox, OutboxMessage = tables
    server = SilentServer()
    try:
        broker = make_broker(load_settings({"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_VAR_DIR": str(tmp_path / "var"),
                                            "HUIFANG_BROKER_URL": f"redis://127.0.0.1:{server.port}/0"}))
        _add(database, Outbox, 2)
        result = []

        def relay():
            with database.connection_context():
                result.append(relay_once(Outbox, broker))

        thread = threading.Thread(target=relay, daemon=True)
        thread.start()
        thread.join(60)
        assert not thread.is_alive(), "the relay still waits for a broker that never answers"
        assert result == [0]
        with database.connection_context():
            rows = list(Outbox.select().order_by(Outbox.id))
        # the rows stay unsent and unclaimed for the next pass; the first counts the failure
        assert [(r.sent_at, r.claimed_until, r.attempts) for r in rows] == [(None, None, 1), (None, None, 0)]
        assert "Timeout" in rows[0].last_error or "timed out" in rows[0].last_error, rows[0].last_error
    finally:
        server.close()


def test_outbox_migration_1_1_adds_the_claim_column_to_an_older_database(tables):
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

    from services.complaints.service import SERVICE
    from shared.core.db import ensure_schema, is_postgres

    database, Outbox, OutboxMessage = tables
    assert outbox.MIGRATIONS in SERVICE.all_migrations
    with database.connection_context():
        # given the outbox tables as the version before left them
        migrator = PostgresqlMigrator(database) if is_postgres(database) else SqliteMigrator(database)
        migrate(migrator.drop_column("outbox", "claimed_until"), migrator.drop_column("outbox_message", "claimed_until"))
        # when the new version starts on them
        ensure_schema(database, [Outbox, OutboxMessage], migrations=outbox.MIGRATIONS)
        # then a relay pass works on them
        for table in ("outbox", "outbox_message"):
            assert "claimed_until" in {c.name for c in database.get_columns(table)}
    _add(database, Outbox, 1)
    with database.connection_context():
        assert relay_once(Outbox, KeepingBroker()) == 1
