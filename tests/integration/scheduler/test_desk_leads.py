"""Leads from callbacks. Seed 000 part 5 「获取顾客潜在的需求」「寻求新的商务机会」
(after the warranty: maintenance or retrofit wanted); seed 003 「了解客户未来的购买需求和计划」."""
from __future__ import annotations

from datetime import datetime, timezone

from shared.users.store import save_person
from services.scheduler.service import SERVICE

from testkit.scheduler import post_warranty_callback


def test_seed_000_part_5_maintenance_or_purchase_wanted_raises_leads_with_owner_and_due_date(scheduler):
    # given the service manager in the directory, and a post-warranty callback
    SERVICE.run(save_person, organization="acme-electric", login="chen", role="manager")
    callback = post_warranty_callback(scheduler)
    scheduler.now = datetime(2028, 3, 15, 2, 0, tzinfo=timezone.utc)  # Wednesday 10:00 in Shanghai
    # when the customer wants a retrofit and a new purchase
    response = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied",
        "suggestions": "希望改造为智能柜", "answers": {"maintenance_or_retrofit_wanted": True, "purchase_wanted": True}})
    assert response.status_code == 200, response.get_json()
    # then two leads, owned by the manager, due five working days later, each emitted for the ERP
    events = scheduler.outbox("lead.raised")
    assert sorted(e["data"]["kind"] for e in events) == ["maintenance_or_retrofit", "purchase"]
    data = events[0]["data"]
    assert (data["owner"], data["due_on"], data["callback_id"]) == ("chen", "2028-03-22", callback["id"])
    assert data["customer"]["id"] and data["note"] == "希望改造为智能柜" and data["delivery_id"] == "D-1"
    leads = scheduler.get("/api/v1/leads?status=open", role="manager", login="chen").get_json()
    assert len(leads) == 2 and {lead["owner"] for lead in leads} == {"chen"}
    assert scheduler.get("/api/v1/leads", role="agent").status_code == 403


def test_seed_000_part_5_no_lead_when_nothing_is_wanted(scheduler):
    callback = post_warranty_callback(scheduler)
    scheduler.now = datetime(2028, 3, 15, 2, 0, tzinfo=timezone.utc)
    scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied",
        "answers": {"maintenance_or_retrofit_wanted": False}})
    assert scheduler.outbox("lead.raised") == []
