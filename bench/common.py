"""What the benchmarks share: a private Redis, worker processes, raw enqueueing, timing."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

from shared.devtools import free_port, redis_command
from shared.settings import ROOT


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


def peak_rss_kb(pid: int) -> int:
    """Gives the peak resident memory (VmHWM) of a process and its children, in KiB."""
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
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total
