"""RULES 1.5 on PostgreSQL: two orders of one period handled at once never drop the share below the rate.

SQLite takes its write lock at the start of every transaction (IMMEDIATE), so two handlers
never overlap there; on PostgreSQL they do, and each would count the period without the other.
"""
from __future__ import annotations

import math

import pytest

from services.scheduler import handlers
from services.scheduler.domain.sampling import sample_score
from services.scheduler.service import SERVICE
from testkit.concurrency import run_overlapping
from testkit.databases import TEST_DB

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


def test_rule_1_5_two_orders_of_a_period_at_once_keep_the_share_at_the_rate(scheduler):
    # given 1 of 2 orders selected: exactly 30% or more, and a third unselected order would still be fine
    (picked,) = order_ids(below_rate=True, n=1)
    left_out, first, second = order_ids(below_rate=False, n=3)
    for order_id in (picked, left_out):
        scheduler.handle("service_order.completed", order(order_id))

    # when two more orders are decided in overlapping transactions (the second finishes, or waits for
    # the first's lock on the period)
    run_overlapping(SERVICE, {"service_order.completed": handlers.on_service_order_completed},
                    ("service_order.completed", order(first)), ("service_order.completed", order(second)))

    # then the period's share is still at the rate
    Decision = scheduler.model("SamplingDecision")
    with SERVICE.connection():
        decisions = list(Decision.select().where(Decision.period == PERIOD))
    assert len(decisions) == 4
    assert sum(d.selected for d in decisions) >= math.ceil(RATE * 4)
    assert {c["order_id"] for c in scheduler.callbacks()} == {d.order_id for d in decisions if d.selected}
