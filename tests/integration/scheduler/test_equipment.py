"""RULES 1.1 through the real handler path: ledger rows and equipment callbacks."""
from __future__ import annotations

from testkit.events import envelope
from testkit.scheduler import SHIPPED, WORKED_EXAMPLE


def due_dates(callbacks) -> dict:
    return {c["kind"]: c["due_on"] for c in callbacks if c["status"] != "cancelled"}


def test_rule_1_1_worked_example_six_callbacks(scheduler):
    scheduler.handle("delivery.shipped", SHIPPED)
    assert due_dates(scheduler.callbacks(delivery_id="D-1")) == {"installation": "2026-02-09"}

    scheduler.handle("equipment.commissioned", {"delivery_id": "D-1", "commissioned_on": "2026-03-15"})

    callbacks = scheduler.callbacks(delivery_id="D-1")
    assert due_dates(callbacks) == WORKED_EXAMPLE
    assert {c["channel"] for c in callbacks} == {"phone"}
    assert {c["customer_id"] for c in callbacks} == {"C-1"}
    scheduled = scheduler.outbox("callback.scheduled")
    assert len(scheduled) == 6 and {e["data"]["kind"] for e in scheduled} == set(WORKED_EXAMPLE)
    assert all(e["organization"] == "acme-electric" for e in scheduled)


def test_rule_1_1_warranty_end_by_shipment_moves_only_the_due_date(scheduler):
    scheduler.handle("delivery.shipped", SHIPPED)
    scheduler.handle("equipment.commissioned", {"delivery_id": "D-1", "commissioned_on": "2026-12-20"})
    (warranty_end,) = scheduler.callbacks(delivery_id="D-1", kind="warranty_end")
    assert warranty_end["due_on"] == "2027-08-02"
    (entry,) = scheduler.get("/api/v1/ledger").get_json()
    assert entry["warranty_end_on"] == "2027-07-31"


def test_rule_1_1_same_events_twice_make_one_set_of_callbacks(scheduler):
    shipped = envelope("delivery.shipped", SHIPPED)
    commissioned = envelope("equipment.commissioned", {"delivery_id": "D-1", "commissioned_on": "2026-03-15"})
    for event in (shipped, commissioned, shipped, commissioned):
        scheduler.handle_envelope(event)
    # the same facts under new event ids change nothing either
    scheduler.handle("delivery.shipped", SHIPPED)
    scheduler.handle("equipment.commissioned", {"delivery_id": "D-1", "commissioned_on": "2026-03-15"})

    assert len(scheduler.callbacks(delivery_id="D-1")) == 6
    assert len(scheduler.outbox("callback.scheduled")) == 6
    Customer = scheduler.model("Customer")
    assert Customer.get(Customer.customer_id == "C-1").total_contract_amount == 120000


def test_rule_1_1_commissioning_before_shipment_event_still_plans_all(scheduler):
    scheduler.handle("equipment.commissioned", {"delivery_id": "D-1", "commissioned_on": "2026-03-15"})
    assert scheduler.callbacks(delivery_id="D-1") == []
    scheduler.handle("delivery.shipped", SHIPPED)
    assert due_dates(scheduler.callbacks(delivery_id="D-1")) == WORKED_EXAMPLE


def test_rule_1_1_installation_event_moves_the_installation_callback(scheduler):
    scheduler.handle("delivery.shipped", SHIPPED)
    scheduler.handle("equipment.installed", {"delivery_id": "D-1", "installed_on": "2026-02-12"})
    (installation,) = scheduler.callbacks(delivery_id="D-1")
    assert installation["due_on"] == "2026-02-12"
    moved = scheduler.outbox("callback.scheduled")[-1]["data"]
    assert moved["rescheduled"] and moved["due_on"] == "2026-02-12"


def test_rule_1_1_corrected_commissioning_date_moves_every_callback_not_yet_done(scheduler):
    scheduler.handle("delivery.shipped", SHIPPED)
    scheduler.handle("equipment.commissioned", {"delivery_id": "D-1", "commissioned_on": "2026-03-15"})
    (trial_run,) = scheduler.callbacks(delivery_id="D-1", kind="trial_run")
    response = scheduler.post(f"/api/v1/callbacks/{trial_run['id']}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied"})
    assert response.status_code == 200, response.get_json()

    scheduler.handle("equipment.commissioned", {"delivery_id": "D-1", "commissioned_on": "2026-03-20"})

    dates = due_dates(scheduler.callbacks(delivery_id="D-1"))
    assert dates["trial_run"] == "2026-04-15"  # done: stays
    assert dates["warranty_6m"] == "2026-09-20"  # a Sunday, but a make-up working day (调休)
    assert dates["warranty_end"] == "2027-03-22"  # 03-20 is a Saturday
    assert dates["post_warranty_24m"] == "2028-03-20"
    assert dates["installation"] == "2026-02-09"
    assert len(scheduler.callbacks(delivery_id="D-1")) == 6


def test_rule_1_1_cancelled_delivery_cancels_open_callbacks(scheduler):
    scheduler.handle("delivery.shipped", SHIPPED)
    scheduler.handle("equipment.commissioned", {"delivery_id": "D-1", "commissioned_on": "2026-03-15"})
    (installation,) = scheduler.callbacks(delivery_id="D-1", kind="installation")
    scheduler.post(f"/api/v1/callbacks/{installation['id']}/outcome", json={"reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied"})

    scheduler.handle("delivery.cancelled", {"delivery_id": "D-1"})

    statuses = {c["kind"]: c["status"] for c in scheduler.callbacks(delivery_id="D-1")}
    assert statuses.pop("installation") == "done"
    assert set(statuses.values()) == {"cancelled"}
    cancelled = [e for e in scheduler.outbox("callback.scheduled") if e["data"]["status"] == "cancelled"]
    assert len(cancelled) == 5
    # a commissioning date arriving afterwards plans nothing new
    scheduler.handle("equipment.commissioned", {"delivery_id": "D-1", "commissioned_on": "2026-03-20"})
    assert {c["status"] for c in scheduler.callbacks(delivery_id="D-1", kind="trial_run")} == {"cancelled"}


def test_rule_1_1_contracts_of_3_million_get_onsite_visits(scheduler):
    scheduler.handle("delivery.shipped", SHIPPED)
    assert {c["channel"] for c in scheduler.callbacks(customer_id="C-1")} == {"phone"}
    big = {**SHIPPED, "delivery_id": "D-2", "contract_amount": "2880000.00"}
    scheduler.handle("delivery.shipped", big)  # 120,000 + 2,880,000 = 3,000,000
    assert {c["channel"] for c in scheduler.callbacks(customer_id="C-1")} == {"onsite"}
