"""A service of the mesh: its database, tables, handlers, and one way to run a unit of work.

Every service builds one `Service` in its `service.py`; the web app, the worker and the tests
all go through it, so a message and a request take the same path:
inbox check -> handler (domain decision, writes) -> outbox rows -> one commit -> relay.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import peewee

from shared.audit import migrations as audit_migrations
from shared.audit import store as audit_store
from shared.mesh import inbox
from shared.mesh import outbox
from shared.mesh import queues
from shared.mesh import ratelimit
from shared.users import integration_tokens
from shared.users import migrations as users_migrations
from shared.users import sessions as user_sessions
from shared.users import store as users
from shared.webhooks import endpoints as webhook_endpoints
from shared.webhooks import migrations as webhooks_migrations
from shared.webhooks.fanout import Webhooks
from shared.core.db import Migrations, database_from_url, ensure_schema
from shared.mesh.periodic import periodic_run_model
from shared.core.errors import InvalidEvent
from shared.core.event_signing import SIGNATURE_ATTRIBUTE, sign_envelope, signed_by_us
from shared.core.events import INTERNAL_TYPES, Event, load_event, make_envelope
from shared.core.logs import current_event_id
from shared.core.settings import Settings
from shared.core.mail import Mailer

log = logging.getLogger(__name__)

@dataclass
class UnitOfWork:
    """What a handler gets: the settings, the moment, and `emit`/`send` for what goes out.

    Only entry points (actors, routes, periodic jobs) open one, with `Service.unit_of_work()`
    or `Service.run(handler, ...)`; handlers take it as `handler(*, uow, ...)` and never
    commit, connect or touch the broker.
    """

    service: "Service"
    settings: Settings
    now: datetime
    emitted: list = field(default_factory=list)
    messages: list = field(default_factory=list)

    def emit(self, type: str, data: dict, *, organization: str, id: str | None = None) -> dict:
        """Gives the envelope queued for publishing when this unit of work commits."""
        envelope = make_envelope(type=type, data=data, organization=organization,
                                 source=f"huifang://{self.service.name}", id=id, time=self.now)
        if type in INTERNAL_TYPES:  # they carry password hashes and secrets: signed, so none is forged
            sign_envelope(envelope, self.settings.secret_key)
        self.emitted.append(envelope)
        return envelope

    @property
    def users(self) -> "users.Directory":
        """The user directory (shared/users/store.py): `uow.users.of_role(org, "manager")`."""
        return self.service.users

    @property
    def mailer(self):
        """The service's mailer (shared.core.mail.Mailer, or a test double with its interface)."""
        return self.service.mailer

    def send(self, actor_name: str, *args, queue_name: str | None = None, at: datetime | None = None) -> None:
        """Queues a Dramatiq message of this service, sent after commit (at `at`, if given).

        The message is stored in the same transaction as the state it follows from, so a
        rollback sends nothing and a broker outage loses nothing.
        """
        self.messages.append({"queue_name": queue_name or self.service.name, "actor_name": actor_name,
                              "args": args, "eta": at})

    def audit(self, who, *, organization: str, action: str, subject: str, detail: dict | None = None) -> None:
        """Records in this unit of work that `who` (a person: `login`, `role`) did `action` to `subject`
        (shared/audit/store.py): the entry commits with the command, and a command that rolls back
        leaves none."""
        audit_store.record_action(uow=self, organization=organization, login=who.login, role=who.role,
                                  action=action, subject=subject, detail=detail)


