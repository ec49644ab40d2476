"""Review of callback records. Seed 000 part 3 「审核电话回访记录」; seed 002 the
service supervisor reviews weekly, the project manager spot-checks monthly, 「□抽查合格/□有待改进」;
RULES 1.5: the sample is reproducible and never below its share."""
from __future__ import annotations

from testkit.tokens import API_TOKEN, bearer

ANSWERS = {"reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "very_satisfied"}


def made_callbacks(scheduler, per_agent: dict[str, int]) -> dict[str, list[str]]:
    """Gives the callbacks each agent made on Monday 2026-11-02 (week 2026-W45)."""
    made: dict[str, list[str]] = {}
    n = 0
    for agent, count in per_agent.items():
        for _ in range(count):
            n += 1
            scheduler.handle("service_order.completed", {
                "order_id": f"O-{n}", "customer": {"id": f"C-{n}", "name": f"客户{n}", "segment": "vip"},
                "completed_at": "2026-10-30T15:00:00+08:00", "business_line": "vehicle", "kind": "maintenance"})
            task = scheduler.callbacks(order_id=f"O-{n}", kind="first")[0]
            response = scheduler.post(f"/api/v1/callbacks/{task['id']}/outcome", login=agent, json=ANSWERS)
            assert response.status_code == 200, response.get_json()
            made.setdefault(agent, []).append(task["id"])
    return made


def test_seed_002_supervisor_reviews_a_share_of_each_agents_records_weekly_the_same_every_time(scheduler):
    made = made_callbacks(scheduler, {"li": 6, "wang": 2})
    url = "/api/v1/reviews?period=2026-W45"
    queue = scheduler.get(url, role="supervisor", login="zhao")
    assert queue.status_code == 200, queue.get_json()
    rows = queue.get_json()
    by_agent = {a: [r["callback_id"] for r in rows if r["agent"] == a] for a in made}
    # 20% of li's six is 1.2: two keep the share; wang's two give one (at least one per agent)
    assert (len(by_agent["li"]), len(by_agent["wang"])) == (2, 1)
    assert set(by_agent["li"]) <= set(made["li"]) and all(r["review"] is None for r in rows)
    assert scheduler.get(url, role="supervisor", login="zhao").get_json() == rows
    # a supervisor's period is a week; a manager's a month
    wrong = scheduler.get("/api/v1/reviews?period=2026-11", role="supervisor", login="zhao")
    assert wrong.status_code == 422 and "period" in wrong.get_json()["errors"]
    monthly = scheduler.get("/api/v1/reviews?period=2026-11", role="manager", login="chen").get_json()
    assert len(monthly) == 2  # 5% of six is under one: one of each agent's
    # agents review nothing
    assert scheduler.get(url, role="agent").status_code == 403


def test_seed_002_verdict_pass_or_needs_improvement_with_a_comment_emitted_as_callback_reviewed(scheduler):
    made_callbacks(scheduler, {"li": 1})
    row = scheduler.get("/api/v1/reviews?period=2026-W45", role="supervisor", login="zhao").get_json()[0]
    url = f"/api/v1/reviews/{row['callback_id']}"
    bad = scheduler.post(url, role="supervisor", login="zhao", json={"verdict": "fine"})
    assert bad.status_code == 422 and "verdict" in bad.get_json()["errors"]
    first = scheduler.post(url, role="supervisor", login="zhao", json={"verdict": "pass"})
    assert first.status_code == 200, first.get_json()
    again = scheduler.post(url, role="supervisor", login="zhao",
                           json={"verdict": "needs_improvement", "comment": "未核实客户联系方式。"})
    assert (again.get_json()["verdict"], again.get_json()["period"], again.get_json()["agent"]) == (
        "needs_improvement", "2026-W45", "li")
    reviewed = scheduler.get("/api/v1/reviews?period=2026-W45", role="supervisor", login="zhao").get_json()[0]
    assert reviewed["review"]["verdict"] == "needs_improvement"
    events = scheduler.outbox("callback.reviewed")
    assert [e["data"]["verdict"] for e in events] == ["pass", "needs_improvement"]
    assert events[-1]["data"]["reviewer"] == "zhao" and events[-1]["data"]["comment"] == "未核实客户联系方式。"
    # an open callback has no record to review
    scheduler.handle("service_order.completed", {
        "order_id": "O-X", "customer": {"id": "C-X", "name": "X", "segment": "vip"},
        "completed_at": "2026-10-30T15:00:00+08:00", "business_line": "vehicle"})
    open_task = scheduler.callbacks(order_id="O-X", kind="first")[0]
    assert scheduler.post(f"/api/v1/reviews/{open_task['id']}", role="supervisor", login="zhao",
                          json={"verdict": "pass"}).status_code == 409
    assert scheduler.client.get("/api/v1/reviews?period=2026-W45&role=supervisor&organization=acme-electric",
                                headers=bearer(API_TOKEN)).status_code == 200


def test_seed_002_a_reviewed_record_stays_in_the_queue_as_more_records_are_made(scheduler):
    # given the supervisor reviewed the one record li had made so far this week
    url = "/api/v1/reviews?period=2026-W45"
    first = made_callbacks(scheduler, {"li": 1})["li"][0]
    assert [r["callback_id"] for r in scheduler.get(url, role="supervisor", login="zhao").get_json()] == [first]
    assert scheduler.post(f"/api/v1/reviews/{first}", role="supervisor", login="zhao",
                          json={"verdict": "pass"}).status_code == 200
    # when li makes four more the same week (20% of five is still one record)
    for n in range(2, 6):
        scheduler.handle("service_order.completed", {
            "order_id": f"O-{n}", "customer": {"id": f"C-{n}", "name": f"客户{n}", "segment": "vip"},
            "completed_at": "2026-10-30T15:00:00+08:00", "business_line": "vehicle", "kind": "maintenance"})
        task = scheduler.callbacks(order_id=f"O-{n}", kind="first")[0]
        assert scheduler.post(f"/api/v1/callbacks/{task['id']}/outcome", login="li", json=ANSWERS).status_code == 200
        # then the record with its verdict is still in the queue
        rows = {r["callback_id"]: r for r in scheduler.get(url, role="supervisor", login="zhao").get_json()}
        assert first in rows and rows[first]["review"]["verdict"] == "pass"


def test_rule_1_5_a_period_spelt_another_way_gives_the_same_queue(scheduler):
    made_callbacks(scheduler, {"li": 6, "wang": 2})
    month = scheduler.get("/api/v1/reviews?period=2026-11", role="manager", login="chen").get_json()
    scheduler.post(f"/api/v1/reviews/{month[0]['callback_id']}", role="manager", login="chen", json={"verdict": "pass"})
    month = scheduler.get("/api/v1/reviews?period=2026-11", role="manager", login="chen").get_json()
    assert scheduler.get("/api/v1/reviews?period=2026-011", role="manager", login="chen").get_json() == month


def test_seed_002_a_verdict_only_on_a_record_in_the_roles_queue(scheduler):
    made = made_callbacks(scheduler, {"li": 6})["li"]
    queue = [r["callback_id"] for r in scheduler.get("/api/v1/reviews?period=2026-W45", role="supervisor",
                                                       login="zhao").get_json()]
    outside = next(cid for cid in made if cid not in queue)
    response = scheduler.post(f"/api/v1/reviews/{outside}", role="supervisor", login="zhao", json={"verdict": "pass"})
    assert response.status_code == 422 and "callback_id" in response.get_json()["errors"], response.get_json()
    assert scheduler.outbox("callback.reviewed") == []


def test_seed_002_one_reviewer_does_not_overwrite_anothers_verdict_of_the_same_role(scheduler):
    made_callbacks(scheduler, {"li": 1})
    row = scheduler.get("/api/v1/reviews?period=2026-W45", role="supervisor", login="zhao").get_json()[0]
    url = f"/api/v1/reviews/{row['callback_id']}"
    assert scheduler.post(url, role="supervisor", login="zhao", json={"verdict": "pass"}).status_code == 200
    other = scheduler.post(url, role="supervisor", login="qian", json={"verdict": "needs_improvement"})
    assert other.status_code == 409, other.get_json()
    # the same person may change theirs, and the manager gives their own
    assert scheduler.post(url, role="supervisor", login="zhao", json={"verdict": "needs_improvement"}).status_code == 200
    assert scheduler.post(url, role="manager", login="chen", json={"verdict": "pass"}).status_code == 200
    events = scheduler.outbox("callback.reviewed")
    assert [(e["data"]["reviewer"], e["data"]["seniority"]) for e in events] == [
        ("zhao", 0), ("zhao", 0), ("chen", 1)]
