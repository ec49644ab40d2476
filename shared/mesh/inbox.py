"""Inbox: exactly-once effect for at-least-once delivery.

Each service records the (source, id) of every event it handled in the same transaction as
the handler's writes; a redelivered event finds its row and has no second effect.
"""
from __future__ import annotations

from datetime import datetime, timezone

import peewee


def inbox_model(database) -> type[peewee.Model]:
    """Gives the inbox table bound to one service's database."""

    class Inbox(peewee.Model):
        source = peewee.CharField(max_length=500)
        event_id = peewee.CharField(max_length=200)
        type = peewee.CharField(max_length=100)
        organization = peewee.CharField(max_length=64)
        handled_at = peewee.DateTimeField()

        class Meta:
            table_name = "inbox"
            # Per organisation: one organisation's events can never shadow another's.
            indexes = ((("organization", "source", "event_id"), True),)

    Inbox._meta.set_database(database)
    return Inbox


def claim(Inbox, event) -> bool:
    """Gives True when this event is new here (and records it), False for a redelivery.

    Must run inside the handler's transaction: if the handler fails, the claim rolls back.
    """
    database = Inbox._meta.database
    sql = _CLAIM_SQL.get(database.param)
    if sql is None:
        # Built once: peewee's query builder costs more than the insert itself on the hot path.
        query = Inbox.insert(source="", event_id="", type="", organization="",
                             handled_at=datetime.now(timezone.utc)).on_conflict_ignore()
        sql = _CLAIM_SQL[database.param] = database.get_sql_context().sql(query).query()[0]
    cursor = database.execute_sql(sql, (event.source, event.id, event.type, event.organization,
                                        datetime.now(timezone.utc)))
    return cursor.rowcount == 1


_CLAIM_SQL: dict[str, str] = {}
