"""RULES 1.2: when customers may be called, and when an unreachable one is tried again."""

from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from services.scheduler.domain.policy import CallWindow, Policy
from shared.calendar import WorkingCalendar

__all__ = ["DISSATISFIED", "in_call_window", "next_attempt_on"]

#: Answers that need their reason and raise a complaint the same day (RULES 1.2).
DISSATISFIED = frozenset({"dissatisfied", "very_dissatisfied"})


def next_attempt_on(
    today: date, attempts_so_far: int, policy: Policy, calendar: WorkingCalendar
) -> date | None:
    """Return the day of the next call to an unreachable customer, or None to give up.

    ``attempts_so_far`` counts the calls already made, including today's; after the
    policy's last attempt the task ends as ``unreachable``.
    """
    if attempts_so_far >= policy.retry.max_attempts:
        return None
    return calendar.next_working_day(today)


def in_call_window(dt: datetime, windows: Iterable[CallWindow], calendar: WorkingCalendar) -> bool:
    """Return True when ``dt`` (on its own wall clock) is inside a call window on a working day.

    A window includes its start and excludes its end (12:00 is outside 09:00-12:00).
    """
    if not calendar.is_working_day(dt.date()):
        return False
    clock = dt.time()
    return any(window.start <= clock < window.end for window in windows)
