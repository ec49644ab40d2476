"""RULES 1.2: call windows and retries of unreachable customers."""

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from services.scheduler.domain.calls import in_call_window, next_attempt_on
from services.scheduler.domain.policy import load_policy
from shared.calendar import WorkingCalendar

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "services/scheduler/data/policies/default.yaml"
POLICY = load_policy(yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8")))
CALENDAR = WorkingCalendar()
CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("today", "attempts", "expected"),
    [
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday -> Monday
        (date(2026, 10, 9), 2, date(2026, 10, 10)),  # make-up Saturday
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # over National Day
        (date(2026, 11, 23), 3, None),  # third attempt failed: unreachable
    ],
)
def test_rule_1_2_unreachable_retried_next_working_day_up_to_3_attempts(today, attempts, expected):
    assert next_attempt_on(today, attempts, POLICY, CALENDAR) == expected


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        (datetime(2026, 11, 23, 8, 59, tzinfo=CST), False),
        (datetime(2026, 11, 23, 9, 0, tzinfo=CST), True),
        (datetime(2026, 11, 23, 11, 59, tzinfo=CST), True),
        (datetime(2026, 11, 23, 12, 0, tzinfo=CST), False),  # lunch rest
        (datetime(2026, 11, 23, 14, 0, tzinfo=CST), True),
        (datetime(2026, 11, 23, 17, 59, tzinfo=CST), True),
        (datetime(2026, 11, 23, 18, 0, tzinfo=CST), False),
        (datetime(2026, 11, 21, 10, 0, tzinfo=CST), False),  # Saturday
        (datetime(2026, 10, 10, 10, 0, tzinfo=CST), True),  # make-up Saturday
        (datetime(2026, 10, 5, 10, 0, tzinfo=CST), False),  # National Day
    ],
)
def test_rule_1_2_no_calls_in_rest_time(moment, allowed):
    assert in_call_window(moment, POLICY.call_windows, CALENDAR) is allowed
