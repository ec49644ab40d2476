"""The outbox relay: moves unsent outbox rows (shared/mesh/outbox.py) to the broker after commit.

`relay_once` moves unsent rows to the broker and marks them sent; a broker outage leaves them
for the next try; a Redis that comes back without the messages it had accepted gets them again
(`BrokerWatch`). Two relays running at once may both send a row; consumers are idempotent, so
the effect is still once. `Relay` runs the passes in a background thread of the web process.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta, timezone

from shared.core.db import is_postgres
from shared.mesh.outbox import EVENTS_QUEUE, KEEP_SENT, PUBLISH_ACTOR, prune_sent, reoffer, service_actor, service_queue

log = logging.getLogger(__name__)

#: The longest delay handed to the broker (ms); Dramatiq refuses 7 days or more.
MAX_BROKER_DELAY_MS = 6 * 86_400_000

#: How long a relay's claim on outbox rows lasts: the broker's socket timeouts (shared/mesh/broker.py)
#: end a send well before; a relay that died while sending leaves rows another takes over then.
CLAIM_SECONDS = 60


def claim_rows(model, *, where, limit: int, columns=(), now: datetime | None = None) -> list:
    """Gives up to `limit` unsent rows of `model` matching `where`, oldest first, after claiming
    them for CLAIM_SECONDS in a transaction of their own (committed on return).

    Sending happens after this commit: the database's write lock (SQLite)
    or the rows' locks (PostgreSQL) are never held while a slow or silent broker is called, and
    a second relay skips the claimed rows instead of sending them twice.
    """
    database = model._meta.database
    now = now or datetime.now(timezone.utc)
    free = model.sent_at.is_null() & (model.claimed_until.is_null() | (model.claimed_until < now))
    with database.atomic():
        query = model.select(*columns).where(free, *([where] if where is not None else [])).order_by(
            model.id).limit(limit)
        if is_postgres(database):
            query = query.for_update("FOR UPDATE SKIP LOCKED")
        rows = list(query)
        if rows:
            model.update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS)).where(
                model.id.in_([row.id for row in rows])).execute()
    return rows


def record_sent(model, sent_ids: list, failed_ids: list, error: Exception | None) -> None:
    """Marks the rows a relay sent, and releases those it did not (the first failed one counting
    an attempt with the broker's error), in one short transaction."""
    now = datetime.now(timezone.utc)
    with model._meta.database.atomic():
        if sent_ids:
            model.update(sent_at=now, claimed_until=None, attempts=model.attempts + 1).where(
                model.id.in_(sent_ids)).execute()
        if failed_ids:
            model.update(claimed_until=None).where(model.id.in_(failed_ids)).execute()
            if error is not None:
                model.update(attempts=model.attempts + 1, last_error=str(error)[:500]).where(
                    model.id == failed_ids[0]).execute()


def relay_messages_once(OutboxMessage, broker, *, limit: int = 500, now: datetime | None = None) -> int:
    """Gives how many messages were handed to the broker in this pass (delayed ones with their delay)."""
    from dramatiq import Message

    now = now or datetime.now(timezone.utc)
    horizon = now + timedelta(milliseconds=MAX_BROKER_DELAY_MS)
    rows = claim_rows(OutboxMessage, where=OutboxMessage.eta.is_null() | (OutboxMessage.eta <= horizon),
                      limit=limit, now=now)
    sent_ids, error = [], None
    for row in rows:
        delay = int((row.eta - now).total_seconds() * 1000) if row.eta is not None else 0
        try:
            broker.enqueue(Message(queue_name=row.queue_name, actor_name=row.actor_name,
                                   args=tuple(json.loads(row.args)), kwargs={}, options={}),
                           delay=delay if delay > 0 else None)
        except Exception as exc:  # the broker is down: keep the rest for later
            log.warning("outbox relay stopped at message %s (%s): broker unavailable (%s)", row.id,
                        row.actor_name, type(exc).__name__)
            error = exc
            break
        sent_ids.append(row.id)
    if rows:
        record_sent(OutboxMessage, sent_ids, [row.id for row in rows[len(sent_ids):]], error)
    return len(sent_ids)


#: Outbox rows whose messages go to the broker in one round trip.
RELAY_CHUNK = 100


def relay_once(Outbox, broker, *, limit: int = 500, subscribers=None) -> int:
    """Gives how many outbox rows were sent to the broker in this pass.

    `subscribers(type) -> [service, ...]` (from the manifests): each event goes straight to
    the queue of every subscribing service, already validated, one hop instead of two through
    the router. Without it, events go to the router's `events` queue. The rows are claimed and
    committed first, sent, then marked sent (claim_rows): no lock is held while the broker is called.

    Raises nothing for a broker outage: the rows stay unsent and the error is logged.
    """
    from dramatiq import Message  # here, not at import: shared/ stays importable without a broker

    rows = claim_rows(Outbox, where=None, limit=limit,
                      columns=(Outbox.id, Outbox.envelope, Outbox.event_id, Outbox.type))
    sent_ids, error = [], None
    for first in range(0, len(rows), RELAY_CHUNK):
        chunk = rows[first:first + RELAY_CHUNK]
        try:
            messages = []
            for row in chunk:
                body = (json.loads(row.envelope),)
                if subscribers is None:
                    messages.append(Message(queue_name=EVENTS_QUEUE, actor_name=PUBLISH_ACTOR,
                                            args=body, kwargs={}, options={}))
                else:
                    messages += [Message(queue_name=service_queue(name), actor_name=service_actor(name),
                                         args=body, kwargs={}, options={}) for name in subscribers(row.type)]
            enqueue_all(broker, messages)
        except Exception as exc:  # the broker is down: keep this chunk and the rest for later
            error = exc
            log.warning("outbox relay stopped at event %s: broker unavailable (%s)", chunk[0].event_id,
                        type(exc).__name__)
            break
        sent_ids += [row.id for row in chunk]
    if rows:
        record_sent(Outbox, sent_ids, [row.id for row in rows[len(sent_ids):]], error)
    return len(sent_ids)


def enqueue_all(broker, messages: list) -> None:
    """Enqueues messages without delay: in one round trip where the broker can (Redis,
    shared/mesh/broker.py), else one by one.

    Raises:
      whatever the broker raises when it is down (none, some or all may have been enqueued;
      the consumers' inboxes absorb a message enqueued twice).
    """
    many = getattr(broker, "enqueue_all", None)
    if many is not None:
        many(messages)
        return
    for message in messages:
        broker.enqueue(message)


class BrokerWatch:
    """Notices that the broker (Redis) lost messages it had accepted, and re-offers them.

    The outbox marks a row sent once Redis accepted it; a Redis that then comes back without
    its data (data folder lost, a new server) would silently lose those messages. Each service
    keeps a sentinel key in Redis: when it is missing, Redis has lost (or never had) its data,
    and every kept sent row (KEEP_SENT) is re-offered. When Redis restarted with its data (its
    `run_id` changed), the rows sent in the last RESTART_MARGIN before it was last seen alive
    are re-offered: a Redis with `appendfsync everysec` may lose about the last second it
    acknowledged. Brokers other than Redis are not watched (RabbitMQ: durable queues and
    publisher confirms).
    """

    #: Rows sent this long before Redis was last seen alive are re-offered after a restart.
    RESTART_MARGIN = timedelta(seconds=5)

    def __init__(self, broker, name: str):
        self.client = getattr(broker, "client", None)
        self.key = f"{getattr(broker, 'namespace', 'dramatiq')}:__huifang_outbox__.{name}"
        self.name = name
        self.run_id: str | None = None
        self.last_seen: datetime | None = None

    def check(self, Outbox, OutboxMessage=None) -> int:
        """Gives how many rows were re-offered (0 when nothing was lost). Raises what Redis raises."""
        if self.client is None:
            return 0
        now = datetime.now(timezone.utc)
        run_id = self.client.info("server").get("run_id")
        since = None
        if self.client.get(self.key) is None:
            since = now - KEEP_SENT  # empty: everything it held is gone
            why = "Redis has lost its data (or is new)"
        elif self.run_id is not None and run_id != self.run_id and self.last_seen is not None:
            since = self.last_seen - self.RESTART_MARGIN
            why = "Redis restarted"
        count = 0
        if since is not None:
            with Outbox._meta.database.atomic():
                count = reoffer(Outbox, since=since, OutboxMessage=OutboxMessage, now=now)
            # set only once the rows are re-offered: a crash in between re-offers them again
            self.client.set(self.key, now.isoformat())
            if count:
                log.warning("%s: %s; %d outbox rows sent since %s re-offered", self.name, why, count,
                            since.isoformat())
        self.run_id, self.last_seen = run_id, now
        return count


class Relay:
    """A background thread that relays one service's outbox; `nudge()` wakes it at once."""

    def __init__(self, *, Outbox, broker, connect, OutboxMessage=None, idle_seconds: float = 1.0,
                 subscribers=None, name: str | None = None):
        self.Outbox = Outbox
        #: With a name (the service's), the relay also watches the broker for lost data.
        self.watch = BrokerWatch(broker, name) if name else None
        self.subscribers = subscribers
        self.OutboxMessage = OutboxMessage
        self.broker = broker
        self.connect = connect
        self.idle_seconds = idle_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def nudge(self):
        self._wake.set()

    def stop(self):
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    #: How often (s) the relay prunes sent rows.
    PRUNE_EVERY_S = 600

    def _run(self):
        import time

        backoff = self.idle_seconds
        next_prune = time.monotonic()
        while not self._stop.is_set():
            sent = 0
            try:
                with self.connect():
                    if self.watch is not None:
                        self.watch.check(self.Outbox, self.OutboxMessage)
                    sent = relay_once(self.Outbox, self.broker, subscribers=self.subscribers)
                    if self.OutboxMessage is not None:
                        sent += relay_messages_once(self.OutboxMessage, self.broker)
                    if time.monotonic() >= next_prune:
                        next_prune = time.monotonic() + self.PRUNE_EVERY_S
                        models = [m for m in (self.Outbox, self.OutboxMessage) if m is not None]
                        with self.Outbox._meta.database.atomic():
                            prune_sent(*models)
                backoff = self.idle_seconds
            except Exception:
                log.exception("outbox relay pass failed")
                backoff = min(backoff * 2, 30)
            if sent:
                continue  # more may be waiting
            self._wake.wait(backoff)
            self._wake.clear()
