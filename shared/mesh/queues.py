"""The broker's queues as an operator sees them: depths, dead letters, replays; the outbox backlog.

One interface for both brokers (shared/mesh/broker.py):
- Redis: a queue is the list `<ns>:<queue>` (delayed: `<ns>:<queue>.DQ`); a dead message is in
  the sorted set `<ns>:<queue>.XQ` with its body in the hash `<ns>:<queue>.XQ.msgs`, carrying
  `options.dead_letter_reason` (DeadLetterReason, shared/mesh/broker.py).
- RabbitMQ: the queues `<queue>`, `<queue>.DQ` and `<queue>.XQ`; a dead message's body is the
  message as it was delivered, so its reason is read from the service's `dead_letter_log`.

Every worker also writes a `dead` row into its service's `dead_letter_log` when it dead-letters
a message, and `replay` writes a `replayed` row (who, when): the record of who sent what back.

A replay is atomic per message: on Redis one transaction (WATCH/MULTI) takes the message out of
the dead-letter queue and puts it back on its queue, so a second replay of the same id finds
nothing; on RabbitMQ one channel transaction publishes it and acknowledges its dead copy.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

import peewee

from shared.core.errors import NotFound
from shared.mesh.outbox import EVENTS_QUEUE, service_queue
from shared.core.fields import UTCDateTimeField

log = logging.getLogger(__name__)

#: The most dead messages one listing reads (a RabbitMQ listing holds them while it reads).
LIST_LIMIT = 1000


def dead_letter_model(database) -> type[peewee.Model]:
    """Gives the table of dead-lettered and replayed messages of one service's database."""
    class DeadLetterLog(peewee.Model):
        #: `dead` (a worker dead-lettered it) or `replayed` (someone sent it back).
        entry = peewee.CharField(max_length=10)
        message_id = peewee.CharField(max_length=64, index=True)
        queue_name = peewee.CharField(max_length=100)
        actor_name = peewee.CharField(max_length=100)
        reason = peewee.TextField(default="")
        #: Who replayed it (REPLAYED_BY, else the login of the shell); empty for `dead`.
        replayed_by = peewee.CharField(max_length=100, default="")
        at = UTCDateTimeField()

        class Meta:
            table_name = "dead_letter_log"

    DeadLetterLog._meta.set_database(database)
    return DeadLetterLog


def service_queue_names(service_name: str) -> list[str]:
    """Gives the queues a service's workers consume: the router's `events` and its own."""
    return [EVENTS_QUEUE, service_queue(service_name)]


@dataclass
class QueueCount:
    queue: str
    ready: int
    delayed: int
    dead: int


@dataclass
class DeadMessage:
    message_id: str
    queue: str
    actor: str
    reason: str
    dead_at: datetime | None
    body: dict


def _is_rabbit(broker) -> bool:
    return type(broker).__name__ == "RabbitmqBroker" or hasattr(broker, "parameters")


def queue_counts(broker, queue_names: list[str]) -> list[QueueCount]:
    """Gives the waiting, delayed and dead messages of each queue."""
    if _is_rabbit(broker):
        return [QueueCount(q, *_rabbit_counts(broker, q)) for q in queue_names]
    client, ns = broker.client, broker.namespace
    pipe = client.pipeline(transaction=False)
    for q in queue_names:
        pipe.llen(f"{ns}:{q}")
        pipe.llen(f"{ns}:{q}.DQ")
        pipe.zcard(f"{ns}:{q}.XQ")
    values = pipe.execute()
    return [QueueCount(q, *values[i * 3:i * 3 + 3]) for i, q in enumerate(queue_names)]


def _rabbit_channel(broker):
    import pika

    connection = pika.BlockingConnection(broker.parameters[0] if isinstance(broker.parameters, list)
                                         else broker.parameters)
    return connection, connection.channel()


def _rabbit_counts(broker, queue: str) -> tuple[int, int, int]:
    import pika

    counts = []
    connection, channel = _rabbit_channel(broker)
    try:
        for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
            try:
                counts.append(channel.queue_declare(name, passive=True).method.message_count)
            except pika.exceptions.ChannelClosedByBroker:  # not declared yet: nobody used it
                counts.append(0)
                channel = connection.channel()
    finally:
        connection.close()
    return tuple(counts)


