"""The soak: the real mix through the whole mesh, with a fault.

    .venv/bin/python bench/soak.py [--events 10000]
        [--fault none|sigkill|redis-wipe|twice|reporting-late|postgres-restart|web-kill]
                                   [--postgres-url URL] [--kills 20] [--down-seconds 60]

Events (organisation acme-electric, source erp://soak): deliveries each followed later by its
commissioning, service orders of every business line (vehicle, property, retail), complaints
raised over HTTP and over raw Redis (CONTRACT.md's HSET + RPUSH). HTTP events go to the
scheduler's and the complaints service's `POST /api/v1/events` in turn (real web apps,
in-process), so every one crosses the broker through an outbox. And callback outcomes: every 50
events, and after the last until all are recorded, a supervisor's client records through
`POST /api/v1/callbacks/<id>/outcome` (the questionnaire asked first, `GET .../questionnaire`) the
outcome of a fixed share of the callbacks the scheduler has planned by then (5 in 100, by a CRC-32 of
"<delivery or order>:<kind>", among the callbacks that exist whatever the sampling), 2 in 100
dissatisfied (a reason given: the scheduler raises a complaint through its outbox; at most one per
order, since a second complaint about an order is a repeat whose special callback depends on the
order the two are handled in). An outcome
post answered 5xx or not at all is sent again; a re-send answered 409 is accepted once the
callback reads `done` (the first post was recorded, its answer lost).

The expected end state comes from a small model here, not from the services' code: which service
subscribes to which of these types, which rows each event makes, and the callbacks, read from
the scheduler's policy file as data (RULES 1.1-1.5). At the end every expected effect must exist
exactly once and nothing else:
- each service's inbox holds exactly the ids of the events it subscribes to;
- scheduler: one Delivery per delivery, one ServiceOrder per order; complaints: one Complaint
  per complaint; reporting: one Delivery per delivery and one Complaint per complaint;
- scheduler callbacks, keyed by delivery or order and kind: each delivery its installation
  callback and, once commissioned, the policy's milestones; each order of a key customer (a
  segment or an order kind of the policy) and of a line sampled at 100% its callbacks; an order
  of a sampled pool (vehicle at 30%, property's monthly batch) one sampling decision, and its
  callbacks exactly when the decision picked it. Which ordinary orders are picked depends by
  design on the order they arrive in (RULES 1.5's floor is counted as orders come; a batch is
  topped up when it closes), so the model reads the scheduler's recorded decisions and checks
  them against the rule instead of predicting them: each period at least its rate of orders
  (rounded up), every order whose recorded score is under the rate picked, a batch at least its
  tier's count; a shortfall counts as lost. The batch's cut-off (the 26th) has passed, so the
  soak runs the batch sweep once after the posting, as the worker does every 5 minutes.
  Callbacks the periodic sweep plans from the clock (RULES 1.4 `periodic`) are outside the
  model: counted, not compared;
- each recorded outcome: its callback `done` once (and in reporting's rows), each dissatisfied
  one a complaint `callback-<callback id>` once in complaints and in reporting, and reporting's
  row of that callback dissatisfied; reporting holds one row per callback of the model.

Faults: `sigkill` kills a random service's worker with SIGKILL `--kills` times while events
flow (restarted at once); `redis-wipe` stops Redis in the middle for `--down-seconds`, wipes its
data folder and starts it empty (HTTP posts go on meanwhile and get 202; the raw-Redis producer
waits, and re-sends what it had sent before the loss: that producer has no outbox); `twice`
delivers every event a second time in another order, and posts every recorded outcome again
(each must be refused with 409); `reporting-late` keeps reporting's
worker down for the whole run and starts it afterwards; `postgres-restart` restarts the
PostgreSQL the databases live on (`pg_ctl restart -m fast`: every connection dropped) after half
the events while posting goes on (posts answered 503 are sent again) and prints how long after
it was back every event posted before it was whole (it restarts only a throwaway server of
`python -m ops with-postgres`); `web-kill` serves the two HTTP services under gunicorn and
SIGKILLs one (master and worker) `--kills` times while it answers a post (a random moment within
about one answer's time after the request went out), restarts it, and the producer sends again
what got no answer, as a real one does (a quarter as many kills again land on outcome posts to
the scheduler). Printed: events in, effects expected and
out, lost, doubled, time to recover (from the end of the fault, or of the posting, to whole).
Exit status 1 when anything is lost or doubled.
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import peewee  # noqa: E402
import yaml  # noqa: E402

from bench.common import memory_kb, mesh_env, reset_peak, start_worker, stop_worker  # noqa: E402

SERVICES = ("scheduler", "complaints", "reporting")
ORG, SOURCE = "acme-electric", "erp://soak"
#: The model: who subscribes to the types of the mix (CONTRACT.md, written out here on purpose).
SUBSCRIBERS = {
    "delivery.shipped": ("scheduler", "reporting"),
    "equipment.commissioned": ("scheduler", "reporting"),
    "service_order.completed": ("scheduler", "reporting"),
    "complaint.raised": ("complaints", "reporting"),
}
FAULTS = ("none", "sigkill", "redis-wipe", "twice", "reporting-late", "postgres-restart", "web-kill")
#: The services that take `POST /api/v1/events` in the soak (in turn).
HTTP_SERVICES = ("scheduler", "complaints")


def the_mix(n: int, seed: int = 16) -> list[tuple[dict, str]]:
    """Gives n (envelope, how: "http" or "raw") of the real mix, reproducibly."""
    rng = random.Random(seed)
    out: list[tuple[dict, str]] = []
    pending_commissioning: list[dict] = []
    i = 0
    while len(out) < n:
        i += 1
        customer = {"id": f"SC-{rng.randrange(2000)}", "name": f"客户{i % 2000}",
                    "segment": rng.choice(["ordinary"] * 6 + ["vip", "government"])}
        slot = i % 10
        base = {"specversion": "1.0", "source": SOURCE, "organization": ORG, "time": "2026-10-12T10:00:00+08:00"}
        if pending_commissioning and slot in (0, 5):
            out.append((pending_commissioning.pop(0), "http"))
            continue
        if slot in (1, 2):
            delivery = f"SD-{i}"
            out.append(({**base, "id": f"soak-{i}-d", "type": "delivery.shipped",
                         "data": {"delivery_id": delivery, "customer": customer, "shipped_on": "2026-10-01",
                                  "product_model": "ZW32-12", "quantity": 1 + i % 3}}, "http"))
            pending_commissioning.append({**base, "id": f"soak-{i}-c", "type": "equipment.commissioned",
                                          "data": {"delivery_id": delivery, "commissioned_on": "2026-10-08"}})
        elif slot in (3, 4, 6):
            out.append(({**base, "id": f"soak-{i}-o", "type": "service_order.completed",
                         "data": {"order_id": f"SO-{i}", "customer": customer,
                                  "completed_at": "2026-10-12T15:00:00+08:00",
                                  "business_line": ("vehicle", "property", "retail")[i % 3],
                                  "kind": rng.choice(["maintenance", "repair", "accident"])}}, "http"))
        else:
            out.append(({**base, "id": f"soak-{i}-k", "type": "complaint.raised",
                         "data": {"complaint_id": f"SK-{i}", "customer": customer,
                                  "description": rng.choice(["维修后仍漏水", "服务态度差", "等待时间过长"]),
                                  "category": rng.choice(["service_quality", "attitude", "waiting_time"])}},
                        "raw" if slot in (8, 9) else "http"))
    return out[:n]


#: The scheduler's callback policy in force for the soak's organisation (it has no file of its own),
#: read by the model as data.
POLICY_FILE = Path(__file__).resolve().parent.parent / "services" / "scheduler" / "data" / "policies" / "default.yaml"
#: RULES 1.1: the callback before power-on (the policy file names only the milestones after it).
INSTALLATION = "installation"
#: Of the callbacks the model says must exist whatever the sampling, the soak records the outcome
#: of those whose CRC-32 of "<delivery or order id>:<kind>" is below OUTCOME_PER_100 (mod 100),
#: dissatisfied below DISSATISFIED_PER_100: the same callbacks on every run.
OUTCOME_PER_100, DISSATISFIED_PER_100 = 5, 2
#: Who records the outcomes: a supervisor may record any callback of the organisation.
SUPERVISOR = "soak-supervisor"
DISSATISFIED_ANSWERS = ("dissatisfied", "very_dissatisfied")


class PolicyModel:
    """RULES 1.1-1.5 as the soak reads them from the policy file (data), not from the scheduler's code:
    which callbacks an order or a delivery gets, who is a key customer, the rates and batch tiers."""

    def __init__(self, path: Path = POLICY_FILE):
        policy = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        key = policy["key_customers"]
        self.key_segments, self.key_kinds = set(key["segments"]), set(key["order_kinds"])
        self.key_rate = key.get("sample_rate", 1.0)
        self.milestones = [m["kind"] for m in policy["equipment"]["milestones"]]
        self.lines = policy["business_lines"]
        self.batch_day = policy["batch"]["day_of_month"]
        self.tiers = policy["tier_sets"][policy["batch"]["tier_set"]]["tiers"]
        #: callbacks a periodic sweep plans from the clock (RULES 1.4's existing customers), not from events
        self.clock_kinds = {line["existing_customers"]["kind"] for line in self.lines.values()
                            if line.get("existing_customers")}

    def is_key(self, segment: str | None, kind: str | None) -> bool:
        return (segment or "ordinary") in self.key_segments or kind in self.key_kinds

    def order_plan(self, line: str, kind: str) -> tuple[list[str], bool, float | None, bool]:
        """Gives (callback kinds, batched, ordinary rate, own rate) of an order of `line` and `kind`."""
        policy = self.lines[line]
        own = (policy.get("order_kinds") or {}).get(kind) or {}
        if own.get("batched"):
            return [kind], True, None, False
        rules = own.get("callbacks") or policy.get("callbacks") or []
        rate = own.get("sample_rate", policy.get("ordinary_sample_rate", 1.0))
        return [r["kind"] for r in rules], False, rate, "sample_rate" in own

    def batch_target(self, n: int) -> int:
        """RULES 1.3: how many of a batch of n orders are called back (the first tier holding n)."""
        for tier in self.tiers:
            if tier.get("up_to") is None or n <= tier["up_to"]:
                if tier.get("count") is not None:
                    return min(tier["count"], n)
                return min(math.ceil(Fraction(str(tier["rate"])) * n), n)
        raise ValueError(f"no tier holds {n}")

    def batch_period(self, day: str) -> str:
        """RULES 1.3: orders completed after the batch day fall into the next month's batch."""
        year, month, d = (int(x) for x in day.split("-"))
        if d > self.batch_day:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return f"{year:04d}-{month:02d}"


