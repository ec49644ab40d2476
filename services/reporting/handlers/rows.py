"""Reading event data leniently and writing rows by natural key, for every handler here.

Fields other services add later are ignored, optional ones are used when present; a value
that cannot be read (a datetime that is not ISO 8601) counts as absent.
"""
from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import date, datetime, timezone

from shared.core.db import advisory_lock, first
from shared.core.event_fields import SATISFACTION

log = logging.getLogger(__name__)


def as_utc(moment: datetime) -> datetime:
    """Gives an aware moment as the same moment in UTC, as the tables give it back."""
    return moment.astimezone(timezone.utc)


def utc_moment(value, tz) -> datetime | None:
    """Gives an aware UTC datetime from an aware datetime or ISO text (naive: local time in `tz`)."""
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
    return as_utc(value)


def local_date(value, tz) -> date | None:
    """Gives the date in `tz` of an aware datetime or ISO text, or None."""
    moment = utc_moment(value, tz)
    return moment.astimezone(tz).date() if moment else None


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


#: True while one transaction replays the whole event log (jobs.rebuild): its DELETE of the read model
#: already holds every row, and a lock per key would fill PostgreSQL's shared lock table.
REPLAYING: ContextVar[bool] = ContextVar("reporting_replaying", default=False)


def by_key(model, **key):
    """Gives the row with this natural key, or a new unsaved one carrying the key, held until the
    transaction ends.

    The handlers read, change and save whole rows: on PostgreSQL two events about one complaint
    or callback at once would each save what they read, and the later would undo the earlier
    (a status back to open). A transaction-level lock on the key (also when
    the row does not exist yet, so two first events do not both insert) and FOR UPDATE make the
    second wait for the first's commit and read what it wrote. SQLite's writers already run one
    at a time.
    """
    if not REPLAYING.get():
        advisory_lock(model._meta.database, model._meta.table_name, *(str(value) for value in key.values()))
    found = first(model.select().where(*[getattr(model, name) == value for name, value in key.items()]), lock=True)
    return found if found is not None else model(**key)
