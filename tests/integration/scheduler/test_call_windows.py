"""RULES 1.2 through the API: an agent's list says when each task may be called; rest time is kept."""
from __future__ import annotations

from datetime import datetime, timezone

import yaml

ORDER = {"order_id": "O-1", "customer": {"id": "C-1", "name": "王先生", "segment": "vip"},
         "completed_at": "2026-10-30T15:00:00+08:00", "business_line": "vehicle", "kind": "maintenance"}


def li_has_the_vehicle_line(scheduler):
    roster = scheduler.settings.data_dir / "acme-electric" / "scheduler" / "agents.yaml"
    roster.parent.mkdir(parents=True, exist_ok=True)
    roster.write_text(yaml.safe_dump({"agents": [{"login": "li", "business_lines": ["vehicle"]}]}), encoding="utf-8")


def test_rule_1_2_agent_list_gives_each_task_its_next_call_in_a_window(scheduler):
    li_has_the_vehicle_line(scheduler)
    scheduler.handle("service_order.completed", ORDER)  # first due Mon 11-02, second Mon 11-09

    listed = scheduler.get("/api/v1/agents/li/callbacks").get_json()  # now: Monday 11-02 10:00

    assert [(c["kind"], c["due_on"], c["next_call_at"]) for c in listed] == [
        ("first", "2026-11-02", "2026-11-02T10:00:00+08:00"),
        ("second", "2026-11-09", "2026-11-09T09:00:00+08:00"),
    ]


def test_rule_1_2_callable_now_keeps_tasks_due_today_and_none_in_rest_time(scheduler):
    li_has_the_vehicle_line(scheduler)
    scheduler.handle("service_order.completed", ORDER)

    now = scheduler.get("/api/v1/agents/li/callbacks?callable_now=1")
    assert [c["kind"] for c in now.get_json()] == ["first"] and now.headers["X-Total-Count"] == "1"

    scheduler.now = datetime(2026, 11, 2, 4, 30, tzinfo=timezone.utc)  # 12:30 in Shanghai: lunch rest
    rest = scheduler.get("/api/v1/agents/li/callbacks?callable_now=1")
    assert rest.get_json() == [] and rest.headers["X-Total-Count"] == "0"
    first = scheduler.get("/api/v1/agents/li/callbacks").get_json()[0]
    assert first["next_call_at"] == "2026-11-02T14:00:00+08:00"


def test_rule_1_2_an_unreachable_customer_is_called_next_in_the_next_working_days_window(scheduler):
    li_has_the_vehicle_line(scheduler)
    scheduler.handle("service_order.completed", ORDER)
    first = scheduler.callbacks(order_id="O-1", kind="first")[0]
    scheduler.post(f"/api/v1/callbacks/{first['id']}/outcome", json={"reached": False})

    listed = {c["kind"]: c for c in scheduler.get("/api/v1/agents/li/callbacks").get_json()}
    assert listed["first"]["next_call_at"] == "2026-11-03T09:00:00+08:00"
    assert [c["kind"] for c in scheduler.get("/api/v1/agents/li/callbacks?callable_now=1").get_json()] == []
