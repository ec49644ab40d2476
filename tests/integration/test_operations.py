"""See what runs: /metrics, make status, dead letters and their replay, logs."""
from __future__ import annotations

import os
import re
from dataclasses import replace
import urllib.request

from ops.infra import free_port
from testkit.events import envelope
from testkit.mesh import SHIPPED, break_policy, callbacks_of, inbox_ids, ops, raw_redis_enqueue
from testkit.polling import eventually
from testkit.tokens import API_TOKEN, bearer


def sample(text: str, name: str, **labels) -> float | None:
    """Gives the value of the sample `name{labels...}` in a Prometheus text exposition."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_show_requests_queues_outbox_and_the_workers_messages(mesh_factory, tmp_path):
    # given a scheduler worker on this host counting into the metrics folder, with its own port
    port = free_port()
    mesh = mesh_factory(start=False, extra_env={"HUIFANG_METRICS_DIR": str(tmp_path / "metrics"),
                                                "HUIFANG_WORKER_METRICS_PORT": str(port),
                                                "HUIFANG_METRICS_TOKEN": "prom-secret-123"})
    mesh.start_worker("scheduler")
    # the web app in this test process counts on its own (the metrics folder is the worker host's:
    # switching this process to it would outlive the test)
    from services.scheduler.app import create_app

    client = create_app({"TESTING": True, "HUIFANG_SETTINGS": replace(mesh.settings, metrics_dir=None)}).test_client()
    # (this process's counters are shared with the other tests' apps: compare with before)
    before = client.get("/metrics").get_data(as_text=True)
    posted = {"service": "scheduler", "route": "/api/v1/events", "method": "POST"}
    # when an event is posted and handled
    event = envelope("delivery.shipped", SHIPPED)
    assert client.post("/api/v1/events", json=event, headers=bearer(API_TOKEN)).status_code == 202
    eventually(lambda: event["id"] in inbox_ids(mesh, "scheduler"), message="the event at the scheduler")
    # then the web process's /metrics counts the request by route and status, with its latency,
    text = client.get("/metrics").get_data(as_text=True)
    def grew(name, **labels):
        return (sample(text, name, **labels) or 0) - (sample(before, name, **labels) or 0)

    assert grew("huifang_http_requests_total", **posted, status="202") == 1
    assert grew("huifang_http_request_duration_seconds_count", **posted) == 1
    # and reads the queues, the dead letters and the outbox backlog when scraped
    assert sample(text, "huifang_queue_depth", service="scheduler", queue="scheduler", state="ready") is not None
    assert sample(text, "huifang_dead_letters", service="scheduler", queue="events") == 0
    assert sample(text, "huifang_outbox_backlog", service="scheduler", kind="event") is not None
    assert sample(text, "huifang_outbox_oldest_age_seconds", service="scheduler", kind="message") is not None
    assert sample(text, "huifang_up", part="broker") == 1 and sample(text, "huifang_up", part="database") == 1

    # and the worker host answers its messages on its own port (several processes summed)
    def worker_metrics():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                body = response.read().decode()
        except OSError:
            return None
        return body if sample(body, "huifang_worker_messages_total", actor="scheduler_handle_event", outcome="ok") else None

    body = eventually(worker_metrics, timeout=60, interval=0.5, message="the worker's /metrics")
    assert sample(body, "huifang_worker_message_duration_seconds_count", service="scheduler", actor="scheduler_handle_event") >= 1
    assert sample(body, "huifang_queue_depth", queue="events", state="ready") is not None

    # /metrics is refused from another network, unless the scraper brings the metrics token
    far = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=far).status_code == 403
    assert client.get("/metrics", environ_base=far, headers=bearer("wrong")).status_code == 403
    assert client.get("/metrics", environ_base=far, headers=bearer("prom-secret-123")).status_code == 200
    # and it is not a page: no sign-in redirect for the scraper
    assert client.get("/metrics").status_code == 200


def test_a_dead_message_replayed_after_the_fix_takes_effect_once_and_is_recorded(mesh_factory, redis_server):
    # given a scheduler whose organisation's policy file is broken, and no retries
    mesh = mesh_factory(start=False, extra_env={"HUIFANG_MAX_RETRIES": "0"})
    policy = break_policy(mesh)
    mesh.start_worker("scheduler")
    event = envelope("delivery.shipped", {**SHIPPED, "delivery_id": "D-DEAD"})
    raw_redis_enqueue(redis_server.url, event)
    # when its event fails: it is dead-lettered with the reason, nothing half-written
    listed = eventually(lambda: (r := ops(mesh, "dead-letters", "--service", "scheduler")).returncode == 0
                        and event["id"] in r.stdout and "reason:" in r.stdout and r.stdout, timeout=60,
                        interval=0.5, message="the dead message listed")
    message_id = re.search(r"^(\S+)\s+\S+\s+\S+.*" + re.escape(event["id"]), listed, re.M).group(1)
    assert "not recorded" not in listed, listed
    assert callbacks_of(mesh, "D-DEAD") == []
    assert event["id"] not in inbox_ids(mesh, "scheduler")
    status = ops(mesh, "status", "--service", "scheduler")
    assert re.search(r"dead\s+1\b", status.stdout), status.stdout

    # when the policy is fixed and the message replayed (twice: the second finds nothing)
    policy.unlink()
    first = ops(mesh, "replay", "--service", "scheduler", "--id", message_id, env={"REPLAYED_BY": "wang.ops"})
    assert first.returncode == 0, first.stderr
    assert f"replayed {message_id} (by wang.ops)" in first.stdout
    second = ops(mesh, "replay", "--service", "scheduler", "--id", message_id, env={"REPLAYED_BY": "li.ops"})
    assert second.returncode == 1 and "replayed by wang.ops" in second.stderr, second.stderr
    # then it takes effect once
    eventually(lambda: callbacks_of(mesh, "D-DEAD"), timeout=60, message="the callbacks of the replayed delivery")
    kinds = callbacks_of(mesh, "D-DEAD")
    assert len(kinds) == len(set(kinds)) and "installation" in kinds
    assert ops(mesh, "dead-letters", "--service", "scheduler").stdout.startswith("scheduler: no dead messages")
    # and who replayed what is on record
    Log = mesh.services["scheduler"].DeadLetterLog
    with mesh.services["scheduler"].connection():
        rows = [(r.entry, r.message_id, r.replayed_by) for r in Log.select().order_by(Log.id)]
    assert ("replayed", message_id, "wang.ops") in rows
    assert [r for r in rows if r[0] == "replayed"] == [("replayed", message_id, "wang.ops")]
    assert any(kind == "dead" and mid == message_id for kind, mid, _ in rows)


def test_replay_all_sends_every_dead_message_back_once(mesh_factory, redis_server):
    mesh = mesh_factory(start=False, extra_env={"HUIFANG_MAX_RETRIES": "0"})
    policy = break_policy(mesh)
    mesh.start_worker("scheduler")
    events = [envelope("delivery.shipped", {**SHIPPED, "delivery_id": f"D-ALL-{i}"}) for i in range(3)]
    for event in events:
        raw_redis_enqueue(redis_server.url, event)
    eventually(lambda: ops(mesh, "dead-letters", "--service", "scheduler").stdout.count("reason:") == 3,
               timeout=60, interval=0.5, message="three dead messages")
    policy.unlink()
    done = ops(mesh, "replay", "--service", "scheduler", "--all")
    assert done.returncode == 0 and "3 message(s) sent back" in done.stdout, done.stdout + done.stderr
    assert "0 message(s) sent back" in ops(mesh, "replay", "--service", "scheduler", "--all").stdout
    eventually(lambda: all(callbacks_of(mesh, f"D-ALL-{i}") for i in range(3)), timeout=60,
               message="every replayed delivery planned")
    assert all(callbacks_of(mesh, f"D-ALL-{i}").count("installation") == 1 for i in range(3))


def test_replay_needs_an_id_or_all_and_logs_says_what_it_would_run(mesh_factory):
    mesh = mesh_factory(start=False)
    refused = ops(mesh, "replay", "--service", "scheduler")
    assert refused.returncode == 2 and "ID=" in refused.stderr
    logs = ops(mesh, "logs", "--service", "complaints", env={"PATH": "/nonexistent"})
    assert logs.returncode == 0
    assert "journalctl -f -u 'huifang-complaints-*' -o cat" in logs.stdout


def test_status_says_what_is_not_answering(mesh_factory):
    mesh = mesh_factory(start=False)
    done = ops(mesh, "status", env={"HUIFANG_SCHEDULER_PORT": str(free_port())})
    assert done.returncode == 0
    for name in ("scheduler", "complaints", "reporting"):
        assert re.search(rf"^{name}$", done.stdout, re.M)
    assert "not answering" in done.stdout and "queue      events" in done.stdout
    assert "outbox     events" in done.stdout
