"""RULES 1.2 and 2: recording a callback's outcome, retries, complaints and verifications."""
from __future__ import annotations

from datetime import datetime, timezone

import yaml

from testkit.scheduler import VIP_ORDER
from testkit.tokens import API_TOKEN, bearer


def first_callback(scheduler) -> dict:
    scheduler.handle("service_order.completed", VIP_ORDER)
    return scheduler.callbacks(order_id="O-1", kind="first")[0]


def test_rule_1_2_dissatisfied_answer_without_reason_is_422_naming_the_field(scheduler):
    callback = first_callback(scheduler)
    response = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "dissatisfied"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "dissatisfied_reason" in response.get_json()["errors"]
    assert scheduler.callbacks(order_id="O-1", kind="first")[0]["status"] == "open"


def test_rule_1_2_dissatisfied_answer_raises_a_complaint_the_same_day(scheduler):
    callback = first_callback(scheduler)
    response = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "very_dissatisfied",
        "dissatisfied_reason": "等了两个小时", "suggestions": "多开一个工位", "duration_s": 240,
        "answers": {"advisor_followed_up": True}})
    assert response.status_code == 200, response.get_json()
    done = response.get_json()
    assert done["status"] == "done" and done["record_no"] == "202611-0001"

    (completed,) = scheduler.outbox("callback.completed")
    data = completed["data"]
    assert data["callback_id"] == callback["id"] and data["reached"] is True and data["key_customer"] is True
    assert data["customer"]["id"] == "C-1" and data["customer"]["name"] == "王先生"
    assert (data["service_satisfaction"], data["dissatisfied_reason"], data["duration_s"]) == (
        "very_dissatisfied", "等了两个小时", 240)
    (raised,) = scheduler.outbox("complaint.raised")
    assert raised["data"]["complaint_id"] == f"callback-{callback['id']}"
    assert raised["data"]["source"] == "callback" and raised["data"]["description"] == "等了两个小时"
    assert raised["data"]["order_id"] == "O-1" and raised["data"]["customer"]["id"] == "C-1"
    assert raised["time"].startswith("2026-11-02")

    again = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={"reached": True})
    assert again.status_code == 409


def test_rule_1_2_unreachable_after_3_attempts_on_working_days(scheduler):
    callback = first_callback(scheduler)
    url = f"/api/v1/callbacks/{callback['id']}/outcome"
    first = scheduler.post(url, json={"reached": False}).get_json()
    assert (first["status"], first["attempts"], first["next_attempt_on"]) == ("open", 1, "2026-11-03")
    scheduler.now = datetime(2026, 11, 6, 2, 0, tzinfo=timezone.utc)  # Friday
    second = scheduler.post(url, json={"reached": False}).get_json()
    assert (second["status"], second["next_attempt_on"]) == ("open", "2026-11-09")  # Monday
    assert scheduler.outbox("callback.unreachable") == []
    third = scheduler.post(url, json={"reached": False}).get_json()
    assert (third["status"], third["attempts"]) == ("unreachable", 3)
    (unreachable,) = scheduler.outbox("callback.unreachable")
    assert unreachable["data"]["callback_id"] == callback["id"] and unreachable["data"]["customer_id"] == "C-1"


def test_unknown_callback_is_404_and_other_organisations_do_not_see_it(scheduler):
    callback = first_callback(scheduler)
    assert scheduler.post("/api/v1/callbacks/nope/outcome", json={"reached": True}).status_code == 404
    response = scheduler.client.get("/api/v1/callbacks", query_string={"organization": "other-org"},
                                    headers=bearer(API_TOKEN))
    assert response.get_json() == []
    assert scheduler.get(f"/api/v1/callbacks/{callback['id']}").status_code == 200


