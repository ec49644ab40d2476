"""RULES 1.5 on PostgreSQL: two orders of one period handled at once never drop the share below the rate.

SQLite takes its write lock at the start of every transaction (IMMEDIATE), so two handlers
never overlap there; on PostgreSQL they do, and each would count the period without the other.
"""
from __future__ import annotations

import math
import threading

import pytest

from services.scheduler import handlers
from services.scheduler.domain.sampling import sample_score
from services.scheduler.service import SERVICE
from shared.events import load_event
from tests.conftest import TEST_DB, envelope, eventually

pytestmark = pytest.mark.skipif(TEST_DB != "postgres", reason="SQLite serialises writers: nothing to race")

RATE = 0.3  # the default policy's vehicle ordinary_sample_rate
PERIOD = "2026-10"


def order(order_id: str) -> dict:
    return {"order_id": order_id, "customer": {"id": f"C-{order_id}", "name": f"客户{order_id}"},
            "completed_at": "2026-10-20T15:00:00+08:00", "business_line": "vehicle", "kind": "maintenance"}


def order_ids(*, below_rate: bool, n: int) -> list[str]:
    found = []
    for i in range(1000):
        if (sample_score("default@1", f"O-{i}", PERIOD) < RATE) == below_rate:
            found.append(f"O-{i}")
            if len(found) == n:
                return found
    raise AssertionError("not enough order ids")


def advisory_lock_waiters() -> int:
    with SERVICE.connection() as db:
        return db.execute_sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                              ).fetchone()[0]


def test_rule_1_5_two_orders_of_a_period_at_once_keep_the_share_at_the_rate(scheduler):
    # given 1 of 2 orders selected: exactly 30% or more, and a third unselected order would still be fine
    (picked,) = order_ids(below_rate=True, n=1)
    left_out, first, second = order_ids(below_rate=False, n=3)
    for order_id in (picked, left_out):
        scheduler.handle("service_order.completed", order(order_id))

    first_decided, release_first, second_done = threading.Event(), threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def handle(order_id: str, decided: threading.Event, wait_for: threading.Event | None):
        try:
            with SERVICE.connection(), SERVICE.unit_of_work() as uow:
                handlers.on_service_order_completed(
                    uow=uow, event=load_event(envelope("service_order.completed", order(order_id))))
                decided.set()
                if wait_for is not None:
                    assert wait_for.wait(30), "never released"
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            decided.set()

    # when two more orders are decided in overlapping transactions
    a = threading.Thread(target=handle, args=(first, first_decided, release_first))
    a.start()
    assert first_decided.wait(30)
    b = threading.Thread(target=handle, args=(second, second_done, None))
    b.start()
    # the second either finishes (no serialisation) or waits for the first's lock
    eventually(lambda: second_done.is_set() or advisory_lock_waiters() > 0, timeout=30,
               message="the second handler to finish or to wait for the period's lock")
    release_first.set()
    a.join(30)
    b.join(30)
    assert not failures, failures

    # then the period's share is still at the rate
    Decision = scheduler.model("SamplingDecision")
    with SERVICE.connection():
        decisions = list(Decision.select().where(Decision.period == PERIOD))
    assert len(decisions) == 4
    assert sum(d.selected for d in decisions) >= math.ceil(RATE * 4)
    assert {c["order_id"] for c in scheduler.callbacks()} == {d.order_id for d in decisions if d.selected}
