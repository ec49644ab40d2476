"""The mesh: one event contract, three services, a real Redis, real worker processes."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from testkit.events import envelope
from testkit.mesh import SHIPPED, inbox_ids, raw_redis_enqueue
from testkit.polling import eventually
from testkit.servers import RedisServer
from testkit.tokens import API_TOKEN, bearer, user_token


def test_event_posted_to_one_service_reaches_every_subscriber_and_only_those(mesh):
    # given the three services running, when an event is posted to the complaints service
    event = envelope("delivery.shipped", SHIPPED)
    response = mesh.client("complaints").post("/api/v1/events", json=event, headers=bearer(API_TOKEN))
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["id"] == event["id"]
    # then the scheduler and reporting (subscribers) handle it, complaints does not
    eventually(lambda: event["id"] in inbox_ids(mesh, "scheduler") and event["id"] in inbox_ids(mesh, "reporting"),
               message="delivery.shipped at scheduler and reporting")
    time.sleep(0.5)
    assert event["id"] not in inbox_ids(mesh, "complaints")


def test_event_enqueued_with_raw_redis_commands_is_handled_the_same_way(mesh, redis_server):
    event = envelope("complaint.raised", {"complaint_id": "K-1", "customer": {"id": "C-9", "name": "王先生"},
                                          "description": "空调不制冷"})
    raw_redis_enqueue(redis_server.url, event)
    eventually(lambda: event["id"] in inbox_ids(mesh, "complaints") and event["id"] in inbox_ids(mesh, "reporting"),
               message="complaint.raised at complaints and reporting")
    assert event["id"] not in inbox_ids(mesh, "scheduler")


def test_same_event_delivered_three_times_has_one_effect(mesh, redis_server):
    event = envelope("delivery.shipped", SHIPPED)
    client = mesh.client("scheduler")
    assert client.post("/api/v1/events", json=event, headers=bearer(API_TOKEN)).status_code == 202
    assert client.post("/api/v1/events", json=event, headers=bearer(API_TOKEN)).status_code == 202
    raw_redis_enqueue(redis_server.url, event)
    eventually(lambda: event["id"] in inbox_ids(mesh, "scheduler"), message="first delivery")
    # wait until the queues are drained, then count effects
    client_r = redis_server.client()
    eventually(lambda: all(client_r.llen(f"dramatiq:{q}") == 0 for q in ("events", "scheduler", "reporting")),
               message="queues drained")
    time.sleep(1.0)
    assert mesh.count("scheduler", where=lambda m: m.event_id == event["id"]) == 1
    assert mesh.count("reporting", where=lambda m: m.event_id == event["id"]) == 1


@pytest.mark.parametrize("body, status, field", [
    (b"{not json", 400, "_body"),
    (json.dumps({"id": "x", "type": "delivery.shipped"}).encode(), 422, "specversion"),
    (json.dumps(envelope("parcel.teleported", {})).encode(), 422, "type"),
    (json.dumps(envelope("delivery.shipped", {**SHIPPED, "shipped_on": "31/01/2026"})).encode(), 422,
     "data.shipped_on"),
    (json.dumps(envelope("delivery.shipped", {**SHIPPED, "customer": {"name": "x"}})).encode(), 422,
     "data.customer.id"),
])
def test_bad_input_over_http_is_a_problem_naming_the_field_and_nothing_is_stored(mesh_factory, body, status, field):
    mesh = mesh_factory(start=False)
    response = mesh.client("scheduler").post("/api/v1/events", data=body, headers={
        **bearer(API_TOKEN), "Content-Type": "application/json"})
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["title"]
    assert field in problem["errors"], problem
    assert mesh.count("scheduler", "Outbox") == 0


def dead_letters(redis_server, queue="events") -> list[dict]:
    client = redis_server.client()
    return [json.loads(v) for v in client.hgetall(f"dramatiq:{queue}.XQ.msgs").values()]


def test_bad_messages_on_the_queue_go_to_the_dead_letter_queue_with_the_reason(mesh, redis_server):
    bad = [
        "not an envelope",
        envelope("parcel.teleported", {}),
        envelope("delivery.shipped", {**SHIPPED, "quantity": "many"}),
        {"id": "no-spec", "type": "delivery.shipped", "data": {}},
    ]
    for payload in bad:
        raw_redis_enqueue(redis_server.url, payload)
    # the reason is written beside a message just after it reaches the dead-letter queue
    eventually(lambda: len(dead_letters(redis_server)) == len(bad) and all(
        m["options"].get("dead_letter_reason") for m in dead_letters(redis_server)),
        message="4 dead letters with their reasons")
    reasons = [m["options"].get("dead_letter_reason", "") for m in dead_letters(redis_server)]
    assert any("data.quantity" in r for r in reasons), reasons
    assert any("Unknown event type" in r for r in reasons), reasons
    assert any("specversion" in r for r in reasons), reasons
    # the worker keeps running: a good event after them is handled
    good = envelope("delivery.shipped", SHIPPED)
    raw_redis_enqueue(redis_server.url, good)
    eventually(lambda: good["id"] in inbox_ids(mesh, "scheduler"), message="good event after bad ones")
    assert all(p.poll() is None for p in mesh.workers.values())
    assert mesh.count("scheduler") == 1


def test_with_the_broker_down_posting_answers_202_and_the_event_arrives_later(mesh_factory, tmp_path):
    broker = RedisServer(tmp_path / "own-redis").start()
    try:
        mesh = mesh_factory(broker_url=broker.url)
        broker.stop()
        event = envelope("delivery.shipped", SHIPPED)
        response = mesh.client("scheduler").post("/api/v1/events", json=event, headers=bearer(API_TOKEN))
        assert response.status_code == 202
        assert mesh.count("scheduler", "Outbox", where=lambda m: m.sent_at.is_null()) == 1
        broker.start()  # same port, same data folder
        eventually(lambda: event["id"] in inbox_ids(mesh, "scheduler"), timeout=60,
                   message="event delivered after the broker came back")
        eventually(lambda: event["id"] in inbox_ids(mesh, "reporting"), timeout=30, message="reporting too")
    finally:
        broker.stop()


def test_worker_killed_mid_batch_loses_nothing_and_has_one_effect(mesh_factory, redis_server):
    # given only the scheduler's worker running and 1,500 events queued
    mesh = mesh_factory(start=False)
    mesh.start_worker("scheduler", threads=4)
    events = [envelope("customer.updated", {"customer": {"id": f"C-{i}", "name": f"客户{i}"}}) for i in range(1500)]
    for event in events:
        raw_redis_enqueue_fast(redis_server, event)
    # when it is killed with SIGKILL in the middle of the batch
    eventually(lambda: mesh.count("scheduler") >= 150, timeout=60, message="the batch under way")
    mesh.kill_worker("scheduler")
    handled_at_kill = mesh.count("scheduler")
    assert handled_at_kill < len(events), "the worker finished before it could be killed"
    # then a new worker handles every message within 90 s, each once
    started = time.monotonic()
    mesh.start_worker("scheduler", threads=4)
    eventually(lambda: mesh.count("scheduler") == len(events), timeout=90, interval=0.5,
               message=f"all {len(events)} events handled after restart (had {handled_at_kill})")
    print(f"recovered in {time.monotonic() - started:.1f}s")
    assert {e["id"] for e in events} == inbox_ids(mesh, "scheduler")


def raw_redis_enqueue_fast(redis_server, payload):
    client = redis_server.client()
    message_id = str(uuid.uuid4())
    message = {"queue_name": "events", "actor_name": "publish", "args": [payload], "kwargs": {}, "options": {},
               "message_id": message_id, "message_timestamp": int(time.time() * 1000)}
    pipe = client.pipeline()
    pipe.hset("dramatiq:events.msgs", message_id, json.dumps(message))
    pipe.rpush("dramatiq:events", message_id)
    pipe.execute()


def test_request_without_token_is_401_and_with_wrong_role_is_403(mesh_factory):
    mesh = mesh_factory(start=False)
    client = mesh.client("scheduler")
    event = envelope("delivery.shipped", SHIPPED)
    response = client.post("/api/v1/events", json=event)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    response = client.post("/api/v1/events", json=event, headers=bearer("forged.token.value"))
    assert response.status_code == 401
    response = client.post("/api/v1/events", json=event, headers=bearer(user_token("agent")))
    assert response.status_code == 403
    assert "agent" in response.get_json()["detail"]
    # an admin may post for its own organisation only
    other = envelope("delivery.shipped", SHIPPED, org="other-org")
    assert client.post("/api/v1/events", json=other, headers=bearer(user_token("admin"))).status_code == 403
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_users_may_post_only_consumed_types_and_never_as_huifang(mesh_factory):
    mesh = mesh_factory(start=False)
    client = mesh.client("scheduler")
    admin = bearer(user_token("admin"))
    forged = envelope("callback.completed", {"callback_id": "x", "kind": "first", "due_on": "2026-10-01",
                                             "customer": {"id": "C-1", "name": "n"}, "reached": True})
    assert client.post("/api/v1/events", json=forged, headers=admin).status_code == 403
    spoofed = envelope("delivery.shipped", SHIPPED, source="huifang://scheduler")
    assert client.post("/api/v1/events", json=spoofed, headers=admin).status_code == 403
    assert client.post("/api/v1/events", json=envelope("delivery.shipped", SHIPPED), headers=admin).status_code == 202
    # the role is checked before the body: an agent learns nothing about the fields
    response = client.post("/api/v1/events", data=b"{bad", headers={**bearer(user_token("agent")),
                                                                      "Content-Type": "application/json"})
    assert response.status_code == 403


def test_one_organisations_event_ids_never_shadow_anothers(mesh):
    a = envelope("customer.updated", {"customer": {"id": "C-1", "name": "甲"}}, id_="erp-1", org="org-a",
                 source="erp://shared")
    b = {**a, "organization": "org-b"}
    client = mesh.client("scheduler")
    assert client.post("/api/v1/events", json=a, headers=bearer(API_TOKEN)).status_code == 202
    assert client.post("/api/v1/events", json=b, headers=bearer(API_TOKEN)).status_code == 202
    eventually(lambda: mesh.count("scheduler", where=lambda m: m.event_id == "erp-1") == 2,
               message="both organisations' erp-1 handled")
