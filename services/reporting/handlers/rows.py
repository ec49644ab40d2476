"""Reading event data leniently and writing rows by natural key, for every handler here.

Fields other services add later are ignored, optional ones are used when present; a value
that cannot be read (a datetime that is not ISO 8601) counts as absent.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone

from shared.events import SATISFACTION

log = logging.getLogger(__name__)


def naive_utc(moment: datetime) -> datetime:
    """Gives an aware moment as the naive UTC datetime the tables store."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def utc(value, tz) -> datetime | None:
    """Gives a naive UTC datetime from an aware datetime or ISO text (naive: local time in `tz`)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            log.warning("ignored a datetime that is not ISO 8601: %r", value)
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return naive_utc(value)


def local_date(value, tz) -> date | None:
    """Gives the date in `tz` of an aware datetime or ISO text, or None."""
    moment = utc(value, tz)
    return moment.replace(tzinfo=timezone.utc).astimezone(tz).date() if moment else None


def to_date(value) -> date | None:
    """Gives a date from a date or ISO text (a datetime's date part), or None."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def answer(value) -> str | None:
    """Gives an answer on the five-point satisfaction scale, or None for anything else."""
    return value if value in SATISFACTION else None


def by_key(model, **key):
    """Gives the row with this natural key, or a new unsaved one carrying the key."""
    found = model.get_or_none(*[getattr(model, name) == value for name, value in key.items()])
    return found if found is not None else model(**key)
