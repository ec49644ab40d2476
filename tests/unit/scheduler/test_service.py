"""RULES 1.2-1.4: callbacks after a completed service."""

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scheduler.errors import SchedulerDomainError
from services.scheduler.domain.policy_schema import load_policy
from services.scheduler.domain.service import (
    is_batched,
    is_key_customer,
    plan_service_callbacks,
    property_batch_for,
    sample_rate_for,
)
from shared.core.calendar import WorkingCalendar

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "services/scheduler/data/policies/default.yaml"
POLICY = load_policy(yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8")))
CALENDAR = WorkingCalendar()


def plan(business_line, kind, completed_on, key=False):
    return plan_service_callbacks(
        business_line=business_line, kind=kind, completed_on=completed_on, key=key,
        policy=POLICY, calendar=CALENDAR,
    )


def test_rule_1_2_second_callback_moves_to_monday():
    # given an order completed Friday 2026-10-30
    first, second = plan("vehicle", "maintenance", date(2026, 10, 30))

    # then the first is due Monday, the second's day 8 (Saturday) moves to Monday
    assert (first.kind, first.due_on) == ("first", date(2026, 11, 2))
    assert (second.kind, second.nominal_on, second.due_on) == ("second", date(2026, 11, 7), date(2026, 11, 9))
    assert second.overdue_on == date(2026, 11, 14)  # overdue after day 15
    assert first.overdue_on == first.due_on


@pytest.mark.parametrize(
    ("segment", "kind", "flagged", "key"),
    [
        ("vip", "maintenance", False, True),
        ("government", "maintenance", False, True),
        ("police", "maintenance", False, True),
        ("ordinary", "accident", False, True),
        ("ordinary", "major_repair", False, True),
        ("ordinary", "maintenance", True, True),  # flagged after a complaint
        ("ordinary", "maintenance", False, False),
        (None, None, False, False),
    ],
)
def test_rule_1_2_key_customers(segment, kind, flagged, key):
    assert is_key_customer(segment, kind, flagged, POLICY) is key


def test_rule_1_2_key_customers_all_called_ordinary_30_percent():
    assert sample_rate_for(business_line="vehicle", kind="maintenance", key=True, policy=POLICY) == 1.0
    assert sample_rate_for(business_line="vehicle", kind="maintenance", key=False, policy=POLICY) == 0.3


@pytest.mark.parametrize(
    ("kind", "completed_on", "due_on"),
    [
        ("emergency_repair", date(2026, 11, 2), date(2026, 11, 2)),  # same day
        ("emergency_repair", date(2026, 11, 1), date(2026, 11, 2)),  # Sunday: next working day
        ("contractor_repair", date(2026, 11, 2), date(2026, 11, 5)),
        ("first_aid", date(2026, 11, 2), date(2026, 11, 9)),
        ("community_event", date(2026, 11, 2), date(2026, 11, 9)),  # +5 is Saturday
    ],
)
def test_rule_1_3_property_callback_offsets(kind, completed_on, due_on):
    (callback,) = plan("property", kind, completed_on)
    assert callback.kind == kind
    assert callback.due_on == due_on
    assert not callback.batched


def test_rule_1_3_community_events_call_30_percent_of_participants():
    assert sample_rate_for(business_line="property", kind="community_event", key=False, policy=POLICY) == 0.3
    assert sample_rate_for(business_line="property", kind="emergency_repair", key=False, policy=POLICY) == 1.0


@pytest.mark.parametrize("kind", ["repair", "maintenance", "special_service", "help_request"])
def test_rule_1_3_routine_orders_wait_for_the_monthly_batch(kind):
    assert is_batched(business_line="property", kind=kind, policy=POLICY)
    (callback,) = plan("property", kind, date(2026, 11, 26))
    assert callback.batched
    assert (callback.batch_period, callback.due_on) == ("2026-11", date(2026, 11, 26))


def test_rule_1_3_orders_after_the_26th_fall_into_next_months_batch():
    assert property_batch_for(date(2026, 11, 26), POLICY) == ("2026-11", date(2026, 11, 26))
    assert property_batch_for(date(2026, 11, 27), POLICY) == ("2026-12", date(2026, 12, 26))
    assert property_batch_for(date(2026, 12, 31), POLICY) == ("2027-01", date(2027, 1, 26))
    assert property_batch_for(date(2026, 11, 1), POLICY) == ("2026-11", date(2026, 11, 26))


def test_rule_1_3_batch_due_on_a_saturday_moves_to_monday():
    (callback,) = plan("property", "repair", date(2026, 11, 30))
    assert callback.nominal_on == date(2026, 12, 26)
    assert callback.due_on == date(2026, 12, 28)
    assert property_batch_for(date(2026, 11, 30), POLICY, calendar=CALENDAR) == ("2026-12", date(2026, 12, 28))


def test_rule_1_4_retail_first_within_3_working_days_second_within_2_weeks():
    # given a purchase on the eve of National Day 2026
    first, second = plan("retail", "purchase", date(2026, 9, 30))

    # then 3 working days are Oct 8, 9 and the make-up Saturday Oct 10
    assert first.due_on == date(2026, 10, 10)
    assert second.due_on == date(2026, 10, 14)


def test_rules_unknown_business_line_or_kind_is_refused():
    with pytest.raises(SchedulerDomainError) as caught:
        plan("bakery", "cake", date(2026, 11, 2))
    assert caught.value.field == "business_line"
    with pytest.raises(SchedulerDomainError) as caught:
        plan("property", "painting", date(2026, 11, 2))
    assert caught.value.field == "kind"


KINDS = [
    ("vehicle", "maintenance"), ("vehicle", "major_repair"), ("retail", "purchase"),
    ("property", "emergency_repair"), ("property", "contractor_repair"),     ("property", "first_aid"), ("property", "community_event"), ("property", "repair"),
]


@settings(max_examples=300)
@given(
    line_kind=st.sampled_from(KINDS),
    completed_on=st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)),
)
def test_rule_1_6_every_service_due_date_is_a_working_day_on_or_after_nominal(line_kind, completed_on):
    business_line, kind = line_kind
    for callback in plan(business_line, kind, completed_on):
        assert CALENDAR.is_working_day(callback.due_on)
        assert callback.nominal_on >= completed_on
        assert callback.due_on == CALENDAR.roll_forward(callback.nominal_on)
        assert callback.overdue_on >= callback.due_on
        if completed_on.year >= 2028:
            assert callback.provisional


# --- RULES 1.4: existing customers ----------------------------------------------------------------

from services.scheduler.domain.service import ExistingCustomer, plan_periodic_callbacks  # noqa: E402


def test_rule_1_4_existing_customer_is_called_a_quarter_after_the_last_callback_key_monthly():
    default = Path(__file__).resolve().parents[3] / "services/scheduler/data/policies/default.yaml"
    rule = load_policy(yaml.safe_load(default.read_text(encoding="utf-8"))).business_lines["retail"].existing_customers
    customers = [ExistingCustomer("ord-old", False, date(2026, 8, 21)), ExistingCustomer("ord-new", False,
                                                                                         date(2026, 9, 1)),
                 ExistingCustomer("key-old", True, date(2026, 10, 21)), ExistingCustomer("key-new", True,
                                                                                        date(2026, 11, 1))]
    planned = plan_periodic_callbacks(customers, today=date(2026, 11, 21), rule=rule, calendar=WorkingCalendar())
    assert [(cid, p.kind, p.due_on) for cid, p in planned] == [
        ("ord-old", "periodic", date(2026, 11, 23)), ("key-old", "periodic", date(2026, 11, 23))]  # Sat -> Mon
