"""A service's worker, composed: the broker with the service's middleware (its database, the
outbox relay, the webhook sender, dead letters recorded, metrics, memory given back), the router and
the service's own actor, the retention job, and the worker host's `/metrics` server.

`services/<name>/actors.py` calls `setup_worker(SERVICE, settings)` and declares its own actors on
the broker it gets.
"""
from __future__ import annotations

import importlib
import logging
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dramatiq
from dramatiq.middleware import Middleware

from shared.core.errors import InvalidEvent
from shared.core.logs import configure_logging
from shared.core.manifest import load_manifests, subscribers
from shared.core.settings import Settings, load_settings_or_exit
from shared.mesh import metrics
from shared.mesh.broker import declare_router, make_broker
from shared.mesh import memory
from shared.mesh.metrics import MetricsMiddleware
from shared.mesh.outbox import service_actor, service_queue
from shared.mesh.relay import Relay
from shared.mesh.periodic import periodic
from shared.mesh.queues import record_dead
from shared.mesh.retention import prune
from shared.webhooks.sender import Sender

log = logging.getLogger(__name__)


class ServiceWorker(Middleware):
    """Binds the service's database in each worker process, opens a connection per message,
    and relays the outbox from a background thread."""

    def __init__(self, service, settings: Settings):
        self.service = service
        self.settings = settings
        self.relay: Relay | None = None
        self.webhooks = None

    def after_process_boot(self, broker):
        self.service.bind(self.settings)

    def after_worker_boot(self, broker, worker):
        self.relay = Relay(Outbox=self.service.Outbox, OutboxMessage=self.service.OutboxMessage, broker=broker,
                           connect=self.service.connection, subscribers=subscribers,
                           name=self.service.name).start()
        self.service.on_commit.append(self.relay.nudge)
        # the organisations' webhooks: threads of their own
        self.webhooks = Sender(self.service).start()
        self.service.on_commit.append(self.webhooks.nudge)

    def before_worker_shutdown(self, broker, worker):
        if self.relay:
            self.relay.stop()
        if self.webhooks:
            self.webhooks.stop()

    def before_process_message(self, broker, message):
        self.service.database.connect(reuse_if_open=True)

    def after_nack(self, broker, message):
        # After DeadLetterReason: the reason is known. On RabbitMQ this row is the only place it is kept.
        try:
            record_dead(self.service, message, message.options.get("dead_letter_reason") or "retries exhausted")
        except Exception:
            log.warning("could not record dead message %s in dead_letter_log", message.message_id, exc_info=True)

    def after_process_message(self, broker, message, *, result=None, exception=None):
        self.service.release()

    after_skip_message = after_process_message


#: How often (s) a service's worker prunes what its retention settings no longer keep.
RETENTION_EVERY_SECONDS = 3600


def setup_worker(service, settings: Settings, *, broker=None) -> dramatiq.Broker:
    """Gives the broker of a service's worker, with the router and the service actor declared."""
    configure_logging()
    memory.limit_arenas()  # before the worker's threads start: glibc's free memory stays in two arenas

    broker = broker or make_broker(settings)
    broker.add_middleware(ServiceWorker(service, settings))
    broker.add_middleware(MetricsMiddleware(service, settings,
                                            forks=[serve_worker_host] if settings.worker_metrics_port else []))
    broker.add_middleware(memory.ReleaseFreeMemory())  # and goes back to the system every 1,000 messages
    watch = memory.from_environment()  # HUIFANG_MEMORY_LOG: a diagnostic of the worker's memory
    if watch is not None:
        broker.add_middleware(watch)
    dramatiq.set_broker(broker)
    declare_router(broker, local=service)
    load_manifests()  # read once here, not per message

    def handle_event(envelope):
        # Copies on a service's queue come from the router or an outbox relay, validated
        # where they entered the mesh.
        with service.connection():
            service.handle(envelope, trusted=True)

    dramatiq.actor(handle_event, actor_name=service_actor(service.name), queue_name=service_queue(service.name),
                   broker=broker, throws=(InvalidEvent,))

    def prune_retained():
        # the retention settings: old inbox ids, periodic slots, raw logs' personal data
        service.run(prune)

    periodic(broker, service, every_seconds=RETENTION_EVERY_SECONDS, name=f"{service.name}_retention")(prune_retained)
    return broker


def serve_worker_host() -> int:
    """Dramatiq's fork of a worker host: answers `/metrics` of the service named on the
    `dramatiq services.<name>.actors` command line, on HUIFANG_WORKER_METRICS_PORT."""
    names = [m.group(1) for arg in sys.argv if (m := re.fullmatch(r"services\.(\w+)\.actors", arg))]
    if not names:
        log.error("worker metrics: no services.<name>.actors on the command line %s", sys.argv)
        return 2
    service = importlib.import_module(f"services.{names[0]}.service").SERVICE
    return serve_forever(service, load_settings_or_exit())


def serve_forever(service, settings) -> int:
    """Answers `/metrics` of a worker host on `HUIFANG_WORKER_METRICS_PORT` until stopped."""
    metrics.configure(settings, service.name, "worker")
    service.bind(settings, create=False)
    broker = make_broker(settings)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            if not metrics.allowed(settings, self.client_address[0], self.headers.get("Authorization")):
                self.send_error(403, "metrics: not from an allowed network (HUIFANG_METRICS_ALLOW) nor with the "
                                     "token (HUIFANG_METRICS_TOKEN)")
                return
            body = metrics.exposition(service, broker)
            self.send_response(200)
            self.send_header("Content-Type", metrics.CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):  # scrapes every few seconds: not worth a log line each
            return

    server = ThreadingHTTPServer((settings.metrics_host, settings.worker_metrics_port), Handler)
    log.info("worker metrics of %s on %s:%s/metrics", service.name, settings.metrics_host,
             settings.worker_metrics_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
