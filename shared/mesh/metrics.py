"""What runs, in Prometheus text format: requests, messages, queues, dead letters, the outbox.

Counters and histograms are kept by the process that counts (a web process per request, a
worker process per message). With `HUIFANG_METRICS_DIR` set, each process writes them into
`<dir>/<service>/<kind>/` (prometheus_client's multiprocess mode; kind `web` or `worker`, one
subfolder per systemd unit), so the several gunicorn and Dramatiq processes of one service on
one host are summed, both subfolders, by whichever process answers `/metrics`. Each unit
empties only its own subfolder when it starts (`python -m ops reset-metrics`), so it
never deletes the live files of the other unit; gunicorn's `child_exit` hook drops a dead web
process's live gauges (`shared.web.gunicorn_conf`).
The broker's queue depths and dead letters and the outbox backlog are not counted anywhere:
they are read when `/metrics` is scraped (`ServiceCollector`), so they are right whichever
process answers and however many workers run.

Where they are answered:
- `GET /metrics` on each web process (shared/web/app.py);
- `HUIFANG_WORKER_METRICS_PORT`: a worker host without the web process answers the same on
  that port, from a process Dramatiq forks beside its workers (`MetricsMiddleware.forks`).

Who may read them (`allowed`): a client from `HUIFANG_METRICS_ALLOW` (networks, default
loopback only), or one sending `Authorization: Bearer <HUIFANG_METRICS_TOKEN>`.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import shutil
import threading
import time
from pathlib import Path

from dramatiq.middleware import Middleware

from shared.mesh import queues

log = logging.getLogger(__name__)

#: Latency buckets (seconds) of requests and messages: a page is ~10-100 ms, a report seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)
#: The content type of the text format.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_lock = threading.Lock()
_metrics: dict | None = None
_multiprocess_dir: Path | None = None


#: The processes of a service, one systemd unit each: each writes into its own subfolder.
KINDS = ("web", "worker")


def service_dir(settings, service_name: str) -> Path | None:
    """Gives the folder where a service's processes on this host write their metrics, if any."""
    if settings.metrics_dir is None:
        return None
    return Path(settings.metrics_dir) / service_name


def kind_dir(settings, service_name: str, kind: str) -> Path | None:
    """Gives the subfolder the `kind` unit's processes (web or worker) of the service write into."""
    if kind not in KINDS:
        raise ValueError(f"a process kind is one of {KINDS}, not {kind!r}")
    folder = service_dir(settings, service_name)
    return None if folder is None else folder / kind


def reset_kind(settings, service_name: str, kind: str) -> Path | None:
    """Empties the `kind` unit's subfolder (its ExecStartPre: the processes that wrote there are
    gone), never the other unit's, whose processes may be running. Gives the folder."""
    folder = kind_dir(settings, service_name, kind)
    if folder is not None:
        reset_folder(folder)
    return folder


def mark_dead(settings, service_name: str, kind: str, pid: int) -> None:
    """Drops the live gauges of a process that ended (gunicorn's child_exit): else a
    `livesum` gauge such as the messages in progress keeps its last value."""
    folder = kind_dir(settings, service_name, kind)
    if folder is not None and folder.is_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, str(folder))


def configure(settings, service_name: str, kind: str = "web") -> None:
    """Sets this process up to count into the service's multiprocess folder, when there is one:
    its `kind`'s subfolder (web or worker), read together with the other's.

    Called once per process before the first metric is touched (the web app factory, the
    worker's process boot). A process that already counts keeps its mode.
    """
    global _multiprocess_dir
    folder = kind_dir(settings, service_name, kind)
    with _lock:
        if folder is None or _metrics is not None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        from prometheus_client import values

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
        values.ValueClass = values.MultiProcessValue()
        _multiprocess_dir = folder


def reset_folder(folder: Path) -> None:
    """Empties a multiprocess folder: before the processes of a service start again (their
    files would add the old counts of processes that are gone)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)


def metrics() -> dict:
    """Gives this process's metrics, created on first use."""
    global _metrics
    with _lock:
        if _metrics is None:
            from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values

            if _multiprocess_dir is None:
                # A PROMETHEUS_MULTIPROC_DIR inherited from a parent process is not ours to write into.
                values.ValueClass = values.MutexValue

            registry = CollectorRegistry(auto_describe=True)
            _metrics = {
                "registry": registry,
                "requests": Counter("huifang_http_requests", "HTTP requests answered, by route and status.",
                                    ["service", "method", "route", "status"], registry=registry),
                "request_seconds": Histogram("huifang_http_request_duration_seconds",
                                             "Time to answer an HTTP request.", ["service", "method", "route"],
                                             buckets=BUCKETS, registry=registry),
                "messages": Counter("huifang_worker_messages", "Messages a worker finished, by outcome "
                                    "(ok, error: it raised; retried or dead-lettered after that).",
                                    ["service", "queue", "actor", "outcome"], registry=registry),
                "retries": Counter("huifang_worker_message_retries", "Failed messages sent back for another try.",
                                   ["service", "queue", "actor"], registry=registry),
                "dead": Counter("huifang_worker_messages_dead_lettered",
                                "Messages moved to the dead-letter queue (no tries left, or invalid).",
                                ["service", "queue", "actor"], registry=registry),
                "message_seconds": Histogram("huifang_worker_message_duration_seconds",
                                             "Time a worker spent on a message.", ["service", "queue", "actor"],
                                             buckets=BUCKETS, registry=registry),
                "in_progress": Gauge("huifang_worker_messages_in_progress", "Messages being worked on now.",
                                     ["service", "queue"], registry=registry, multiprocess_mode="livesum"),
            }
        return _metrics


# -- who may read ------------------------------------------------------------------------

