"""The scheduler's pages under load, against the JSON API routes reading the same rows, in one run.

    .venv/bin/python bench/pages.py [--callbacks 100000] [--deliveries 50000] [--users 20]
                                    [--rounds 15] [--postgres-url URL]

One organisation holds `deliveries` ledger lines and `callbacks` callback tasks (bulk-inserted
with shared.core.db.bulk_insert), spread over three years, most of the older ones done, each task
assigned to one of ten agents. The scheduler's web app runs as it is deployed (gunicorn,
2 workers x 4 threads, deploy/Procfile), its clock set to a Monday 10:00 (inside the call
windows). `users` signed-in people (half agents, half team leads) each request, round after
round, in turn:

- the workbench `/` (an agent's: own tasks, counts) vs GET /api/v1/agents/<login>/callbacks
  (?callable_now=1&limit=50: the same list);
- the callback form `/callbacks/<id>` vs GET /api/v1/callbacks/<id> (the task, its customer
  and questionnaire);
- the ledger's first page `/ledger` vs GET /api/v1/ledger?limit=50;
- the team's workbench (a lead's), shown without an API twin.

Server time is the app's own (a Server-Timing header from the moment the request reached
Flask to the response), so queueing in front of gunicorn is not in it; the client's time is
printed too. Figures: median and 95th percentile per route, and page/API ratios.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PageClient, start_gunicorn, stop_worker  # noqa: E402
from ops.infra import free_port  # noqa: E402
from shared.core.settings import ROOT, load_settings  # noqa: E402

ORG = "bench"
SECRET = "b" * 32
PASSWORD = "bench-password-1"
#: The bench's "now": Monday 2026-11-30 10:00 in Shanghai, inside the morning call window.
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 30)
AGENTS = [f"agent{i}" for i in range(10)]
LEADS = [f"lead{i}" for i in range(10)]
TARGET_MS = 150
TARGET_RATIO = 1.5


def bench_app():
    """Gives the scheduler's app with its clock at NOW and a Server-Timing header (the bench only)."""
    from flask import g

    from services.scheduler.app import create_app
    from services.scheduler.service import SERVICE

    app = create_app()
    SERVICE.clock = lambda: NOW

    @app.after_request
    def _server_timing(response):
        started = g.get("started")
        if started is not None:
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response

    return app


# --- data -----------------------------------------------------------------------------------

