"""What the benchmarks share: a private Redis, worker processes, raw enqueueing, timing."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from http.client import HTTPConnection, RemoteDisconnected
from pathlib import Path

import redis

from ops.infra import free_port, redis_command
from shared.core.settings import ROOT


class PrivateRedis:
    """A Redis for one benchmark run, on a free port, removed afterwards."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="huifang-bench-redis-"))
        self.port = free_port()
        self.proc = subprocess.Popen(redis_command(self.port, self.folder), stdout=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)


def raw_messages(queue: str, actor: str, payloads) -> list[tuple[str, str]]:
    now = int(time.time() * 1000)
    out = []
    for payload in payloads:
        message_id = str(uuid.uuid4())
        out.append((message_id, json.dumps({"queue_name": queue, "actor_name": actor, "args": [payload],
                                            "kwargs": {}, "options": {}, "message_id": message_id,
                                            "message_timestamp": now})))
    return out


def enqueue_raw(client, queue: str, messages, batch: int = 1000) -> None:
    """Enqueues in the CONTRACT.md format, pipelined."""
    for i in range(0, len(messages), batch):
        chunk = messages[i:i + batch]
        pipe = client.pipeline(transaction=False)
        pipe.hset(f"dramatiq:{queue}.msgs", mapping=dict(chunk))
        pipe.rpush(f"dramatiq:{queue}", *[mid for mid, _ in chunk])
        pipe.execute()


def start_worker(module: str, queues: list[str], *, env: dict, processes: int, threads: int, log: Path):
    return subprocess.Popen(
        [sys.executable, "-m", "dramatiq", module, "--processes", str(processes), "--threads", str(threads),
         "--queues", *queues],
        env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
        start_new_session=True)


def stop_worker(proc) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_until(check, *, timeout: float, interval: float = 0.05, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise SystemExit(f"bench: timed out after {timeout}s waiting for {what}")


def reset_peak(pid: int) -> None:
    """Starts a process's (and its children's) VmHWM again from its RSS now (Linux `clear_refs` 5)."""
    pids = [pid]
    try:
        pids += [int(c) for c in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    except FileNotFoundError:
        pass
    for p in pids:
        try:
            Path(f"/proc/{p}/clear_refs").write_text("5")
        except OSError:
            pass


def peak_rss_kb(pid: int) -> int:
    """Gives the peak resident memory (VmHWM) of a process and its children, in KiB."""
    return memory_kb(pid, "VmHWM")


def memory_kb(pid: int, field: str = "VmRSS") -> int:
    """Gives the sum of a /proc status field (VmRSS: now, VmHWM: the peak) over a process and
    its children (a dramatiq worker and its worker processes), in KiB."""
    total = 0
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(c) for c in children]
    except FileNotFoundError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


class PageClient:
    """One person's browser: a keep-alive connection and the session cookie (or a bearer token)."""

    def __init__(self, port: int, password: str):
        self.conn = HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = None
        self.password = password

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None):
        """Gives (status, body, server ms from Server-Timing or None, client ms)."""
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (RemoteDisconnected, ConnectionError):  # the server closed an idle keep-alive connection
            self.conn.close()
            started = time.perf_counter()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        client_ms = (time.perf_counter() - started) * 1000
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        timing = re.search(r"dur=([0-9.]+)", response.getheader("Server-Timing") or "")
        return response.status, data, (float(timing.group(1)) if timing else None), client_ms

    def sign_in(self, login: str) -> None:
        status, html, _, _ = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()
        body = urllib.parse.urlencode({"login": login, "password": self.password, "csrf_token": token}).encode()
        status, _, _, _ = self.request("POST", "/login", body=body,
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        if status != 303:
            raise SystemExit(f"bench: {login} could not sign in ({status})")


def start_gunicorn(env: dict, port: int, log: Path, app: str) -> subprocess.Popen:
    """Starts gunicorn (2 workers x 4 threads, as deploy/Procfile) on `app` ("module:factory()");
    gives the process once /healthz answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
         "--backlog", "256", app],
        env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
        start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    stop_worker(proc)
    raise SystemExit(f"bench: gunicorn ({app}) did not answer on {port}; see {log}")


def mesh_env(folder: Path, broker_url: str, postgres_url: str | None = None, *, services=("scheduler", "complaints",
                                                                                         "reporting")) -> dict:
    """Gives the environment of a benchmark's mesh: a database per service (SQLite files in
    `folder`, or new PostgreSQL databases next to `postgres_url`), the broker, the tokens."""
    env = {**os.environ, "HUIFANG_BROKER_URL": broker_url, "HUIFANG_VAR_DIR": str(folder),
           "HUIFANG_SECRET_KEY": "b" * 32, "HUIFANG_API_TOKEN": "bench-integration-token-" + "x" * 16}
    for name in services:
        if postgres_url:
            import psycopg2

            db = f"bench_{name}_{uuid.uuid4().hex[:8]}"
            conn = psycopg2.connect(postgres_url)
            conn.autocommit = True
            conn.cursor().execute(f'CREATE DATABASE "{db}"')
            conn.close()
            env[f"HUIFANG_{name.upper()}_DATABASE_URL"] = postgres_url.rsplit("/", 1)[0] + "/" + db
        else:
            env[f"HUIFANG_{name.upper()}_DATABASE_URL"] = f"sqlite:///{folder / (name + '.db')}"
    return env
