"""The Dramatiq broker from a URL, with our middleware, in one place.

Redis by default (durability: the Redis `make run` starts has appendonly on; a dead worker's
messages are requeued after `heartbeat_timeout_ms`), RabbitMQ by `amqp://` URL (publisher
confirms on). `setup_worker(service)` declares, on that broker, the router actor `publish` on
the `events` queue and the service's own `<name>_handle_event` actor on the `<name>` queue.
"""
from __future__ import annotations

import json
import logging

import dramatiq
from dramatiq import Message
from dramatiq.errors import DecodeError
from dramatiq.middleware import (AgeLimit, Callbacks, Middleware, Pipelines, Retries, ShutdownNotifications,
                                 TimeLimit)

from shared.core.errors import InvalidEvent
from shared.core.events import load_event
from shared.core.manifest import subscribers
from shared.mesh.outbox import EVENTS_QUEUE, PUBLISH_ACTOR, service_actor, service_queue
from shared.mesh.relay import enqueue_all
from shared.core.settings import Settings

log = logging.getLogger(__name__)

#: Retry backoff bounds (ms): a broken database gets a breather, a blip is retried fast.
MIN_BACKOFF_MS = 500
MAX_BACKOFF_MS = 60_000
#: A handler running longer than this (ms) is interrupted and retried.
TIME_LIMIT_MS = 120_000
#: Longest pause (ms) of an idle Redis consumer between two polls: the latency of a message
#: on an idle queue, against ~10 cheap Redis calls a second per idle queue.
IDLE_POLL_MS = 100
#: Dead-lettered messages are kept this long (ms) for inspection.
DEAD_MESSAGE_TTL_MS = 14 * 86_400_000


class DeadLetterReason(Middleware):
    """Writes why a message was dead-lettered next to it (Redis) and in the log."""

    def after_nack(self, broker, message):
        reason = message.options.get("dead_letter_reason") or "retries exhausted"
        log.error("message %s on %s dead-lettered: %s", message.message_id, message.queue_name, reason)
        client = getattr(broker, "client", None)
        redis_id = message.options.get("redis_message_id")
        if client is None or redis_id is None:
            return
        body = json.loads(message.encode())
        body.setdefault("options", {})["dead_letter_reason"] = reason
        queue = message.queue_name
        client.hset(f"{broker.namespace}:{queue}.XQ.msgs", redis_id, json.dumps(body, ensure_ascii=False))

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if exception is not None and isinstance(exception, InvalidEvent):
            message.options["dead_letter_reason"] = f"{exception.title}: {json.dumps(exception.errors, ensure_ascii=False)}"
        elif exception is not None:
            message.options["dead_letter_reason"] = f"{type(exception).__name__}: {exception}"


#: How much of an undecodable message's body is kept beside its dead letter (characters).
UNDECODABLE_KEEP_CHARS = 10_000


