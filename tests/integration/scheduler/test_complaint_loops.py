"""RULES 2 (seed 002 投诉100%回访,直至业主满意; seed 004 投诉解决后1天内再次回访): a customer who declined
callbacks is still called about a complaint they raised; declining a survey cancels no complaint
follow-up; a declined or wrong-number verification tells the complaints service which complaint it was,
and a complaint raised from a callback names the agent who recorded it (seed 002 首问责任制)."""
from __future__ import annotations

ORDER = {"order_id": "O-1", "customer": {"id": "C-1", "name": "王先生", "segment": "vip", "phone": "13812345678"},
         "completed_at": "2026-10-30T15:00:00+08:00", "business_line": "vehicle", "kind": "maintenance"}
CUSTOMER = {"id": "C-1", "name": "王先生"}


def _decline_first(scheduler) -> None:
    scheduler.handle("service_order.completed", ORDER)
    first = scheduler.callbacks(order_id="O-1", kind="first")[0]
    response = scheduler.post(f"/api/v1/callbacks/{first['id']}/outcome", json={"result": "declined"})
    assert response.status_code == 200, response.get_json()


def test_rule_2_a_customer_who_declined_callbacks_still_gets_the_follow_ups_of_their_complaint(scheduler):
    # given a customer who declined callbacks (谢绝回访)
    _decline_first(scheduler)
    # when a complaint of theirs is resolved, repeats, and gets a promise
    scheduler.handle("complaint.resolved", {"complaint_id": "K-1", "customer": CUSTOMER,
                                            "verify_due_at": "2026-11-24T10:00:00+08:00"})
    scheduler.handle("complaint.repeated", {"complaint_id": "K-2", "customer": CUSTOMER, "order_id": "O-1",
                                            "rework_due_at": "2026-11-21T17:00:00+08:00"})
    scheduler.handle("complaint.promise_made", {"complaint_id": "K-1", "promise_id": "P-1", "customer": CUSTOMER,
                                                "what": "周三前上门复查", "due_at": "2026-11-25T17:00:00+08:00"})
    # then each is planned: opting out covers surveys, not the complaint they raised
    assert [c["status"] for c in scheduler.callbacks(complaint_id="K-1")] == ["open", "open"]
    assert [c["status"] for c in scheduler.callbacks(complaint_id="K-2")] == ["open"]
    # and a new order of theirs still plans no survey
    scheduler.handle("service_order.completed", {**ORDER, "order_id": "O-2", "completed_at": "2026-11-05T15:00:00+08:00"})
    assert scheduler.callbacks(order_id="O-2") == []


def test_rule_2_declining_a_survey_cancels_no_follow_up_of_a_complaint(scheduler):
    # given a customer with a survey callback and an open verification of a complaint
    scheduler.handle("service_order.completed", ORDER)
    scheduler.handle("complaint.resolved", {"complaint_id": "K-1", "customer": CUSTOMER,
                                            "verify_due_at": "2026-11-24T10:00:00+08:00"})
    first = scheduler.callbacks(order_id="O-1", kind="first")[0]
    # when they decline the survey
    scheduler.post(f"/api/v1/callbacks/{first['id']}/outcome", json={"result": "declined"})
    # then the survey's second callback is cancelled, the verification is not
    assert scheduler.callbacks(order_id="O-1", kind="second")[0]["status"] == "cancelled"
    (verification,) = scheduler.callbacks(complaint_id="K-1")
    assert verification["status"] == "open"
    (declined,) = scheduler.outbox("callback.declined")
    assert (declined["data"]["verification"], declined["data"]["complaint_id"]) == (False, None)


def test_rule_2_a_declined_verification_names_its_complaint(scheduler):
    scheduler.handle("complaint.resolved", {"complaint_id": "K-1", "customer": CUSTOMER,
                                            "verify_due_at": "2026-11-24T10:00:00+08:00"})
    (verification,) = scheduler.callbacks(complaint_id="K-1")
    scheduler.post(f"/api/v1/callbacks/{verification['id']}/outcome", json={"result": "declined"})
    (declined,) = scheduler.outbox("callback.declined")
    assert (declined["data"]["verification"], declined["data"]["complaint_id"]) == (True, "K-1")
