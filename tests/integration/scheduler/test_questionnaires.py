"""RULES 1.1, 1.2 through the API: each callback shows its questionnaire; outcomes are checked against it."""
from __future__ import annotations

import yaml

from testkit.scheduler import post_warranty_callback

VIP_ORDER = {"order_id": "O-1", "customer": {"id": "C-1", "name": "王先生", "segment": "vip"},
             "completed_at": "2026-10-30T15:00:00+08:00", "business_line": "vehicle", "kind": "maintenance"}


def test_rule_1_2_vip_callback_shows_the_vip_questionnaire_in_order(scheduler):
    scheduler.handle("service_order.completed", VIP_ORDER)
    callback = scheduler.callbacks(order_id="O-1", kind="first")[0]

    shown = scheduler.get(f"/api/v1/callbacks/{callback['id']}").get_json()

    assert shown["id"] == callback["id"] and shown["questionnaire"]["name"] == "vip"
    assert shown["questionnaire"]["title_zh"] == "VIP客户维修回访模板"
    ids = [q["id"] for q in shown["questionnaire"]["questions"]]
    assert ids[:2] == ["product_satisfaction", "service_satisfaction"] and ids[-1] == "suggestions"
    alone = scheduler.get(f"/api/v1/callbacks/{callback['id']}/questionnaire").get_json()
    assert alone == shown["questionnaire"]


def test_rule_1_2_major_repair_and_group_customers_get_their_own_templates(scheduler):
    scheduler.handle("service_order.completed", {**VIP_ORDER, "order_id": "O-2", "kind": "major_repair",
                                                 "customer": {"id": "C-2", "name": "刘先生"}})
    scheduler.handle("service_order.completed", {**VIP_ORDER, "order_id": "O-3",
                                                 "customer": {"id": "C-3", "name": "某集团", "segment": "group"}})
    names = {}
    for order_id in ("O-2", "O-3"):
        callback = scheduler.callbacks(order_id=order_id, kind="first")[0]
        names[order_id] = scheduler.get(f"/api/v1/callbacks/{callback['id']}/questionnaire").get_json()["title_zh"]
    assert names == {"O-2": "大修客户维修回访模板", "O-3": "企业客户维修回访模板"}


def test_rule_1_1_after_warranty_the_maintenance_or_retrofit_question_is_required(scheduler):
    callback = post_warranty_callback(scheduler)
    url = f"/api/v1/callbacks/{callback['id']}/outcome"
    questions = scheduler.get(f"/api/v1/callbacks/{callback['id']}/questionnaire").get_json()["questions"]
    labels = [q["label_zh"] for q in questions]
    assert labels[:3] == ["产品质量满意度", "服务质量满意度", "建议和需求"] and labels[-1] == "维修或改造需求"
    # seed 000 6.1.1.4's checks are asked in between (discharge, interlocks, a new purchase)

    missing = scheduler.post(url, json={"reached": True, "product_satisfaction": "satisfied",
                                        "service_satisfaction": "satisfied"})
    assert missing.status_code == 422 and missing.mimetype == "application/problem+json"
    assert list(missing.get_json()["errors"]) == ["answers.maintenance_or_retrofit_wanted"]
    assert scheduler.callbacks(delivery_id="D-1", kind="post_warranty_24m")[0]["status"] == "open"

    done = scheduler.post(url, json={"reached": True, "product_satisfaction": "satisfied",
                                     "service_satisfaction": "very_satisfied", "suggestions": "希望改造为智能柜",
                                     "answers": {"maintenance_or_retrofit_wanted": True}})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["answers"] == {"product_satisfaction": "satisfied", "service_satisfaction": "very_satisfied",
                                          "suggestions": "希望改造为智能柜", "maintenance_or_retrofit_wanted": True}
    (completed,) = scheduler.outbox("callback.completed")
    assert completed["data"]["questionnaire"] == "equipment_post_warranty"
    assert completed["data"]["answers"]["maintenance_or_retrofit_wanted"] is True


def test_rule_1_2_unknown_question_is_422_naming_it(scheduler):
    scheduler.handle("service_order.completed", VIP_ORDER)
    callback = scheduler.callbacks(order_id="O-1", kind="first")[0]
    response = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied",
        "answers": {"favourite_colour": "red", "advisor_followed_up": "maybe"}})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"answers.favourite_colour", "answers.advisor_followed_up"}
    assert "favourite_colour" in errors["answers.favourite_colour"][0]


def test_rule_1_2_answers_inside_answers_fill_the_contract_fields_and_raise_the_complaint(scheduler):
    scheduler.handle("service_order.completed", VIP_ORDER)
    callback = scheduler.callbacks(order_id="O-1", kind="first")[0]
    url = f"/api/v1/callbacks/{callback['id']}/outcome"
    no_reason = scheduler.post(url, json={"reached": True, "answers": {
        "product_satisfaction": "dissatisfied", "service_satisfaction": "satisfied"}})
    assert no_reason.status_code == 422 and "dissatisfied_reason" in no_reason.get_json()["errors"]

    done = scheduler.post(url, json={"reached": True, "dissatisfied_reason": "异响未排除", "answers": {
        "product_satisfaction": "dissatisfied", "service_satisfaction": "satisfied"}}).get_json()
    assert (done["status"], done["product_satisfaction"], done["service_satisfaction"]) == (
        "done", "dissatisfied", "satisfied")
    (raised,) = scheduler.outbox("complaint.raised")
    assert raised["data"]["category"] == "product_quality"


def test_rule_1_2_two_different_answers_to_one_question_are_refused(scheduler):
    scheduler.handle("service_order.completed", VIP_ORDER)
    callback = scheduler.callbacks(order_id="O-1", kind="first")[0]
    response = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "satisfied",
        "answers": {"service_satisfaction": "neutral"}})
    assert response.status_code == 422 and "answers.service_satisfaction" in response.get_json()["errors"]


def test_rules_an_organisation_changes_its_questionnaire_without_code(scheduler):
    own = scheduler.settings.data_dir / "acme-electric" / "scheduler" / "questionnaires" / "vip.yaml"
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text(yaml.safe_dump({"name": "vip", "title_zh": "VIP回访", "title_en": "VIP", "questions": [
        {"id": "service_satisfaction", "label_zh": "服务质量满意度", "label_en": "Service",
         "answer_type": "satisfaction", "required": True},
        {"id": "wash_wanted", "label_zh": "是否需要免费洗车", "label_en": "Free car wash wanted?",
         "answer_type": "yes_no", "required": True}]}, allow_unicode=True), encoding="utf-8")
    scheduler.handle("service_order.completed", VIP_ORDER)
    callback = scheduler.callbacks(order_id="O-1", kind="first")[0]
    url = f"/api/v1/callbacks/{callback['id']}/outcome"
    assert [q["id"] for q in scheduler.get(f"/api/v1/callbacks/{callback['id']}/questionnaire").get_json()[
        "questions"]] == ["service_satisfaction", "wash_wanted"]
    assert scheduler.post(url, json={"reached": True, "service_satisfaction": "satisfied",
                                     "answers": {"wash_wanted": False}}).status_code == 200
