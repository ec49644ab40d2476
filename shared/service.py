"""A service of the mesh: its database, tables, handlers, and one way to run a unit of work.

Every service builds one `Service` in its `service.py`; the web app, the worker and the tests
all go through it, so a message and a request take the same path:
inbox check -> handler (domain decision, writes) -> outbox rows -> one commit -> relay.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import peewee

from . import inbox, outbox
from .db import database_from_url, ensure_schema
from .periodic import periodic_run_model
from .events import Event, load_event, make_envelope
from .settings import Settings

log = logging.getLogger(__name__)

#: The id of the event or request being handled, for every log line (see logs.py).
current_event_id: contextvars.ContextVar[str] = contextvars.ContextVar("event_id", default="-")


@dataclass
class UnitOfWork:
    """What a handler gets: the settings, the clock, and `emit` for events to publish."""

    service: "Service"
    settings: Settings
    now: datetime
    emitted: list = field(default_factory=list)
    messages: list = field(default_factory=list)

    def emit(self, type: str, data: dict, *, organization: str, id: str | None = None) -> dict:
        """Gives the envelope queued for publishing when this unit of work commits."""
        envelope = make_envelope(type=type, data=data, organization=organization,
                                 source=f"huifang://{self.service.name}", id=id, time=self.now)
        self.emitted.append(envelope)
        return envelope

    def send(self, actor_name: str, *args, queue_name: str | None = None, at: datetime | None = None) -> None:
        """Queues a Dramatiq message of this service, sent after commit (at `at`, if given).

        The message is stored in the same transaction as the state it follows from, so a
        rollback sends nothing and a broker outage loses nothing.
        """
        self.messages.append({"queue_name": queue_name or self.service.name, "actor_name": actor_name,
                              "args": args, "eta": at})


@dataclass
class Service:
    name: str
    database: peewee.DatabaseProxy
    models: list
    handlers: dict[str, Callable]
    migrations: dict = field(default_factory=dict)
    settings: Settings | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    on_commit: list = field(default_factory=list)

    def __post_init__(self):
        self.Inbox = inbox.inbox_model(self.database)
        self.Outbox = outbox.outbox_model(self.database)
        self.OutboxMessage = outbox.message_model(self.database)
        self.PeriodicRun = periodic_run_model(self.database)

    @property
    def all_models(self) -> list:
        return [self.Inbox, self.Outbox, self.OutboxMessage, self.PeriodicRun, *self.models]

    def bind(self, settings: Settings, *, url: str | None = None, create: bool = True) -> "Service":
        """Binds the database from settings (or `url`) and brings its schema up to date."""
        self.settings = settings
        self.database.initialize(database_from_url(url or settings.database_url(self.name)))
        if create:
            with self.connection():
                ensure_schema(self.database, self.all_models, migrations=self.migrations)
        return self

    @contextlib.contextmanager
    def connection(self):
        """A connection for one request or message, released afterwards (see `release`)."""
        opened = self.database.connect(reuse_if_open=True)
        try:
            yield self.database
        finally:
            if opened:
                self.release()

    def release(self) -> None:
        """Returns the thread's connection to the PostgreSQL pool.

        SQLite connections stay open per thread: opening one costs pragmas and closing the
        last one checkpoints the WAL, together ~1 ms, more than a whole message's work.
        """
        db = self.database.obj
        if db is None or self.database.is_closed() or self.database.in_transaction():
            return
        if not isinstance(db, peewee.SqliteDatabase):
            self.database.close()

    @contextlib.contextmanager
    def unit_of_work(self):
        """One transaction: yields a UnitOfWork; its emitted events go into the outbox with it."""
        uow = UnitOfWork(service=self, settings=self.settings, now=self.clock())
        with self.database.atomic():
            yield uow
            outbox.add(self.Outbox, uow.emitted)
            outbox.add_messages(self.OutboxMessage, uow.messages)
        if uow.emitted or uow.messages:
            for hook in self.on_commit:
                hook()

    def handle(self, raw_envelope) -> str:
        """Gives "handled", "duplicate" or "ignored" for one delivered envelope.

        Raises:
          InvalidEvent: the envelope or its data is wrong (the worker dead-letters it).
        """
        event: Event = load_event(raw_envelope)
        token = current_event_id.set(event.id)
        try:
            handler = self.handlers.get(event.type)
            with self.unit_of_work() as uow:
                if not inbox.claim(self.Inbox, event):
                    log.info("event %s from %s already handled; skipped", event.id, event.source)
                    return "duplicate"
                if handler is None:
                    log.info("event %s of type %s has no handler here; recorded", event.id, event.type)
                    return "ignored"
                handler(event, uow)
            log.debug("event %s handled", event.id)
            return "handled"
        finally:
            current_event_id.reset(token)

    def accept(self, envelopes: list[dict]) -> None:
        """Stores already validated envelopes in the outbox for relaying (POST /api/v1/events)."""
        with self.database.atomic():
            outbox.add(self.Outbox, envelopes)
        for hook in self.on_commit:
            hook()
