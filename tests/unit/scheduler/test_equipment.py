"""RULES 1.1: equipment deliveries."""

import copy
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from services.scheduler.domain.equipment import (
    channel_for,
    plan_equipment_callbacks,
    warranty_end_on,
)
from services.scheduler.errors import SchedulerDomainError
from services.scheduler.domain.policy_schema import load_policy
from shared.core.calendar import WorkingCalendar, add_months

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "services/scheduler/data/policies/default.yaml"
DEFAULT_DATA = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
POLICY = load_policy(DEFAULT_DATA)
CALENDAR = WorkingCalendar()


def by_kind(callbacks):
    return {c.kind: c for c in callbacks}


def test_rule_1_1_worked_example_commissioned_2026_03_15():
    callbacks = plan_equipment_callbacks(
        shipped_on=date(2026, 1, 31), commissioned_on=date(2026, 3, 15),
        policy=POLICY, calendar=CALENDAR,
    )

    assert [(c.kind, c.due_on) for c in callbacks] == [
        ("installation", date(2026, 2, 9)),
        ("trial_run", date(2026, 4, 15)),
        ("warranty_6m", date(2026, 9, 15)),
        ("warranty_end", date(2027, 3, 15)),
        ("post_warranty_24m", date(2028, 3, 15)),
        ("post_warranty_36m", date(2029, 3, 15)),
    ]


def test_rule_1_1_installation_on_saturday_moves_to_next_working_day():
    installation = plan_equipment_callbacks(
        shipped_on=date(2026, 1, 31), policy=POLICY, calendar=CALENDAR
    )[0]

    assert installation.nominal_on == date(2026, 2, 7)
    assert installation.due_on == date(2026, 2, 9)
    assert not installation.provisional


def test_rule_1_1_warranty_end_by_shipment_on_saturday_is_due_monday():
    # given shipment + 18 months comes before commissioning + 12 months
    callbacks = by_kind(plan_equipment_callbacks(
        shipped_on=date(2026, 1, 31), commissioned_on=date(2026, 12, 20),
        policy=POLICY, calendar=CALENDAR,
    ))

    # then the ledger shows the warranty end itself, the callback is due Monday
    assert warranty_end_on(
        shipped_on=date(2026, 1, 31), commissioned_on=date(2026, 12, 20), policy=POLICY
    ) == date(2027, 7, 31)
    assert callbacks["warranty_end"].nominal_on == date(2027, 7, 31)
    assert callbacks["warranty_end"].due_on == date(2027, 8, 2)
    assert callbacks["warranty_end"].provisional  # 2027 is not published yet


def test_rule_1_1_callbacks_2_to_5_wait_for_commissioning():
    callbacks = plan_equipment_callbacks(
        shipped_on=date(2026, 1, 31), policy=POLICY, calendar=CALENDAR
    )
    assert [c.kind for c in callbacks] == ["installation"]
    assert warranty_end_on(shipped_on=date(2026, 1, 31), policy=POLICY) == date(2027, 7, 31)


def test_rule_1_1_installed_event_sets_the_installation_date():
    installation = plan_equipment_callbacks(
        shipped_on=date(2026, 9, 25), installed_on=date(2026, 10, 3),
        policy=POLICY, calendar=CALENDAR,
    )[0]
    assert installation.nominal_on == date(2026, 10, 3)
    assert installation.due_on == date(2026, 10, 8)  # after National Day


def test_rule_1_1_overdue_one_month_after_due():
    callbacks = by_kind(plan_equipment_callbacks(
        shipped_on=date(2026, 1, 31), commissioned_on=date(2026, 3, 15),
        policy=POLICY, calendar=CALENDAR,
    ))
    assert callbacks["installation"].overdue_on == date(2026, 3, 9)
    assert callbacks["trial_run"].overdue_on == date(2026, 5, 15)


def test_rule_1_1_commissioning_before_shipment_is_refused():
    with pytest.raises(SchedulerDomainError) as caught:
        plan_equipment_callbacks(
            shipped_on=date(2026, 3, 1), commissioned_on=date(2026, 2, 1),
            policy=POLICY, calendar=CALENDAR,
        )
    assert caught.value.field == "commissioned_on"


@pytest.mark.parametrize(
    ("amount", "channel"),
    [(Decimal("2999999.99"), "phone"), (3_000_000, "onsite"), (Decimal("5000000"), "onsite"), (0, "phone")],
)
def test_rule_1_1_customers_from_3m_cny_get_onsite_visits(amount, channel):
    assert channel_for(amount, POLICY) == channel


def test_rule_1_1_an_organisation_changes_offsets_as_data():
    data = copy.deepcopy(DEFAULT_DATA)
    data["equipment"]["installation_days_after_shipment"] = 10
    data["equipment"]["warranty_months_after_commissioning"] = 24
    policy = load_policy(data)

    callbacks = by_kind(plan_equipment_callbacks(
        shipped_on=date(2026, 1, 31), commissioned_on=date(2026, 3, 15),
        policy=policy, calendar=CALENDAR,
    ))
    assert callbacks["installation"].nominal_on == date(2026, 2, 10)
    assert callbacks["warranty_end"].nominal_on == date(2027, 7, 31)  # shipment + 18 first now


@settings(max_examples=300)
@given(
    shipped_on=st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)),
    lag=st.one_of(st.none(), st.integers(min_value=0, max_value=700)),
)
def test_rule_1_6_every_equipment_due_date_is_a_working_day_on_or_after_nominal(shipped_on, lag):
    commissioned_on = None if lag is None else shipped_on + timedelta(days=lag)

    callbacks = plan_equipment_callbacks(
        shipped_on=shipped_on, commissioned_on=commissioned_on, policy=POLICY, calendar=CALENDAR
    )

    for callback in callbacks:
        assert CALENDAR.is_working_day(callback.due_on)
        assert callback.due_on >= callback.nominal_on
        assert callback.due_on == CALENDAR.roll_forward(callback.nominal_on)
        assert callback.overdue_on == add_months(callback.due_on, 1)
        assert callback.provisional == (
            CALENDAR.is_provisional(callback.nominal_on) or CALENDAR.is_provisional(callback.due_on)
        )
    end = warranty_end_on(shipped_on=shipped_on, commissioned_on=commissioned_on, policy=POLICY)
    assert end <= add_months(shipped_on, 18)
    if commissioned_on is not None:
        assert end <= add_months(commissioned_on, 12)
        assert len(callbacks) == 6
