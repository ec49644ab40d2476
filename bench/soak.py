"""The soak (issue 16, items 1 and 2): the real mix through the whole mesh, with a fault.

    .venv/bin/python bench/soak.py [--events 10000]
        [--fault none|sigkill|redis-wipe|twice|reporting-late|postgres-restart|web-kill]
                                   [--postgres-url URL] [--kills 20] [--down-seconds 60]

Events (organisation acme-electric, source erp://soak): deliveries each followed later by its
commissioning, service orders of every business line (vehicle, property, retail), complaints
raised over HTTP and over raw Redis (CONTRACT.md's HSET + RPUSH). HTTP events go to the
scheduler's and the complaints service's `POST /api/v1/events` in turn (real web apps,
in-process), so every one crosses the broker through an outbox.

The expected end state comes from a small model here (which service subscribes to which of
these types, which rows each event makes), not from the services' code. At the end every
expected effect must exist exactly once and nothing else:
- each service's inbox holds exactly the ids of the events it subscribes to;
- scheduler: one Delivery per delivery, one ServiceOrder per order; complaints: one Complaint
  per complaint; reporting: one Delivery per delivery and one Complaint per complaint.

Faults: `sigkill` kills a random service's worker with SIGKILL `--kills` times while events
flow (restarted at once); `redis-wipe` stops Redis in the middle for `--down-seconds`, wipes its
data folder and starts it empty (HTTP posts go on meanwhile and get 202; the raw-Redis producer
waits, and re-sends what it had sent before the loss: that producer has no outbox); `twice`
delivers every event a second time in another order; `reporting-late` keeps reporting's
worker down for the whole run and starts it afterwards; `postgres-restart` restarts the
PostgreSQL the databases live on (`pg_ctl restart -m fast`: every connection dropped) after half
the events while posting goes on (posts answered 503 are sent again) and prints how long after
it was back every event posted before it was whole (it restarts only a throwaway server of
`shared.devtools with-postgres`); `web-kill` serves the two HTTP services under gunicorn and
SIGKILLs one (master and worker) `--kills` times while it answers a post (a random moment within
about one answer's time after the request went out), restarts it, and the producer sends again
what got no answer, as a real one does. Printed: events in, effects expected and
out, lost, doubled, time to recover (from the end of the fault, or of the posting, to whole).
Exit status 1 when anything is lost or doubled.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from http.client import HTTPConnection, HTTPException
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import peewee  # noqa: E402

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


def expected_state(events: list[dict]) -> dict:
    """The model's end state: {(service, what): Counter of ids} (each id once)."""
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
    return want


class Redis:
    """The broker of one soak: a redis-server we can stop, wipe and start again on its port."""

    def __init__(self, folder: Path):
        from shared.devtools import free_port

        self.folder, self.port, self.proc = folder, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        import redis

        from shared.devtools import redis_command

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
    the throwaway one of `shared.devtools with-postgres` is; it is restarted as the user owning
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
                             "`shared.devtools with-postgres`: not restarting it")
        if not (self.data / "postmaster.pid").exists():
            raise SystemExit(f"soak: the PostgreSQL at {url} is not a local server this soak can restart "
                             f"(its data folder {self.data} is out of reach); run it under `shared.devtools with-postgres`")
        from shared.devtools import pg_binary

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
        from shared.settings import load_settings

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
        from shared.devtools import control_socket_option, free_port, port_open

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
        from shared.devtools import port_open

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
        name = HTTP_SERVICES[i % 2]
        while True:
            try:
                status = self._post_once(name, envelope, kill_after)
            except (OSError, HTTPException) as exc:  # refused, reset, closed, or cut off mid-answer
                status = None
                self.log(f"soak: no answer from {name} ({exc!r})")
            if kill_after is not None:
                kill_after = None
                self.kill_web(name)  # the timer's kill, or (when the answer came first) at once
                self.start_web(name)
            if status is not None and status < 500:
                return status
            self.resent["no answer" if status is None else status] += 1
            time.sleep(0.05)

    def _post_once(self, name: str, envelope: dict, kill_after: float | None) -> int:
        if self.webs:
            import threading

            conn = HTTPConnection("127.0.0.1", self.web_ports[name], timeout=120)
            try:
                conn.request("POST", "/api/v1/events", body=json.dumps(envelope, ensure_ascii=False).encode(),
                             headers={"Authorization": f"Bearer {self.settings.api_token}",
                                      "Content-Type": "application/json"})
                if kill_after is not None:  # the request is out: the process dies while answering it
                    timer = threading.Timer(kill_after, self.kill_web, args=(name,))
                    timer.start()
                    try:
                        answer = conn.getresponse()
                        answer.read()
                        self.resent["answered before the kill"] += 1
                        return answer.status
                    finally:
                        timer.join()
                began = time.perf_counter()
                answer = conn.getresponse()
                answer.read()
                self.latency = 0.9 * self.latency + 0.1 * (time.perf_counter() - began)
                return answer.status
            finally:
                conn.close()
        if name not in self.clients:
            app = importlib.import_module(f"services.{name}.app").create_app({"HUIFANG_SETTINGS": self.settings})
            self.clients[name] = app.test_client()
        answer = self.clients[name].post("/api/v1/events", json=envelope,
                                         headers={"Authorization": f"Bearer {self.settings.api_token}"})
        return answer.status_code

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
        return got

    def compare(self) -> tuple[int, int, int, int]:
        """Gives (expected, out, lost, doubled); `out` counts distinct effects, extras are doubled."""
        got = self.observed()
        expected = sum(len(c) for c in self.want.values())
        lost = doubled = out = 0
        for key, want in self.want.items():
            have = got.get(key, Counter())
            out += len(set(have) & set(want))
            lost += len(set(want) - set(have))
            doubled += sum(v - 1 for v in have.values() if v > 1) + len(set(have) - set(want))
        return expected, out, lost, doubled

    # --- the run
    def run(self) -> dict:
        mix = the_mix(self.n)
        self.want = expected_state([e for e, _ in mix])
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
        return {"rss": rss, "rss_series": self.rss_series, "fault": self.fault, "events_in": events_in, "http": dict(statuses),
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
        want = self.want if upto is None else expected_state([e for e, _ in mix[:upto]])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            looked = time.perf_counter()
            try:
                got = self.observed()
            except peewee.DatabaseError:  # a pooled connection PostgreSQL's restart dropped: it is gone now
                time.sleep(0.5)
                continue
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
            + (f"; the producer: {figures['producer']}" if figures.get("producer") else "") + rss + series)


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
        raise SystemExit(1)
    if any(first and peak > 1.2 * first for first, peak, _ in figures["rss"].values()):
        raise SystemExit("soak: a worker's peak RSS is more than 20% above its RSS after the first events")


if __name__ == "__main__":
    main()
