"""Mesh throughput against its floor, and an event's latency, measured in the same run.

    .venv/bin/python bench/mesh.py [--events 20000] [--threads 4] [--postgres-url URL]
                                   [--latency-events 100] [--rate 30]

Throughput. Real path: `events` queue -> router -> every subscribing service's worker ->
inbox -> handler -> commit. Floor: the same number of messages through a raw Dramatiq no-op
actor on the same broker, with the same worker processes (3) and threads.

Latency: `complaint.raised` posted over HTTP to the scheduler's `POST /api/v1/events`, timed
until the complaint is readable through the complaints service's API (`GET
/api/v1/complaints/<id>`): once on an idle mesh (one event at a time), once at `--rate`
events per second.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PrivateRedis, enqueue_raw, raw_messages, start_worker, stop_worker, wait_until  # noqa: E402
from shared.core.settings import load_settings  # noqa: E402

SERVICES = ("scheduler", "complaints", "reporting")
#: customer.updated goes to all three services and its handlers only upsert a customer row:
#: the closest contract event to a no-op handler.
EVENT_TYPE = "customer.updated"


def envelopes(n: int) -> list[dict]:
    return [{"specversion": "1.0", "id": f"bench-{i}", "type": EVENT_TYPE, "source": "bench://mesh",
             "organization": "bench", "data": {"customer": {"id": f"C{i % 5000}", "name": f"客户{i % 5000}"}}}
            for i in range(n)]


def run_floor(redis_, env, n, threads, folder) -> float:
    worker = start_worker("bench.noop_actors", ["bench_noop"], env=env, processes=len(SERVICES), threads=threads,
                          log=folder / "noop.log")
    try:
        warm = raw_messages("bench_noop", "noop", [{"warm": True}])
        enqueue_raw(redis_.client, "bench_noop", warm)
        wait_until(lambda: redis_.client.hlen("dramatiq:bench_noop.msgs") == 0, timeout=60, what="noop warm-up")
        messages = raw_messages("bench_noop", "noop", envelopes(n))
        started = time.perf_counter()
        enqueue_raw(redis_.client, "bench_noop", messages)
        wait_until(lambda: redis_.client.hlen("dramatiq:bench_noop.msgs") == 0, timeout=1800, interval=0.02,
                   what="noop drain")
        return n / (time.perf_counter() - started)
    finally:
        stop_worker(worker)


def run_mesh(redis_, env, n, threads, folder) -> tuple[float, dict]:
    settings = load_settings(env)
    services = {}
    for name in SERVICES:
        service = importlib.import_module(f"services.{name}.service").SERVICE
        service.bind(settings)
        services[name] = service
    workers = [start_worker(f"services.{name}.actors", ["events", name], env=env, processes=1, threads=threads,
                            log=folder / f"{name}.log") for name in SERVICES]

    def handled() -> dict:
        counts = {}
        for name, service in services.items():
            with service.connection():
                counts[name] = service.Inbox.select().where(service.Inbox.source == "bench://mesh").count()
        return counts

    try:
        warm = envelopes(1)
        warm[0]["id"] = "bench-warm"
        enqueue_raw(redis_.client, "events", raw_messages("events", "publish", warm))
        wait_until(lambda: all(v >= 1 for v in handled().values()), timeout=60, what="mesh warm-up")
        messages = raw_messages("events", "publish", envelopes(n))
        started = time.perf_counter()
        enqueue_raw(redis_.client, "events", messages)
        wait_until(lambda: all(v >= n + 1 for v in handled().values()), timeout=3600, interval=0.25,
                   what="mesh drain")
        elapsed = time.perf_counter() - started
        return n / elapsed, handled()
    finally:
        for worker in workers:
            stop_worker(worker)


def _serve(app):
    """Gives (url, server) of a real HTTP server for `app` in a thread."""
    import threading

    import logging

    from werkzeug.serving import make_server

    from ops.infra import free_port

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}", server


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_latency(env, threads, folder, *, events: int, rate: float) -> dict:
    """Gives the latency figures (ms) of complaint.raised from HTTP to the complaints API."""
    import os
    import threading
    import uuid

    import json
    import urllib.error
    import urllib.request

    from shared.web.auth import issue_token

    os.environ.update(env)
    settings = load_settings(env)
    workers = [start_worker(f"services.{name}.actors", [name, "events"], env=env, processes=1, threads=threads,
                            log=folder / f"{name}-latency.log") for name in SERVICES]
    servers = []
    try:
        urls = {}
        for name in ("scheduler", "complaints"):
            app = importlib.import_module(f"services.{name}.app").create_app({"HUIFANG_SETTINGS": settings})
            urls[name], server = _serve(app)
            servers.append(server)
        post_headers = {"Authorization": f"Bearer {settings.api_token}"}
        read_headers = {"Authorization": "Bearer " + issue_token(settings.secret_key, login="bench", role="manager",
                                                                  organization="bench")}
        def call(method: str, url: str, headers: dict, body=None) -> int:
            data = json.dumps(body).encode() if body is not None else None
            request = urllib.request.Request(url, data=data, method=method,
                                             headers={**headers, "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    return answer.status
            except urllib.error.HTTPError as error:
                return error.code

        def one() -> float:
            complaint_id = f"L-{uuid.uuid4().hex[:12]}"
            envelope = {"specversion": "1.0", "id": f"lat-{complaint_id}", "type": "complaint.raised",
                        "source": "bench://latency", "organization": "bench",
                        "data": {"complaint_id": complaint_id, "customer": {"id": "C-1", "name": "华东电力"},
                                 "description": "维修后仍漏水", "source": "hotline"}}
            started = time.perf_counter()
            status = call("POST", f"{urls['scheduler']}/api/v1/events", post_headers, envelope)
            assert status == 202, status
            deadline = started + 30
            while time.perf_counter() < deadline:
                if call("GET", f"{urls['complaints']}/api/v1/complaints/{complaint_id}", read_headers) == 200:
                    return (time.perf_counter() - started) * 1000
                time.sleep(0.005)
            raise SystemExit(f"bench: complaint {complaint_id} never became readable")

        for _ in range(3):  # warm-up: connections, caches, the first complaint of the organisation
            one()
        idle = []
        for _ in range(events):
            idle.append(one())
            time.sleep(0.3)  # the mesh goes idle between two events
        loaded: list[float] = []
        lock = threading.Lock()

        def timed():
            value = one()
            with lock:
                loaded.append(value)

        running = []
        started = time.perf_counter()
        for i in range(int(rate * max(5, events / rate))):
            pause = started + i / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            thread = threading.Thread(target=timed)
            thread.start()
            running.append(thread)
        for thread in running:
            thread.join(60)
        return {"idle_p50": _percentile(idle, 0.5), "idle_p95": _percentile(idle, 0.95),
                "load_p50": _percentile(loaded, 0.5), "load_p95": _percentile(loaded, 0.95),
                "load_n": len(loaded)}
    finally:
        for server in servers:
            server.shutdown()
        for worker in workers:
            stop_worker(worker)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--postgres-url", help="postgresql://... (a database per service is created)")
    parser.add_argument("--latency-events", type=int, default=100, help="events timed one at a time (0: skip)")
    parser.add_argument("--rate", type=float, default=30.0, help="events per second of the loaded latency run")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="huifang-bench-"))
    redis_ = PrivateRedis()
    env = {"HUIFANG_BROKER_URL": redis_.url, "HUIFANG_VAR_DIR": str(folder), "HUIFANG_SECRET_KEY": "b" * 32,
           "HUIFANG_API_TOKEN": "bench-integration-token-" + "x" * 16, "PATH": "/usr/bin:/bin"}
    import os

    env = {**os.environ, **env}
    for name in SERVICES:
        if args.postgres_url:
            import psycopg2

            db = f"bench_{name}_{int(time.time())}"
            conn = psycopg2.connect(args.postgres_url)
            conn.autocommit = True
            conn.cursor().execute(f'CREATE DATABASE "{db}"')
            conn.close()
            env[f"HUIFANG_{name.upper()}_DATABASE_URL"] = args.postgres_url.rsplit("/", 1)[0] + "/" + db
        else:
            env[f"HUIFANG_{name.upper()}_DATABASE_URL"] = f"sqlite:///{folder / (name + '.db')}"
    try:
        print(f"mesh bench: {args.events} events of {EVENT_TYPE} to {len(SERVICES)} services, "
              f"{len(SERVICES)} worker processes x {args.threads} threads, "
              f"{'PostgreSQL' if args.postgres_url else 'SQLite'}, Redis at {redis_.url}", flush=True)
        floor = run_floor(redis_, env, args.events, args.threads, folder)
        print(f"raw Dramatiq no-op actor: {floor:,.0f} messages/s", flush=True)
        rate, counts = run_mesh(redis_, env, args.events, args.threads, folder)
        print(f"mesh (router + {len(SERVICES)} subscribers, inbox, handler, commit): {rate:,.0f} events/s "
              f"({rate * len(SERVICES):,.0f} deliveries/s); handled {counts}")
        # An event is one routed message whose worker handles its own service's copy inline,
        # plus one message per other subscriber: one delivery per subscriber, against one
        # no-op message of the floor.
        aim = 0.50 if args.postgres_url else 0.70
        print(f"per delivery the mesh runs at {rate * len(SERVICES) / floor:.2f} of the no-op rate "
              f"(aim: {aim:.2f} or more); events/raw messages: {rate / floor:.2f}")
        if args.latency_events:
            figures = run_latency(env, args.threads, folder, events=args.latency_events, rate=args.rate)
            print(f"latency HTTP post -> readable in the subscriber's API: idle p50 {figures['idle_p50']:.0f} ms, "
                  f"p95 {figures['idle_p95']:.0f} ms; at {args.rate:.0f} events/s ({figures['load_n']} events) "
                  f"p50 {figures['load_p50']:.0f} ms, p95 {figures['load_p95']:.0f} ms (aim: p95 under 300 ms)")
    finally:
        redis_.close()


if __name__ == "__main__":
    main()
