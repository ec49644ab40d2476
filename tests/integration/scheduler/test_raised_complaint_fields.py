"""A complaint the scheduler raises from a dissatisfied callback carries its delivery's product model
(seed 001 重大问题(含批量): recurring problems are counted by model) and the callback's branch."""
from __future__ import annotations

from testkit.scheduler import SHIPPED
from testkit.scheduler import VIP_ORDER


def test_seed_001_a_complaint_raised_from_a_delivery_callback_names_the_product_model_and_branch(scheduler):
    # given a delivery of KYN28-12 switchgear by the north branch, commissioned
    scheduler.handle("delivery.shipped", {**SHIPPED, "branch": "north"})
    scheduler.handle("equipment.commissioned", {"delivery_id": "D-1", "commissioned_on": "2026-03-15"})
    callback = scheduler.callbacks(delivery_id="D-1", kind="post_warranty_24m")[0]
    # when the customer says they are dissatisfied with the product
    done = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "reached": True, "product_satisfaction": "dissatisfied", "service_satisfaction": "satisfied",
        "dissatisfied_reason": "柜门联锁失灵", "answers": {"maintenance_or_retrofit_wanted": False}})
    assert done.status_code == 200, done.get_json()
    # then the complaint raised names the delivery's product model and the branch
    (raised,) = scheduler.outbox("complaint.raised")
    assert raised["data"]["product_model"] == "KYN28-12" and raised["data"]["branch"] == "north"
    assert raised["data"]["delivery_id"] == "D-1" and raised["data"]["source"] == "callback"


def test_a_complaint_raised_from_an_order_callback_names_its_branch_and_no_model(scheduler):
    # given a service order of the south branch (orders carry no product model)
    scheduler.handle("service_order.completed", {**VIP_ORDER, "branch": "south"})
    callback = scheduler.callbacks(order_id="O-1", kind="first")[0]
    done = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "dissatisfied",
        "dissatisfied_reason": "等了两个小时"})
    assert done.status_code == 200, done.get_json()
    (raised,) = scheduler.outbox("complaint.raised")
    assert raised["data"]["branch"] == "south" and raised["data"].get("product_model") is None