@dataclass(frozen=True)
class Target:
    """A callback whose outcome the soak records: `field` (delivery_id or order_id) `ref`, its `kind`;
    it exists once the events before index `after` are handled."""
    field: str
    ref: str
    kind: str
    after: int
    dissatisfied: bool

    @property
    def key(self) -> str:
        return f"{self.ref}:{self.kind}"


def the_callbacks(events: list[dict], policy: PolicyModel) -> tuple[dict, dict, dict]:
    """Gives the model's callbacks of `events`: ({"<ref>:<kind>": (field, ref, index)} certain whatever
    the sampling, {order_id: (kinds, group)} sampled ones, {group: rule}) where a group is a sampling
    period's orders of one pool and its rule ("rate", r) or ("batch",)."""
    certain: dict = {}
    sampled: dict = {}
    groups: dict = {}
    for i, e in enumerate(events):
        d = e["data"]
        if e["type"] == "delivery.shipped":
            certain[f"{d['delivery_id']}:{INSTALLATION}"] = ("delivery_id", d["delivery_id"], i)
        elif e["type"] == "equipment.commissioned":
            for kind in policy.milestones:
                certain[f"{d['delivery_id']}:{kind}"] = ("delivery_id", d["delivery_id"], i)
        elif e["type"] == "service_order.completed":
            kinds, batched, rate, own_rate = policy.order_plan(d["business_line"], d["kind"])
            if not kinds:
                continue
            key = policy.is_key(d["customer"].get("segment"), d["kind"]) and policy.key_rate >= 1
            day = d["completed_at"][:10]
            if batched:  # a key customer's order is in its batch too, picked from the start
                group = (d["business_line"], "batch", policy.batch_period(day))
                groups[group] = ("batch",)
            elif not key and rate < 1:
                group = (d["business_line"], d["kind"] if own_rate else "", day[:7])
                groups[group] = ("rate", rate)
            else:
                group = None
            if key or group is None:
                for kind in kinds:
                    certain[f"{d['order_id']}:{kind}"] = ("order_id", d["order_id"], i)
            if group is not None:
                sampled[d["order_id"]] = (kinds, group, key)
    return certain, sampled, groups


