"""Customers who stopped coming (seed 000 part 5 「回访调查流失原因」): the customers of a business line
not served for the policy's months are listed; a supervisor plans a "why not back" callback (kind
`lapsed`) from the list; it follows the lapsed questionnaire, which asks the churn reason, and the
answer goes out with `callback.completed`."""
from __future__ import annotations

from datetime import datetime, timezone

from testkit.scheduler import order


def _served(scheduler) -> None:
    # C-1 last served in January, C-2 in October; C-3 only in retail
    scheduler.handle("service_order.completed", order("O-1", customer="C-1", completed_at="2026-01-09T15:00:00+08:00"))
    scheduler.handle("service_order.completed", order("O-2", customer="C-2", completed_at="2026-10-30T15:00:00+08:00"))
    scheduler.handle("service_order.completed", order("O-3", customer="C-3", line="retail", kind="purchase",
                                                       completed_at="2026-01-09T15:00:00+08:00"))
    scheduler.now = datetime(2026, 11, 3, 2, 0, tzinfo=timezone.utc)  # Tuesday 10:00 in Shanghai


def test_seed_000_part_5_lapsed_customers_are_listed_per_business_line(scheduler):
    # given vehicle customers served in January and October, the vehicle line lapsing after 6 months
    _served(scheduler)
    # when a supervisor lists the vehicle line's lapsed customers
    listed = scheduler.get("/api/v1/customers/lapsed?business_line=vehicle", role="supervisor", login="wang")
    # then only the customer gone since January is listed, with the policy's months and the last service
    assert listed.status_code == 200, listed.get_json()
    body = listed.get_json()
    assert body["months"] == 6
    assert [(c["customer_id"], c["last_served_on"], c["callback_id"]) for c in body["customers"]] == [
        ("C-1", "2026-01-09", None)]
    # a shorter window lists the October customer too once enough months passed; an agent may not list
    assert [c["customer_id"] for c in scheduler.get("/api/v1/customers/lapsed?business_line=vehicle&months=10",
                                                    role="supervisor").get_json()["customers"]] == []
    assert scheduler.get("/api/v1/customers/lapsed?business_line=vehicle", role="agent").status_code == 403
    bad = scheduler.get("/api/v1/customers/lapsed?business_line=boats", role="supervisor")
    assert bad.status_code == 422 and "business_line" in str(bad.get_json()["errors"])


def test_seed_000_part_5_supervisor_plans_why_not_back_callback_asking_the_churn_reason(scheduler):
    # given a vehicle customer lapsed since January
    _served(scheduler)
    # when the supervisor plans their "why not back" callback, twice
    planned = scheduler.post("/api/v1/customers/lapsed/plan", role="supervisor", login="wang",
                             json={"business_line": "vehicle", "customer_ids": ["C-1"]})
    again = scheduler.post("/api/v1/customers/lapsed/plan", role="supervisor", login="wang",
                           json={"business_line": "vehicle", "customer_ids": ["C-1"]})
    # then one open `lapsed` callback is planned, announced, and the list shows it
    assert planned.status_code == 200, planned.get_json()
    [callback] = planned.get_json()
    assert (callback["kind"], callback["status"], callback["customer_id"]) == ("lapsed", "open", "C-1")
    assert [c["id"] for c in again.get_json()] == [callback["id"]]
    assert [e["data"]["kind"] for e in scheduler.outbox("callback.scheduled")].count("lapsed") == 1
    [row] = scheduler.get("/api/v1/customers/lapsed?business_line=vehicle", role="supervisor").get_json()["customers"]
    assert (row["callback_id"], row["callback_status"]) == (callback["id"], "open")
    # a customer served recently is not lapsed (409); an agent may not plan (403)
    recent = scheduler.post("/api/v1/customers/lapsed/plan", role="supervisor",
                            json={"business_line": "vehicle", "customer_ids": ["C-2"]})
    assert recent.status_code == 409, recent.get_json()
    assert scheduler.post("/api/v1/customers/lapsed/plan", role="agent",
                          json={"business_line": "vehicle", "customer_ids": ["C-1"]}).status_code == 403
    # when the agent reaches the customer and records why they have not come back
    missing = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", role="manager", login="chen",
                             json={"reached": True, "answers": {}})
    assert missing.status_code == 422 and "answers.churn_reason" in missing.get_json()["errors"]
    done = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", role="manager", login="chen", json={
        "reached": True, "answers": {"churn_reason": "转到其他维修站", "went_elsewhere": True}})
    # then callback.completed carries the lapsed questionnaire's churn reason
    assert done.status_code == 200, done.get_json()
    [completed] = [e["data"] for e in scheduler.outbox("callback.completed") if e["data"]["callback_id"] == callback["id"]]
    assert (completed["kind"], completed["questionnaire"]) == ("lapsed", "lapsed")
    assert completed["answers"]["churn_reason"] == "转到其他维修站"
