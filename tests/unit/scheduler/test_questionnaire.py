"""RULES 1.1, 1.2: questionnaires (回访模板) are data; each callback follows its customer's type."""

import copy
from pathlib import Path

import pytest

from services.scheduler.domain.policy_schema import load_policy_file
from services.scheduler.domain.questionnaire import (
    QuestionnaireError, answer_errors, load_questionnaire, questionnaire_for,
)
from testkit.scheduler_domain import packaged, raw

DATA = Path(__file__).resolve().parents[3] / "services/scheduler/data"
POLICY = load_policy_file(DATA / "policies/default.yaml")
NAMES = ("vip", "enterprise", "major_repair", "ordinary", "equipment", "equipment_post_warranty", "verification",
         "equipment_installation", "equipment_trial_run", "equipment_warranty",
         # follow-up calls (RULES 3): progress reported, satisfied with the handling
         "promise_followup", "repeat_special", "question_followup",
         # a lapsed customer's "why not back" callback (seed 000 part 5: 回访调查流失原因)
         "lapsed")


@pytest.mark.parametrize("name", NAMES)
def test_rule_1_2_every_packaged_questionnaire_loads_and_asks_satisfaction_first(name):
    questionnaire = packaged(name)
    assert questionnaire.name == name
    ids = [q.id for q in questionnaire.questions]
    assert "service_satisfaction" in ids[:2] and "suggestions" in ids
    assert all(q.label_zh and q.label_en for q in questionnaire.questions)


def test_rule_1_2_the_default_policy_names_only_packaged_questionnaires():
    assert POLICY.questionnaires.names == set(NAMES)


def test_rule_1_1_equipment_callbacks_ask_the_seed_000_questions_in_order():
    asked = [(q.id, q.label_zh) for q in packaged("equipment_post_warranty").questions]
    assert asked[:3] == [("product_satisfaction", "产品质量满意度"), ("service_satisfaction", "服务质量满意度"),
                         ("suggestions", "建议和需求")]
    assert asked[-1] == ("maintenance_or_retrofit_wanted", "维修或改造需求")
    assert "maintenance_or_retrofit_wanted" not in [q.id for q in packaged("equipment").questions]


@pytest.mark.parametrize(("kind", "line", "order_kind", "segment", "expected"), [
    ("first", "vehicle", "maintenance", "vip", "vip"),
    ("second", "vehicle", "repair", "group", "enterprise"),
    ("first", "vehicle", "repair", "police", "enterprise"),
    ("first", "vehicle", "major_repair", "ordinary", "major_repair"),
    ("first", "vehicle", "maintenance", "ordinary", "ordinary"),
    ("first", "retail", "purchase", None, "ordinary"),
    ("installation", "equipment", None, "vip", "equipment_installation"),
    ("trial_run", "equipment", None, "vip", "equipment_trial_run"),
    ("warranty_6m", "equipment", None, "ordinary", "equipment_warranty"),
    ("warranty_end", "equipment", None, "ordinary", "equipment_warranty"),
    ("post_warranty_24m", "equipment", None, "ordinary", "equipment_post_warranty"),
    ("post_warranty_36m", "equipment", None, "ordinary", "equipment_post_warranty"),
    ("verification", "vehicle", "maintenance", "vip", "verification"),
])
def test_rule_1_2_questionnaire_follows_callback_line_order_kind_then_segment(kind, line, order_kind, segment,
                                                                             expected):
    assert questionnaire_for(callback_kind=kind, business_line=line, order_kind=order_kind, segment=segment,
                             selection=POLICY.questionnaires) == expected


@pytest.mark.parametrize(("path", "value", "field"), [
    (("questions", 1, "answer_type"), "stars", "questions.1.answer_type"),
    (("questions", 0, "label_zh"), "", "questions.0.label_zh"),
    (("questions", 2, "id"), "product_satisfaction", "questions.2.id"),  # asked twice
    (("questions", 0, "id"), "Product Quality", "questions.0.id"),
    (("title_zh",), KeyError, "title_zh"),
    (("questions",), [], "questions"),
])
def test_rules_a_malformed_questionnaire_is_refused_naming_the_field(path, value, field):
    data = copy.deepcopy(raw("ordinary"))
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(data, source="ordinary.yaml")
    assert caught.value.field == field
    assert field in str(caught.value) and "ordinary.yaml" in str(caught.value)


def test_rule_1_2_answers_unknown_missing_and_mistyped_are_each_named():
    questionnaire = packaged("equipment_post_warranty")
    errors = answer_errors(questionnaire, {"product_satisfaction": "great", "colour": "red",
                                           "service_satisfaction": "satisfied"})
    assert set(errors) == {"answers.product_satisfaction", "answers.colour", "answers.maintenance_or_retrofit_wanted"}
    assert "colour" in errors["answers.colour"][0]
    assert answer_errors(questionnaire, {"product_satisfaction": "satisfied", "service_satisfaction": "neutral",
                                         "maintenance_or_retrofit_wanted": False, "suggestions": "加装监测"}) == {}
    assert "answers.maintenance_or_retrofit_wanted" in answer_errors(questionnaire, {
        "product_satisfaction": "satisfied", "service_satisfaction": "neutral", "maintenance_or_retrofit_wanted": "y"})