def outbox_backlog(service, *, now: datetime | None = None) -> dict:
    """Gives {"event": (count, oldest age s), "message": (...)}: rows due but not yet sent."""
    now = now or datetime.now(timezone.utc)
    Outbox, Message = service.Outbox, service.OutboxMessage
    pending = Outbox.select().where(Outbox.sent_at.is_null())
    oldest = pending.select(peewee.fn.MIN(Outbox.created_at)).scalar()
    due = Message.select().where(Message.sent_at.is_null() & (Message.eta.is_null() | (Message.eta <= now)))
    oldest_message = min([v for v in (
        due.where(Message.eta.is_null()).select(peewee.fn.MIN(Message.created_at)).scalar(),
        due.where(Message.eta.is_null(False)).select(peewee.fn.MIN(Message.eta)).scalar()) if v], default=None)

    def age(value) -> float:
        if value is None:
            return 0.0
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return max(0.0, (now - value).total_seconds())

    return {"event": (pending.count(), age(oldest)), "message": (due.count(), age(oldest_message))}


# -- dead letters ------------------------------------------------------------------------

def record_dead(service, message, reason: str) -> None:
    """Writes a `dead` row for a message a worker just dead-lettered (its own transaction)."""
    with service.connection(), service.database.atomic():
        service.DeadLetterLog.create(entry="dead", message_id=message.message_id, queue_name=message.queue_name,
                                     actor_name=message.actor_name, reason=reason[:2000],
                                     at=datetime.now(timezone.utc))


def _reasons(service, ids: list[str]) -> dict:
    if service is None or not ids:
        return {}
    Log = service.DeadLetterLog
    rows = Log.select().where((Log.entry == "dead") & Log.message_id.in_(ids)).order_by(Log.at)
    return {row.message_id: row.reason for row in rows}


def list_dead(broker, queue_names: list[str], *, service=None, limit: int = LIST_LIMIT) -> list[DeadMessage]:
    """Gives the dead messages of the queues, oldest first, each with why it died."""
    found: list[DeadMessage] = []
    for queue in queue_names:
        if _is_rabbit(broker):
            found += _rabbit_dead(broker, queue, limit)
        else:
            found += _redis_dead(broker, queue, limit)
    reasons = _reasons(service, [d.message_id for d in found if not d.reason])
    for dead in found:
        dead.reason = dead.reason or reasons.get(dead.message_id, "") or "(not recorded: see the worker's log)"
    return found


def _redis_dead(broker, queue: str, limit: int) -> list[DeadMessage]:
    client, ns = broker.client, broker.namespace
    ids = client.zrange(f"{ns}:{queue}.XQ", 0, limit - 1, withscores=True)
    if not ids:
        return []
    bodies = client.hmget(f"{ns}:{queue}.XQ.msgs", [i for i, _ in ids])
    found = []
    for (redis_id, score), raw in zip(ids, bodies):
        if raw is None:
            continue
        body = json.loads(raw)
        options = body.get("options") or {}
        found.append(DeadMessage(message_id=body.get("message_id") or _text(redis_id), queue=queue,
                                 actor=body.get("actor_name", ""), reason=options.get("dead_letter_reason", ""),
                                 dead_at=datetime.fromtimestamp(score / 1000, timezone.utc), body=body))
    return found


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _rabbit_dead(broker, queue: str, limit: int) -> list[DeadMessage]:
    import pika

    connection, channel = _rabbit_channel(broker)
    found = []
    try:
        for _ in range(limit):
            try:
                method, properties, raw = channel.basic_get(f"{queue}.XQ", auto_ack=False)
            except pika.exceptions.ChannelClosedByBroker:
                break  # no dead-letter queue yet
            if method is None:
                break
            body = json.loads(raw)
            found.append(DeadMessage(message_id=body.get("message_id", ""), queue=queue,
                                     actor=body.get("actor_name", ""),
                                     reason=(body.get("options") or {}).get("dead_letter_reason", ""),
                                     dead_at=_x_death_time(properties), body=body))
    finally:
        connection.close()  # the unacknowledged messages go back to the dead-letter queue, as they were
    return found


def _x_death_time(properties):
    deaths = (properties.headers or {}).get("x-death") or []
    moment = deaths[0].get("time") if deaths else None
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return None


def _revived(body: dict, queue: str) -> dict:
    """Gives the body a dead message goes back with: its tries and reason forgotten."""
    body = dict(body)
    options = dict(body.get("options") or {})
    for key in ("retries", "dead_letter_reason", "traceback", "eta"):
        options.pop(key, None)
    body["options"] = options
    body["queue_name"] = queue
    return body


