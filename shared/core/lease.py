"""Leases: one worker at a time holds a row while it does slow outside work (sending mail).

A row is claimed by a compare-and-set that writes the moment into its lease column and is
committed *before* the outside work starts; another worker skips a held row until the lease
expires. A worker that dies while holding one leaves a lease that runs out, and the work is
done again then: at least once, never lost. Complaint notifications and report sends both
use it (`services/*/notify.py`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import peewee

from shared.core.fields import UTCDateTimeField


@dataclass(frozen=True)
class Lease:
    """A lease kept in `column` (a nullable datetime column of the row), valid for `duration`."""

    column: peewee.Field
    duration: timedelta

    def free(self, now: datetime) -> peewee.Expression:
        """Gives the condition of a row nobody holds: never claimed, given back, or expired."""
        return self.column.is_null() | (self.column <= self._stored(now - self.duration))

    def claim(self, where: peewee.Expression, *, now: datetime, **values) -> bool:
        """Gives True to exactly one caller: the row matching `where` is free and is now held
        (with `values` written in the same statement)."""
        model = self.column.model
        values[self.column.name] = self._stored(now)
        return model.update(**values).where(where & self.free(now)).execute() == 1

    def held(self, where: peewee.Expression, *, since: datetime) -> peewee.Expression:
        """Gives the condition of the row still held by the claim made at `since`."""
        return where & (self.column == self._stored(since))

    def give_back(self, where: peewee.Expression, **values) -> int:
        """Releases the lease (the work failed and may be tried again); gives the rows changed."""
        model = self.column.model
        values[self.column.name] = None
        return model.update(**values).where(where).execute()

    def _stored(self, moment: datetime) -> datetime:
        # a plain DateTimeField holds naive UTC; UTCDateTimeField takes aware moments
        if moment.tzinfo is not None and not isinstance(self.column, UTCDateTimeField):
            return moment.astimezone(timezone.utc).replace(tzinfo=None)
        return moment
