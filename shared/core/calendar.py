"""Working days (工作日) and their arithmetic, pure.

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

Service time (RULES 2) is counted in shared/core/service_time.py; the corrections table and
the checks of calendar data are in shared/core/calendar_data.py.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from datetime import date, timedelta
from typing import Iterable, Mapping

from shared.core.calendar_data import CalendarError, Correction, computed_year, load_calendar_data, official_corrections

__all__ = [
    "SOURCES",
    "WorkingCalendar",
    "add_months",
]

#: Fixed-date public holidays (month, day) used for years the official calendar has no
#: data for. Moveable feasts (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) and
#: make-up working days cannot be known in advance, hence "provisional".
FALLBACK_HOLIDAYS: tuple[tuple[int, int], ...] = ((1, 1), (5, 1), (10, 1), (10, 2), (10, 3))

#: Where a day's classification comes from, strongest first (module docstring).
SOURCE_ORGANIZATION, SOURCE_CORRECTION, SOURCE_OFFICIAL = "organization", "correction", "official"
SOURCE_COMPUTED, SOURCE_FALLBACK = "holidays", "fallback"
SOURCES = (SOURCE_ORGANIZATION, SOURCE_CORRECTION, SOURCE_OFFICIAL, SOURCE_COMPUTED, SOURCE_FALLBACK)

#: Saturday and Sunday, as ``date.weekday()`` numbers.
_WEEKEND = frozenset({5, 6})

_ONE_DAY = timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by ``months`` calendar months, clamped to the month's end.

    Jan 31 + 1 month is Feb 28 (Feb 29 in a leap year). ``months`` may be negative.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


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
        loaded = load_calendar_data(data)
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
            computed = computed_year(day.year)
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
