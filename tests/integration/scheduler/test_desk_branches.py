"""Branches (门店, 服务站, 物业处, 区域) on deliveries and orders; agents assigned by
branch and business line (seed 003: 门店安排专人负责电话回访)."""
from __future__ import annotations

import yaml


def _roster(scheduler, **branches) -> None:
    """Writes the organisation's agents.yaml: each agent (vehicle line) with the branches given."""
    roster = scheduler.settings.data_dir / "acme-electric" / "scheduler" / "agents.yaml"
    roster.parent.mkdir(parents=True, exist_ok=True)
    roster.write_text(yaml.safe_dump({"agents": [{"login": login, "business_lines": ["vehicle"], "branches": names}
                                                 for login, names in branches.items()]}), encoding="utf-8")


def test_seed_003_a_branchs_task_goes_to_an_agent_of_that_branch_and_carries_the_branch(scheduler):
    _roster(scheduler, li=["north"], wang=["south"])
    order = {"customer": {"id": "C-1", "name": "王先生", "segment": "vip"}, "completed_at": "2026-10-30T15:00:00+08:00",
             "business_line": "vehicle", "kind": "maintenance"}
    scheduler.handle("service_order.completed", {**order, "order_id": "O-N", "branch": "north"})
    scheduler.handle("service_order.completed", {**order, "order_id": "O-S", "branch": "south"})
    scheduler.handle("service_order.completed", {**order, "order_id": "O-X", "branch": "east"})
    north = scheduler.callbacks(order_id="O-N", kind="first")[0]
    south = scheduler.callbacks(order_id="O-S", kind="first")[0]
    assert (north["assigned_to"], south["assigned_to"]) == ("li", "wang")
    # a branch no agent works for: the line's agents take it (never left unassigned)
    assert scheduler.callbacks(order_id="O-X", kind="first")[0]["assigned_to"] in ("li", "wang")
    scheduled = [e["data"] for e in scheduler.outbox("callback.scheduled") if e["data"]["order_id"] == "O-N"]
    assert {d["branch"] for d in scheduled} == {"north"}
    done = scheduler.post(f"/api/v1/callbacks/{north['id']}/outcome", login="li", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied"})
    assert done.status_code == 200, done.get_json()
    assert scheduler.outbox("callback.completed")[0]["data"]["branch"] == "north"


def test_a_delivery_carries_its_branch_to_its_callbacks(scheduler):
    scheduler.handle("delivery.shipped", {"delivery_id": "D-1", "customer": {"id": "C-2", "name": "华东电力"},
                                          "shipped_on": "2026-10-20", "branch": "east-region"})
    installation = scheduler.callbacks(delivery_id="D-1", kind="installation")[0]
    events = [e["data"] for e in scheduler.outbox("callback.scheduled") if e["data"]["callback_id"] == installation["id"]]
    assert events and events[0]["branch"] == "east-region"


def test_agents_are_assigned_by_their_branch_in_the_user_directory(scheduler):
    from shared.users.store import save_person

    # agents.yaml still says li works for south; the directory (entered once, replicated) wins
    _roster(scheduler, li=["south"], wang=["south"])
    from services.scheduler.service import SERVICE

    SERVICE.run(save_person, organization="acme-electric", login="li", role="agent", name="李娜",
                business_lines=["vehicle"], branch="north")
    updated = [e["data"] for e in scheduler.outbox("user.updated")]
    assert updated[-1]["branch"] == "north"
    order = {"customer": {"id": "C-1", "name": "王先生"}, "completed_at": "2026-10-30T15:00:00+08:00",
             "business_line": "vehicle", "kind": "maintenance"}
    scheduler.handle("service_order.completed", {**order, "order_id": "O-N", "branch": "north"})
    scheduler.handle("service_order.completed", {**order, "order_id": "O-S", "branch": "south"})
    assert scheduler.callbacks(order_id="O-N", kind="first")[0]["assigned_to"] == "li"
    # wang has no branch in the directory: agents.yaml's branches are the fallback
    assert scheduler.callbacks(order_id="O-S", kind="first")[0]["assigned_to"] == "wang"
