"""A service's own messages go out through the outbox: after commit, at their moment, never on rollback."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from shared.mesh.broker import make_broker
from shared.mesh.relay import relay_messages_once
from shared.core.settings import load_settings
from testkit.databases import new_database_url
from testkit.tokens import SECRET


@pytest.fixture
def bound(tmp_path, redis_server):
    from services.scheduler.service import SERVICE

    redis_server.client().flushall()
    settings = load_settings({"HUIFANG_VAR_DIR": str(tmp_path), "HUIFANG_SECRET_KEY": SECRET,
                              "HUIFANG_BROKER_URL": redis_server.url})
    SERVICE.bind(settings, url=new_database_url("scheduler", tmp_path))
    hooks = list(SERVICE.on_commit)
    SERVICE.on_commit.clear()
    yield SERVICE, make_broker(settings), redis_server.client()
    SERVICE.on_commit[:] = hooks


def test_a_rolled_back_unit_of_work_sends_nothing(bound):
    service, broker, _ = bound
    with service.connection():
        with pytest.raises(RuntimeError):
            with service.unit_of_work() as uow:
                uow.send("job", "x")
                raise RuntimeError("the handler failed")
        assert relay_messages_once(service.OutboxMessage, broker) == 0


def test_messages_are_relayed_after_commit_with_their_delay_and_far_ones_wait(bound):
    service, broker, redis = bound
    now = datetime.now(timezone.utc)
    with service.connection():
        with service.unit_of_work() as uow:
            uow.send("job", "now")
            uow.send("job", "in an hour", at=now + timedelta(hours=1))
            uow.send("job", "in a month", at=now + timedelta(days=30))
        assert relay_messages_once(service.OutboxMessage, broker, now=now) == 2
        assert redis.llen("dramatiq:scheduler") == 1
        delayed = [json.loads(m) for m in redis.hgetall("dramatiq:scheduler.DQ.msgs").values()]
        assert [m["args"] for m in delayed] == [["in an hour"]]
        assert abs(delayed[0]["options"]["eta"] / 1000 - (now + timedelta(hours=1)).timestamp()) < 5
        # a month later the far one is within the broker's limit and goes out
        assert relay_messages_once(service.OutboxMessage, broker, now=now + timedelta(days=29)) == 1
        assert relay_messages_once(service.OutboxMessage, broker, now=now + timedelta(days=29)) == 0


def test_sent_rows_are_pruned_after_a_week_and_unsent_ones_never(bound):
    from shared.mesh.outbox import prune_sent
    from shared.mesh.relay import relay_once

    service, broker, _ = bound
    now = datetime.now(timezone.utc)
    with service.connection():
        with service.unit_of_work() as uow:
            uow.send("job", "old")
            uow.emit("customer.flagged", {"customer_id": "C-1"}, organization="acme-electric")
        relay_messages_once(service.OutboxMessage, broker)
        relay_once(service.Outbox, broker)
        with service.unit_of_work() as uow:
            uow.send("job", "waiting", at=now + timedelta(days=30))
        assert prune_sent(service.Outbox, service.OutboxMessage, now=now + timedelta(days=1)) == 0
        assert prune_sent(service.Outbox, service.OutboxMessage, now=now + timedelta(days=8)) == 2
        assert service.OutboxMessage.select().count() == 1
