"""Working days and service-time arithmetic (工作日与服务时间), pure.

RULES 1.6: due dates on a non-working day move to the next working day, using the
official Chinese calendar with its make-up working days (调休). Each day is decided by one
source, recorded with it (:meth:`WorkingCalendar.source`), first match wins:

1. ``organization``: the organisation's own holidays and workdays (its calendar.yaml);
2. ``correction``: the project's documented corrections over the libraries' data
   (``shared/core/data/calendar_corrections.yaml``, e.g. 2005-12-31 a working day);
3. ``official``: the published official calendar (the ``chinesecalendar`` package);
4. ``holidays``: for a year the official calendar has not published yet, the statutory
   holidays computed from the lunar calendar by the ``holidays`` package (Spring Festival,
   Qingming, Dragon Boat, Mid-Autumn, 1-2 May, National Day ...), *provisional*: make-up
   working days are not known before the State Council publishes them;
5. ``fallback``: weekends plus fixed-date holidays, for years neither library covers
   (provisional) or a calendar with ``use_official: false`` (not provisional).

RULES 2: deadlines count service time only (service hours on working days). "N hours"
is N hours of service time; "1 day" is one service day, landing at the same clock time
on the next working day.

All arithmetic is done on the wall clock of the datetime's own tzinfo; the result
carries the same tzinfo.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Iterable, Mapping

import yaml
from marshmallow import Schema, ValidationError, fields, validate

from shared.core.errors import InvalidInput

__all__ = [
    "CORRECTIONS_FILE",
    "CalendarError",
    "Correction",
    "SOURCES",
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

#: Where a day's classification comes from, strongest first (module docstring).
SOURCE_ORGANIZATION, SOURCE_CORRECTION, SOURCE_OFFICIAL = "organization", "correction", "official"
SOURCE_COMPUTED, SOURCE_FALLBACK = "holidays", "fallback"
SOURCES = (SOURCE_ORGANIZATION, SOURCE_CORRECTION, SOURCE_OFFICIAL, SOURCE_COMPUTED, SOURCE_FALLBACK)

#: The project's corrections over the libraries' data (documented in the file itself).
CORRECTIONS_FILE = Path(__file__).resolve().parent / "data" / "calendar_corrections.yaml"

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


@dataclass(frozen=True)
class Correction:
    """A day the libraries get wrong: ``working`` or not, by ``document`` (a State Council notice)."""

    day: date
    working: bool
    document: str
    note: str = ""


@functools.cache
def official_corrections() -> Mapping[date, Correction]:
    """Gives the project's corrections table (:data:`CORRECTIONS_FILE`), validated once.

    Raises:
      CalendarError: naming the bad field of the file.
    """
    raw = yaml.safe_load(CORRECTIONS_FILE.read_text(encoding="utf-8")) or {}
    try:
        loaded = _CorrectionsSchema().load(raw)
    except ValidationError as exc:
        raise _calendar_error(exc, prefix="corrections") from exc
    table = {}
    for row in loaded["corrections"]:
        if row["date"] in table:
            raise CalendarError(f"{row['date'].isoformat()} is corrected twice", field="corrections.date")
        table[row["date"]] = Correction(row["date"], row["working"], row["document"], row["note"])
    return table


@functools.cache
def _computed_year(year: int) -> tuple[frozenset[date], frozenset[date]] | None:
    """Gives (holidays, make-up working days) the ``holidays`` package computes for China in
    ``year``, or None for a year it does not cover."""
    import holidays

    china = holidays.country_holidays("CN", years=year)
    if not china.start_year <= year <= china.end_year:
        return None
    workdays = getattr(china, "weekend_workdays", ()) or ()
    return frozenset(china), frozenset(d for d in workdays if d.year == year)


class WorkingCalendar:
    """Working days (工作日): organisation, corrections, official calendar, computed holidays, fallback.

    Parameters:
      extra_holidays: dates the organisation does not work, whatever else says.
      extra_workdays: dates the organisation works, whatever else says.
      use_official: consult the libraries (``chinese_calendar`` for published years,
        ``holidays`` for the others, provisional); when False, weekends plus
        :data:`FALLBACK_HOLIDAYS` only (and no corrections: they correct the libraries).
      corrections: the corrections applied over the libraries (default: the project's table).
    """

    def __init__(
        self,
        *,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        use_official: bool = True,
        corrections: Mapping[date, Correction] | None = None,
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
        self._corrections = corrections
        # day -> (working, provisional, source); bench code calls this ~1M times.
        self._days: dict[date, tuple[bool, bool, str]] = {}
        # year -> whether the official package has data for it.
        self._official_years: dict[int, bool] = {}

    @classmethod
    def from_data(cls, data: dict) -> "WorkingCalendar":
        """Gives a calendar from ``{"use_official": true, "holidays": [...], "workdays": [...]}``.

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

    def _day(self, day: date) -> tuple[bool, bool, str]:
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._classify(day)
        return known

    def is_working_day(self, day: date) -> bool:
        """Gives True when ``day`` is a working day."""
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._classify(day)
        return known[0]

    def is_provisional(self, day: date) -> bool:
        """Gives True when ``day`` was classified by an estimate (computed holidays or the
        fallback), not by published data. A day the organisation listed itself, or the
        corrections table, is never provisional."""
        return self._day(day)[1]

    def source(self, day: date) -> str:
        """Gives which source decided ``day`` (one of :data:`SOURCES`)."""
        return self._day(day)[2]

    def sources(self, first: date, last: date) -> tuple[str, ...]:
        """Gives the sources that decided the days ``first``..``last`` (inclusive), strongest first:
        what decided a date rolled forward over them."""
        if first == last:  # most dates: a working day that needs no moving
            return (self._day(first)[2],)
        found = {self._day(first + timedelta(days=n))[2] for n in range((last - first).days + 1)}
        return tuple(source for source in SOURCES if source in found)

    def any_provisional(self, first: date, last: date) -> bool:
        """Gives True when a day of ``first``..``last`` (inclusive) is provisional."""
        return any(self._day(first + timedelta(days=n))[1] for n in range((last - first).days + 1))

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

    def _classify(self, day: date) -> tuple[bool, bool, str]:
        if day in self._extra_holidays:
            return False, False, SOURCE_ORGANIZATION
        if day in self._extra_workdays:
            return True, False, SOURCE_ORGANIZATION
        weekday = day.weekday() not in _WEEKEND
        if self._use_official:
            corrections = official_corrections() if self._corrections is None else self._corrections
            correction = corrections.get(day)
            if correction is not None:
                return correction.working, False, SOURCE_CORRECTION
            if self._official_has(day.year):
                import chinese_calendar

                return chinese_calendar.is_workday(day), False, SOURCE_OFFICIAL
            computed = _computed_year(day.year)
            if computed is not None:
                holidays, workdays = computed
                return (day in workdays or (weekday and day not in holidays)), True, SOURCE_COMPUTED
        fallback = weekday and (day.month, day.day) not in FALLBACK_HOLIDAYS
        return fallback, self._use_official, SOURCE_FALLBACK

    def _official_has(self, year: int) -> bool:
        known = self._official_years.get(year)
        if known is None:
            known = self._official_years[year] = official_year_published(year)
        return known


def official_year_published(year: int) -> bool:
    """Gives True when the official calendar package (chinesecalendar) has published ``year``."""
    import chinese_calendar

    try:
        chinese_calendar.is_workday(date(year, 6, 15))
    except NotImplementedError:
        return False
    return True


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


class _CorrectionSchema(Schema):
    date = fields.Date(required=True)
    working = fields.Boolean(required=True)
    document = fields.String(required=True, validate=validate.Length(min=1))
    note = fields.String(load_default="")


class _CorrectionsSchema(Schema):
    corrections = fields.List(fields.Nested(_CorrectionSchema), required=True)


class _CalendarSchema(Schema):
    use_official = fields.Boolean(load_default=True)
    holidays = fields.List(fields.Date(), load_default=list)
    workdays = fields.List(fields.Date(), load_default=list)


class _ServiceHoursSchema(Schema):
    start = fields.Time(required=True)
    end = fields.Time(required=True)
