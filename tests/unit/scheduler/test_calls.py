"""RULES 1.2: call windows and retries of unreachable customers."""

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from services.scheduler.domain.calls import in_call_window, next_attempt_on, plan_immediate
from services.scheduler.domain.planned import plan_on
from services.scheduler.domain.policy_schema import load_policy
from shared.core.calendar import WorkingCalendar

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


# --- next_call_at: when an agent may call a task next -------------------------------------------

from datetime import time  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from services.scheduler.domain.calls import next_call_at  # noqa: E402
from services.scheduler.domain.policy import CallWindow  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("moment", "not_before", "expected"),
    [
        (datetime(2026, 11, 23, 10, 30, tzinfo=CST), None, datetime(2026, 11, 23, 10, 30, tzinfo=CST)),  # inside
        (datetime(2026, 11, 23, 8, 0, tzinfo=CST), None, datetime(2026, 11, 23, 9, 0, tzinfo=CST)),
        (datetime(2026, 11, 23, 12, 0, tzinfo=CST), None, datetime(2026, 11, 23, 14, 0, tzinfo=CST)),  # lunch
        (datetime(2026, 11, 20, 18, 0, tzinfo=CST), None, datetime(2026, 11, 23, 9, 0, tzinfo=CST)),  # Fri eve
        (datetime(2026, 9, 30, 19, 0, tzinfo=CST), None, datetime(2026, 10, 8, 9, 0, tzinfo=CST)),  # National Day
        (datetime(2026, 10, 9, 18, 30, tzinfo=CST), None, datetime(2026, 10, 10, 9, 0, tzinfo=CST)),  # make-up Sat
        (datetime(2026, 11, 23, 10, 0, tzinfo=CST), date(2026, 11, 25), datetime(2026, 11, 25, 9, 0, tzinfo=CST)),
        (datetime(2026, 11, 23, 10, 0, tzinfo=CST), date(2026, 11, 2), datetime(2026, 11, 23, 10, 0, tzinfo=CST)),
        # 03:00 UTC on Monday is 11:00 in Shanghai: the wall clock of the organisation counts
        (datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc), None, datetime(2026, 11, 23, 11, 0, tzinfo=CST)),
    ],
)
def test_rule_1_2_next_call_is_inside_a_call_window_on_a_working_day(moment, not_before, expected):
    assert next_call_at(moment, POLICY.call_windows, CALENDAR, not_before=not_before, tz=SHANGHAI) == expected


@st.composite
def call_windows(draw):
    """One to three disjoint windows, on minute boundaries."""
    bounds = sorted(draw(st.sets(st.integers(min_value=0, max_value=24 * 60 - 1), min_size=2, max_size=6)))
    pairs = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds) - 1, 2)]
    return tuple(CallWindow(time(a // 60, a % 60), time(b // 60, b % 60)) for a, b in pairs)


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31),
                        timezones=st.sampled_from([SHANGHAI, timezone.utc, timezone(timedelta(hours=-5))])),
    windows=st.one_of(st.just(POLICY.call_windows), call_windows()),
    not_before=st.one_of(st.none(), st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31))),
)
def test_rule_1_2_next_call_is_never_before_now_and_always_callable(moment, windows, not_before):
    result = next_call_at(moment, windows, CALENDAR, not_before=not_before, tz=SHANGHAI)

    assert result >= moment
    assert result.tzinfo is SHANGHAI
    assert CALENDAR.is_working_day(result.date())
    assert in_call_window(result, windows, CALENDAR)
    if not_before is not None:
        assert result.date() >= not_before
    # nothing callable was skipped: either it is now (or the first moment of not_before's day),
    # or the moment just before it is outside every window
    local = moment.astimezone(SHANGHAI)
    floor = local if not_before is None or not_before <= local.date() else datetime.combine(
        not_before, time.min, tzinfo=SHANGHAI)
    assert result == floor or not in_call_window(result - timedelta(microseconds=1), windows, CALENDAR)



def test_seed_002_an_immediate_callback_is_callable_in_the_first_call_window_from_the_completion():
    # given the policy's call windows 09:00-12:00 and 14:00-18:00 and an emergency repair's callback
    planned = plan_on("emergency_repair", date(2026, 11, 2), calendar=CALENDAR)
    # when the repair is completed inside a window, at lunch, and on a Saturday evening
    inside = plan_immediate(planned, datetime(2026, 11, 2, 10, 30, tzinfo=CST), POLICY.call_windows, tz=CST)
    lunch = plan_immediate(planned, datetime(2026, 11, 2, 12, 10, tzinfo=CST), POLICY.call_windows, tz=CST)
    saturday = plan_immediate(planned, datetime(2026, 11, 7, 18, 30, tzinfo=CST), POLICY.call_windows, tz=CST)
    # then it is due the day the completion arrived, callable at once, at 14:00, and on Sunday 09:00 (it
    # does not wait for Monday), on time until that day
    assert (inside[0].due_on, inside[1]) == (date(2026, 11, 2), datetime(2026, 11, 2, 10, 30, tzinfo=CST))
    assert (lunch[0].due_on, lunch[1]) == (date(2026, 11, 2), datetime(2026, 11, 2, 14, 0, tzinfo=CST))
    assert (saturday[0].due_on, saturday[0].overdue_on, saturday[1]) == (
        date(2026, 11, 7), date(2026, 11, 8), datetime(2026, 11, 8, 9, 0, tzinfo=CST))


def test_seed_002_the_property_policy_says_emergency_repairs_are_immediate():
    (rule,) = POLICY.business_lines["property"].order_kinds["emergency_repair"].callbacks
    assert rule.immediate and rule.offset == 0
