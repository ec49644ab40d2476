"""Scheduler throughput against its floors, measured in the same run.

    .venv/bin/python bench/scheduler.py [--count 10000] [--threads 4] [--postgres-url URL] [--skip-events]

1. Events: `count` deliveries shipped + commissioned (6 callbacks each) and `count` service
   orders (vehicle and property, sampled) through the real path: `events` queue -> router ->
   the scheduler's worker -> inbox -> handler -> commit (+ outbox rows). Floor: as many
   messages through a raw Dramatiq no-op actor on the same broker, same processes and threads.
2. Ledger import: an .xlsx of `count` rows through the import command (parse, validate, bulk
   upsert, plan 6 callbacks a row, outbox) vs openpyxl read-only + one raw executemany.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    PrivateRedis, enqueue_raw, peak_rss_kb, raw_messages, start_worker, stop_worker, wait_until,
)
from shared.core.settings import load_settings  # noqa: E402

ORG = "bench"
SOURCE = "bench://scheduler"


def event_envelopes(n: int) -> list[dict]:
    """Gives 3n envelopes: n shipped, n commissioned, n completed orders."""
    base = date(2026, 1, 5)
    shipped, commissioned, orders = [], [], []
    for i in range(n):
        ship = base + timedelta(days=i % 300)
        customer = {"id": f"C{i % 20000}", "name": f"客户{i % 20000}", "segment": ("vip", "ordinary", "group")[i % 3]}
        shipped.append({"delivery_id": f"D{i}", "customer": customer, "shipped_on": ship.isoformat(),
                        "contract_amount": "150000.00", "project": f"工程{i}", "product_model": "KYN28", "quantity": 2})
        commissioned.append({"delivery_id": f"D{i}", "commissioned_on": (ship + timedelta(days=40)).isoformat()})
        line, kind = (("vehicle", "maintenance"), ("vehicle", "accident"), ("property", "repair"),
                      ("property", "emergency_repair"), ("retail", "purchase"))[i % 5]
        orders.append({"order_id": f"O{i}", "customer": customer, "business_line": line, "kind": kind,
                       "completed_at": f"{(base + timedelta(days=i % 300)).isoformat()}T15:00:00+08:00"})
    out = []
    for type_, datas in (("delivery.shipped", shipped), ("equipment.commissioned", commissioned),
                         ("service_order.completed", orders)):
        out += [{"specversion": "1.0", "id": f"{type_}-{i}", "type": type_, "source": SOURCE, "organization": ORG,
                 "data": d} for i, d in enumerate(datas)]
    return out


def run_floor(redis_, env, envelopes, threads, folder) -> float:
    worker = start_worker("bench.noop_actors", ["bench_noop"], env=env, processes=1, threads=threads,
                          log=folder / "noop.log")
    try:
        enqueue_raw(redis_.client, "bench_noop", raw_messages("bench_noop", "noop", [{"warm": True}]))
        wait_until(lambda: redis_.client.hlen("dramatiq:bench_noop.msgs") == 0, timeout=60, what="noop warm-up")
        messages = raw_messages("bench_noop", "noop", envelopes)
        started = time.perf_counter()
        enqueue_raw(redis_.client, "bench_noop", messages)
        wait_until(lambda: redis_.client.hlen("dramatiq:bench_noop.msgs") == 0, timeout=3600, interval=0.02,
                   what="noop drain")
        return len(envelopes) / (time.perf_counter() - started)
    finally:
        stop_worker(worker)


def run_events(redis_, env, envelopes, threads, folder) -> tuple[float, int, int]:
    from services.scheduler.models import CallbackTask
    from services.scheduler.service import SERVICE

    SERVICE.bind(load_settings(env))
    worker = start_worker("services.scheduler.actors", ["events", "scheduler"], env=env, processes=1,
                          threads=threads, log=folder / "scheduler.log")

    def handled() -> int:
        with SERVICE.connection():
            return SERVICE.Inbox.select().where(SERVICE.Inbox.source == SOURCE).count()

    try:
        warm = {"specversion": "1.0", "id": "warm", "type": "customer.updated", "source": SOURCE,
                "organization": ORG, "data": {"customer": {"id": "W", "name": "warm"}}}
        enqueue_raw(redis_.client, "events", raw_messages("events", "publish", [warm]))
        wait_until(lambda: handled() >= 1, timeout=60, what="scheduler warm-up")
        messages = raw_messages("events", "publish", envelopes)
        started = time.perf_counter()
        enqueue_raw(redis_.client, "events", messages)
        wait_until(lambda: handled() >= len(envelopes) + 1, timeout=7200, interval=0.25, what="scheduler drain")
        elapsed = time.perf_counter() - started
        rss_kb = peak_rss_kb(worker.pid)
        with SERVICE.connection():
            tasks = CallbackTask.select().count()
        return len(envelopes) / elapsed, tasks, rss_kb
    finally:
        stop_worker(worker)


def ledger_xlsx(n: int) -> bytes:
    from openpyxl import Workbook

    from services.scheduler.ledger_file import LEDGER_COLUMNS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台帐")
    sheet.append([zh for _, zh, _, importable in LEDGER_COLUMNS if importable])
    base = date(2026, 1, 5)
    for i in range(n):
        ship = base + timedelta(days=i % 300)
        sheet.append([f"L{i}", f"LC{i % 20000}", f"客户{i % 20000}", "ordinary", f"工程{i}", "KYN28", 2, 150000,
                      ship, ship + timedelta(days=40), "张工", "13812345678", "李工", "13987654321"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run_import(env, content: bytes) -> tuple[float, int]:
    from services.scheduler import handlers
    from services.scheduler.ledger_file import load_ledger_file
    from services.scheduler.service import SERVICE

    SERVICE.bind(load_settings(env))
    started = time.perf_counter()
    loaded = load_ledger_file("ledger.xlsx", content)
    result = SERVICE.run(handlers.import_ledger, organization=ORG, rows=loaded)
    return time.perf_counter() - started, result["rows"]


def run_import_floor(url: str, content: bytes) -> float:
    """openpyxl read-only + one executemany into a bare table: the least an import can cost."""
    from openpyxl import load_workbook

    started = time.perf_counter()
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    next(rows)
    values = [tuple(r) for r in rows]
    ddl = ("CREATE TABLE floor_ledger (delivery_id TEXT, customer_id TEXT, customer_name TEXT, segment TEXT, "
           "project TEXT, product_model TEXT, quantity INTEGER, contract_amount NUMERIC, shipped_on DATE, "
           "commissioned_on DATE, contact_person TEXT, phone TEXT, site_contact TEXT, site_phone TEXT)")
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///"):])
        conn.execute(ddl)
        conn.executemany(f"INSERT INTO floor_ledger VALUES ({','.join('?' * 14)})",
                         [tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in r) for r in values])
        conn.commit()
    else:
        import psycopg2

        conn = psycopg2.connect(url)
        cur = conn.cursor()
        cur.execute(ddl)
        cur.executemany(f"INSERT INTO floor_ledger VALUES ({','.join(['%s'] * 14)})", values)
        conn.commit()
    conn.close()
    return time.perf_counter() - started


def new_database(args, folder: Path, name: str) -> str:
    if not args.postgres_url:
        return f"sqlite:///{folder / (name + '.db')}"
    import psycopg2

    db = f"bench_{name}_{int(time.time() * 1000)}"
    conn = psycopg2.connect(args.postgres_url)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{db}"')
    conn.close()
    return args.postgres_url.rsplit("/", 1)[0] + "/" + db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="deliveries, orders and ledger rows (100000 for the issue)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--postgres-url", help="postgresql://... (databases are created under it)")
    parser.add_argument("--skip-events", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="huifang-bench-scheduler-"))
    kind = "PostgreSQL" if args.postgres_url else "SQLite"
    if not args.skip_events:
        redis_ = PrivateRedis()
        try:
            env = {**os.environ, "HUIFANG_BROKER_URL": redis_.url, "HUIFANG_VAR_DIR": str(folder),
                   "HUIFANG_SECRET_KEY": "b" * 32, "HUIFANG_SCHEDULER_DATABASE_URL": new_database(args, folder, "events")}
            envelopes = event_envelopes(args.count)
            print(f"scheduler bench: {len(envelopes):,} events ({args.count:,} shipped + commissioned + completed "
                  f"orders), 1 worker process x {args.threads} threads, {kind}", flush=True)
            floor = run_floor(redis_, env, envelopes, args.threads, folder)
            print(f"  raw Dramatiq no-op actor: {floor:,.0f} messages/s", flush=True)
            rate, tasks, rss_kb = run_events(redis_, env, envelopes, args.threads, folder)
            print(f"  scheduler (router, inbox, plan, {tasks:,} callback tasks, outbox): {rate:,.0f} events/s")
            print(f"  scheduler worker peak RSS (VmHWM, dramatiq parent + worker process): {rss_kb / 1024:,.0f} MiB")
            print(f"  ratio scheduler/raw: {rate / floor:.2f}", flush=True)
        finally:
            redis_.close()
    if not args.skip_import:
        env = {**os.environ, "HUIFANG_VAR_DIR": str(folder), "HUIFANG_SECRET_KEY": "b" * 32,
               "HUIFANG_SCHEDULER_DATABASE_URL": new_database(args, folder, "ledger")}
        content = ledger_xlsx(args.count)
        print(f"ledger import: {args.count:,} rows, {len(content) / 1e6:.1f} MB .xlsx, {kind}", flush=True)
        floor_s = run_import_floor(new_database(args, folder, "floor"), content)
        print(f"  openpyxl read-only + raw executemany: {floor_s:.2f} s ({args.count / floor_s:,.0f} rows/s)")
        import_s, rows = run_import(env, content)
        print(f"  import (validate, upsert, plan 6 callbacks a row, outbox): {import_s:.2f} s "
              f"({rows / import_s:,.0f} rows/s)")
        print(f"  ratio import/floor time: {import_s / floor_s:.1f}x")
        import resource

        print(f"  bench process peak RSS (import in-process): "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
