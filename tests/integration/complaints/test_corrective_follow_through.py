"""Corrective actions follow through (seed 000 part 1 「质量信息沟通会议…对薄弱的环节提出…改进措施」, part 5
「纠正、预防措施…跟踪验证」; seed 002 「对重复出现的不合格项」; seed 003 「监督台账…跟踪整改落实」): an overdue
action reminds its owner by mail; a meeting's decision (date, decision, who) is recorded on it; recurring
problems are counted by the dimensions the organisation chooses, so complaints without a product model
(vehicle, property, retail) open actions too."""
from __future__ import annotations

from pathlib import Path

import yaml

from services.complaints import handlers, notify
from services.complaints.service import SERVICE
from testkit.complaints import ORG, at

#: The packaged ownership policy, which an organisation's own file replaces.
SERVICE_DATA = Path(handlers.__file__).resolve().parent.parent / "data" / "ownership.yaml"


def _action(api, **body):
    body = {"title": "接待培训", "owner": "li", "due_on": "2026-11-25", **body}
    response = api.client.post("/api/v1/corrective-actions", json=body, headers=api.headers("manager", login="zhao"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_seed_000_part_5_an_overdue_corrective_action_reminds_its_owner_by_mail(api, clock, mailer, people):
    # given an action owned by the advisor li, due Wednesday 2026-11-25, and one owned by the managers' role
    mine = _action(api)
    _action(api, title="备件库存", owner="manager", due_on="2026-11-30")
    # when the sweep runs on its due date, then the day after, twice
    clock.set(at(2026, 11, 25, 10, 0))
    assert SERVICE.run(handlers.remind_overdue_actions) == 0
    clock.set(at(2026, 11, 26, 10, 0))
    SERVICE.run(handlers.remind_overdue_actions)
    SERVICE.run(handlers.remind_overdue_actions)
    notify.send_notifications(SERVICE)
    # then li is reminded once, of that action
    reminders = [m for m in mailer.sent if "逾期" in m["Subject"]]
    assert [(m["To"], mine["id"] in m["Subject"]) for m in reminders] == [("li@acme.example", True)]
    # a week later, still not done: reminded again; the managers' action, overdue now, reminds the managers
    clock.set(at(2026, 12, 3, 10, 0))
    SERVICE.run(handlers.remind_overdue_actions)
    notify.send_notifications(SERVICE)
    reminders = [m["To"] for m in mailer.sent if "逾期" in m["Subject"]]
    assert sorted(reminders) == ["li@acme.example", "li@acme.example", "zhao@acme.example"]
    # once done, no more reminders
    api.client.post(f"/api/v1/corrective-actions/{mine['id']}/status", json={"status": "done"},
                    headers=api.headers("advisor", login="li"))
    clock.set(at(2026, 12, 10, 10, 0))
    SERVICE.run(handlers.remind_overdue_actions)
    notify.send_notifications(SERVICE)
    assert sum(1 for m in mailer.sent if mine["id"] in m["Subject"] and "逾期" in m["Subject"]) == 2


def test_seed_000_part_1_a_meetings_decision_is_recorded_on_the_corrective_action(api, clock, people):
    # given an action
    action = _action(api)
    path = f"/api/v1/corrective-actions/{action['id']}/decisions"
    # when the quality meeting's decision is recorded by the manager (an advisor may not; a future meeting is refused)
    body = {"meeting_on": "2026-11-20", "decision": "更换接头供应商，库存全检。", "decided_by": "王经理、质量部李工"}
    assert api.client.post(path, json=body, headers=api.headers("advisor", login="li")).status_code == 403
    future = api.client.post(path, json={**body, "meeting_on": "2026-11-27"}, headers=api.headers("manager", login="zhao"))
    assert future.status_code == 422 and "meeting_on" in future.get_json()["errors"]
    blank = api.client.post(path, json={**body, "decision": ""}, headers=api.headers("manager", login="zhao"))
    assert blank.status_code == 422 and "decision" in blank.get_json()["errors"]
    made = api.client.post(path, json=body, headers=api.headers("manager", login="zhao"))
    # then the action lists it: date, decision, who decided, who recorded it
    assert made.status_code == 201, made.get_json()
    [listed] = api.client.get(path, headers=api.headers("agent")).get_json()
    assert (listed["meeting_on"], listed["decision"], listed["decided_by"], listed["recorded_by"]) == (
        "2026-11-20", "更换接头供应商，库存全检。", "王经理、质量部李工", "zhao")


def test_seed_002_recurring_problems_by_the_organisations_dimensions_branch_and_category(
        api, clock, mailer, people, settings):
    # given an organisation that counts recurring problems by branch and category (no product model)
    own = settings.data_dir / ORG / "complaints" / "ownership.yaml"
    packaged = yaml.safe_load(open(SERVICE_DATA, encoding="utf-8"))
    packaged["recurring"]["dimensions"] = ["branch", "category"]
    own.write_text(yaml.safe_dump(packaged, allow_unicode=True), encoding="utf-8")
    # when three vehicle complaints about attitude at branch SH-01 are raised within 30 days (none names a model)
    for n, day in enumerate((2, 10, 20)):
        clock.set(at(2026, 11, day, 10, 0))
        api.raise_(complaint_id=f"V-{n}", category="attitude", branch="SH-01",
                   raised_at=f"2026-11-{day:02d}T10:00:00+08:00")
    # and one at another branch
    api.raise_(complaint_id="V-9", category="attitude", branch="SH-02", raised_at="2026-11-20T11:00:00+08:00")
    # then one recurring corrective action links the three of SH-01, its title naming the branch
    (event,) = api.events("corrective_action.updated")
    assert event["data"]["origin"] == "recurring" and event["data"]["complaint_ids"] == ["V-0", "V-1", "V-2"]
    assert "网点 SH-01" in event["data"]["title"]


def test_seed_002_recurring_problems_by_service_advisor(api, clock, people, settings):
    # given an organisation that counts recurring problems by service advisor alone
    own = settings.data_dir / ORG / "complaints" / "ownership.yaml"
    packaged = yaml.safe_load(open(SERVICE_DATA, encoding="utf-8"))
    packaged["recurring"]["dimensions"] = ["advisor"]
    own.write_text(yaml.safe_dump(packaged, allow_unicode=True), encoding="utf-8")
    # when three complaints of orders of the advisor zhang are raised (different categories)
    for n, category in enumerate(("attitude", "price", "waiting_time")):
        api.raise_(complaint_id=f"A-{n}", category=category, advisor_id="zhang",
                   raised_at=f"2026-11-20T1{n}:00:00+08:00")
    # then they open one action
    (event,) = api.events("corrective_action.updated")
    assert event["data"]["complaint_ids"] == ["A-0", "A-1", "A-2"] and "服务顾问 zhang" in event["data"]["title"]