def dead_letter_undecodable(broker, queue_name: str, data, error) -> str | None:
    """Moves a fetched message that cannot be decoded to the queue's dead-letter queue (Redis).

    Dramatiq hands the consumer bodies without their ids: the id is the one among this
    consumer's unacknowledged messages whose stored body is `data`. Its dead letter is written
    in the shape DeadLetterReason writes (a Dramatiq message whose `options` hold the
    `dead_letter_reason`), with the body it could not read in `options.undecodable_body`
    (UTF-8 with invalid bytes escaped, cut to UNDECODABLE_KEEP_CHARS). Gives the id, or None
    when the message was already gone (another consumer dead-lettered it).
    """
    from dramatiq.common import current_millis

    client = broker.client
    raw = data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogatepass")
    acks = f"{broker.namespace}:__acks__.{broker.broker_id}.{queue_name}"
    ids = sorted(client.smembers(acks))
    bodies = client.hmget(f"{broker.namespace}:{queue_name}.msgs", ids) if ids else []
    redis_id = next((i for i, body in zip(ids, bodies) if body == raw), None)
    reason = f"undecodable message: {type(error).__name__}: {str(error)[:300]}"
    if redis_id is None:
        log.error("undecodable message on %s already gone: %s", queue_name, reason)
        return None
    redis_id = redis_id.decode() if isinstance(redis_id, bytes) else redis_id
    canonical = queue_name[:-3] if queue_name.endswith(".DQ") else queue_name
    text = raw.decode("utf-8", "backslashreplace")
    letter = {"queue_name": canonical, "actor_name": PUBLISH_ACTOR if canonical == EVENTS_QUEUE else
              service_actor(canonical), "args": [], "kwargs": {}, "message_id": redis_id,
              "message_timestamp": current_millis(),
              "options": {"redis_message_id": redis_id, "dead_letter_reason": reason,
                          "undecodable_body": text[:UNDECODABLE_KEEP_CHARS], "undecodable_bytes": len(raw)}}
    import redis

    # Dramatiq's own nack moves it to the dead-letter queue; the letter with its reason replaces
    # the body there in the same MULTI, so a reader never sees the bare body.
    pipe = client.pipeline(transaction=True)
    pipe.execute_command("EVALSHA", broker.scripts["dispatch"].sha, 1, broker.namespace, "nack", current_millis(),
                         queue_name, broker.broker_id, broker.heartbeat_timeout, broker.dead_message_ttl, 0,
                         broker._max_unpack_size(), redis_id)
    pipe.hset(f"{broker.namespace}:{canonical}.XQ.msgs", redis_id, json.dumps(letter, ensure_ascii=False))
    try:
        pipe.execute()
    except redis.exceptions.NoScriptError:  # Redis restarted since the fetch: the slow way, which loads it
        broker.do_nack(queue_name, redis_id)
        client.hset(f"{broker.namespace}:{canonical}.XQ.msgs", redis_id, json.dumps(letter, ensure_ascii=False))
    log.error("message %s on %s dead-lettered: %s", redis_id, queue_name, reason)
    return redis_id


def _redis_broker_class():
    import redis
    from dramatiq.brokers.redis import RedisBroker, _RedisConsumer

    class ContractConsumer(_RedisConsumer):
        """Accepts messages enqueued by non-Dramatiq producers as CONTRACT.md spells them out:
        they are stored under their `message_id` and carry no `redis_message_id` option."""

        def __next__(self):
            try:
                proxy = super().__next__()
            except DecodeError as error:
                # Not a Dramatiq message at all (invalid JSON, non-UTF-8 bytes, no `args`...):
                # Dramatiq would leave it (and the rest of its prefetched batch) with this
                # consumer for good; it goes to the dead-letter queue with the reason instead.
                dead_letter_undecodable(self.broker, self.queue_name, error.data, error.error)
                return None
            if proxy is not None and "redis_message_id" not in proxy.options:
                proxy.options["redis_message_id"] = proxy.message_id
            return proxy

    class ContractRedisBroker(RedisBroker):
        @property
        def consumer_class(self):
            return ContractConsumer

        def enqueue_all(self, messages) -> None:
            """Enqueues messages (without delay) in one round trip to Redis.

            The router's copies of one event, or an outbox relay's batch, go in one pipeline
            of the same script `enqueue` runs, instead of one round trip each. When Redis does
            not know the script yet (it restarted), they are enqueued one by one, which loads it.
            """
            from uuid import uuid4

            from dramatiq.common import current_millis

            messages = [m.copy(options={"redis_message_id": str(uuid4())}) for m in messages]
            if not messages:
                return
            dispatch = self.scripts["dispatch"]
            pipe = self.client.pipeline(transaction=False)
            for message in messages:
                self.emit_before("enqueue", message, None)
                pipe.execute_command(
                    "EVALSHA", dispatch.sha, 1, self.namespace, "enqueue", current_millis(), message.queue_name,
                    self.broker_id, self.heartbeat_timeout, self.dead_message_ttl,
                    self._should_do_maintenance("enqueue"), self._max_unpack_size(),
                    message.options["redis_message_id"], message.encode())
            try:
                pipe.execute()
            except redis.exceptions.NoScriptError:
                for message in messages:
                    self.do_enqueue(message.queue_name, message.options["redis_message_id"], message.encode())
            for message in messages:
                self.emit_after("enqueue", message, None)

        def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000):
            # An idle consumer polls Redis with a backoff that grows up to `timeout`; capped
            # here, a message on an idle queue waits at most IDLE_POLL_MS instead of a second.
            return super().consume(queue_name, prefetch, min(timeout, IDLE_POLL_MS))

    return ContractRedisBroker


