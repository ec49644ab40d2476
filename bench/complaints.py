"""Complaint sweep and intake figures.

    .venv/bin/python bench/complaints.py [--open 100000] [--late 1000] [--raise 5000] [--postgres-url URL]

1. 100,000 open complaints, 1,000 of them past a deadline: the time of one sweep (which
   escalates the 1,000) and of the next one (nothing due), and the query plan of the sweep's
   selection (it must use the `next_sweep_at` index, not scan the table); then the relay of
   the 1,000 wake-ups the sweep wrote (outbox messages, to a broker that only counts them).
2. Complaints raised through the queue: `complaint.raised` envelopes enqueued raw on `events`
   (CONTRACT.md) -> router -> the complaints worker -> one complaint each; complaints per second.

SQLite always; PostgreSQL too when --postgres-url or HUIFANG_TEST_POSTGRES_URL is given
(`python -m ops with-postgres -- .venv/bin/python bench/complaints.py`).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PrivateRedis, enqueue_raw, raw_messages, start_worker, stop_worker, wait_until  # noqa: E402
from shared.core.db import is_postgres  # noqa: E402
from shared.core.settings import load_settings  # noqa: E402

CST = timezone(timedelta(hours=8))
#: The moment of the measured sweep: Monday 2026-11-23 12:00 (+08:00).
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=CST)
ORG = "bench"


def new_postgres_database(admin_url: str) -> str:
    import psycopg2
    from urllib.parse import urlparse

    name = f"bench_complaints_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return urlparse(admin_url)._replace(path="/" + name).geturl()


def seed(service, n_open: int, n_late: int) -> None:
    """Stores n_open open complaints, n_late of them past their first-reply deadline at NOW."""
    from services.complaints import domain, handlers, models
    from services.complaints.rules import rules_for

    rules = rules_for(service.settings, organization=ORG)
    templates = {}
    for late, raised_at in ((False, datetime(2026, 11, 23, 11, 30, tzinfo=CST)),
                            (True, datetime(2026, 11, 20, 10, 0, tzinfo=CST))):
        c = domain.raise_complaint(complaint_id="T", customer_id="C", raised_at=raised_at, source="hotline",
                                   policy=rules.policy, chain=rules.chain, calendar=rules.calendar).complaint
        templates[late] = (c, handlers.wake_at(c, reminders_sent=(), policy=rules.policy, now=raised_at))
    assert templates[False][1] > NOW >= templates[True][1]
    created = datetime.now(timezone.utc)
    chunk = 1000
    with service.connection():
        for start in range(0, n_open, chunk):
            rows = []
            for i in range(start, min(start + chunk, n_open)):
                c, wake = templates[i < n_late]
                rows.append(dict(
                    organization=ORG, complaint_id=f"K-{i:07d}", customer_id=f"C-{i % 20000}",
                    customer_name=f"客户{i % 20000}", description="空调不制冷", category="product_quality",
                    source="hotline", order_id=f"SO-{i}", state="open", level=0, chain_name=rules.chain.name,
                    policy_name=rules.policy.name, raised_at=c.raised_at, first_reply_due_at=c.first_reply_due_at,
                    answer_due_at=c.answer_due_at, handled_breaches=(), reminders_sent=(), next_sweep_at=wake,
                    version=1, created_at=created, updated_at=created))
            with service.database.atomic():
                models.Complaint.insert_many(rows).execute()
        service.database.execute_sql("ANALYZE")


def explain(service) -> str:
    from services.complaints import jobs

    with service.connection():
        with service.database.atomic():
            sql, params = jobs.due_query(NOW, jobs.SWEEP_BATCH).sql()
            prefix = "EXPLAIN" if is_postgres(service.database) else "EXPLAIN QUERY PLAN"
            rows = service.database.execute_sql(f"{prefix} {sql}", params).fetchall()
    return "\n".join("    " + " ".join(str(col) for col in row) for row in rows)


def time_sweeps(service) -> tuple[float, float, int]:
    from services.complaints import jobs

    service.clock = lambda: NOW
    started = time.perf_counter()
    result = jobs.sweep_due_complaints(service, now=NOW)
    first = time.perf_counter() - started
    started = time.perf_counter()
    jobs.sweep_due_complaints(service, now=NOW)
    second = time.perf_counter() - started
    return first, second, result.escalated


def time_relay(service) -> tuple[float, int]:
    """The outbox relay of the wake-ups (`outbox_message` rows) to a broker that only counts them."""
    from shared.mesh.relay import relay_messages_once

    class CountingBroker(list):
        def enqueue(self, message, *, delay=None):
            self.append(message.actor_name)
            return message

    sent = CountingBroker()
    started = time.perf_counter()
    with service.connection():
        while relay_messages_once(service.OutboxMessage, sent, now=NOW):
            pass
    return time.perf_counter() - started, sent.count("complaint_deadline")


def raise_rate(service, env: dict, n: int, folder: Path) -> float:
    from services.complaints import models

    redis_ = PrivateRedis()
    env = {**env, "HUIFANG_BROKER_URL": redis_.url}
    worker = start_worker("services.complaints.actors", ["events", "complaints"], env=env, processes=1, threads=8,
                          log=folder / "complaints-worker.log")
    try:
        with service.connection():
            before = models.Complaint.select().count()
        payloads = [{"specversion": "1.0", "id": f"bench-raise-{i}", "type": "complaint.raised",
                     "source": "bench://hotline", "organization": ORG,
                     "data": {"complaint_id": f"Q-{i}", "customer": {"id": f"C-{i % 20000}", "name": "客户"},
                              "description": "等待时间过长", "source": "hotline", "order_id": f"SO-Q-{i % 5000}"}}
                    for i in range(n)]
        warm = raw_messages("events", "publish", payloads[:10])
        enqueue_raw(redis_.client, "events", warm)

        def count():
            with service.connection():
                return models.Complaint.select().count() - before

        wait_until(lambda: count() >= 10, timeout=120, what="warm-up complaints")
        messages = raw_messages("events", "publish", payloads[10:])
        started = time.perf_counter()
        enqueue_raw(redis_.client, "events", messages)
        wait_until(lambda: count() >= n, timeout=1800, interval=0.2, what=f"{n} complaints raised")
        return (n - 10) / (time.perf_counter() - started)
    finally:
        stop_worker(worker)
        redis_.close()


def run(label: str, url: str, args, folder: Path) -> None:
    from services.complaints.service import SERVICE

    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIFANG_")}
    env.update({"HUIFANG_COMPLAINTS_DATABASE_URL": url, "HUIFANG_VAR_DIR": str(folder / "var"),
                "HUIFANG_SECRET_KEY": "bench-secret-" + "x" * 20})
    settings = load_settings(env)
    SERVICE.bind(settings, url=url)
    started = time.perf_counter()
    seed(SERVICE, args.open, args.late)
    print(f"\n{label}: {args.open:,} open complaints ({args.late:,} past a deadline) stored in "
          f"{time.perf_counter() - started:.1f}s")
    print(f"  query plan of the sweep's selection:\n{explain(SERVICE)}")
    first, second, escalated = time_sweeps(SERVICE)
    print(f"  one sweep: {first * 1000:.0f} ms, {escalated:,} complaints escalated "
          f"({first / max(escalated, 1) * 1000:.2f} ms each)")
    print(f"  the next sweep (nothing due): {second * 1000:.1f} ms")
    relayed, wakeups = time_relay(SERVICE)
    print(f"  relay of the wake-ups it wrote: {wakeups:,} delayed messages in {relayed * 1000:.0f} ms")
    SERVICE.clock = lambda: datetime.now(timezone.utc)
    if args.raise_n:
        rate = raise_rate(SERVICE, env, args.raise_n, folder)
        print(f"  complaints raised through the queue: {rate:,.0f}/s ({args.raise_n:,} envelopes, 1 worker "
              "process, 8 threads)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--late", type=int, default=1_000)
    parser.add_argument("--raise", dest="raise_n", type=int, default=5_000)
    parser.add_argument("--postgres-url", default=os.environ.get("HUIFANG_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="huifang-bench-complaints-"))
    if args.only != "postgres":
        run("SQLite", f"sqlite:///{folder / 'complaints.db'}", args, folder)
    if args.postgres_url and args.only != "sqlite":
        run("PostgreSQL", new_postgres_database(args.postgres_url), args, folder)
    elif args.only != "sqlite":
        print("\nPostgreSQL: skipped (give --postgres-url or run under `python -m ops with-postgres --`)")


if __name__ == "__main__":
    main()
