"""The complaint board and the report room under load, against the JSON API reading the same rows,
in one run.

    .venv/bin/python bench/pages_complaints_reporting.py [--open 10000] [--callbacks 20000] [--users 20]
                                                        [--rounds 20] [--postgres-url URL]

The complaints service holds `open` open complaints of one organisation (and a fifth as many
closed ones), spread over the three levels of the default chain, the six categories and the
hotline/walk-in/callback sources, raised over the last ten days; each has its `raised` history
step. The reporting read model holds the running month and the two before it (`callbacks`
callbacks and half as many orders a month) and the same `open` complaints, raised this month,
plus eleven made reports (figures and a PDF each). Both services run as deployed (gunicorn,
2 workers x 4 threads each) with their clock at Monday 2026-11-30 10:00 in Shanghai (inside
service hours). `users` signed-in people request at once, round after round, first on the
board, then in the report room (two phases, so the services do not share the machine's CPUs):

- on the complaint board (advisors, agents, managers):
  the board `/` (a column per level: the 40 most urgent cards each, and the counts) and its
  refresh (the fragment htmx asks for every few seconds) vs GET /api/v1/complaints?state=open
  &limit=120 (the same number of open complaints, as JSON with their history);
- in the report room (managers, supervisors):
  the room `/` (this month so far against the targets, the months and their reports) vs
  GET /api/v1/reports/<running month> (the month's figures, made once from the same rows and served
  while fresh, HUIFANG_REPORT_FRESH_SECONDS; the room keeps its "this month so far" for a minute per
  organisation and web process);
  a made month `/reports/<month>` (figures, the PDF's charts, lists) vs GET /api/v1/reports/<month>.

Server time is the app's own (a Server-Timing header from the moment the request reached Flask
to the response), so queueing in front of gunicorn is not in it; the client's time is printed
too. Targets: board p95 < 200 ms, report room p95 < 150 ms, each page within 1.5x of its API.
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
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PageClient, start_gunicorn, stop_worker  # noqa: E402
from ops.infra import free_port  # noqa: E402
from shared.core.settings import ROOT, load_settings  # noqa: E402

ORG = "bench"
SECRET = "b" * 32
PASSWORD = "bench-password-1"
#: The bench's "now": Monday 2026-11-30 10:00 in Shanghai, inside service hours.
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
CST = timezone(timedelta(hours=8))
MONTH = "2026-11"
BOARD_PEOPLE = [(f"advisor{i}", "advisor") for i in range(4)] + [(f"agent{i}", "agent") for i in range(3)] + \
    [(f"boardmanager{i}", "manager") for i in range(3)]
ROOM_PEOPLE = [(f"manager{i}", "manager") for i in range(5)] + [(f"supervisor{i}", "supervisor") for i in range(5)]
TARGETS_MS = {"board": 200, "report room": 150}
#: Cards per column of the board (pages/board.py CARDS_PER_COLUMN): the API twin reads as many.
CARDS = 40
TARGET_RATIO = 1.5
CATEGORIES = ("product_quality", "service_quality", "attitude", "price", "waiting_time", "other")
SOURCES = ("hotline", "walk_in", "callback")
SEGMENTS = ("vip", "group", "government", "fleet", "police", "ordinary")
ANSWERS = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")


def _with_server_timing(app, service):
    from flask import g

    service.clock = lambda: NOW

    @app.after_request
    def _server_timing(response):
        started = g.get("started")
        if started is not None:
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response

    return app


def complaints_app():
    """Gives the complaints app with its clock at NOW and a Server-Timing header (the bench only)."""
    from services.complaints.app import create_app
    from services.complaints.service import SERVICE

    return _with_server_timing(create_app(), SERVICE)


def reporting_app():
    """Gives the reporting app with its clock at NOW and a Server-Timing header (the bench only)."""
    from services.reporting.app import create_app
    from services.reporting.service import SERVICE

    # no reporting worker runs here: figures not stored are made in-process on the first request
    # (as a single-process install does), then served while fresh, as the worker's are
    return _with_server_timing(create_app({"REPORTING_GENERATE_INLINE": True}), SERVICE)


def _insert(model, rows, batch: int = 500) -> None:
    database = model._meta.database
    with database.atomic():
        for start in range(0, len(rows), batch):
            model.insert_many(rows[start:start + batch]).execute()


def _people(service, people) -> None:
    from shared.users.store import save_person

    for login, role in people:
        service.run(save_person, organization=ORG, login=login, role=role, name=login, password=PASSWORD,
                    email=f"{login}@bench.example")


# --- data -----------------------------------------------------------------------------------

def fill_complaints(settings, *, n_open: int, rng: random.Random) -> dict:
    """Bulk-inserts the open (and some closed) complaints with their first history step."""
    from services.complaints import domain
    from services.complaints.models import Complaint, ComplaintHistory
    from services.complaints.rules import rules_for
    from services.complaints.service import SERVICE

    SERVICE.bind(settings)
    rules = rules_for(settings, organization=ORG)
    policy, chain, calendar = rules.policy, rules.chain, rules.calendar
    created = datetime.now(timezone.utc)
    levels = (0,) * 6 + (1,) * 3 + (2,)
    n_closed = n_open // 5
    rows = []
    with SERVICE.connection():
        _people(SERVICE, BOARD_PEOPLE + ROOM_PEOPLE)
        for i in range(n_open + n_closed):
            raised_at = (NOW - timedelta(minutes=rng.randrange(10 * 24 * 60))).astimezone(CST)
            source = SOURCES[i % 3]
            c = domain.raise_complaint(complaint_id="T", customer_id="C", raised_at=raised_at, source="walk_in",
                                       policy=policy, chain=chain, calendar=calendar).complaint
            level = levels[i % len(levels)]
            escalated = raised_at + timedelta(minutes=30)
            row = dict(organization=ORG, complaint_id=f"K-{i:07d}", customer_id=f"C-{i % 4000}",
                       customer_name=f"客户{i % 4000}", customer_segment=SEGMENTS[i % 6],
                       customer_class="group" if SEGMENTS[i % 6] in policy.group_segments else "private",
                       customer_phone=f"138{i:08d}", description="维修后空调仍不制冷，客户要求再次检查。",
                       category=CATEGORIES[i % 6], source=source, order_id=f"SO-{i}", state="open", level=level,
                       chain_name=chain.name, policy_name=policy.name, raised_at=c.raised_at,
                       first_reply_due_at=c.first_reply_due_at, answer_due_at=c.answer_due_at,
                       first_reply_at=raised_at + timedelta(minutes=20) if i % 4 == 0 else None,
                       investigate_due_at=policy.investigate.after(escalated, calendar=calendar,
                                                                   service_hours=policy.service_hours)
                       if level else None,
                       handled_breaches=(), reminders_sent=(), next_sweep_at=None, version=1, created_at=created,
                       updated_at=created)
            if i >= n_open:
                row.update(state="closed", first_reply_at=raised_at, answered_at=raised_at, resolved_at=raised_at,
                           closed_at=raised_at, resolved_by="advisor0", resolved_level=level)
            rows.append(row)
        _insert(Complaint, rows)
        ids = dict(Complaint.select(Complaint.complaint_id, Complaint.id).tuples())
        _insert(ComplaintHistory, [{"complaint": ids[r["complaint_id"]], "at": r["raised_at"], "actor": "system",
                                    "action": "raised", "from_level": None, "to_level": 0,
                                    "reason": f"raised via {r['source']}"} for r in rows])
        SERVICE.database.execute_sql("ANALYZE")
        counts = {"open": Complaint.select().where(Complaint.state == "open").count(),
                  "all": Complaint.select().count()}
    SERVICE.database.close()
    return counts


def fill_reporting(settings, *, n_complaints: int, callbacks: int, rng: random.Random) -> dict:
    """Bulk-inserts three months of the read model, the month's complaints, and eleven made reports."""
    from services.reporting import jobs, models
    from services.reporting.domain.kpi import month_bounds, previous_months
    from services.reporting.handlers.rows import as_utc
    from services.reporting.service import SERVICE

    SERVICE.bind(settings)
    customers = max(callbacks // 2, 10)
    with SERVICE.connection():
        _people(SERVICE, ROOM_PEOPLE)
        _insert(models.Customer, [{"organization": ORG, "customer_id": f"C{i}", "name": f"客户{i}",
                                   "phone": f"139{i:08d}", "segment": rng.choices(SEGMENTS, (5, 5, 2, 3, 1, 84))[0],
                                   "flagged": rng.random() < 0.02} for i in range(customers)])
        for month in [*previous_months(MONTH, 2), MONTH]:
            first, last = month_bounds(month)
            days = (min(last, NOW.astimezone(CST).date()) - first).days + 1
            orders = [{"organization": ORG, "source_kind": "order", "source_id": f"{month}-O{i}",
                       "customer_id": f"C{rng.randrange(customers)}", "key_customer": rng.random() < 0.2,
                       "served_on": first + timedelta(days=rng.randrange(days))} for i in range(callbacks // 2)]
            _insert(models.ServedDay, orders)
            rows = []
            for i in range(callbacks):  # two callbacks per order (the first and the second)
                order = orders[i // 2]
                status = rng.choices(("done", "open", "unreachable", "cancelled"), (80, 12, 5, 3))[0]
                reached = status == "done"
                rows.append({
                    "organization": ORG, "callback_id": f"{month}-CB{i}", "kind": ("first", "second")[i % 2],
                    "due_on": min(order["served_on"] + timedelta(days=3 + 5 * (i % 2)), first + timedelta(days=days - 1)),
                    "status": status, "customer_id": order["customer_id"], "order_id": order["source_id"],
                    "key_customer": order["key_customer"],
                    "reached": reached, "product_satisfaction": rng.choice(ANSWERS) if reached else None,
                    "service_satisfaction": rng.choice(ANSWERS) if reached else None,
                    "recorded_at": datetime(first.year, first.month, 1, 2, tzinfo=timezone.utc) if reached else None})
            _insert(models.Callback, rows)
        first, _ = month_bounds(MONTH)
        rows = []
        for i in range(n_complaints):
            raised = datetime(first.year, first.month, 1 + rng.randrange(29), 1 + rng.randrange(10), tzinfo=timezone.utc)
            rows.append({"organization": ORG, "complaint_id": f"K-{i:07d}", "customer_id": f"C{rng.randrange(customers)}",
                         "category": CATEGORIES[i % 6], "customer_class": SEGMENTS[i % 6], "raised_at": raised,
                         "raised_on": raised.date(), "state": "open", "level": i % 3,
                         "first_reply_due_at": raised + timedelta(hours=2),
                         "first_reply_at": raised + timedelta(minutes=rng.randrange(200)) if i % 3 else None,
                         "answer_due_at": raised + timedelta(days=1)})
        _insert(models.Complaint, rows)
        SERVICE.database.execute_sql("ANALYZE")
    # eleven made months: the figures of a real month, a PDF-sized blob, sent to the managers
    report = jobs.compute_report(SERVICE, ORG, previous_months(MONTH, 1)[0], "zh-CN")
    pdf = os.urandom(150_000)
    with SERVICE.connection():
        stored = []
        for month in previous_months(MONTH, 11):
            figures = {**report.as_dict(), "month": month}
            stored.append({"organization": ORG, "month": month, "language": "zh-CN", "figures": figures,
                           "generated_at": as_utc(NOW) - timedelta(days=30), "pdf": pdf, "send_status": "sent",
                           "send_to": [f"{login}@bench.example" for login, _ in ROOM_PEOPLE[:5]],
                           "sent_at": as_utc(NOW) - timedelta(days=29)})
        _insert(models.Report, stored, batch=20)
        counts = {"callbacks": models.Callback.select().count(), "complaints": models.Complaint.select().count()}
    SERVICE.database.close()
    return counts


# --- the servers ----------------------------------------------------------------------------

def start_server(env: dict, port: int, log: Path, factory: str):
    """Starts gunicorn on `factory` of this module; gives the process once /healthz answers."""
    return start_gunicorn(env, port, log, f"bench.pages_complaints_reporting:{factory}()")


# --- the clients ----------------------------------------------------------------------------

stop = stop_worker


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def run_clients(ports: dict, scenario: str, *, users: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    """Runs `users` people of one scenario ("board" or "room") at once; gives each route's
    (server ms, client ms) samples."""
    from shared.web.auth import issue_token

    results: dict[str, list[tuple[float, float]]] = {}
    lock = threading.Lock()
    errors = []
    crowd = BOARD_PEOPLE if scenario == "board" else ROOM_PEOPLE
    people = [crowd[i % len(crowd)] for i in range(users)]
    barrier = threading.Barrier(users)
    last_month = "2026-10"

    def person(index: int, login: str, role: str) -> None:
        try:
            board = scenario == "board"
            port = ports["complaints" if board else "reporting"]
            browser, api = PageClient(port, PASSWORD), PageClient(port, PASSWORD)
            browser.sign_in(login)
            bearer = {"Authorization": "Bearer " + issue_token(SECRET, login=login, role=role, organization=ORG)}
            htmx = {"HX-Request": "true"}
            if board:
                plan = [("board page", browser, "/", {}), ("board refresh", browser, "/", htmx),
                        ("board API", api, f"/api/v1/complaints?state=open&limit={3 * CARDS}", bearer)]
            else:
                plan = [("report room page", browser, "/", {}),
                        ("report room API", api, f"/api/v1/reports/{MONTH}", bearer),
                        ("month page", browser, f"/reports/{last_month}", {}),
                        ("month API", api, f"/api/v1/reports/{last_month}", bearer)]
            for _, client, path, headers in plan:  # warm up each route once
                client.request("GET", path, headers=headers)
            barrier.wait()
            rng = random.Random(index)
            for _ in range(rounds):
                steps = list(plan)
                rng.shuffle(steps)
                for name, client, path, headers in steps:
                    status, body, server, took = client.request("GET", path, headers=headers)
                    if status != 200:
                        raise RuntimeError(f"{name} {path}: {status} {body[:300]!r}")
                    with lock:
                        results.setdefault(name, []).append((server, took))
        except Exception as exc:  # reported below
            errors.append(f"{login}: {exc}")
            try:
                barrier.abort()
            except threading.BrokenBarrierError:
                pass

    threads = [threading.Thread(target=person, args=(i, login, role)) for i, (login, role) in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit("bench: " + "; ".join(errors[:3]))
    return results


def _database_urls(args, folder: Path) -> dict:
    if not args.postgres_url:
        return {name: f"sqlite:///{folder / (name + '.db')}" for name in ("complaints", "reporting")}
    import psycopg2

    urls = {}
    for name in ("complaints", "reporting"):
        database = f"bench_{name}_pages_{int(time.time() * 1000)}"
        conn = psycopg2.connect(args.postgres_url)
        conn.autocommit = True
        conn.cursor().execute(f'CREATE DATABASE "{database}"')
        conn.close()
        urls[name] = args.postgres_url.rsplit("/", 1)[0] + "/" + database
    return urls


def main(argv=None) -> bool:
    """Runs the bench; gives True when every page is within its targets."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open", type=int, default=10_000, help="open complaints")
    parser.add_argument("--callbacks", type=int, default=20_000, help="callbacks a month in the reporting read model")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=20, help="rounds of requests per user")
    parser.add_argument("--postgres-url", help="postgresql://... (databases are created under it; default "
                        "HUIFANG_TEST_POSTGRES_URL when set)")
    args = parser.parse_args(argv)
    args.postgres_url = args.postgres_url or os.environ.get("HUIFANG_TEST_POSTGRES_URL")
    folder = Path(tempfile.mkdtemp(prefix="huifang-bench-pages-cr-"))
    urls = _database_urls(args, folder)
    # the per-user limit of heavy report requests would stop a benchmark's loop
    env = {**os.environ, "HUIFANG_BROKER_URL": "stub://", "HUIFANG_VAR_DIR": str(folder),
           "HUIFANG_RATE_HEAVY_PER_MINUTE": "1000000000",
           "HUIFANG_SECRET_KEY": SECRET, "HUIFANG_COMPLAINTS_DATABASE_URL": urls["complaints"],
           "HUIFANG_REPORTING_DATABASE_URL": urls["reporting"]}
    settings = load_settings(env)
    kind = "PostgreSQL" if args.postgres_url else "SQLite"
    rng = random.Random(11)
    started = time.perf_counter()
    complaints = fill_complaints(settings, n_open=args.open, rng=rng)
    reporting = fill_reporting(settings, n_complaints=args.open, callbacks=args.callbacks, rng=rng)
    print(f"complaint board and report room bench, {kind}: {complaints['open']:,} open complaints "
          f"({complaints['all']:,} in all); reporting read model {reporting['callbacks']:,} callbacks over three "
          f"months and {reporting['complaints']:,} complaints, 11 made reports; filled in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    ports = {"complaints": free_port(), "reporting": free_port()}
    servers = [start_server(env, ports["complaints"], folder / "complaints.log", "complaints_app"),
               start_server(env, ports["reporting"], folder / "reporting.log", "reporting_app")]
    results = {}
    try:
        print(f"  gunicorn 2 workers x 4 threads per service; {args.users} signed-in users at once on the board, "
              f"then {args.users} in the report room, {args.rounds} rounds each", flush=True)
        for scenario in ("board", "room"):
            wall = time.perf_counter()
            found = run_clients(ports, scenario, users=args.users, rounds=args.rounds)
            wall = time.perf_counter() - wall
            total = sum(len(v) for v in found.values())
            print(f"  {scenario}: {total:,} requests in {wall:.1f} s ({total / wall:,.0f}/s)", flush=True)
            results.update(found)
    finally:
        for server in servers:
            stop(server)
    print()
    print(f"  {'route':<20} {'n':>5} {'server p50':>11} {'server p95':>11} {'client p50':>11} {'client p95':>11}")
    figures = {}
    for name in ("board page", "board refresh", "board API", "report room page", "report room API", "month page",
                 "month API"):
        server = [s for s, _ in results.get(name, []) if s is not None]
        client = [c for _, c in results.get(name, [])]
        if not server:
            continue
        figures[name] = p95(server)
        print(f"  {name:<20} {len(server):>5} {statistics.median(server):>9.1f}ms {p95(server):>9.1f}ms "
              f"{statistics.median(client):>9.1f}ms {p95(client):>9.1f}ms")
    print()
    ok = True
    for page, api, target in (("board page", "board API", TARGETS_MS["board"]),
                              ("board refresh", "board API", TARGETS_MS["board"]),
                              ("report room page", "report room API", TARGETS_MS["report room"]),
                              ("month page", "month API", None)):
        page_p95, api_p95 = figures.get(page), figures.get(api)
        if page_p95 is None or api_p95 is None:
            continue
        ratio = page_p95 / api_p95
        if target is None:
            print(f"  {page:<17} p95 {page_p95:6.1f} ms, vs {api}: ratio {ratio:.2f} (no target: shown for scale)")
            continue
        verdict = "ok" if page_p95 < target and ratio <= TARGET_RATIO else "OVER"
        ok &= verdict == "ok"
        print(f"  {page:<17} p95 {page_p95:6.1f} ms (target < {target} ms), vs {api}: p95 ratio {ratio:.2f} "
              f"(target <= {TARGET_RATIO}): {verdict}")
    print("\n  every page within its targets" if ok else "\n  some page is over its target")
    return ok


if __name__ == "__main__":
    main()
