"""The callback policy is data (RULES preamble): defaults in YAML, validated on load."""

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from services.scheduler.errors import PolicyError
from services.scheduler.domain.policy_schema import load_policy, load_policy_file

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "services/scheduler/data/policies/default.yaml"


def default_data():
    return yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))


def test_rules_default_policy_file_loads_with_the_rules_defaults():
    policy = load_policy_file(DEFAULT_FILE)

    assert policy.sampling_key == "default@1"
    assert policy.equipment.onsite_threshold_cny == Decimal(3_000_000)
    assert policy.business_lines["vehicle"].ordinary_sample_rate == 0.3
    assert policy.batch.day_of_month == 26
    assert policy.batch_tiers is policy.tier_sets["standard"]
    assert policy.retry.max_attempts == 3
    assert [(w.start.isoformat("minutes"), w.end.isoformat("minutes")) for w in policy.call_windows] == [
        ("09:00", "12:00"), ("14:00", "18:00"),
    ]


def set_path(data, path, value):
    *parents, last = path
    for key in parents:
        data = data[key]
    if value is KeyError:
        del data[last]
    else:
        data[last] = value


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("business_lines", "vehicle", "ordinary_sample_rate"), 1.5,
         "business_lines.vehicle.ordinary_sample_rate"),
        (("equipment",), KeyError, "equipment"),
        (("equipment", "milestones", 0, "months"), "one", "equipment.milestones.0.months"),
        (("equipment", "milestones", 0, "anchor"), "shipment", "equipment.milestones.0.anchor"),
        (("tier_sets", "standard", "tiers", 0, "count"), 3, "tier_sets.standard.tiers.0.rate"),
        (("tier_sets", "standard", "tiers", 2, "up_to"), 900, "tier_sets.standard.tiers"),
        (("call_windows", 1, "start"), 840, "call_windows.1.start"),  # unquoted 14:00
        (("batch", "tier_set"), "nope", "batch.tier_set"),
        (("business_lines", "vehicle", "callbacks", 0, "unit"), "weeks",
         "business_lines.vehicle.callbacks.0.unit"),
        (("colour",), "red", "colour"),
        (("raised_complaints",), KeyError, "raised_complaints"),
        (("raised_complaints", "default_category"), "rudeness", "raised_complaints.default_category"),
        (("raised_complaints", "categories", 0, "category"), "noise", "raised_complaints.categories.0.category"),
    ],
)
def test_rules_bad_policy_data_names_the_field(path, value, field):
    data = copy.deepcopy(default_data())
    set_path(data, path, value)

    with pytest.raises(PolicyError) as caught:
        load_policy(data)

    assert caught.value.field == field
    assert field in str(caught.value)


def test_contract_default_policy_names_only_contract_segments_and_service_kinds():
    from shared.core.event_fields import BUSINESS_LINES_SERVICE, SEGMENTS, SERVICE_KINDS

    policy = load_policy_file(DEFAULT_FILE)
    assert policy.key_customers.segments <= set(SEGMENTS) - {"ordinary"}
    assert policy.key_customers.order_kinds <= set(SERVICE_KINDS)
    for line in BUSINESS_LINES_SERVICE:
        assert set(policy.business_lines[line].order_kinds) <= set(SERVICE_KINDS), line
    # property routine repairs (日常维修) are the contract's repair and maintenance, sampled monthly
    property_kinds = policy.business_lines["property"].order_kinds
    assert property_kinds["repair"].batched and property_kinds["maintenance"].batched


def test_rule_1_2_a_dissatisfied_callback_raises_a_complaint_of_the_policys_category():
    complaints = load_policy_file(DEFAULT_FILE).raised_complaints

    assert complaints.category_for({"product_satisfaction": "dissatisfied",
                                    "service_satisfaction": "very_dissatisfied"}) == "product_quality"
    assert complaints.category_for({"product_satisfaction": "satisfied",
                                    "service_satisfaction": "very_dissatisfied"}) == "service_quality"
    # a dissatisfied answer to a questionnaire's own question
    assert complaints.category_for({"product_satisfaction": "neutral", "advisor_polite": "dissatisfied"}) == (
        "service_quality")
