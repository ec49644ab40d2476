"""Column types every service uses, the same on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import peewee

#: Field options of an organisation column and of an external id column.
ORG = dict(max_length=64)
ID = dict(max_length=128)


class JSONField(peewee.TextField):
    """A JSON document in a text column."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class UTCDateTimeField(peewee.DateTimeField):
    """A moment stored as naive UTC and read back aware (UTC); a naive value is refused."""

    def db_value(self, value):
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"{self.name}: refusing a naive datetime {value.isoformat()}")
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value
