"""Appointments, pure: when to call a customer who asked to be called at a time (seed 002 提前预约回访时间,
seed 000 避免在客户休息时打扰客户)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from services.scheduler.domain.calls import appointment_call_at, in_call_window
from services.scheduler.errors import SchedulerDomainError
from services.scheduler.rules import rules_for
from shared.core.settings import load_settings

TZ = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=TZ)  # Monday


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return rules_for(load_settings({"HUIFANG_VAR_DIR": str(tmp_path_factory.mktemp("var"))}), "acme-electric")


def test_seed_002_appointment_in_a_call_window_is_kept(rules):
    asked = datetime(2026, 11, 3, 15, 30, tzinfo=TZ)
    assert appointment_call_at(asked, NOW, rules.policy, rules.calendar, tz=TZ) == asked


def test_seed_000_appointment_in_rest_time_moves_to_the_next_window(rules):
    lunch = datetime(2026, 11, 3, 12, 30, tzinfo=TZ)
    saturday = datetime(2026, 11, 7, 10, 0, tzinfo=TZ)
    assert appointment_call_at(lunch, NOW, rules.policy, rules.calendar, tz=TZ) == datetime(2026, 11, 3, 14, 0, tzinfo=TZ)
    assert appointment_call_at(saturday, NOW, rules.policy, rules.calendar, tz=TZ) == datetime(2026, 11, 9, 9, 0, tzinfo=TZ)


def test_seed_002_appointment_in_the_past_or_beyond_the_policy_is_refused_naming_call_at(rules):
    for asked in (NOW - timedelta(minutes=1), NOW + timedelta(days=rules.policy.retry.appointment_within_days + 1)):
        with pytest.raises(SchedulerDomainError) as raised:
            appointment_call_at(asked, NOW, rules.policy, rules.calendar, tz=TZ)
        assert raised.value.field == "call_at"


@settings(max_examples=60, deadline=None)
@given(minutes=st.integers(min_value=0, max_value=60 * 24 * 60))
def test_seed_000_an_appointment_is_always_inside_a_call_window_and_never_earlier_than_asked(rules, minutes):
    asked = NOW + timedelta(minutes=minutes)
    at = appointment_call_at(asked, NOW, rules.policy, rules.calendar, tz=TZ)
    assert at >= asked and in_call_window(at, rules.policy.call_windows, rules.calendar)