def test_rule_1_4_advisors_see_masked_phones_agents_see_them(scheduler):
    first_callback(scheduler)
    as_agent = scheduler.get("/api/v1/callbacks", role="agent").get_json()[0]
    as_advisor = scheduler.get("/api/v1/callbacks", role="advisor").get_json()[0]
    assert as_agent["customer"]["phone"] == "13812345678"
    assert as_advisor["customer"]["phone"] == "138****5678"
    assert scheduler.post(f"/api/v1/callbacks/{as_agent['id']}/outcome", role="advisor",
                          json={"reached": True}).status_code == 403


def test_rule_2_resolved_complaint_gets_a_verification_callback_one_service_day_later(scheduler):
    callback = first_callback(scheduler)
    scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "dissatisfied",
        "dissatisfied_reason": "态度差"})
    complaint_id = f"callback-{callback['id']}"

    scheduler.handle("complaint.resolved", {"complaint_id": complaint_id, "resolved_at": "2026-11-06T16:00:00+08:00"})

    (verification,) = scheduler.callbacks(complaint_id=complaint_id)
    assert (verification["kind"], verification["due_on"], verification["customer_id"]) == (
        "verification", "2026-11-09", "C-1")
    response = scheduler.post(f"/api/v1/callbacks/{verification['id']}/outcome", json={
        "reached": True, "service_satisfaction": "very_dissatisfied", "dissatisfied_reason": "还是不满意"})
    assert response.status_code == 200, response.get_json()
    completed = scheduler.outbox("callback.completed")[-1]["data"]
    assert completed["complaint_id"] == complaint_id and completed["kind"] == "verification"
    assert len(scheduler.outbox("complaint.raised")) == 1  # the complaints service reopens; no new complaint


def test_rule_2_verify_due_at_sent_with_the_resolution_wins(scheduler):
    scheduler.handle("complaint.resolved", {"complaint_id": "K-7", "customer": {"id": "C-7", "name": "赵女士"},
                                            "verify_due_at": "2026-11-20T17:00:00+08:00"})
    (verification,) = scheduler.callbacks(complaint_id="K-7")
    assert verification["due_on"] == "2026-11-20" and verification["customer_id"] == "C-7"


def test_new_tasks_go_to_the_agent_of_the_line_with_the_fewest_open_tasks(scheduler):
    roster = scheduler.settings.data_dir / "acme-electric" / "scheduler" / "agents.yaml"
    roster.parent.mkdir(parents=True, exist_ok=True)
    roster.write_text(yaml.safe_dump({"agents": [
        {"login": "li", "business_lines": ["vehicle"]}, {"login": "wang", "business_lines": ["vehicle"]},
        {"login": "zhao", "business_lines": ["equipment"]}]}), encoding="utf-8")
    for i in range(3):
        scheduler.handle("service_order.completed", {**VIP_ORDER, "order_id": f"O-{i}"})
    li_response = scheduler.get("/api/v1/agents/li/callbacks", login="li")
    wang_response = scheduler.get("/api/v1/agents/wang/callbacks", role="supervisor", login="boss")
    li, wang = li_response.get_json(), wang_response.get_json()
    assert li_response.headers["X-Total-Count"] == "3" and len(wang) == 3
    assert [c["due_on"] for c in li] == sorted(c["due_on"] for c in li)
    assert scheduler.get("/api/v1/agents/wang/callbacks", login="li").status_code == 403


def test_an_agent_records_only_their_own_callbacks(scheduler):
    """The assignee, team leads and above record an outcome; another agent
    gets 403 and nothing changes."""
    path = scheduler.settings.data_dir / "acme-electric" / "scheduler" / "agents.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"agents": [{"login": "li", "business_lines": ["vehicle"]}]}), encoding="utf-8")
    callback = first_callback(scheduler)
    assert callback["assigned_to"] == "li"
    unreached = {"reached": False}
    refused = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", login="wang", json=unreached)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert scheduler.callbacks(order_id="O-1", kind="first")[0]["attempts"] == 0
    assert scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", role="supervisor", login="chen",
                          json=unreached).status_code == 200
    assert scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json=unreached).status_code == 200