def replay(broker, queue_names: list[str], *, service, who: str, message_id: str | None = None) -> list[str]:
    """Gives the ids of the dead messages sent back to their queues: `message_id`, or every one.

    Each goes back once: it leaves the dead-letter queue in the same broker transaction that
    puts it back, and a `replayed` row (who, when) is written in the service's database.

    Raises:
      NotFound: `message_id` is not (or no longer) in a dead-letter queue of these queues.
    """
    replayed: list[tuple[str, str, str]] = []
    for queue in queue_names:
        if _is_rabbit(broker):
            replayed += _rabbit_replay(broker, queue, message_id)
        else:
            replayed += _redis_replay(broker, queue, message_id)
    if message_id is not None and not replayed:
        Log = service.DeadLetterLog
        with service.connection():
            before = (Log.select().where((Log.entry == "replayed") & (Log.message_id == message_id))
                      .order_by(Log.at.desc()).first())
        already = f" (replayed by {before.replayed_by} at {before.at:%Y-%m-%d %H:%M:%S} UTC)" if before else ""
        raise NotFound(f"No dead message {message_id} in {', '.join(q + '.XQ' for q in queue_names)}{already}.")
    now = datetime.now(timezone.utc)
    if replayed:
        with service.connection(), service.database.atomic():
            for mid, queue, actor in replayed:
                service.DeadLetterLog.create(entry="replayed", message_id=mid, queue_name=queue, actor_name=actor,
                                             replayed_by=who[:100], at=now)
                log.info("dead message %s of %s (%s) replayed by %s", mid, queue, actor, who)
    return [mid for mid, _, _ in replayed]


def _redis_replay(broker, queue: str, message_id: str | None) -> list[tuple[str, str, str]]:
    import redis

    client, ns = broker.client, broker.namespace
    xq, xq_msgs = f"{ns}:{queue}.XQ", f"{ns}:{queue}.XQ.msgs"
    if message_id is None:
        candidates = [_text(i) for i in client.zrange(xq, 0, -1)]
    else:
        # The listing shows Dramatiq's message id; the dead-letter queue keys by the Redis id.
        candidates = [message_id] if client.hexists(xq_msgs, message_id) else [
            _text(rid) for rid, raw in client.hscan_iter(xq_msgs)
            if json.loads(raw).get("message_id") == message_id]
    done = []
    for redis_id in candidates:
        outcome = {}

        def move(pipe):
            raw = pipe.hget(xq_msgs, redis_id)
            if raw is None:
                return  # another replay took it first
            body = _revived(json.loads(raw), queue)
            pipe.multi()
            pipe.zrem(xq, redis_id)
            pipe.hdel(xq_msgs, redis_id)
            pipe.hset(f"{ns}:{queue}.msgs", redis_id, json.dumps(body, ensure_ascii=False))
            pipe.rpush(f"{ns}:{queue}", redis_id)
            outcome["body"] = body

        try:
            client.transaction(move, xq_msgs)
        except redis.WatchError:  # pragma: no cover - transaction() retries on its own
            continue
        if "body" in outcome:
            done.append((outcome["body"].get("message_id", redis_id), queue, outcome["body"].get("actor_name", "")))
    return done


def _rabbit_replay(broker, queue: str, message_id: str | None) -> list[tuple[str, str, str]]:
    import pika

    connection, channel = _rabbit_channel(broker)
    done = []
    try:
        channel.tx_select()
        for _ in range(LIST_LIMIT):
            try:
                method, properties, raw = channel.basic_get(f"{queue}.XQ", auto_ack=False)
            except pika.exceptions.ChannelClosedByBroker:
                break
            if method is None:
                break
            body = json.loads(raw)
            if message_id is not None and body.get("message_id") != message_id:
                continue  # left unacknowledged: back to the dead-letter queue when the channel closes
            revived = _revived(body, queue)
            channel.basic_publish(exchange="", routing_key=queue, body=json.dumps(revived).encode(),
                                  properties=pika.BasicProperties(delivery_mode=2,
                                                                  priority=(properties.priority or None)))
            channel.basic_ack(method.delivery_tag)
            done.append((body.get("message_id", ""), queue, body.get("actor_name", "")))
            if message_id is not None:
                break
        channel.tx_commit()  # the publishes and the acknowledgements together
    finally:
        connection.close()
    return done