@dataclass
class Service:
    name: str
    database: peewee.DatabaseProxy
    models: list
    handlers: dict[str, Callable]
    #: This service's own migration steps, keyed by its manifest's versions (the features' are
    #: composed in `all_migrations`).
    migrations: Migrations | None = None
    settings: Settings | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    on_commit: list = field(default_factory=list)
    #: Sends mail (shared.core.mail.Mailer from settings at `bind`); tests put a fake here.
    mailer: object | None = None
    #: Raw logs of personal data this service keeps, stripped after HUIFANG_EVENT_LOG_RETENTION_DAYS
    #: (shared/mesh/retention.py): {name: (model with `envelope`, its moment column)}.
    raw_logs: dict = field(default_factory=dict)
    #: Where this service keeps customers' personal data, blanked by `erase-customer` (PIPL):
    #: {model: (customer id column, personal columns)}.
    customer_tables: dict = field(default_factory=dict)
    #: Where personal data is kept in tables without a customer id column (a complaint's promises,
    #: history, mail ...): functions `fn(*, uow, organization, customer_id) -> {table: rows changed}`,
    #: called by `erase-customer` before `customer_tables`, so they may read the names and phones still
    #: there (shared/mesh/retention.py).
    customer_erasers: list = field(default_factory=list)
    #: This service's own tables that hold no customer's text, each with why (ids, codes, staff, moments):
    #: with the features' (shared/mesh/retention.py FEATURES_WITHOUT_CUSTOMER_TEXT) and the tables
    #: `erase-customer` blanks, every table of the database (a test holds it: a new table is named here or
    #: gets its eraser).
    without_customer_text: dict = field(default_factory=dict)

    def __post_init__(self):
        self.Inbox = inbox.inbox_model(self.database)
        self.Outbox = outbox.outbox_model(self.database)
        self.OutboxMessage = outbox.message_model(self.database)
        self.PeriodicRun = periodic_run_model(self.database)
        #: Messages its workers dead-lettered and who replayed them (shared/mesh/queues.py).
        self.DeadLetterLog = queues.dead_letter_model(self.database)
        #: The user directory every service keeps a copy of (shared/users/store.py).
        self.users = users.Directory(self.database)
        #: Outbound webhooks: endpoints, deliveries, their log (shared/webhooks/fanout.py).
        self.webhooks = Webhooks(self.database)
        #: Who did what, when (shared/audit/store.py).
        self.audit = audit_store.audit_model(self.database)
        #: Per-user request counts of the rate limits (shared/mesh/ratelimit.py).
        self.RateWindow = ratelimit.rate_window_model(self.database)

    @property
    def all_models(self) -> list:
        return [self.Inbox, self.Outbox, self.OutboxMessage, self.PeriodicRun, self.DeadLetterLog, *self.users.models,
                *self.webhooks.models, self.audit, self.RateWindow, *self.models]

    @property
    def all_migrations(self) -> list[Migrations]:
        """The migration steps of this service's database: the features' tables first (a service's
        step may use them, never the reverse), then the service's own."""
        own = self.migrations or Migrations(self.name, {})
        return [outbox.MIGRATIONS, users_migrations.MIGRATIONS, webhooks_migrations.MIGRATIONS,
                audit_migrations.MIGRATIONS, own]

    def bind(self, settings: Settings, *, url: str | None = None, create: bool = True) -> "Service":
        """Binds the database from settings (or `url`) and brings its schema up to date."""
        self.settings = settings
        if self.mailer is None or getattr(self.mailer, "from_settings", False):
            self.mailer = Mailer.from_settings(settings)
        self.database.initialize(database_from_url(url or settings.database_url(self.name)))
        if create:
            with self.connection():
                ensure_schema(self.database, self.all_models, migrations=self.all_migrations)
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
            if uow.emitted:  # the webhook deliveries of the events it produced, in the same transaction
                self.webhooks.add_deliveries(uow.emitted, now=uow.now, uow=uow)
            outbox.add_messages(self.OutboxMessage, uow.messages)
        if uow.emitted or uow.messages:
            for hook in self.on_commit:
                hook()

    def run(self, handler: Callable, /, **kwargs):
        """Gives what `handler(uow=..., **kwargs)` gives, run in one unit of work on a connection.

        The one way an entry point (a route, an actor, a periodic job) calls a handler.
        """
        with self.command() as uow:
            return handler(uow=uow, **kwargs)

    @contextlib.contextmanager
    def command(self):
        """One unit of work on a connection (what `run` opens), for an entry point that records
        more than the handler in the same transaction: a person's command and its audit entry,

            with service.command() as uow:
                task = handlers.record_outcome(uow=uow, ...)
                uow.audit(who, organization=org, action="callback.outcome_recorded", subject=task.id)
        """
        with self.connection(), self.unit_of_work() as uow:
            yield uow

    def handle(self, raw_envelope, *, trusted: bool = False, event: Event | None = None) -> str:
        """Gives "handled", "duplicate" or "ignored" for one delivered envelope.

        `trusted`: the envelope was validated where it entered the mesh (the HTTP route or
        the router) and forwarded by Huifang itself; it is not validated again. `event`: the
        envelope already loaded where it entered (the router's own copy), used as it is.

        Raises:
          InvalidEvent: the envelope or its data is wrong (the worker dead-letters it).
        """
        if event is None:
            event = _trusted_event(raw_envelope) if trusted else load_event(raw_envelope)
        if event.type in INTERNAL_TYPES and not signed_by_us(event.raw, self.settings.verifying_keys):
            # whoever can write to the broker could otherwise make an admin or steal a webhook
            raise InvalidEvent({SIGNATURE_ATTRIBUTE: [
                "internal events must be signed by a service of this installation (HUIFANG_SECRET_KEY)"]},
                "Unsigned internal event")
        token = current_event_id.set(event.id)
        try:
            handler = self.handlers.get(event.type) or SHARED_HANDLERS.get(event.type)
            with self.unit_of_work() as uow:
                if not inbox.claim(self.Inbox, event):
                    log.info("event %s from %s already handled; skipped", event.id, event.source)
                    return "duplicate"
                if handler is None:
                    log.info("event %s of type %s has no handler here; recorded", event.id, event.type)
                    return "ignored"
                handler(uow=uow, event=event)
            log.debug("event %s handled", event.id)
            return "handled"
        finally:
            current_event_id.reset(token)

    def accept(self, envelopes: list[dict], *, posted_by=None) -> None:
        """Stores already validated envelopes in the outbox for relaying (POST /api/v1/events).

        `posted_by`: the person (`login`, `role`) who posted them, not a system: each is recorded
        in the audit log (`event.posted`) in the same transaction.
        """
        with self.database.atomic():
            outbox.add(self.Outbox, envelopes)
            if posted_by is not None:
                at = self.clock()
                for envelope in envelopes:
                    audit_store.record(self.audit, at=at, organization=envelope["organization"],
                                       login=posted_by.login, role=posted_by.role, action="event.posted",
                                       subject=envelope["id"],
                                       detail={"type": envelope["type"], "source": envelope["source"]})
        for hook in self.on_commit:
            hook()


#: Handlers every service has, whatever its own are: the user directory and the webhook endpoints.
SHARED_HANDLERS = {**users.SHARED_HANDLERS, **user_sessions.SHARED_HANDLERS, **webhook_endpoints.SHARED_HANDLERS,
                   **integration_tokens.SHARED_HANDLERS}


def _trusted_event(envelope) -> Event:
    """Gives the event of a forwarded envelope; one that is not what Huifang forwards (a
    hand-made message on a service queue) is validated in full, and refused if bad."""
    try:
        return Event.from_envelope(envelope)
    except Exception:
        return load_event(envelope)
