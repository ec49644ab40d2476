"""Seed 000 6.3.1 (the callback records' answers counted by kind for the 顾客满意度测量报告): the
scheduler's callback.completed carries every answer and the questionnaire's yes/no questions with
their labels, so the report names and counts them without reading the scheduler's data."""
from __future__ import annotations

from shared.core.event_types import REGISTRY
from testkit.scheduler import post_warranty_callback


def test_seed_000_6_3_1_callback_completed_carries_the_yes_no_questions_and_answers(scheduler):
    # given an after-warranty callback (its questionnaire asks yes/no questions)
    callback = post_warranty_callback(scheduler)
    # when the agent records the answers
    done = scheduler.post(f"/api/v1/callbacks/{callback['id']}/outcome", json={
        "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "very_satisfied",
        "answers": {"maintenance_or_retrofit_wanted": True}})
    assert done.status_code == 200, done.get_json()
    # then callback.completed carries the yes/no questions with both labels, and the answers
    (completed,) = scheduler.outbox("callback.completed")
    questions = {q["id"]: q for q in completed["data"]["yes_no_questions"]}
    assert questions["maintenance_or_retrofit_wanted"]["label_zh"] == "维修或改造需求"
    assert questions["maintenance_or_retrofit_wanted"]["label_en"] == "Is maintenance or retrofit wanted"
    assert "product_satisfaction" not in questions  # a satisfaction question is no yes/no question
    assert completed["data"]["answers"]["maintenance_or_retrofit_wanted"] is True
    # and the event's schema takes what it carries
    assert REGISTRY["callback.completed"]().validate(completed["data"]) == {}
