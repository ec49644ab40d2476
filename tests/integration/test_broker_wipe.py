"""Redis stopped in the middle and restarted EMPTY (its data folder wiped).

300 service orders posted over HTTP to the complaints service (which forwards them through its
outbox to the scheduler): 100 before the stop (the scheduler's worker is stopped, so they sit
in Redis, their outbox rows already marked sent), 100 while Redis is down (202: the outbox
keeps them, CONTRACT.md), 100 after it came back empty. Every order is planned exactly once:
the relay notices the lost data (shared.mesh.relay.BrokerWatch) and sends the rows again.
"""
from __future__ import annotations

import shutil

from testkit.mesh import order
from testkit.polling import eventually
from testkit.servers import RedisServer
from testkit.tokens import API_TOKEN, bearer


def test_orders_accepted_before_during_and_after_redis_comes_back_empty_are_planned_once(mesh_factory, tmp_path):
    folder = tmp_path / "own-redis"
    broker = RedisServer(folder).start()
    try:
        mesh = mesh_factory(broker_url=broker.url, start=False)
        mesh.start_worker("complaints")
        mesh.start_worker("reporting")
        client = mesh.client("complaints")

        def post(events):
            return [client.post("/api/v1/events", json=e, headers=bearer(API_TOKEN)).status_code for e in events]

        orders = [order(i) for i in range(300)]
        # 100 before: accepted, relayed at once by the web app, waiting in Redis for the scheduler
        assert post(orders[:100]) == [202] * 100
        eventually(lambda: mesh.count("complaints", "Outbox", where=lambda m: m.sent_at.is_null()) == 0,
                   message="the first 100 handed to Redis")
        assert broker.client().llen("dramatiq:scheduler") >= 100  # (two relays may both send a row)
        # Redis stops and loses its data
        broker.stop()
        shutil.rmtree(folder)
        # 100 during: 202, kept in the outbox
        assert post(orders[100:200]) == [202] * 100
        assert mesh.count("complaints", "Outbox", where=lambda m: m.sent_at.is_null()) == 100
        broker.start()  # same port, an empty data folder
        # 100 after
        assert post(orders[200:]) == [202] * 100
        mesh.start_worker("scheduler")
        ids = {e["data"]["order_id"] for e in orders}
        scheduler = mesh.services["scheduler"]
        from services.scheduler.models import ServiceOrder

        def planned():
            with scheduler.connection():
                return {row.order_id for row in ServiceOrder.select(ServiceOrder.order_id)}

        eventually(lambda: planned() == ids, timeout=120, interval=0.5,
                   message="all 300 orders planned")
        with scheduler.connection():
            assert ServiceOrder.select().count() == 300  # once each
        assert mesh.count("scheduler", where=lambda m: m.event_id.startswith("so-")) == 300
        assert "re-offered" in mesh.worker_log("complaints")
    finally:
        broker.stop()
