"""RULES 1.2, 1.3, 1.5 through the real handler path: who is called after a service, and when."""
from __future__ import annotations

import math
from datetime import datetime, timezone

from services.scheduler import jobs
from services.scheduler.service import SERVICE
from testkit.databases import new_database_url
from testkit.scheduler import order


def test_rule_1_2_worked_example_key_customer_first_and_second_callbacks(scheduler):
    scheduler.handle("service_order.completed", order("O-1", segment="vip"))
    callbacks = {c["kind"]: c for c in scheduler.callbacks(order_id="O-1")}
    assert callbacks["first"]["due_on"] == "2026-11-02"
    assert callbacks["second"]["due_on"] == "2026-11-09"
    assert callbacks["second"]["overdue_on"] == "2026-11-14"
    assert callbacks["first"]["key_customer"] is True


def test_rule_1_2_key_order_kinds_and_flagged_customers_are_always_called(scheduler):
    for i, kind in enumerate(("accident", "major_repair")):
        scheduler.handle("service_order.completed", order(f"K-{i}", kind=kind, customer=f"P-{i}"))
        assert len(scheduler.callbacks(order_id=f"K-{i}")) == 2
    scheduler.handle("customer.flagged", {"customer_id": "F-1"})
    scheduler.handle("service_order.completed", order("F-order", customer="F-1"))
    assert {c["key_customer"] for c in scheduler.callbacks(order_id="F-order")} == {True}


def selected_orders(scheduler) -> set[str]:
    return {c["order_id"] for c in scheduler.callbacks(limit=5000)}


def test_rule_1_5_sampling_is_reproducible_and_never_below_the_rate(scheduler):
    orders = [order(f"O-{i}", customer=f"C-{i}") for i in range(40)]
    for data in orders:
        scheduler.handle("service_order.completed", data)
    first = selected_orders(scheduler)
    assert len(first) >= math.ceil(0.3 * len(orders))
    assert len(first) < len(orders)  # ordinary customers are sampled, not all called

    # the same orders again (new event ids) change nothing
    for data in orders:
        scheduler.handle("service_order.completed", data)
    assert selected_orders(scheduler) == first
    Decision = scheduler.model("SamplingDecision")
    with SERVICE.connection():
        assert Decision.select().count() == len(orders)


def test_rule_1_5_a_fresh_database_picks_the_same_orders(scheduler, tmp_path):
    orders = [order(f"O-{i}", customer=f"C-{i}") for i in range(30)]
    for data in orders:
        scheduler.handle("service_order.completed", data)
    first = selected_orders(scheduler)

    SERVICE.bind(scheduler.settings, url=new_database_url("scheduler", tmp_path / "again"))
    for data in orders:
        scheduler.handle("service_order.completed", data)
    assert selected_orders(scheduler) == first


def test_rule_1_3_emergency_repairs_are_called_the_same_day(scheduler):
    scheduler.handle("service_order.completed", order("E-1", line="property", kind="emergency_repair",
                                                      completed_at="2026-11-03T21:00:00+08:00"))
    (callback,) = scheduler.callbacks(order_id="E-1")
    assert (callback["kind"], callback["due_on"]) == ("emergency_repair", "2026-11-03")


def test_rule_1_3_routine_repairs_wait_for_the_batch_closed_on_the_26th(scheduler):
    for i in range(5):
        scheduler.handle("service_order.completed", order(f"R-{i}", customer=f"H-{i}", line="property",
                                                          kind="repair", completed_at="2026-11-10T10:00:00+08:00"))
    assert scheduler.callbacks() == []
    assert SERVICE.run(jobs.close_due_batches) == []  # Nov 2: not yet the 26th

    scheduler.now = datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)
    closed = SERVICE.run(jobs.close_due_batches)
    assert closed == [("acme-electric", "property:batch", "2026-11")]
    callbacks = scheduler.callbacks()
    assert len(callbacks) == 5  # up to 100 orders: 100%
    assert {c["due_on"] for c in callbacks} == {"2026-11-26"}

    # an order of the closed batch arriving late tops it up at once
    scheduler.handle("service_order.completed", order("R-late", customer="H-9", line="property", kind="repair",
                                                      completed_at="2026-11-26T17:00:00+08:00"))
    assert len(scheduler.callbacks()) == 6
    assert SERVICE.run(jobs.close_due_batches) == []  # closed once


def test_rules_order_kind_without_a_rule_is_recorded_and_not_called(scheduler):
    scheduler.handle("service_order.completed", order("X-1", line="property", kind="purchase"))
    assert scheduler.callbacks(order_id="X-1") == []
