"""The full complaint loop through real Redis and real workers: raise -> escalate -> resolve ->
the scheduler's verification callback -> dissatisfied reopens -> resolve -> satisfied closes."""
from __future__ import annotations

import pytest
import yaml

from testkit.polling import eventually
from testkit.tokens import bearer, user_token
from testkit.complaints import ORG, USERS


def test_full_loop_verification_callback_reopens_then_closes_the_complaint(mesh):
    users = mesh.settings.data_dir / ORG / "complaints" / "users.yaml"
    users.parent.mkdir(parents=True, exist_ok=True)
    users.write_text(yaml.safe_dump({"users": USERS}), encoding="utf-8")
    complaints, scheduler = mesh.client("complaints"), mesh.client("scheduler")
    routes = {rule.rule for rule in mesh.app("scheduler").url_map.iter_rules()}
    if "/api/v1/callbacks/<callback_id>/outcome" not in routes and not any(
            r.startswith("/api/v1/callbacks/") and r.endswith("/outcome") for r in routes):
        pytest.skip("pending: the scheduler has no POST /api/v1/callbacks/<id>/outcome yet")
    agent = bearer(user_token("agent", ORG, "wang"))
    advisor = bearer(user_token("advisor", ORG, "li"))

    # given a complaint raised at the hotline and escalated to the advisor
    response = complaints.post("/api/v1/complaints", headers=agent, json={
        "customer": {"id": "C-7", "name": "华东电力", "phone": "021-1234"},
        "description": "维修后仍漏水", "category": "service_quality", "source": "hotline"})
    assert response.status_code == 201, response.get_json()
    complaint_id = response.get_json()["id"]  # made by the server
    assert complaints.post(f"/api/v1/complaints/{complaint_id}/escalate", headers=agent,
                           json={"reason": "需服务顾问处理"}).status_code == 200
    # the advisor is mailed by the complaints worker
    outbox = mesh.settings.var_dir / "outbox"
    eventually(lambda: any("li@acme.example" in p.read_text(errors="replace") for p in outbox.glob("*.eml")),
               message="mail to the advisor")

    def verification(round_no):
        def find():
            response = scheduler.get(f"/api/v1/callbacks?complaint_id={complaint_id}", headers=agent)
            tasks = response.get_json() if response.status_code == 200 else []
            tasks = tasks.get("items", tasks) if isinstance(tasks, dict) else tasks
            open_ = [t for t in tasks if t["kind"] == "verification" and t["status"] == "open"]
            return open_ and len([t for t in tasks if t["kind"] == "verification"]) == round_no and open_[0]
        return eventually(find, timeout=30, message=f"verification callback #{round_no} at the scheduler")

    def state():
        return complaints.get(f"/api/v1/complaints/{complaint_id}", headers=agent).get_json()

    # when the advisor resolves it, the scheduler plans a verification callback
    assert complaints.post(f"/api/v1/complaints/{complaint_id}/resolve", headers=advisor, json={
        "root_cause": "密封圈老化", "corrective_action": "更换密封圈"}).status_code == 200
    task = verification(1)
    # and a dissatisfied verification reopens it at the advisor's level
    response = scheduler.post(f"/api/v1/callbacks/{task['id']}/outcome", headers=agent, json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "dissatisfied",
        "dissatisfied_reason": "仍有渗水"})
    assert response.status_code in (200, 201), response.get_json()
    reopened = eventually(lambda: state()["state"] == "open" and state(), message="complaint reopened")
    assert reopened["level"] == 1 and reopened["level_role"] == "advisor"
    assert "仍有渗水" in reopened["history"][-1]["reason"]

    # when resolved again and the customer is satisfied, the complaint closes
    assert complaints.post(f"/api/v1/complaints/{complaint_id}/resolve", headers=advisor, json={
        "root_cause": "管件裂纹", "corrective_action": "更换管件"}).status_code == 200
    task = verification(2)
    response = scheduler.post(f"/api/v1/callbacks/{task['id']}/outcome", headers=agent, json={
        "reached": True, "product_satisfaction": "very_satisfied", "service_satisfaction": "satisfied"})
    assert response.status_code in (200, 201), response.get_json()
    closed = eventually(lambda: state()["state"] == "closed" and state(), message="complaint closed")
    actions = [h["action"] for h in closed["history"]]
    assert actions == ["raised", "escalated", "resolved", "reopened", "resolved", "closed"]
    assert all(h["at"].endswith("+08:00") for h in closed["history"])
