"""RULES 2: the 2-1-1 policy is data; every number is a field."""
from datetime import time, timedelta

import pytest

from services.complaints.domain.data import packaged_policy
from services.complaints.errors import InvalidData
from services.complaints.domain.policy import ServiceTime, load_policy


def _data(**changes):
    data = {
        "name": "t", "label": "t",
        "first_reply": {"hours": 2}, "answer": {"days": 1}, "investigate": {"hours": 2},
        "verify": {"days": 1}, "flag_delay": {"days": 1},
        "service_hours": {"start": "08:30", "end": "18:00"},
        "repeat_window_days": 30, "notify_before": {"hours": 1},
    }
    data.update(changes)
    return data


def test_rule_2_default_policy_is_2_1_1():
    policy = packaged_policy("default")
    assert policy.first_reply == ServiceTime(hours=2)
    assert policy.answer == ServiceTime(days=1)
    assert policy.investigate == ServiceTime(hours=2)
    assert policy.verify == ServiceTime(days=1)
    assert policy.flag_delay == ServiceTime(days=1)
    assert (policy.service_hours.start, policy.service_hours.end) == (time(8, 30), time(18, 0))
    assert policy.repeat_window_days == 30
    assert policy.notify_before == timedelta(hours=1)


@pytest.mark.parametrize("name", ["seed000", "property"])
def test_rule_2_property_and_seed000_verify_within_3_days(name):
    assert packaged_policy(name).verify == ServiceTime(days=3)


def test_unquoted_yaml_times_are_read_as_clock_times():
    # YAML 1.1 turns 08:30 into 510 (base 60).
    policy = load_policy(_data(service_hours={"start": 510, "end": 1080}))
    assert policy.service_hours.start == time(8, 30)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"first_reply": {"hours": 2, "days": 1}}, "first_reply"),
        ({"answer": {}}, "answer"),
        ({"investigate": {"hours": -1}}, "investigate.hours"),
        ({"service_hours": {"start": "18:00", "end": "08:30"}}, "service_hours.end"),
        ({"service_hours": {"start": "8h"}}, "service_hours"),
        ({"repeat_window_days": "soon"}, "repeat_window_days"),
    ],
)
def test_invalid_policy_names_the_bad_field(changes, field):
    with pytest.raises(InvalidData) as err:
        load_policy(_data(**changes))
    assert err.value.field.startswith(field)
