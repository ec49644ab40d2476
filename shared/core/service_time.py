"""Service-time arithmetic (服务时间), pure.

RULES 2: deadlines count service time only (service hours on working days). "N hours"
is N hours of service time; "1 day" is one service day, landing at the same clock time
on the next working day.

All arithmetic is done on the wall clock of the datetime's own tzinfo; the result
carries the same tzinfo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.core.calendar import WorkingCalendar
from shared.core.calendar_data import CalendarError, load_service_hours_data

__all__ = [
    "ServiceHours",
    "add_service_days",
    "add_service_hours",
    "service_hours_between",
]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ServiceHours:
    """The daily service window (服务时间), e.g. 08:30-18:00, on working days."""

    start: time
    end: time

    def __post_init__(self):
        if not self.start < self.end:
            raise CalendarError(
                f"service hours must start before they end (got {self.start}-{self.end})",
                field="end",
            )

    @classmethod
    def from_data(cls, data: dict, *, field: str = "service_hours") -> "ServiceHours":
        """Return service hours from ``{"start": "08:30", "end": "18:00"}``.

        Raises:
          CalendarError: naming the field when a value is missing or malformed.
        """
        loaded = load_service_hours_data(data, field=field)
        try:
            return cls(start=loaded["start"], end=loaded["end"])
        except CalendarError as exc:
            raise CalendarError(exc.message, field=f"{field}.{exc.field}") from exc

    @property
    def length(self) -> timedelta:
        """Return the length of one service day."""
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)


def add_service_hours(
    start: datetime,
    hours: float | timedelta,
    *,
    calendar: WorkingCalendar,
    service_hours: ServiceHours,
) -> datetime:
    """Return the moment ``hours`` of service time after ``start``.

    A ``start`` outside service hours first moves to the next service-hours start.
    A result exactly at the end of service hours stays on that day (17:00 + 1 h = 18:00).

    Raises:
      CalendarError: when ``start`` is naive or ``hours`` is negative.
    """
    remaining = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
    if remaining < timedelta(0):
        raise CalendarError(f"cannot add negative service time ({hours})", field="hours")
    tz = _require_aware(start)
    day, clock = _next_service_moment(start.replace(tzinfo=None), calendar, service_hours)
    while True:
        available = _clock_delta(clock, service_hours.end)
        if remaining <= available:
            return datetime.combine(day, clock, tzinfo=tz) + remaining
        remaining -= available
        day = calendar.next_working_day(day)
        clock = service_hours.start


def add_service_days(
    start: datetime,
    days: int,
    *,
    calendar: WorkingCalendar,
    service_hours: ServiceHours,
) -> datetime:
    """Return the same clock time ``days`` working days after ``start``.

    A ``start`` outside service hours is clamped into them first: before the start of
    service on a working day counts from the start, after the end from the end (Fri
    20:00 + 1 day = Mon 18:00), and a non-working day from the next working day's start.

    Raises:
      CalendarError: when ``start`` is naive or ``days`` is negative.
    """
    if days < 0:
        raise CalendarError(f"cannot add a negative number of service days ({days})", field="days")
    tz = _require_aware(start)
    day, clock = start.date(), start.timetz().replace(tzinfo=None)
    if not calendar.is_working_day(day):
        day, clock = calendar.roll_forward(day), service_hours.start
    elif clock < service_hours.start:
        clock = service_hours.start
    elif clock > service_hours.end:
        clock = service_hours.end
    for _ in range(days):
        day = calendar.next_working_day(day)
    return datetime.combine(day, clock, tzinfo=tz)


def service_hours_between(
    start: datetime,
    end: datetime,
    *,
    calendar: WorkingCalendar,
    service_hours: ServiceHours,
) -> float:
    """Return the service hours elapsed from ``start`` to ``end`` (negative if reversed).

    ``end`` is read on the wall clock of ``start``'s tzinfo.

    Raises:
      CalendarError: when either datetime is naive.
    """
    tz = _require_aware(start)
    _require_aware(end)
    if end < start:
        return -service_hours_between(end, start, calendar=calendar, service_hours=service_hours)
    lo = start.replace(tzinfo=None)
    hi = end.astimezone(tz).replace(tzinfo=None)
    total = timedelta(0)
    day = lo.date()
    while day <= hi.date():
        if calendar.is_working_day(day):
            open_at = datetime.combine(day, service_hours.start)
            close_at = datetime.combine(day, service_hours.end)
            overlap = min(hi, close_at) - max(lo, open_at)
            if overlap > timedelta(0):
                total += overlap
        day += _ONE_DAY
    return total / timedelta(hours=1)


def _next_service_moment(
    moment: datetime, calendar: WorkingCalendar, service_hours: ServiceHours
) -> tuple[date, time]:
    day, clock = moment.date(), moment.time()
    if calendar.is_working_day(day):
        if clock < service_hours.start:
            return day, service_hours.start
        if clock < service_hours.end:
            return day, clock
    return calendar.next_working_day(day), service_hours.start


def _clock_delta(a: time, b: time) -> timedelta:
    return datetime.combine(date.min, b) - datetime.combine(date.min, a)


def _require_aware(moment: datetime):
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError(f"{moment.isoformat()} has no time zone", field="start")
    return moment.tzinfo