def fill(settings, *, deliveries: int, callbacks: int) -> dict:
    """Bulk-inserts the organisation's ledger and callbacks; gives ids the clients ask for."""
    from services.scheduler.handlers.tasks import task_id
    from services.scheduler.models import CallbackTask, Customer, Delivery
    from services.scheduler.service import SERVICE
    from shared.core.db import bulk_insert
    from shared.users.store import save_person

    SERVICE.bind(settings)
    now = NOW
    customers = max(1, deliveries // 3)
    segments = ("ordinary", "ordinary", "ordinary", "vip", "group", "fleet")
    with SERVICE.connection():
        for login in AGENTS:
            SERVICE.run(save_person, organization=ORG, login=login, role="agent", name=login, password=PASSWORD)
        for i, login in enumerate(LEADS):
            SERVICE.run(save_person, organization=ORG, login=login, role=("supervisor", "manager")[i % 2],
                        name=login, password=PASSWORD)
        with SERVICE.database.atomic():
            bulk_insert(Customer, [
                {"organization": ORG, "customer_id": f"C{i}", "name": f"客户{i}号", "segment": segments[i % 6],
                 "phone": f"138{i:08d}", "contact_person": f"联系人{i}", "site_contact": None, "site_phone": None,
                 "flagged_key": False, "flagged_at": None, "total_contract_amount": Decimal("0")}
                for i in range(customers)])
            first = date(2024, 1, 1)
            span = (TODAY - first).days
            rows = []
            for i in range(deliveries):
                shipped = first + timedelta(days=(i * 7919) % span)
                commissioned = shipped + timedelta(days=30) if i % 10 < 7 and shipped + timedelta(days=30) < TODAY \
                    else None
                rows.append({"organization": ORG, "delivery_id": f"D{i}", "customer_id": f"C{i % customers}",
                             "business_line": "equipment", "project": f"工程{i}期", "product_model": "KYN28-12",
                             "quantity": 1 + i % 4, "contract_amount": Decimal(100000 + (i % 50) * 10000),
                             "shipped_on": shipped, "installed_on": None, "commissioned_on": commissioned,
                             "warranty_end_on": None, "contact_person": f"联系人{i % customers}",
                             "phone": f"139{i:08d}", "site_contact": None, "site_phone": None, "cancelled": False,
                             "updated_at": now})
            bulk_insert(Delivery, rows)
            tasks, open_by_agent, seq = [], {a: [] for a in AGENTS}, {}
            per_delivery = max(1, callbacks // max(1, deliveries))
            kinds = ("installation", "trial_run", "warranty_6m", "warranty_end", "post_warranty_24m")
            for n in range(callbacks):
                i = n % deliveries
                kind = kinds[(n // deliveries) % len(kinds)] if per_delivery > 1 else kinds[0]
                shipped = rows[i]["shipped_on"]
                due = shipped + timedelta(days=7 + 30 * (n // deliveries))
                is_open = due >= TODAY - timedelta(days=40) or n % 6 == 0
                agent = AGENTS[n % len(AGENTS)]
                plan_key = f"delivery:D{i}:{kind}:{n}"
                tid = task_id(ORG, plan_key)
                row = {"id": tid, "organization": ORG, "plan_key": plan_key, "kind": kind,
                       "business_line": "equipment", "nominal_on": due, "due_on": due,
                       "overdue_on": due + timedelta(days=30), "provisional": False,
                       "status": "open" if is_open else "done", "channel": "phone",
                       "customer_id": f"C{i % customers}", "key_customer": segments[(i % customers) % 6] != "ordinary",
                       "delivery_id": f"D{i}", "order_id": None, "complaint_id": None, "assigned_to": agent,
                       "attempts": 0 if is_open else 1, "next_attempt_on": None, "record_no": None,
                       "record_month": None, "record_seq": None, "reached": None if is_open else True,
                       "product_satisfaction": None if is_open else "satisfied",
                       "service_satisfaction": None if is_open else "very_satisfied",
                       "completed_at": None if is_open else datetime.combine(
                           due + timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=3),
                       "completed_by": None if is_open else agent,
                       "created_at": now, "updated_at": now}
                if not is_open:
                    month = f"{due:%Y%m}"
                    seq[month] = seq.get(month, 0) + 1
                    row.update(record_month=month, record_seq=seq[month], record_no=f"{month}-{seq[month]:04d}")
                elif due <= TODAY:
                    open_by_agent[agent].append((tid, row["customer_id"], row["delivery_id"]))
                tasks.append(row)
            for start in range(0, len(tasks), 5000):
                bulk_insert(CallbackTask, tasks[start:start + 5000])
        SERVICE.database.execute_sql("ANALYZE")
        counts = {"deliveries": Delivery.select().count(), "callbacks": CallbackTask.select().count(),
                  "open_due": sum(len(v) for v in open_by_agent.values())}
    SERVICE.database.close()
    return {"open_by_agent": open_by_agent, "counts": counts}


# --- the server -------------------------------------------------------------------------------

def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    return start_gunicorn(env, port, log, "bench.pages:bench_app()")


stop = stop_worker


# --- the clients ----------------------------------------------------------------------------

def run_clients(port: int, data: dict, *, users: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    from shared.web.auth import issue_token

    results: dict[str, list[tuple[float, float]]] = {}
    lock = threading.Lock()
    errors = []
    people = [(AGENTS if i % 2 == 0 else LEADS)[(i // 2) % len(AGENTS)] for i in range(users)]
    barrier = threading.Barrier(users)

    def person(index: int, login: str) -> None:
        try:
            browser, api = PageClient(port, PASSWORD), PageClient(port, PASSWORD)
            browser.sign_in(login)
            is_agent = login in AGENTS
            agent = login if is_agent else AGENTS[index % len(AGENTS)]
            role = "agent" if is_agent else "manager"
            bearer = {"Authorization": "Bearer " + issue_token(SECRET, login=login, role=role, organization=ORG)}
            mine = data["open_by_agent"][agent] or [None]
            rng = random.Random(index)
            plan = []
            if is_agent:
                plan += [("workbench page", browser, "/", {}),
                         ("workbench API", api, f"/api/v1/agents/{agent}/callbacks?callable_now=1&limit=50", bearer)]
            else:
                plan += [("team workbench page", browser, "/", {})]
            plan += [("ledger page", browser, "/ledger", {}), ("ledger API", api, "/api/v1/ledger?limit=50", bearer)]
            for name, client, path, headers in plan:  # warm up each route once
                client.request("GET", path, headers=headers)
            barrier.wait()
            for _ in range(rounds):
                task = rng.choice(mine)
                steps = list(plan)
                if task:
                    callback_id, customer_id, delivery_id = task
                    steps += [("callback page", browser, f"/callbacks/{callback_id}", {}),
                              ("callback API", api, f"/api/v1/callbacks/{callback_id}", bearer),
                              # the other rows the form shows: the customer's callbacks, the delivery
                              ("callback API, same rows", api, [
                                  f"/api/v1/callbacks/{callback_id}",
                                  f"/api/v1/callbacks?customer_id={customer_id}&limit=20",
                                  f"/api/v1/ledger?delivery_id={delivery_id}&limit=1"], bearer)]
                for name, client, paths, headers in steps:
                    server_ms = client_ms = 0.0
                    for path in ([paths] if isinstance(paths, str) else paths):
                        status, body, server, took = client.request("GET", path, headers=headers)
                        if status != 200:
                            raise RuntimeError(f"{name} {path}: {status} {body[:300]!r}")
                        server_ms, client_ms = server_ms + (server or 0.0), client_ms + took
                    with lock:
                        results.setdefault(name, []).append((server_ms, client_ms))
        except Exception as exc:  # reported below
            errors.append(f"{login}: {exc}")
            try:
                barrier.abort()
            except threading.BrokenBarrierError:
                pass

    threads = [threading.Thread(target=person, args=(i, login)) for i, login in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit("bench: " + "; ".join(errors[:3]))
    return results


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callbacks", type=int, default=100_000)
    parser.add_argument("--deliveries", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=30, help="rounds of requests per user")
    parser.add_argument("--postgres-url", help="postgresql://... (a database is created under it)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="huifang-bench-pages-"))
    if args.postgres_url:
        import psycopg2

        name = f"bench_pages_{int(time.time() * 1000)}"
        conn = psycopg2.connect(args.postgres_url)
        conn.autocommit = True
        conn.cursor().execute(f'CREATE DATABASE "{name}"')
        conn.close()
        url = args.postgres_url.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{folder / 'scheduler.db'}"
    env = {**os.environ, "HUIFANG_BROKER_URL": "stub://", "HUIFANG_VAR_DIR": str(folder), "HUIFANG_SECRET_KEY": SECRET,
           "HUIFANG_SCHEDULER_DATABASE_URL": url}
    settings = load_settings(env)
    kind = "PostgreSQL" if args.postgres_url else "SQLite"
    started = time.perf_counter()
    data = fill(settings, deliveries=args.deliveries, callbacks=args.callbacks)
    counts = data["counts"]
    print(f"pages bench: {counts['callbacks']:,} callbacks ({counts['open_due']:,} open and due), "
          f"{counts['deliveries']:,} deliveries in one organisation, {kind}; bulk insert "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    port = free_port()
    server = start_server(env, port, folder / "gunicorn.log")
    try:
        print(f"  gunicorn 2 workers x 4 threads; {args.users} signed-in users (half agents, half team leads), "
              f"{args.rounds} rounds each", flush=True)
        wall = time.perf_counter()
        results = run_clients(port, data, users=args.users, rounds=args.rounds)
        wall = time.perf_counter() - wall
    finally:
        stop(server)
    total = sum(len(v) for v in results.values())
    print(f"  {total:,} requests in {wall:.1f} s ({total / wall:,.0f}/s)\n")
    print(f"  {'route':<24} {'n':>5} {'server p50':>11} {'server p95':>11} {'client p50':>11} {'client p95':>11}")
    figures = {}
    for name in ("workbench page", "workbench API", "callback page", "callback API", "callback API, same rows",
                 "ledger page", "ledger API", "team workbench page"):
        if name not in results:
            continue
        server = [s for s, _ in results[name] if s is not None]
        client = [c for _, c in results[name]]
        figures[name] = p95(server)
        print(f"  {name:<24} {len(server):>5} {statistics.median(server):>9.1f}ms {p95(server):>9.1f}ms "
              f"{statistics.median(client):>9.1f}ms {p95(client):>9.1f}ms")
    print()
    ok = True
    for page, api in (("workbench", "workbench API"), ("callback", "callback API"),
                      ("callback", "callback API, same rows"), ("ledger", "ledger API"), ("team workbench", None)):
        page_p95, api_p95 = figures.get(f"{page} page"), figures.get(api)
        if page_p95 is None:
            continue
        ratio = page_p95 / api_p95 if api_p95 else None
        verdict = "ok" if page_p95 < TARGET_MS and (ratio is None or ratio <= TARGET_RATIO) else "OVER"
        ok &= verdict == "ok"
        against = f"vs {api}: p95 ratio {ratio:.2f} (target <= {TARGET_RATIO})" if ratio else "(no API twin)"
        print(f"  {page:<15} page p95 {page_p95:6.1f} ms (target < {TARGET_MS} ms), {against}: {verdict}")
    print("\n  every page within its targets" if ok else "\n  some page is over its target")



def complaints_and_reporting_argv(argv: list[str]) -> list[str]:
    """Gives the options of this run that bench/pages_complaints_reporting.py shares (users, rounds,
    PostgreSQL)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--users")
    parser.add_argument("--rounds")
    parser.add_argument("--postgres-url")
    known, _ = parser.parse_known_args(argv)
    return [arg for name, value in vars(known).items() if value is not None
            for arg in (f"--{name.replace('_', '-')}", value)]


if __name__ == "__main__":
    main()
    # the complaint board and the report room, in the same run
    from bench import pages_complaints_reporting

    print()
    pages_complaints_reporting.main(complaints_and_reporting_argv(sys.argv[1:]))
