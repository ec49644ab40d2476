"""Outbox: what a service sends is stored with its state change, in the caller's transaction.

Two kinds of rows, one mechanism:
- events (`outbox`): envelopes for the `events` queue, fanned out by the router;
- messages (`outbox_message`): a service's own Dramatiq messages (a job, a wake-up at a
  deadline), optionally at a given moment: a wake-up months away waits here as a row and is
  handed to the broker once it is within the broker's delay limit.

`add`/`add_messages` run inside the caller's transaction. The relay (shared/mesh/relay.py)
moves the unsent rows to the broker after commit and marks them sent.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import peewee

from shared.core.db import bulk_insert
from shared.core.fields import UTCDateTimeField
from shared.core.db import Migrations, add_missing_columns

#: Queue and actor of the router (CONTRACT.md): the one way into the mesh.
EVENTS_QUEUE = "events"
PUBLISH_ACTOR = "publish"


def outbox_model(database) -> type[peewee.Model]:
    """Gives the outbox table bound to one service's database."""
    class Outbox(peewee.Model):
        event_id = peewee.CharField(max_length=200)
        type = peewee.CharField(max_length=100)
        organization = peewee.CharField(max_length=64)
        envelope = peewee.TextField()
        created_at = UTCDateTimeField()
        sent_at = UTCDateTimeField(null=True, index=True)
        attempts = peewee.IntegerField(default=0)
        last_error = peewee.TextField(null=True)
        #: A relay is sending the row until then (claim_rows); past it another relay takes it over.
        claimed_until = UTCDateTimeField(null=True)

        class Meta:
            table_name = "outbox"

    Outbox._meta.set_database(database)
    return Outbox


def add(Outbox, envelopes: list[dict]) -> None:
    """Stores envelopes for relaying, in the caller's transaction (bulk inserts of ADD_CHUNK rows)."""
    if not envelopes:
        return
    now = datetime.now(timezone.utc)
    encode = _ENCODER.encode  # json.dumps with options builds an encoder per call
    rows = [
        {"event_id": e["id"], "type": e["type"], "organization": e.get("organization", "default"),
         "envelope": encode(e), "created_at": now}
        for e in envelopes
    ]
    bulk_insert(Outbox, rows)


#: json.dumps(e, ensure_ascii=False, default=str), built once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


def message_model(database) -> type[peewee.Model]:
    """Gives the table of a service's own outgoing Dramatiq messages."""
    class OutboxMessage(peewee.Model):
        queue_name = peewee.CharField(max_length=100)
        actor_name = peewee.CharField(max_length=100)
        args = peewee.TextField()
        #: Not before this moment (None: at once).
        eta = UTCDateTimeField(null=True)
        created_at = UTCDateTimeField()
        sent_at = UTCDateTimeField(null=True, index=True)
        attempts = peewee.IntegerField(default=0)
        last_error = peewee.TextField(null=True)
        #: A relay is sending the row until then (claim_rows); past it another relay takes it over.
        claimed_until = UTCDateTimeField(null=True)

        class Meta:
            table_name = "outbox_message"

    OutboxMessage._meta.set_database(database)
    return OutboxMessage


def add_messages(OutboxMessage, messages: list[dict]) -> None:
    """Stores messages (queue_name, actor_name, args, eta) for relaying, in the caller's transaction."""
    if not messages:
        return
    now = datetime.now(timezone.utc)
    bulk_insert(OutboxMessage, [
        {"queue_name": m["queue_name"], "actor_name": m["actor_name"],
         "args": json.dumps(list(m["args"]), ensure_ascii=False, default=str), "eta": m.get("eta"),
         "created_at": now}
        for m in messages
    ])


def add_claim_columns(migrator, database, migrate) -> None:
    """1.1.0: the outbox tables' `claimed_until` (the relay claims rows before it calls the broker)."""
    class _Table(peewee.Model):
        class Meta:
            table_name = "outbox"

    class _Messages(peewee.Model):
        class Meta:
            table_name = "outbox_message"

    add_missing_columns(migrator, database, migrate, {
        _Table: {"claimed_until": UTCDateTimeField(null=True)},
        _Messages: {"claimed_until": UTCDateTimeField(null=True)}})


#: The outbox tables' migration steps, once for every service's database (shared.mesh.service
#: composes them): the part `outbox`, versions of its own, 1.0.0 its first tables. `numbered`:
#: what every service's database recorded them as before.
MIGRATIONS = Migrations("outbox", {"1.1.0": add_claim_columns}, numbered={30: "1.1.0"})


def service_queue(service_name: str) -> str:
    """Gives the queue a service's worker reads its copies of events from."""
    return service_name


def service_actor(service_name: str) -> str:
    """Gives the actor that hands a service its copy of an event."""
    return f"{service_name}_handle_event"


#: Sent rows are kept this long to look at, then pruned.
KEEP_SENT = timedelta(days=7)


def prune_sent(*models, older_than: timedelta = KEEP_SENT, now: datetime | None = None) -> int:
    """Gives how many sent rows older than `older_than` were deleted from the outbox tables."""
    cutoff = (now or datetime.now(timezone.utc)) - older_than
    return sum(model.delete().where(model.sent_at < cutoff).execute() for model in models)


def reoffer(Outbox, *, since: datetime, OutboxMessage=None, now: datetime | None = None) -> int:
    """Marks unsent again the rows the broker may have lost; gives how many.

    Events sent at `since` or later go out again (their consumers' inboxes absorb those already
    handled). Of the service's own messages only those not yet due are sent again: a wake-up or
    job already due may have run, and a job (a report mail) is not an event with an inbox.
    """
    now = now or datetime.now(timezone.utc)
    count = Outbox.update(sent_at=None).where(Outbox.sent_at >= since).execute()
    if OutboxMessage is not None:
        count += OutboxMessage.update(sent_at=None).where(
            OutboxMessage.sent_at >= since, OutboxMessage.eta > now).execute()
    return count


def pending_count(Outbox) -> int:
    return Outbox.select().where(Outbox.sent_at.is_null()).count()
