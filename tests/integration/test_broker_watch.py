"""shared.mesh.relay.BrokerWatch against a real Redis: which sent rows are offered again, and when."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import peewee
import redis

from shared.mesh.outbox import message_model, outbox_model
from shared.mesh.relay import BrokerWatch


def tables(tmp_path):
    database = peewee.SqliteDatabase(str(tmp_path / "watch.db"))
    Outbox, OutboxMessage = outbox_model(database), message_model(database)
    database.create_tables([Outbox, OutboxMessage])
    return Outbox, OutboxMessage


def sent(Outbox, name: str, ago: timedelta):
    now = datetime.now(timezone.utc)
    Outbox.create(event_id=name, type="customer.updated", organization="acme-electric", envelope="{}",
                  created_at=now - ago, sent_at=now - ago)


def unsent_ids(Outbox) -> set:
    return {row.event_id for row in Outbox.select().where(Outbox.sent_at.is_null())}


def test_a_missing_sentinel_reoffers_every_kept_sent_row_and_a_restart_the_last_seconds(redis_server, tmp_path):
    Outbox, OutboxMessage = tables(tmp_path)
    broker = SimpleNamespace(client=redis.Redis.from_url(redis_server.url), namespace=f"t{uuid.uuid4().hex[:8]}")
    for name, ago in (("now", timedelta(seconds=1)), ("minute", timedelta(minutes=1)), ("day", timedelta(days=1)),
                      ("month", timedelta(days=30))):
        sent(Outbox, name, ago)
    now = datetime.now(timezone.utc)
    for eta in (now + timedelta(days=3), now - timedelta(hours=1)):
        OutboxMessage.create(queue_name="q", actor_name="a", args="[]", eta=eta, created_at=now, sent_at=now)
    watch = BrokerWatch(broker, "scheduler")
    # a Redis without the sentinel (new, or lost its data): all rows of the kept week again, and
    # the wake-up not yet due (one already due may have run: not sent twice)
    assert watch.check(Outbox, OutboxMessage) == 4
    assert unsent_ids(Outbox) == {"now", "minute", "day"}
    assert OutboxMessage.select().where(OutboxMessage.sent_at.is_null()).count() == 1
    # the sentinel is there now: nothing more
    Outbox.update(sent_at=datetime.now(timezone.utc)).execute()
    assert watch.check(Outbox, OutboxMessage) == 0
    # Redis restarted with its data (another run_id): only the rows of its last seconds
    Outbox.update(sent_at=datetime.now(timezone.utc) - timedelta(minutes=1)).where(Outbox.event_id != "now").execute()
    watch.run_id = "an-earlier-server"
    assert watch.check(Outbox) == 1
    assert unsent_ids(Outbox) == {"now"}
    # the sentinel gone again (wiped): everything kept again
    Outbox.update(sent_at=datetime.now(timezone.utc)).execute()
    broker.client.delete(watch.key)
    assert watch.check(Outbox) == 4


def test_brokers_other_than_redis_are_not_watched(tmp_path):
    Outbox, _ = tables(tmp_path)
    sent(Outbox, "x", timedelta(seconds=1))
    assert BrokerWatch(SimpleNamespace(), "scheduler").check(Outbox) == 0
    assert unsent_ids(Outbox) == set()
