"""Scale: several worker processes of one service on one broker and one database
handle every event once, on Redis and on RabbitMQ; two web processes answer on one port.

The default suite sends 1,000 events; `make scale-test` (HUIFANG_SCALE_EVENTS=10000) the full size.
Each event is sent twice, so the workers race on duplicates too.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import dramatiq
from shared.mesh.broker import make_broker
from ops.infra import control_socket_option, free_port, port_open
from shared.mesh.outbox import EVENTS_QUEUE, PUBLISH_ACTOR
from shared.mesh.relay import enqueue_all
from shared.core.settings import ROOT
from testkit.events import envelope
from testkit.mesh import SHIPPED, break_policy, callbacks_of, ops
from testkit.polling import eventually
from testkit.tokens import API_TOKEN

#: Events per scale test: 1,000 in the default suite, 10,000 with `make scale-test`.
EVENTS = int(os.environ.get("HUIFANG_SCALE_EVENTS", "1000"))
#: Worker processes of the one service (as if on two hosts: separate `dramatiq` commands), and
#: threads of each: HUIFANG_SCALE_WORKERS / HUIFANG_SCALE_THREADS to measure others (docs/PRODUCTION.md "Scaling").
WORKERS = int(os.environ.get("HUIFANG_SCALE_WORKERS", "2"))
THREADS = int(os.environ.get("HUIFANG_SCALE_THREADS", "2"))


def start_workers(mesh, name: str, count: int, *, threads: int = 2) -> list[subprocess.Popen]:
    procs = []
    for i in range(count):
        log = open(mesh.folder / f"{name}-worker-{i}.log", "ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", f"services.{name}.actors", "--processes", "1", "--threads",
             str(threads), "--queues", "events", name, "--worker-shutdown-timeout", "5000"],
            env=mesh.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        mesh.workers[f"{name}-{i}"] = proc  # stopped with the mesh
        procs.append(proc)
    return procs


def shipped_events(count: int, prefix: str) -> list[dict]:
    return [envelope("delivery.shipped", {**SHIPPED, "delivery_id": f"{prefix}-{i:05d}",
                                          "customer": {"id": f"C-{i % 97}", "name": "华东电力"}},
                     id_=f"{prefix}-evt-{i:05d}") for i in range(count)]


def publish_twice(mesh, events: list[dict]) -> None:
    """Enqueues every event twice on the `events` queue, the copies shuffled (CONTRACT.md way 1)."""
    broker = make_broker(mesh.settings)
    messages = [dramatiq.Message(queue_name=EVENTS_QUEUE, actor_name=PUBLISH_ACTOR, args=(e,), kwargs={}, options={})
                for e in events + events]
    random.Random(7).shuffle(messages)
    for start in range(0, len(messages), 500):
        enqueue_all(broker, messages[start:start + 500])
    broker.close()


def handled_by_pid(metrics_dir: Path) -> dict:
    """Gives the messages each worker process finished, from its own counter file."""
    from prometheus_client.multiprocess import MultiProcessCollector

    counts = {}
    for path in metrics_dir.glob("counter_*.db"):
        total = sum(s.value for m in MultiProcessCollector.merge([str(path)], accumulate=False)
                    for s in m.samples if s.name == "huifang_worker_messages_total")
        counts[path.stem.split("_")[-1]] = total
    return counts


def assert_each_event_once(mesh, events: list[dict]) -> None:
    service = mesh.services["scheduler"]
    Task = next(m for m in service.models if m.__name__ == "CallbackTask")
    with service.connection():
        inbox = [row.event_id for row in service.Inbox.select(service.Inbox.event_id)]
        kinds = Counter((t.delivery_id, t.kind) for t in Task.select(Task.delivery_id, Task.kind))
        scheduled = service.Outbox.select().where(service.Outbox.type == "callback.scheduled").count()
    # none missed
    assert sorted(inbox) == sorted(e["id"] for e in events)
    assert {d for d, k in kinds if k == "installation"} == {e["data"]["delivery_id"] for e in events}
    # no double effect: one task per delivery and kind, one callback.scheduled per task
    doubled = [key for key, n in kinds.items() if n > 1]
    assert doubled == [], doubled[:5]
    assert scheduled == sum(kinds.values())


def run_scale(mesh_factory, tmp_path, broker_url=None, *, prefix: str):
    metrics_dir = tmp_path / "metrics"
    mesh = mesh_factory(broker_url=broker_url, start=False, extra_env={"HUIFANG_METRICS_DIR": str(metrics_dir)})
    start_workers(mesh, "scheduler", WORKERS, threads=THREADS)
    events = shipped_events(EVENTS, prefix)
    started = time.monotonic()
    publish_twice(mesh, events)
    eventually(lambda: mesh.count("scheduler") >= EVENTS, timeout=120 + EVENTS * 0.2, interval=0.5,
               message=f"{EVENTS} events at the scheduler")
    # the duplicates behind them: both queues drained
    broker = make_broker(mesh.settings)
    from shared.mesh.queues import queue_counts

    eventually(lambda: all(r.ready == 0 and r.dead == 0 for r in queue_counts(broker, ["events", "scheduler"])),
               timeout=120, interval=0.5, message="the events and scheduler queues drained")
    elapsed = time.monotonic() - started
    assert_each_event_once(mesh, events)
    per_pid = handled_by_pid(metrics_dir / "scheduler" / "worker")
    assert len([n for n in per_pid.values() if n > 0]) >= min(WORKERS, 2), per_pid
    assert all(p.poll() is None for p in mesh.workers.values())
    print(f"\nscale: {EVENTS} events x2 through {WORKERS} workers x {THREADS} threads in {elapsed:.1f} s "
          f"({2 * EVENTS / elapsed:.0f} messages/s); per process {per_pid}")
    return mesh


def test_two_workers_on_redis_handle_every_event_once(mesh_factory, tmp_path):
    run_scale(mesh_factory, tmp_path, prefix="R")


def test_two_workers_on_rabbitmq_handle_every_event_once(mesh_factory, tmp_path, rabbit):  # noqa: F811
    run_scale(mesh_factory, tmp_path, rabbit.url, prefix="Q")


def test_on_rabbitmq_a_dead_message_replayed_after_the_fix_takes_effect_once(mesh_factory, rabbit):  # noqa: F811
    mesh = mesh_factory(broker_url=rabbit.url, start=False, extra_env={"HUIFANG_MAX_RETRIES": "0"})
    policy = break_policy(mesh)
    start_workers(mesh, "scheduler", 1)
    event = envelope("delivery.shipped", {**SHIPPED, "delivery_id": "D-RDEAD"})
    publish_twice(mesh, [event])  # the second copy dies too: two dead messages of one event
    listed = eventually(lambda: (r := ops(mesh, "dead-letters", "--service", "scheduler")).stdout.count(
        "reason:") == 2 and r.stdout, timeout=60, interval=0.5, message="two dead messages on RabbitMQ")
    # RabbitMQ keeps the body as delivered: the reason comes from the worker's dead_letter_log
    assert "not recorded" not in listed and "Error" in listed, listed
    assert callbacks_of(mesh, "D-RDEAD") == []
    policy.unlink()
    done = ops(mesh, "replay", "--service", "scheduler", "--all", env={"REPLAYED_BY": "zhao.ops"})
    assert done.returncode == 0 and "2 message(s) sent back" in done.stdout, done.stdout + done.stderr
    again = ops(mesh, "replay", "--service", "scheduler", "--all")
    assert "0 message(s) sent back" in again.stdout
    eventually(lambda: callbacks_of(mesh, "D-RDEAD"), timeout=60, message="the replayed delivery planned")
    time.sleep(1)  # the second copy is handled too, as a duplicate
    assert callbacks_of(mesh, "D-RDEAD").count("installation") == 1
    assert "no dead messages" in ops(mesh, "dead-letters", "--service", "scheduler").stdout


def post(port: int, event: dict) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/events", data=json.dumps(event).encode(),
                                     headers={"Authorization": f"Bearer {API_TOKEN}",
                                              "Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_two_web_processes_on_one_port_share_the_requests_and_one_survives_the_other(mesh_factory, tmp_path):
    # given two gunicorn instances of the scheduler bound to one port (SO_REUSEPORT), one worker
    metrics_dir = tmp_path / "metrics"
    mesh = mesh_factory(start=False, extra_env={"HUIFANG_METRICS_DIR": str(metrics_dir)})
    port = free_port()
    webs = []
    for i in range(2):
        log = open(tmp_path / f"web-{i}.log", "ab")
        webs.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--reuse-port", "--workers", "1",
             "--threads", "2", *control_socket_option(tmp_path / f"web-{i}.ctl").split(),
             "services.scheduler.app:create_app()"],
            env=mesh.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    try:
        eventually(lambda: port_open("127.0.0.1", port) and all(p.poll() is None for p in webs), timeout=60,
                   message="two gunicorn instances on one port")
        start_workers(mesh, "scheduler", 1)
        # when events are posted to that port
        events = shipped_events(200, "W")
        assert [post(port, e) for e in events[:150]] == [202] * 150
        # then both processes answered some of them
        answered = {pid: n for pid, n in _http_by_pid(metrics_dir / "scheduler" / "web").items() if n}
        assert len(answered) == 2, answered
        # and when one is stopped, the other answers alone
        os.killpg(webs[0].pid, signal.SIGTERM)
        webs[0].wait(30)
        assert [post(port, e) for e in events[150:]] == [202] * 50
        eventually(lambda: mesh.count("scheduler") >= 200, timeout=120, message="200 events at the scheduler")
        assert_each_event_once(mesh, events)
    finally:
        for proc in webs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)


def _http_by_pid(folder: Path) -> dict:
    from prometheus_client.multiprocess import MultiProcessCollector

    counts = {}
    for path in folder.glob("counter_*.db"):
        counts[path.stem.split("_")[-1]] = sum(
            s.value for m in MultiProcessCollector.merge([str(path)], accumulate=False) for s in m.samples
            if s.name == "huifang_http_requests_total" and s.labels.get("route") == "/api/v1/events")
    return counts
