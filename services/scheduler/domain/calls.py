"""RULES 1.2: when customers may be called, and when an unreachable one is tried again."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Iterable

from services.scheduler.domain.planned import PlannedCallback
from services.scheduler.errors import SchedulerDomainError
from services.scheduler.domain.policy import CallWindow, Policy
from shared.core.calendar import WorkingCalendar

__all__ = ["appointment_call_at", "immediate_call_at", "in_call_window", "next_attempt_on", "next_call_at",
           "over_time_limit", "plan_immediate"]

#: How far ahead :func:`next_call_at` looks for a working day before it gives up (a calendar
#: with no working day for a year is a data error, not a long holiday).
MAX_DAYS_AHEAD = 366


def next_attempt_on(
    today: date, attempts_so_far: int, policy: Policy, calendar: WorkingCalendar
) -> date | None:
    """Gives the day of the next call to an unreachable customer, or None to give up.

    ``attempts_so_far`` counts the calls already made, including today's; after the
    policy's last attempt the task ends as ``unreachable``.
    """
    if attempts_so_far >= policy.retry.max_attempts:
        return None
    return calendar.next_working_day(today)


def over_time_limit(duration_s: int | None, limit_s: int | None, *, raised_complaint: bool) -> bool:
    """Gives True when a call took longer than the policy's guide (RULES 1.2: 3 minutes) and is
    flagged: not when it raised a complaint (如有投诉情况除外), nor without a duration or a guide."""
    if raised_complaint or duration_s is None or limit_s is None:
        return False
    return duration_s > limit_s


def in_call_window(dt: datetime, windows: Iterable[CallWindow], calendar: WorkingCalendar) -> bool:
    """Gives True when ``dt`` (on its own wall clock) is inside a call window on a working day.

    A window includes its start and excludes its end (12:00 is outside 09:00-12:00).
    """
    if not calendar.is_working_day(dt.date()):
        return False
    clock = dt.time()
    return any(window.start <= clock < window.end for window in windows)


def next_call_at(
    now: datetime,
    windows: Iterable[CallWindow],
    calendar: WorkingCalendar,
    *,
    not_before: date | None = None,
    tz: tzinfo | None = None,
) -> datetime:
    """Gives the first moment at or after ``now`` inside a call window on a working day.

    Clock times are read on the wall clock of ``tz`` (default: ``now``'s own zone), and the
    result is given in that zone. With ``not_before`` (a task's due or retry day), moments
    before that day are skipped. A window includes its start and excludes its end.

    Raises:
      SchedulerDomainError: with no window, or no working day within a year.
    """
    spans = sorted(windows, key=lambda w: (w.start, w.end))
    if not spans:
        raise SchedulerDomainError("the policy has no call window", field="call_windows")
    zone = tz or now.tzinfo
    local = now.astimezone(zone) if zone is not None else now
    day, earliest = local.date(), local.replace(tzinfo=None)
    if not_before is not None and not_before > day:
        day, earliest = not_before, datetime.combine(not_before, time.min)
    for _ in range(MAX_DAYS_AHEAD):
        if calendar.is_working_day(day):
            for window in spans:
                # wall-clock arithmetic, then the zone: right across DST changes too
                if earliest < datetime.combine(day, window.end):
                    moment = max(earliest, datetime.combine(day, window.start))
                    return moment.replace(tzinfo=zone) if zone is not None else moment
        day += timedelta(days=1)
        earliest = datetime.combine(day, time.min)
    raise SchedulerDomainError(f"no working day within {MAX_DAYS_AHEAD} days of {local.date().isoformat()}",
                               field="calendar")


def appointment_call_at(
    asked_at: datetime,
    now: datetime,
    policy: Policy,
    calendar: WorkingCalendar,
    *,
    tz: tzinfo | None = None,
) -> datetime:
    """Gives when to call a customer who asked to be called at ``asked_at`` (`rescheduled`):
    that moment when it is inside a call window on a working day, else the next moment that is.

    Raises:
      SchedulerDomainError: ``asked_at`` is in the past, or further ahead than the policy's
        ``retry.appointment_within_days`` (field ``call_at``).
    """
    if asked_at < now:
        raise SchedulerDomainError("the time the customer asked for has passed", field="call_at")
    if asked_at - now > timedelta(days=policy.retry.appointment_within_days):
        raise SchedulerDomainError(
            f"the policy plans appointments at most {policy.retry.appointment_within_days} days ahead",
            field="call_at")
    return next_call_at(asked_at, policy.call_windows, calendar, tz=tz)


class _EveryDay:
    """A calendar on which every day is a working day: an emergency repair's callback does not wait
    for Monday (seed 002: 抢修工程结束后立即进行), only for the call windows of the day."""

    @staticmethod
    def is_working_day(day: date) -> bool:
        return True


def immediate_call_at(completed_at: datetime, windows: Iterable[CallWindow], *, tz: tzinfo | None = None) -> datetime:
    """Gives when an immediate callback may be made: ``completed_at`` itself when it is inside a call
    window, else the start of the next window (later that day, or the first one of the next day).

    Raises:
      SchedulerDomainError: with no window.
    """
    return next_call_at(completed_at, windows, _EveryDay(), tz=tz)


def plan_immediate(planned: PlannedCallback, completed_at: datetime, windows: Iterable[CallWindow], *,
                   tz: tzinfo | None = None) -> tuple[PlannedCallback, datetime]:
    """Gives an immediate callback (RULES 1.3: emergency repairs) due the day the completion arrived, not
    moved to a working day, on time until the day it may first be made, and that moment (the task is not
    callable before it: the first call window from the completion)."""
    call_at = immediate_call_at(completed_at, windows, tz=tz)
    zone = tz or completed_at.tzinfo
    day = completed_at.astimezone(zone).date() if zone is not None else completed_at.date()
    return replace(planned, nominal_on=day, due_on=day, overdue_on=max(day, call_at.date())), call_at