def allowed(settings, remote_addr: str | None, authorization: str | None) -> bool:
    """Gives whether a scrape may read the metrics: from an allowed network, or with the token."""
    token = settings.metrics_token
    if token and authorization and authorization.lower().startswith("bearer "):
        if hmac.compare_digest(authorization[7:].strip().encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address((remote_addr or "").split("%")[0])
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in settings.metrics_allow)


# -- counting ----------------------------------------------------------------------------

#: The HTTP methods counted by name; any other a client sends is counted as "other", so anonymous
#: requests cannot add label values (series) to `/metrics` without bound.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_labels(method: str, status: int) -> tuple[str, str]:
    """Gives the method and status labels of a request, each one of a fixed set of values."""
    method = method if method in METHODS else "other"
    status = str(status) if isinstance(status, int) and 100 <= status <= 599 else "other"
    return method, status


def observe_request(service_name: str, method: str, route: str, status: int, seconds: float) -> None:
    """Counts one answered request; `route` is the matched URL rule (or "(unmatched)"), never the path."""
    m = metrics()
    method, status_label = request_labels(method, status)
    m["requests"].labels(service_name, method, route, status_label).inc()
    m["request_seconds"].labels(service_name, method, route).observe(seconds)


class MetricsMiddleware(Middleware):
    """Counts a worker's messages: finished (ok or error), retried, dead-lettered, and how long
    each took. Added after `Retries`, so a failed message is known to be retried or dead."""

    def __init__(self, service, settings, *, forks=()):
        self.service = service
        self.settings = settings
        self._forks = list(forks)
        self._started: dict[str, float] = {}

    @property
    def forks(self):
        """Dramatiq forks of the worker host (its `/metrics` server: shared/mesh/worker.py)."""
        return self._forks

    def after_process_boot(self, broker):
        configure(self.settings, self.service.name, "worker")

    def before_process_message(self, broker, message):
        self._started[message.message_id] = time.perf_counter()
        metrics()["in_progress"].labels(self.service.name, message.queue_name).inc()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        m = metrics()
        labels = (self.service.name, message.queue_name, message.actor_name)
        started = self._started.pop(message.message_id, None)
        m["in_progress"].labels(self.service.name, message.queue_name).dec()
        if started is not None:
            m["message_seconds"].labels(*labels).observe(time.perf_counter() - started)
        m["messages"].labels(*labels, "ok" if exception is None else "error").inc()
        if exception is not None and not message.failed:
            m["retries"].labels(*labels).inc()

    def after_skip_message(self, broker, message):
        if self._started.pop(message.message_id, None) is not None:
            metrics()["in_progress"].labels(self.service.name, message.queue_name).dec()

    def after_nack(self, broker, message):
        metrics()["dead"].labels(self.service.name, message.queue_name, message.actor_name).inc()


# -- reading -----------------------------------------------------------------------------

class ServiceCollector:
    """Gauges read at scrape time: the broker's queues and dead letters, the outbox backlog.

    A part that does not answer is left out and `huifang_up{part=...}` says 0, so one broken
    part does not hide the others.
    """

    def __init__(self, service, broker):
        self.service = service
        self.broker = broker

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        name = self.service.name
        up = GaugeMetricFamily("huifang_up", "Whether a part answered this scrape (1) or not (0).",
                               labels=["service", "part"])
        depth = GaugeMetricFamily("huifang_queue_depth", "Messages waiting in a queue (ready, delayed).",
                                  labels=["service", "queue", "state"])
        dead = GaugeMetricFamily("huifang_dead_letters", "Messages in a queue's dead-letter queue.",
                                 labels=["service", "queue"])
        try:
            for row in queues.queue_counts(self.broker, queues.service_queue_names(name)):
                depth.add_metric([name, row.queue, "ready"], row.ready)
                depth.add_metric([name, row.queue, "delayed"], row.delayed)
                dead.add_metric([name, row.queue], row.dead)
            up.add_metric([name, "broker"], 1)
        except Exception as exc:
            log.warning("metrics: the broker did not answer: %s", type(exc).__name__)
            up.add_metric([name, "broker"], 0)
        backlog = GaugeMetricFamily("huifang_outbox_backlog", "Outbox rows not yet handed to the broker.",
                                    labels=["service", "kind"])
        age = GaugeMetricFamily("huifang_outbox_oldest_age_seconds",
                                "Age of the oldest outbox row not yet handed to the broker (0: none).",
                                labels=["service", "kind"])
        try:
            with self.service.connection():
                for kind, (count, oldest) in queues.outbox_backlog(self.service).items():
                    backlog.add_metric([name, kind], count)
                    age.add_metric([name, kind], oldest)
            up.add_metric([name, "database"], 1)
        except Exception as exc:
            log.warning("metrics: the database did not answer: %s", type(exc).__name__)
            up.add_metric([name, "database"], 0)
        yield from (up, depth, dead, backlog, age)


def exposition(service, broker) -> bytes:
    """Gives the text of `/metrics`: this host's counters of the service and the scrape-time gauges."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    if _multiprocess_dir is not None:
        from prometheus_client import multiprocess

        registry.register(HostCollector(_multiprocess_dir.parent))
    else:
        registry.register(_Forward(metrics()["registry"]))
    registry.register(ServiceCollector(service, broker))
    return generate_latest(registry)


class HostCollector:
    """The counters of every process of a service on this host: the files of all its units'
    subfolders (`<dir>/<service>/web`, `.../worker`) merged as one."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def collect(self):
        from prometheus_client.multiprocess import MultiProcessCollector

        files = sorted(str(p) for kind in KINDS for p in (self.folder / kind).glob("*.db"))
        return MultiProcessCollector.merge(files, accumulate=True)


class _Forward:
    """Exposes another registry's metrics in ours (single-process mode)."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()
