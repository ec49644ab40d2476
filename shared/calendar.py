"""Working days and service-time arithmetic (工作日与服务时间), pure.

RULES 1.6: due dates on a non-working day move to the next working day, using the
official Chinese calendar with its make-up working days (调休). Years the official
calendar has not published yet fall back to weekends plus fixed-date holidays and are
marked *provisional*. An organisation's own holidays and workdays win over both.

RULES 2: deadlines count service time only (service hours on working days). "N hours"
is N hours of service time; "1 day" is one service day, landing at the same clock time
on the next working day.

All arithmetic is done on the wall clock of the datetime's own tzinfo; the result
carries the same tzinfo.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterable

from marshmallow import Schema, ValidationError, fields

from .errors import InvalidInput

__all__ = [
    "CalendarError",
    "ServiceHours",
    "WorkingCalendar",
    "add_months",
    "add_service_days",
    "add_service_hours",
    "service_hours_between",
]

#: Fixed-date public holidays (month, day) used for years the official calendar has no
#: data for. Moveable feasts (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) and
#: make-up working days cannot be known in advance, hence "provisional".
FALLBACK_HOLIDAYS: tuple[tuple[int, int], ...] = ((1, 1), (5, 1), (10, 1), (10, 2), (10, 3))

#: Saturday and Sunday, as ``date.weekday()`` numbers.
_WEEKEND = frozenset({5, 6})

_ONE_DAY = timedelta(days=1)


class CalendarError(InvalidInput, ValueError):
    """Bad calendar or service-hours data; ``field`` names the offending field."""


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by ``months`` calendar months, clamped to the month's end.

    Jan 31 + 1 month is Feb 28 (Feb 29 in a leap year). ``months`` may be negative.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


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
        try:
            loaded = _ServiceHoursSchema().load(data)
        except ValidationError as exc:
            raise _calendar_error(exc, prefix=field) from exc
        try:
            return cls(start=loaded["start"], end=loaded["end"])
        except CalendarError as exc:
            raise CalendarError(exc.message, field=f"{field}.{exc.field}") from exc

    @property
    def length(self) -> timedelta:
        """Return the length of one service day."""
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)


class WorkingCalendar:
    """Working days (工作日): official Chinese calendar, fallback, organisation overrides.

    Parameters:
      extra_holidays: dates the organisation does not work, whatever else says.
      extra_workdays: dates the organisation works, whatever else says.
      use_official: consult the ``chinese_calendar`` package; when False, or for years
        it has no data for, use weekends plus :data:`FALLBACK_HOLIDAYS`.
    """

    def __init__(
        self,
        *,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        use_official: bool = True,
    ):
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_workdays = frozenset(extra_workdays)
        clash = self._extra_holidays & self._extra_workdays
        if clash:
            first = min(clash).isoformat()
            raise CalendarError(
                f"{first} is listed both as a holiday and as a workday", field="workdays"
            )
        self._use_official = use_official
        # day -> (working, provisional); bench code calls this ~1M times.
        self._days: dict[date, tuple[bool, bool]] = {}
        # year -> whether the official package has data for it.
        self._official_years: dict[int, bool] = {}

    @classmethod
    def from_data(cls, data: dict) -> "WorkingCalendar":
        """Return a calendar from ``{"use_official": true, "holidays": [...], "workdays": [...]}``.

        Dates are ISO strings (or ``date`` objects, as YAML gives them).

        Raises:
          CalendarError: naming the field when the data is malformed.
        """
        try:
            loaded = _CalendarSchema().load(data)
        except ValidationError as exc:
            raise _calendar_error(exc) from exc
        return cls(
            extra_holidays=loaded["holidays"],
            extra_workdays=loaded["workdays"],
            use_official=loaded["use_official"],
        )

    def is_working_day(self, day: date) -> bool:
        """Return True when ``day`` is a working day."""
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._classify(day)
        return known[0]

    def is_provisional(self, day: date) -> bool:
        """Return True when ``day`` was classified by the fallback, not by published data.

        A day the organisation listed itself is never provisional.
        """
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._classify(day)
        return known[1]

    def roll_forward(self, day: date) -> date:
        """Return ``day`` if it is a working day, else the next working day."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def next_working_day(self, day: date) -> date:
        """Return the first working day strictly after ``day``."""
        return self.roll_forward(day + _ONE_DAY)

    def add_working_days(self, day: date, n: int) -> date:
        """Return the ``n``-th working day after ``day`` (``n`` = 0: ``day`` rolled forward).

        Raises:
          CalendarError: when ``n`` is negative.
        """
        if n < 0:
            raise CalendarError(f"cannot add a negative number of working days ({n})", field="n")
        if n == 0:
            return self.roll_forward(day)
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def _classify(self, day: date) -> tuple[bool, bool]:
        if day in self._extra_holidays:
            return False, False
        if day in self._extra_workdays:
            return True, False
        if self._use_official and self._official_has(day.year):
            import chinese_calendar

            return chinese_calendar.is_workday(day), False
        fallback = day.weekday() not in _WEEKEND and (day.month, day.day) not in FALLBACK_HOLIDAYS
        return fallback, self._use_official

    def _official_has(self, year: int) -> bool:
        known = self._official_years.get(year)
        if known is None:
            import chinese_calendar

            try:
                chinese_calendar.is_workday(date(year, 6, 15))
            except NotImplementedError:
                known = False
            else:
                known = True
            self._official_years[year] = known
        return known


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


def _calendar_error(exc: ValidationError, *, prefix: str | None = None) -> CalendarError:
    field, message = _first_message(exc.messages)
    if prefix:
        field = f"{prefix}.{field}" if field else prefix
    return CalendarError(f"{field}: {message}", field=field)


def _first_message(messages, path: str = "") -> tuple[str, str]:
    if isinstance(messages, dict):
        key = sorted(messages, key=str)[0]
        sub = f"{path}.{key}" if path else str(key)
        return _first_message(messages[key], sub)
    if isinstance(messages, list) and messages:
        return _first_message(messages[0], path)
    return path, str(messages)


class _CalendarSchema(Schema):
    use_official = fields.Boolean(load_default=True)
    holidays = fields.List(fields.Date(), load_default=list)
    workdays = fields.List(fields.Date(), load_default=list)


class _ServiceHoursSchema(Schema):
    start = fields.Time(required=True)
    end = fields.Time(required=True)
