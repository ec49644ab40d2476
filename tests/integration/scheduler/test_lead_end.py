"""Leads have an end (seed 000 part 5 「寻求新的商务机会」; seed 003 「了解客户未来的购买需求和计划」): a
lead is open, then contacted, then won or lost, by its owner; the owner is mailed the new lead and
reminded once it is overdue; the overdue ones are listed; the retail and vehicle questionnaires ask
the purchase question too."""
from __future__ import annotations

from datetime import datetime, timezone

from shared.users.store import save_person
from services.scheduler import notify
from services.scheduler.service import SERVICE

from testkit.doubles import FakeMailer
from testkit.scheduler import order, post_warranty_callback

ORG = "acme-electric"


def _lead(scheduler) -> dict:
    SERVICE.run(save_person, organization=ORG, login="chen", role="manager", email="chen@acme.example")
    callback = post_warranty_callback(scheduler)
    scheduler.now = datetime(2028, 3, 15, 2, 0, tzinfo=timezone.utc)  # Wednesday 10:00 in Shanghai
    response = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied",
        "answers": {"maintenance_or_retrofit_wanted": True}})
    assert response.status_code == 200, response.get_json()
    [lead] = scheduler.get("/api/v1/leads", role="manager", login="chen").get_json()
    return lead


def test_seed_000_part_5_lead_moves_open_contacted_won_by_its_owner(scheduler):
    # given an open lead owned by the manager chen
    lead = _lead(scheduler)
    assert (lead["status"], lead["overdue"]) == ("open", False)
    # when another agent tries to move it: 403; chen marks it contacted, then won
    refused = scheduler.post(f"/api/v1/leads/{lead['id']}/status", role="agent", login="li", json={"status": "won"})
    assert refused.status_code == 403, refused.get_json()
    contacted = scheduler.post(f"/api/v1/leads/{lead['id']}/status", role="manager", login="chen",
                               json={"status": "contacted", "note": "客户下周来看方案"})
    assert contacted.status_code == 200, contacted.get_json()
    won = scheduler.post(f"/api/v1/leads/{lead['id']}/status", role="manager", login="chen",
                         json={"status": "won", "note": "签订改造合同"})
    # then the lead is won, with its note and when; `lead.updated` says so each time; won is an end (409)
    assert won.status_code == 200, won.get_json()
    body = won.get_json()
    assert (body["status"], body["outcome_note"], body["updated_by"]) == ("won", "签订改造合同", "chen")
    assert body["contacted_at"] and body["closed_at"]
    assert [e["data"]["status"] for e in scheduler.outbox("lead.updated")] == ["contacted", "won"]
    again = scheduler.post(f"/api/v1/leads/{lead['id']}/status", role="manager", login="chen", json={"status": "lost"})
    assert again.status_code == 409, again.get_json()
    bad = scheduler.post(f"/api/v1/leads/{lead['id']}/status", role="manager", login="chen", json={"status": "bogus"})
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]


def test_seed_000_part_5_lead_owner_is_mailed_and_reminded_once_overdue(scheduler, monkeypatch):
    # given a lead due 2028-03-22 owned by chen, who has an e-mail address
    mailer = FakeMailer()
    monkeypatch.setattr(SERVICE, "mailer", mailer)
    lead = _lead(scheduler)
    # when the lead mails go out now, and again
    assert [(i, k) for i, k, _ in notify.send_lead_mails(SERVICE)] == [(lead["id"], "new")]
    assert notify.send_lead_mails(SERVICE) == []
    # then chen got the new lead once
    assert mailer.to() == [["chen@acme.example"]] and "商机" in mailer.sent[0]["Subject"]
    # when the due date passes with the lead still open
    scheduler.now = datetime(2028, 3, 23, 2, 0, tzinfo=timezone.utc)
    overdue = scheduler.get("/api/v1/leads?overdue=true", role="manager", login="chen").get_json()
    assert [(row["id"], row["overdue"]) for row in overdue] == [(lead["id"], True)]
    assert [(i, k) for i, k, _ in notify.send_lead_mails(SERVICE)] == [(lead["id"], "overdue")]
    assert notify.send_lead_mails(SERVICE) == []
    # then chen is reminded once; a lead that ended is no longer overdue
    assert len(mailer.sent) == 2 and "逾期" in mailer.sent[1]["Subject"]
    scheduler.post(f"/api/v1/leads/{lead['id']}/status", role="manager", login="chen", json={"status": "lost"})
    assert scheduler.get("/api/v1/leads?overdue=true", role="manager", login="chen").get_json() == []


def test_seed_003_retail_and_vehicle_questionnaires_ask_the_purchase_question(scheduler):
    # given the service manager, and a retail purchase's first callback
    SERVICE.run(save_person, organization=ORG, login="chen", role="manager")
    scheduler.handle("service_order.completed", order("R-1", line="retail", kind="purchase",
                                                       completed_at="2026-10-30T15:00:00+08:00"))
    [callback] = scheduler.callbacks(order_id="R-1", kind="first")
    scheduler.now = datetime(2026, 11, 3, 2, 0, tzinfo=timezone.utc)
    # when the customer says a new purchase is planned
    response = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", role="manager", login="chen", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied",
        "answers": {"purchase_wanted": True}})
    # then a purchase lead is raised for its owner
    assert response.status_code == 200, response.get_json()
    assert [e["data"]["kind"] for e in scheduler.outbox("lead.raised")] == ["purchase"]