#: Seconds a broker connection may take to connect, and to answer a command:
#: a broker that accepts connections but never answers fails an enqueue in seconds, not never, so
#: a relay gives its claimed rows back soon. A URL that names its own (`?socket_timeout=`) keeps them.
BROKER_CONNECT_TIMEOUT_S = 2
BROKER_SOCKET_TIMEOUT_S = 5


def with_socket_timeouts(url: str) -> str:
    """Gives a Redis or RabbitMQ URL with short socket timeouts added where it names none
    (Redis: socket_timeout, socket_connect_timeout; RabbitMQ/pika: socket_timeout,
    stack_timeout, blocked_connection_timeout)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if parts.scheme in ("amqp", "amqps"):
        wanted = {"socket_timeout": BROKER_CONNECT_TIMEOUT_S, "stack_timeout": BROKER_SOCKET_TIMEOUT_S,
                  "blocked_connection_timeout": BROKER_SOCKET_TIMEOUT_S}
    else:
        wanted = {"socket_connect_timeout": BROKER_CONNECT_TIMEOUT_S, "socket_timeout": BROKER_SOCKET_TIMEOUT_S}
    for name, value in wanted.items():
        query.setdefault(name, str(value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def make_broker(settings: Settings, *, extra_middleware=()) -> dramatiq.Broker:
    """Gives a broker for `settings.broker_url`; nothing connects until it is used."""
    middleware = [
        AgeLimit(),
        TimeLimit(time_limit=TIME_LIMIT_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=settings.max_retries, min_backoff=MIN_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS),
        DeadLetterReason(),
        *extra_middleware,
    ]
    url = settings.broker_url
    if url.startswith("stub://"):
        # Tests of one actor (testkit/doubles.py); never the proof that the mesh works.
        from dramatiq.brokers.stub import StubBroker

        return StubBroker(middleware=middleware)
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=with_socket_timeouts(url), confirm_delivery=True, middleware=middleware)
    url = with_socket_timeouts(url)
    return _redis_broker_class()(url=url, middleware=middleware, heartbeat_timeout=settings.heartbeat_timeout_ms,
                       maintenance_chance=settings.maintenance_chance, dead_message_ttl=DEAD_MESSAGE_TTL_MS)


def route(envelope, broker, manifests=None, *, local=None) -> list[str]:
    """Gives the services an envelope was fanned out to (one message each).

    `local` is the service whose worker runs the router: its own copy is handled right here,
    which saves one broker round trip per event. A failure there retries the whole routing;
    the other services' inboxes absorb the repeated copies.

    Raises:
      InvalidEvent: unknown type or bad data; the router dead-letters it.
    """
    event = load_event(envelope)
    envelope = event.raw
    targets = subscribers(envelope["type"], manifests)
    enqueue_all(broker, [Message(queue_name=service_queue(name), actor_name=service_actor(name),
                                 args=(envelope,), kwargs={}, options={})
                         for name in targets if local is None or name != local.name])
    log.debug("event %s (%s) routed to %s", envelope["id"], envelope["type"], targets or "no service")
    if local is not None and local.name in targets:
        with local.connection():
            local.handle(envelope, event=event)
    return targets


def declare_router(broker, *, local=None) -> dramatiq.Actor:
    """Declares the `publish` actor on the `events` queue (CONTRACT.md)."""

    def publish(envelope):
        route(envelope, broker, local=local)

    return dramatiq.actor(publish, actor_name=PUBLISH_ACTOR, queue_name=EVENTS_QUEUE, broker=broker,
                          throws=(InvalidEvent,))
