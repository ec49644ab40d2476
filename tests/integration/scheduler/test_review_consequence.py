"""A review verdict has a consequence (seed 002 「□抽查合格/□有待改进」; seed 000 part 3
「审核电话回访记录」): "needs improvement" shows to the agent on their workbench with the comment, and
the agent's next records are put in the reviewer role's queue again (data/review.yaml)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from services.scheduler.service import SERVICE
from shared.users.store import save_person

ANSWERS = {"reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "very_satisfied"}
N = iter(range(1, 10_000))


def made(scheduler, agent: str, count: int) -> list[str]:
    """Gives the ids of `count` callbacks `agent` made now."""
    ids = []
    for _ in range(count):
        n = next(N)
        scheduler.handle("service_order.completed", {
            "order_id": f"O-{n}", "customer": {"id": f"C-{n}", "name": f"客户{n}", "segment": "vip"},
            "completed_at": "2026-10-30T15:00:00+08:00", "business_line": "vehicle", "kind": "maintenance"})
        task = scheduler.callbacks(order_id=f"O-{n}", kind="first")[0]
        response = scheduler.post(f"/api/v1/callbacks/{task['id']}/outcome", login=agent, json=ANSWERS)
        assert response.status_code == 200, response.get_json()
        ids.append(task["id"])
    return ids


def test_seed_002_needs_improvement_puts_the_agents_next_records_in_the_queue_again(scheduler):
    # given li made ten records on Monday; the supervisor's weekly sample (20%) holds two of them
    url = "/api/v1/reviews?period=2026-W45"
    made(scheduler, "li", 10)
    queue = scheduler.get(url, role="supervisor", login="zhao").get_json()
    assert len(queue) == 2 and not any(r.get("again") for r in queue)
    # when the supervisor finds one needs improvement, and li makes ten more records on Tuesday
    verdict = scheduler.post(f"/api/v1/reviews/{queue[0]['callback_id']}", role="supervisor", login="zhao",
                             json={"verdict": "needs_improvement", "comment": "未核实客户联系方式。"})
    assert verdict.status_code == 200, verdict.get_json()
    later = []
    for minute in range(10):
        scheduler.now = datetime(2026, 11, 3, 2, minute, tzinfo=timezone.utc)
        later += made(scheduler, "li", 1)
    # then li's next three records (review.yaml rereview_next) are in the queue again, marked, besides the sample
    again = {r["callback_id"] for r in scheduler.get(url, role="supervisor", login="zhao").get_json() if r["again"]}
    assert again == set(later[:3])


def _workbench_of(scheduler, login: str) -> str:
    """Gives the workbench's HTML as `login` (an agent, password pw) sees it, signed in on the page."""
    SERVICE.run(save_person, organization="acme-electric", login=login, role="agent", password="pw")
    client = scheduler.client
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post("/login", data={"login": login, "password": "pw", "csrf_token": token}).status_code == 303
    return client.get("/?lang=en").get_data(as_text=True)


def test_seed_002_needs_improvement_shows_on_the_agents_workbench_with_the_comment(scheduler):
    # given a record of li's found to need improvement, with the reviewer's comment
    [record] = made(scheduler, "li", 1)
    scheduler.post(f"/api/v1/reviews/{record}", role="supervisor", login="zhao",
                   json={"verdict": "needs_improvement", "comment": "未核实客户联系方式。"})
    # when li opens the workbench, and wang opens theirs
    mine, theirs = _workbench_of(scheduler, "li"), _workbench_of(scheduler, "wang")
    # then li sees the verdict with its comment; wang does not
    assert 'id="improvement-notes"' in mine and "未核实客户联系方式。" in mine
    assert 'id="improvement-notes"' not in theirs
