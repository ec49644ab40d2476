"""Mesh throughput against its floor, measured in the same run (issue 3).

    .venv/bin/python bench/mesh.py [--events 20000] [--threads 4] [--postgres-url URL]

Real path: `events` queue -> router -> every subscribing service's worker -> inbox ->
handler -> commit. Floor: the same number of messages through a raw Dramatiq no-op actor on
the same broker, with the same worker processes (3) and threads.
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
from shared.settings import load_settings  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--postgres-url", help="postgresql://... (a database per service is created)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="huifang-bench-"))
    redis_ = PrivateRedis()
    env = {"HUIFANG_BROKER_URL": redis_.url, "HUIFANG_VAR_DIR": str(folder), "HUIFANG_SECRET_KEY": "b" * 32,
           "PATH": "/usr/bin:/bin"}
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
        print(f"ratio mesh/raw: {rate / floor:.2f} (aim: 0.50 or more)")
        # Where the time goes: an event is one routed message whose worker handles its own
        # service's copy inline, plus one message per other subscriber; the floor is one message.
        messages = len(SERVICES)
        print(f"broker messages per event: {messages} (floor: 1); per message the mesh runs at "
              f"{rate * messages / floor:.2f} of the no-op rate (validation, inbox, handler, commit)")
    finally:
        redis_.close()


if __name__ == "__main__":
    main()
