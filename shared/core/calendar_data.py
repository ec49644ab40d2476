"""The calendar's data (工作日数据): the project's corrections over the libraries' data, the
holidays the ``holidays`` package computes for a year the official calendar has not published,
and the checks of calendar and service-hours data (an organisation's calendar.yaml, its policies).

The working-day arithmetic that uses them: shared/core/calendar.py; service time:
shared/core/service_time.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Mapping

import yaml
from marshmallow import Schema, ValidationError, fields, validate

from shared.core.errors import InvalidInput

__all__ = [
    "CORRECTIONS_FILE",
    "CalendarError",
    "Correction",
    "computed_year",
    "load_calendar_data",
    "load_service_hours_data",
    "official_corrections",
]

#: The project's corrections over the libraries' data (documented in the file itself).
CORRECTIONS_FILE = Path(__file__).resolve().parent / "data" / "calendar_corrections.yaml"


class CalendarError(InvalidInput, ValueError):
    """Bad calendar or service-hours data; ``field`` names the offending field."""


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
def computed_year(year: int) -> tuple[frozenset[date], frozenset[date]] | None:
    """Gives (holidays, make-up working days) the ``holidays`` package computes for China in
    ``year``, or None for a year it does not cover."""
    import holidays

    china = holidays.country_holidays("CN", years=year)
    if not china.start_year <= year <= china.end_year:
        return None
    workdays = getattr(china, "weekend_workdays", ()) or ()
    return frozenset(china), frozenset(d for d in workdays if d.year == year)


def load_calendar_data(data: dict) -> dict:
    """Gives the loaded ``{"use_official": ..., "holidays": [...], "workdays": [...]}`` of a calendar.

    Raises:
      CalendarError: naming the field when the data is malformed.
    """
    try:
        return _CalendarSchema().load(data)
    except ValidationError as exc:
        raise _calendar_error(exc) from exc


def load_service_hours_data(data: dict, *, field: str) -> dict:
    """Gives the loaded ``{"start": time, "end": time}`` of service hours.

    Raises:
      CalendarError: naming the field (under ``field``) when a value is missing or malformed.
    """
    try:
        return _ServiceHoursSchema().load(data)
    except ValidationError as exc:
        raise _calendar_error(exc, prefix=field) from exc


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