def outcome_targets(events: list[dict], policy: PolicyModel) -> list[Target]:
    """Gives the callbacks whose outcome the soak records, in the order they come to exist."""
    certain = the_callbacks(events, policy)[0]
    targets = []
    unhappy_orders = set()
    for key, (field, ref, i) in sorted(certain.items(), key=lambda item: (item[1][2], item[0])):
        pick = zlib.crc32(key.encode()) % 100
        if pick < OUTCOME_PER_100:
            # One dissatisfied outcome per order at most: a second complaint about the same order is a
            # repeat (RULES 1.3, a special callback), and which of two is the repeat depends on the
            # order the complaints service handles them in; the model does not predict that.
            dissatisfied = pick < DISSATISFIED_PER_100 and not (field == "order_id" and ref in unhappy_orders)
            if dissatisfied and field == "order_id":
                unhappy_orders.add(ref)
            targets.append(Target(field, ref, key.rsplit(":", 1)[1], i + 1, dissatisfied))
    return sorted(targets, key=lambda t: (t.after, t.key))


def expected_state(events: list[dict], policy: PolicyModel | None = None, *, decisions: dict | None = None,
                   outcomes=()) -> tuple[dict, int]:
    """The model's end state: ({(service, what): Counter of ids} (each id once), shortfall).

    Callbacks: every delivery its installation callback and, once commissioned, the policy's
    milestones; every order of a key customer (or kind) and of a line sampled at 100% its line's
    or kind's callbacks; a sampled order its callbacks when the scheduler's recorded decision
    (`decisions`: {order_id: (selected, score)}, one per order) picked it, none otherwise. The
    decisions must keep each period's floor (RULES 1.2/1.5: at least the rate, every order under
    its score picked; RULES 1.3: a batch at least its tier's count): `shortfall` counts the
    callbacks missing from it. `outcomes`: the Targets recorded: each callback done once, each
    dissatisfied one a complaint (`callback:<ref>:<kind>`) in complaints and reporting."""
    policy = policy or PolicyModel()
    want: dict = {}

    def add(service, what, key):
        want.setdefault((service, what), Counter())[key] = 1

    for e in events:
        for service in SUBSCRIBERS[e["type"]]:
            add(service, "inbox", e["id"])
        d = e["data"]
        if e["type"] == "delivery.shipped":
            add("scheduler", "Delivery", d["delivery_id"])
            add("reporting", "Delivery", d["delivery_id"])
        elif e["type"] == "service_order.completed":
            add("scheduler", "ServiceOrder", d["order_id"])
        elif e["type"] == "complaint.raised":
            add("complaints", "Complaint", d["complaint_id"])
            add("reporting", "Complaint", d["complaint_id"])
    certain, sampled, groups = the_callbacks(events, policy)
    for key in certain:
        add("scheduler", "callback", key)
        add("reporting", "Callback", key)
    decisions = decisions or {}
    members: dict = {}
    for order_id, (kinds, group, key) in sampled.items():
        add("scheduler", "decision", order_id)
        members.setdefault(group, []).append((order_id, key))
        selected = decisions.get(order_id, (False, None))[0]
        if selected and not key:
            for kind in kinds:
                add("scheduler", "callback", f"{order_id}:{kind}")
                add("reporting", "Callback", f"{order_id}:{kind}")
    for order_id in (k.rsplit(":", 1)[0] for k, (field, _, _) in certain.items() if field == "order_id"):
        add("scheduler", "decision", order_id)
    shortfall = 0
    for group, rule in groups.items():
        rows = members.get(group, [])
        if rule[0] == "batch":
            picked = sum(1 for o, _ in rows if decisions.get(o, (False,))[0])
            shortfall += max(0, policy.batch_target(len(rows)) - picked)
        else:
            rate = rule[1]
            picked = sum(1 for o, _ in rows if decisions.get(o, (False,))[0])
            shortfall += max(0, math.ceil(Fraction(str(rate)) * len(rows)) - picked)
            shortfall += sum(1 for o, _ in rows if o in decisions and decisions[o][1] is not None
                             and decisions[o][1] < rate and not decisions[o][0])
    for t in outcomes:
        add("scheduler", "callback done", t.key)
        add("reporting", "Callback done", t.key)
        if t.dissatisfied:
            add("complaints", "Complaint", f"callback:{t.key}")
            add("reporting", "Complaint", f"callback:{t.key}")
            add("reporting", "Callback dissatisfied", t.key)
    return want, shortfall


class Redis:
    """The broker of one soak: a redis-server we can stop, wipe and start again on its port."""

    def __init__(self, folder: Path):
        from ops.infra import free_port

        self.folder, self.port, self.proc = folder, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        import redis

        from ops.infra import redis_command

        self.proc = subprocess.Popen(redis_command(self.port, self.folder), stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise SystemExit("soak: redis did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)


class PostgresControl:
    """The PostgreSQL server the soak's databases live on, restarted with its own pg_ctl.

    The server must be on this machine (`SHOW data_directory` gives a folder we can reach), as
    the throwaway one of `python -m ops with-postgres` is; it is restarted as the user owning
    that folder (PostgreSQL refuses root), with the options it was started with
    (`pg_ctl restart` reads postmaster.opts)."""

    def __init__(self, url: str):
        import psycopg2

        conn = psycopg2.connect(url)
        try:
            cur = conn.cursor()
            cur.execute("SHOW data_directory")
            self.data = Path(cur.fetchone()[0])
        finally:
            conn.close()
        if not self.data.parent.name.startswith("huifang-pg-"):
            raise SystemExit(f"soak: the PostgreSQL at {url} (data in {self.data}) is not a throwaway one of "
                             "`python -m ops with-postgres`: not restarting it")
        if not (self.data / "postmaster.pid").exists():
            raise SystemExit(f"soak: the PostgreSQL at {url} is not a local server this soak can restart "
                             f"(its data folder {self.data} is out of reach); run it under `python -m ops with-postgres`")
        from ops.infra import pg_binary

        self.pg_ctl = pg_binary("pg_ctl")
        owner = self.data.stat().st_uid
        self.user_args = []
        if os.geteuid() != owner:
            import pwd

            self.user_args = ["runuser", "-u", pwd.getpwuid(owner).pw_name, "--"]

    def restart(self) -> subprocess.Popen:
        """Starts `pg_ctl restart -m fast` (every connection dropped) and gives its process."""
        return subprocess.Popen([*self.user_args, self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w",
                                 "-l", str(self.data.parent / "log"), "restart"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Soak:
    def __init__(self, *, events: int, fault: str, folder: Path, postgres_url: str | None = None,
                 kills: int = 20, down_seconds: float = 60, threads: int = 2, log=print,
                 rss_after: int | None = None, rss_every: int | None = None):
        from shared.core.settings import load_settings

        self.n, self.fault, self.folder, self.kills, self.down = events, fault, folder, kills, down_seconds
        self.postgres = PostgresControl(postgres_url) if fault == "postgres-restart" else None
        if fault == "postgres-restart" and not postgres_url:
            raise SystemExit("soak: --fault postgres-restart needs PostgreSQL (--postgres-url or HUIFANG_TEST_POSTGRES_URL)")
        self.threads, self.log = threads, log
        self.redis = Redis(folder / "redis").start()
        self.env = mesh_env(folder, self.redis.url, postgres_url)
        self.env["HUIFANG_VAR_DIR"] = str(folder / "var")
        self.settings = load_settings(self.env)
        self.services = {}
        for name in SERVICES:
            service = importlib.import_module(f"services.{name}.service").SERVICE
            service.bind(self.settings, url=self.env[f"HUIFANG_{name.upper()}_DATABASE_URL"])
            service.on_commit[:] = [h for h in service.on_commit if not getattr(h, "_web_relay", False)]
            self.services[name] = service
        self.workers: dict[str, subprocess.Popen] = {}
        #: `--fault web-kill`: the gunicorn of each HTTP service, and its port.
        self.webs: dict[str, subprocess.Popen] = {}
        self.web_ports = {}
        #: what the producer saw: answers other than 202 it re-sent, posts that got no answer
        self.resent = Counter()
        self.recovered_s = None
        self.recovery = None
        #: how long gunicorn takes to answer a post (a moving mean): the kills fall within it
        self.latency = 0.02
        self.clients = {}
        self.raw_sent: list[dict] = []
        #: With a number: each worker's RSS once that many events are through, and its peak at the end.
        self.rss_after = rss_after
        from shared.web.auth import issue_token

        self.policy = PolicyModel()
        self.supervisor = issue_token(self.env["HUIFANG_SECRET_KEY"], login=SUPERVISOR, role="supervisor",
                                      organization=ORG)
        #: the callbacks whose outcome the soak records, and those recorded: {key: (callback id, body)}
        self.targets: list[Target] = []
        self.recorded: dict = {}
        self.outcome_statuses = Counter()
        self.task_keys: dict = {}
        #: callbacks the periodic sweep planned from the clock (RULES 1.4), outside the model
        self.clock_planned: set = set()
        self.want: dict = {}
        self.events: list[dict] = []
        self.outcome_kills: set = set()
        self.shortfall = 0
        #: With a number: each worker's RSS every that many events posted (not waiting for them): how it grows.
        self.rss_every = rss_every
        self.rss_series: list[tuple[int, dict[str, int]]] = []

    # --- processes
    def start_worker(self, name):
        self.workers[name] = start_worker(f"services.{name}.actors", ["events", name], env=self.env, processes=1,
                                          threads=self.threads, log=self.folder / f"{name}.log")

    def kill_worker(self, name):
        proc = self.workers.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)

    def start_web(self, name):
        """Starts the service's web app under gunicorn (`--fault web-kill`); gives once it answers."""
        from ops.infra import control_socket_option, free_port, port_open

        port = self.web_ports.setdefault(name, free_port())
        (self.folder / "run").mkdir(exist_ok=True)
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2",
                   *control_socket_option(self.folder / "run" / f"{name}-web.ctl").replace("'", "").split(),
                   f"services.{name}.app:create_app()"]
        self.webs[name] = subprocess.Popen(command, env={**self.env, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
                                           cwd=Path(__file__).resolve().parent.parent, start_new_session=True,
                                           stdout=open(self.folder / f"{name}-web.log", "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not port_open("127.0.0.1", port):
            if self.webs[name].poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"soak: the gunicorn of {name} did not start (see {self.folder / (name + '-web.log')})")
            time.sleep(0.05)

    def kill_web(self, name):
        proc = self.webs[name]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # killed already
        proc.wait(30)
        from ops.infra import port_open

        deadline = time.monotonic() + 30  # its worker process held the listening socket too: until it is gone
        while port_open("127.0.0.1", self.web_ports[name]) and time.monotonic() < deadline:
            time.sleep(0.02)

    def close(self):
        for proc in self.workers.values():
            stop_worker(proc)
        self.workers.clear()
        for proc in self.webs.values():
            stop_worker(proc)
        self.webs.clear()
        self.redis.stop()

    # --- producers
    def post_http(self, i: int, envelope: dict, *, kill_after: float | None = None) -> int:
        """Posts until the service answers 202, as a real producer does: an answer of 5xx (the
        database restarting) or none at all (the web process killed) is sent again.
        `kill_after`: SIGKILL the gunicorn that many seconds after the request went out."""
        status, _, _ = self.api(HTTP_SERVICES[i % 2], "POST", "/api/v1/events", envelope, kill_after=kill_after)
        return status

    def post_raw(self, envelope: dict, *, remember: bool = True) -> None:
        import redis

        message_id = str(uuid.uuid4())
        body = json.dumps({"queue_name": "events", "actor_name": "publish", "args": [envelope], "kwargs": {},
                           "options": {}, "message_id": message_id,
                           "message_timestamp": int(time.time() * 1000)}, ensure_ascii=False)
        while True:  # the producer retries until Redis takes it
            try:
                pipe = self.redis.client().pipeline()
                pipe.hset("dramatiq:events.msgs", message_id, body)
                pipe.rpush("dramatiq:events", message_id)
                pipe.execute()
                break
            except redis.ConnectionError:
                time.sleep(0.2)
        if remember:
            self.raw_sent.append(envelope)

    # --- the end state
    def observed(self) -> dict:
        """Gives what the services hold: {(service, what): Counter of ids}, and under "decisions" the
        scheduler's sampling decisions {order_id: (selected, score)}."""
        got: dict = {}
        for name, service in self.services.items():
            with service.connection():
                got[(name, "inbox")] = Counter(
                    r.event_id for r in service.Inbox.select(service.Inbox.event_id).where(
                        service.Inbox.source == SOURCE))
                models = {m.__name__: m for m in service.models}
                for what, key in (("Delivery", "delivery_id"), ("ServiceOrder", "order_id"),
                                  ("Complaint", "complaint_id")):
                    model = models.get(what)
                    if model is not None and (name, what) in self.want:
                        got[(name, what)] = Counter(getattr(r, key) for r in model.select(getattr(model, key)).where(
                            model.organization == ORG))
                if name == "scheduler":
                    tasks, decisions = models["CallbackTask"], models["SamplingDecision"]
                    task_keys = {}
                    got[(name, "callback")], got[(name, "callback done")] = Counter(), Counter()
                    for task_id, delivery_id, order_id, kind, status in tasks.select(
                            tasks.id, tasks.delivery_id, tasks.order_id, tasks.kind, tasks.status).where(
                            tasks.organization == ORG).tuples():
                        if kind in self.policy.clock_kinds:
                            self.clock_planned.add(task_id)
                            continue
                        key = f"{delivery_id or order_id}:{kind}"
                        task_keys[task_id] = key
                        got[(name, "callback")][key] += 1
                        if status == "done":
                            got[(name, "callback done")][key] += 1
                    got[(name, "decision")] = Counter()
                    got["decisions"] = {}
                    for order_id, selected, score in decisions.select(
                            decisions.order_id, decisions.selected, decisions.score).where(
                            decisions.organization == ORG).tuples():
                        got[(name, "decision")][order_id] += 1
                        got["decisions"][order_id] = (bool(selected), score)
                    self.task_keys = task_keys
                if name == "reporting":
                    callbacks = models["Callback"]
                    for what in ("Callback", "Callback done", "Callback dissatisfied"):
                        got[(name, what)] = Counter()
                    for delivery_id, order_id, kind, status, product, service_answer in callbacks.select(
                            callbacks.delivery_id, callbacks.order_id, callbacks.kind, callbacks.status,
                            callbacks.product_satisfaction, callbacks.service_satisfaction).where(
                            callbacks.organization == ORG).tuples():
                        if kind in self.policy.clock_kinds:
                            continue
                        key = f"{delivery_id or order_id}:{kind}"
                        got[(name, "Callback")][key] += 1
                        if status == "done":
                            got[(name, "Callback done")][key] += 1
                        if {product, service_answer} & set(DISSATISFIED_ANSWERS):
                            got[(name, "Callback dissatisfied")][key] += 1
        for name in ("complaints", "reporting"):  # the complaint a dissatisfied callback raised, by its callback
            complaints = got.get((name, "Complaint"), Counter())
            got[(name, "Complaint")] = Counter({
                (f"callback:{self.task_keys.get(k[len('callback-'):], k)}" if k.startswith("callback-") else k): n
                for k, n in complaints.items()})
        return got

    def wanted(self, got: dict, events: list[dict] | None = None, outcomes=None) -> tuple[dict, int]:
        """The model's end state, with the scheduler's recorded sampling decisions (see expected_state)."""
        return expected_state(events if events is not None else self.events, self.policy,
                              decisions=got.get("decisions"),
                              outcomes=self.recorded_targets() if outcomes is None else outcomes)

    def recorded_targets(self) -> list[Target]:
        return [t for t in self.targets if t.key in self.recorded]

    def compare(self) -> tuple[int, int, int, int]:
        """Gives (expected, out, lost, doubled); `out` counts distinct effects, extras are doubled;
        a sampling period short of its floor counts its missing callbacks as lost."""
        got = self.observed()
        self.want, shortfall = self.wanted(got)
        expected = sum(len(c) for c in self.want.values())
        lost, doubled, out = shortfall, 0, 0
        self.detail = {}
        for key, want in self.want.items():
            have = got.get(key, Counter())
            out += len(set(have) & set(want))
            lost += len(set(want) - set(have))
            doubled += sum(v - 1 for v in have.values() if v > 1) + len(set(have) - set(want))
            self.detail[key] = (len(want), len(set(want) - set(have)),
                                sum(v - 1 for v in have.values() if v > 1) + len(set(have) - set(want)))
        self.shortfall = shortfall
        return expected, out, lost, doubled

    # --- callback outcomes, over the scheduler's API as an agent's client records them
    def api(self, name: str, method: str, path: str, body: dict | None = None, *,
            token: str | None = None, kill_after: float | None = None, what: str = "") -> tuple[int, object, bool]:
        """Gives (status, JSON answer, sent again): an answer of 5xx (the database restarting) or none
        at all (the web process killed: refused, reset, closed, or cut off mid-answer) is sent again.
        `kill_after` (`--fault web-kill`): SIGKILL the gunicorn that long after the request went out.
        `what`: how the producer's counts name these requests."""
        again = False
        while True:
            try:
                status, data = self._call(name, method, path, body, token or self.settings.api_token, kill_after, what)
            except (OSError, HTTPException) as exc:
                status, data = None, None
                self.log(f"soak: {method} {path}: no answer from {name} ({exc!r})")
            if kill_after is not None:
                kill_after = None
                self.kill_web(name)  # the timer's kill, or (when the answer came first) at once
                self.start_web(name)
            if status is not None and status < 500:
                return status, data, again
            again = True
            self.resent[f"{what}{'no answer' if status is None else status}"] += 1
            time.sleep(0.05)

    def _call(self, name: str, method: str, path: str, body: dict | None, token: str,
              kill_after: float | None = None, what: str = "") -> tuple[int, object]:
        headers = {"Authorization": f"Bearer {token}"}
        if self.webs:
            import threading

            conn = HTTPConnection("127.0.0.1", self.web_ports[name], timeout=120)
            try:
                conn.request(method, path, body=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
                             headers={**headers, "Content-Type": "application/json"})
                timer = None
                if kill_after is not None:  # the request is out: the process dies while answering it
                    timer = threading.Timer(kill_after, self.kill_web, args=(name,))
                    timer.start()
                began = time.perf_counter()
                try:
                    answer = conn.getresponse()
                    raw = answer.read()
                finally:
                    if timer is not None:
                        timer.join()
                if timer is not None:
                    self.resent[f"{what}answered before the kill"] += 1
                else:  # how long gunicorn takes to answer: the kills fall within it
                    self.latency = 0.9 * self.latency + 0.1 * (time.perf_counter() - began)
                return answer.status, (json.loads(raw) if raw.strip().startswith((b"{", b"[")) else None)
            finally:
                conn.close()
        answer = self.client(name).open(path, method=method, json=body, headers=headers)
        return answer.status_code, answer.get_json(silent=True)

    def client(self, name: str):
        if name not in self.clients:
            app = importlib.import_module(f"services.{name}.app").create_app({"HUIFANG_SETTINGS": self.settings})
            self.clients[name] = app.test_client()
        return self.clients[name]

    def post_outcomes(self, upto: int) -> int:
        """Records the outcome of every target whose events (before index `upto`) are posted and whose
        callback the scheduler has planned by now; gives how many are still to record."""
        ready: dict = {}
        for t in self.targets:
            if t.after <= upto and t.key not in self.recorded:
                ready.setdefault((t.field, t.ref), []).append(t)
        for (field, ref), targets in ready.items():
            status, listed, _ = self.api("scheduler", "GET", f"/api/v1/callbacks?{field}={quote(ref)}",
                                         token=self.supervisor, what="outcome ")
            if status != 200:
                raise SystemExit(f"soak: GET /api/v1/callbacks?{field}={ref} answered {status}: {listed}")
            tasks = {row["kind"]: row for row in listed}
            for t in targets:
                if t.kind in tasks:
                    self.record_outcome(t, tasks[t.kind])
        return sum(1 for t in self.targets if t.key not in self.recorded)

    def outcome_body(self, callback_id: str, dissatisfied: bool) -> dict:
        """The answers an agent gives: every satisfaction question `satisfied` (the first one
        `dissatisfied` for a dissatisfied customer, with the reason), required yes/no questions no."""
        status, questionnaire, _ = self.api("scheduler", "GET", f"/api/v1/callbacks/{callback_id}/questionnaire",
                                            token=self.supervisor, what="outcome ")
        if status != 200:
            raise SystemExit(f"soak: the questionnaire of {callback_id} answered {status}: {questionnaire}")
        answers = {}
        for q in questionnaire["questions"]:
            if q["answer_type"] == "satisfaction":
                answers[q["id"]] = "dissatisfied" if dissatisfied and not answers else "satisfied"
            elif q.get("required"):
                answers[q["id"]] = False if q["answer_type"] == "yes_no" else "无"
        if dissatisfied and "dissatisfied" not in answers.values():
            raise SystemExit(f"soak: questionnaire {questionnaire['name']} asks no satisfaction question")
        body = {"reached": True, "answers": answers, "duration_s": 150}
        if dissatisfied:
            body["dissatisfied_reason"] = "客户对设备运行和服务响应不满意（soak）"
        return body

    def record_outcome(self, t: Target, task: dict) -> None:
        if task["status"] != "open":
            raise SystemExit(f"soak: callback {t.key} ({task['id']}) is {task['status']} before its outcome was posted")
        kill_after = (random.Random(t.key).uniform(0, 1.5 * self.latency) if t.key in self.outcome_kills
                      else None)
        for _ in range(3):
            body = self.outcome_body(task["id"], t.dissatisfied)
            status, answer, again = self.api("scheduler", "POST", f"/api/v1/callbacks/{task['id']}/outcome", body,
                                             token=self.supervisor, kill_after=kill_after, what="outcome ")
            kill_after = None
            self.outcome_statuses[status] += 1
            if status == 200:
                break
            if status == 409 and again:  # the first post was recorded, its answer lost: done, as a client checks
                status, now, _ = self.api("scheduler", "GET", f"/api/v1/callbacks/{task['id']}",
                                          token=self.supervisor, what="outcome ")
                if status == 200 and now["status"] == "done":
                    self.resent["outcome sent again, already recorded (409)"] += 1
                    break
            if status != 422:  # 422: the customer's questionnaire changed meanwhile (a new segment): ask it again
                raise SystemExit(f"soak: POST outcome of {t.key} answered {status}: {answer}")
        else:
            raise SystemExit(f"soak: the outcome of {t.key} was refused three times: {answer}")
        self.recorded[t.key] = (task["id"], body)

    def resend_outcomes(self) -> None:
        """`--fault twice`: every recorded outcome posted again, as a client that lost the answers:
        each must be refused (409), nothing done twice."""
        for key, (callback_id, body) in self.recorded.items():
            status, answer, _ = self.api("scheduler", "POST", f"/api/v1/callbacks/{callback_id}/outcome", body,
                                         token=self.supervisor, what="outcome ")
            self.outcome_statuses[f"again {status}"] += 1

    def finish_outcomes(self, upto: int, timeout: float = 1800) -> None:
        deadline = time.monotonic() + timeout
        while self.post_outcomes(upto):
            if time.monotonic() > deadline:
                raise SystemExit(f"soak: callbacks to record never planned: "
                                 f"{[t.key for t in self.targets if t.key not in self.recorded][:10]}")
            time.sleep(0.5)

    def close_due_batches(self) -> None:
        """Runs the scheduler's batch sweep once (as its worker does every 5 minutes, and an operator may):
        the month's batch of routine property orders is closed and topped up to its tier (RULES 1.3)."""
        from services.scheduler import jobs

        for _ in range(5):
            try:
                self.services["scheduler"].run(jobs.close_due_batches, organization=ORG)
                return
            except peewee.DatabaseError:  # the worker's own sweep closed it at the same moment
                time.sleep(0.5)

    # --- the run
    def run(self) -> dict:
        mix = the_mix(self.n)
        self.events = [e for e, _ in mix]
        self.want = self.wanted({}, outcomes=())[0]
        self.targets = outcome_targets(self.events, self.policy)
        #: web-kill: a quarter as many kills again land on outcome posts (the scheduler's gunicorn)
        self.outcome_kills = {t.key for t in random.Random(8).sample(self.targets, min(len(self.targets), max(
            1, self.kills // 4)))} if self.fault == "web-kill" else set()
        late = self.fault == "reporting-late"
        for name in SERVICES:
            if not (late and name == "reporting"):
                self.start_worker(name)
        rng = random.Random(7)
        kill_at = set(rng.sample(range(len(mix) // 10, len(mix)), self.kills)) if self.fault == "sigkill" else set()
        web_kill_at = set(rng.sample([i for i in range(len(mix) // 10, len(mix)) if mix[i][1] == "http"], self.kills)) \
            if self.fault == "web-kill" else set()
        if self.fault == "web-kill":
            for name in HTTP_SERVICES:
                self.start_web(name)
        restart_at = len(mix) // 2 if self.fault == "postgres-restart" else None
        restarting = None
        wipe_at = len(mix) // 2 if self.fault == "redis-wipe" else None
        down_until = None
        statuses = Counter()
        fault_ended = None
        started = time.perf_counter()
        rss_first = {}
        for i, (envelope, how) in enumerate(mix):
            if self.rss_after and i == self.rss_after:
                # after the first events are through: the base line of each worker's memory
                self.wait_whole(timeout=1800, upto=i, mix=mix)
                rss_first = {name: memory_kb(proc.pid, "VmRSS") for name, proc in self.workers.items()}
                for proc in self.workers.values():
                    reset_peak(proc.pid)  # the peak is the one after this base line, not a start-up's
            if self.rss_every and i and i % self.rss_every == 0:
                self.rss_series.append((i, {name: memory_kb(proc.pid, "VmRSS") for name, proc in self.workers.items()}))
            if i in kill_at:
                victim = rng.choice([n for n in SERVICES if n in self.workers])
                self.kill_worker(victim)
                self.start_worker(victim)
                fault_ended = time.perf_counter()
            if i == restart_at:
                self.log(f"soak: PostgreSQL restarted (pg_ctl restart -m fast) after {i} events, posting on")
                restarting = self.postgres.restart()
                restarted_upto = i
            if restarting is not None and restarting.poll() is not None:
                if restarting.returncode:
                    raise SystemExit("soak: pg_ctl restart failed")
                restarting = None
                fault_ended = time.perf_counter()
                self.watch_recovery(restarted_upto, mix, fault_ended)
            if i == wipe_at:
                self.log(f"soak: Redis stopped and its data wiped after {i} events; up again in {self.down:.0f}s")
                self.redis.stop()
                shutil.rmtree(self.redis.folder)
                down_until = time.perf_counter() + self.down
            if down_until is not None and (time.perf_counter() >= down_until or how == "raw"):
                if time.perf_counter() < down_until:
                    time.sleep(down_until - time.perf_counter())  # the raw producer waits for Redis
                self.redis.start()
                down_until = None
                fault_ended = time.perf_counter()
                # the raw producer, which has no outbox, sends again what Redis may have lost
                for again in list(self.raw_sent):
                    self.post_raw(again, remember=False)
            if how == "http":
                kill_after = random.Random(i).uniform(0, 1.5 * self.latency) if i in web_kill_at else None
                statuses[self.post_http(i, envelope, kill_after=kill_after)] += 1
                if kill_after is not None:
                    fault_ended = time.perf_counter()
            else:
                self.post_raw(envelope)
            if i % 50 == 49:  # the agents record the outcomes of the callbacks planned by now
                self.post_outcomes(i + 1)
        if restarting is not None:
            if restarting.wait(120):
                raise SystemExit("soak: pg_ctl restart failed")
            fault_ended = time.perf_counter()
            self.watch_recovery(restarted_upto, mix, fault_ended)
        if down_until is not None:
            time.sleep(max(0.0, down_until - time.perf_counter()))
            self.redis.start()
            fault_ended = time.perf_counter()
            for again in list(self.raw_sent):
                self.post_raw(again, remember=False)
        if self.fault == "twice":
            again = list(mix)
            random.Random(99).shuffle(again)
            for i, (envelope, how) in enumerate(again):
                if how == "http":
                    statuses[self.post_http(i + 1, envelope)] += 1
                else:
                    self.post_raw(envelope, remember=False)
        self.close_due_batches()
        self.finish_outcomes(len(mix))
        if self.fault == "twice":
            self.resend_outcomes()
        posted = time.perf_counter()
        if late:
            self.wait_whole(lambda key: key[0] != "reporting", timeout=1800)
            self.log(f"soak: the other services whole after {time.perf_counter() - started:.1f}s; reporting starts")
            fault_ended = time.perf_counter()
            self.start_worker("reporting")
        whole_at = self.wait_whole(timeout=3600)
        if self.recovery is not None:
            self.recovery.join()
        time.sleep(2)  # let any late duplicate show up before counting
        expected, out, lost, doubled = self.compare()
        events_in = len(mix) * (2 if self.fault == "twice" else 1)
        rss = {name: (rss_first.get(name), memory_kb(proc.pid, "VmHWM"), memory_kb(proc.pid, "VmRSS"))
               for name, proc in self.workers.items()} if self.rss_after else {}
        if self.fault == "web-kill":
            self.resent["committed, then killed before answering"] = self.committed_twice()
        dissatisfied = sum(1 for t in self.targets if t.dissatisfied)
        return {"rss": rss, "rss_series": self.rss_series, "fault": self.fault, "events_in": events_in,
                "http": dict(statuses),
                "callbacks": len(self.want.get(("scheduler", "callback"), ())),
                "outcomes": len(self.recorded), "dissatisfied": dissatisfied,
                "outcome_http": dict(self.outcome_statuses), "clock_planned": len(self.clock_planned),
                "shortfall": self.shortfall,
                "raw": sum(1 for _, how in mix if how == "raw") * (2 if self.fault == "twice" else 1), "expected": expected, "out": out, "lost": lost,
                "doubled": doubled, "posting_s": posted - started, "whole_s": whole_at - started,
                "recover_s": whole_at - (fault_ended or posted),
                "rate": events_in / (whole_at - started), "producer": dict(self.resent),
                "recovered_s": self.recovered_s}

    def committed_twice(self) -> int:
        """Gives how many events the HTTP services' outboxes hold twice: a post committed, its
        process killed before the answer left, sent again by the producer (the inboxes absorb it)."""
        twice = 0
        for name in HTTP_SERVICES:
            service = self.services[name]
            with service.connection():
                rows = Counter(r.event_id for r in service.Outbox.select(service.Outbox.event_id).where(
                    service.Outbox.event_id.startswith("soak-")))
            twice += sum(1 for count in rows.values() if count > 1)
        return twice

    def watch_recovery(self, upto: int, mix, since: float) -> None:
        """Notes, in a thread beside the producer, when every effect of the events posted before
        the fault exists: the time the mesh took to recover from it."""
        import threading

        def watch():
            self.recovered_s = self.wait_whole(timeout=1800, upto=upto, mix=mix) - since

        self.recovery = threading.Thread(target=watch, daemon=True)
        self.recovery.start()

    def wait_whole(self, only=lambda key: True, *, timeout: float, upto: int | None = None, mix=None) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            looked = time.perf_counter()
            try:
                got = self.observed()
            except peewee.DatabaseError:  # a pooled connection PostgreSQL's restart dropped: it is gone now
                time.sleep(0.5)
                continue
            # before the end (a fault's recovery, the RSS base line): the events' effects, not the outcomes'
            want = self.wanted(got) if upto is None else self.wanted(got, [e for e, _ in mix[:upto]], outcomes=())
            want = want[0]
            if all(set(got.get(k, ())) >= set(v) for k, v in want.items() if only(k)):
                return time.perf_counter()
            time.sleep(max(0.5, 2 * (time.perf_counter() - looked)))  # looking costs the mesh too
        return time.perf_counter()


def report(figures: dict) -> str:
    rss = "".join(f"; {name} RSS after the first events {first / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB "
                  f"({peak / first:.2f}x), at the end {now / 1024:.0f} MiB"
                  for name, (first, peak, now) in figures.get("rss", {}).items() if first)
    series = "".join(f"; RSS at {i:,} events posted: " + ", ".join(f"{name} {kb / 1024:.0f} MiB" for name, kb in by.items())
                     for i, by in figures.get("rss_series", []))
    return (f"soak --fault {figures['fault']}: events in {figures['events_in']:,} (HTTP answers {figures['http']}, "
            f"{figures['raw']:,} raw Redis); effects expected {figures['expected']:,}, out {figures['out']:,}; "
            f"lost {figures['lost']}, doubled {figures['doubled']}; posting {figures['posting_s']:.1f}s, whole after "
            f"{figures['whole_s']:.1f}s ({figures['rate']:.0f} events/s), recovered "
            f"{figures['recover_s']:.1f}s after the fault (or the last post)"
            + (f"; the events posted before it were whole {figures['recovered_s']:.1f}s after PostgreSQL was back"
               if figures.get("recovered_s") is not None else "")
            + (f"; the producer: {figures['producer']}" if figures.get("producer") else "")
            + (f"; callbacks expected {figures['callbacks']:,} (and {figures['clock_planned']} periodic ones the clock "
               f"planned, outside the model), outcomes recorded {figures['outcomes']:,} of which "
               f"{figures['dissatisfied']} dissatisfied (HTTP answers {figures['outcome_http']}), sampling floors short "
               f"by {figures['shortfall']}" if "callbacks" in figures else "")
            + rss + series)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--fault", choices=FAULTS, default="none")
    parser.add_argument("--postgres-url", default=os.environ.get("HUIFANG_TEST_POSTGRES_URL"),
                        help="postgresql://... (default: HUIFANG_TEST_POSTGRES_URL; none: SQLite)")
    parser.add_argument("--kills", type=int, default=20, help="sigkill: workers killed; web-kill: gunicorns killed")
    parser.add_argument("--down-seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rss-after", type=int, help="print each worker's RSS after this many events and its peak")
    parser.add_argument("--rss-every", type=int, help="print each worker's RSS every this many events posted")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = Path(tempfile.mkdtemp(prefix="huifang-soak-"))
    soak = Soak(events=args.events, fault=args.fault, folder=folder, postgres_url=args.postgres_url,
                kills=args.kills, down_seconds=args.down_seconds, threads=args.threads, rss_after=args.rss_after,
                rss_every=args.rss_every)
    try:
        figures = soak.run()
    finally:
        soak.close()
    print(report(figures), flush=True)
    if figures["lost"] or figures["doubled"]:
        for (service, what), (expected, lost, doubled) in soak.detail.items():
            if lost or doubled:
                print(f"  {service} {what}: expected {expected}, lost {lost}, doubled {doubled}", flush=True)
        raise SystemExit(1)
    if any(first and peak > 1.2 * first for first, peak, _ in figures["rss"].values()):
        raise SystemExit("soak: a worker's peak RSS is more than 20% above its RSS after the first events")


if __name__ == "__main__":
    main()
