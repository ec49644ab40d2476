"""Malformed messages end in the dead-letter queue with a reason; nothing of
them is applied; the workers stay alive and handle the good events after them.

The short version (200 on `events`, a few undecodable ones on each service's own queue); the
full 1,000 is `make soak` (bench/malformed.py).
"""
from __future__ import annotations

import json
import uuid

from testkit.events import envelope
from testkit.malformed import dead_letters, enqueue_bodies, malformed
from testkit.polling import eventually

UNDECODABLE = ("invalid_json", "non_utf8", "not_a_message")


def inbox_ids(mesh, name):
    service = mesh.services[name]
    with service.connection():
        return {row.event_id for row in service.Inbox.select(service.Inbox.event_id)}


def good_message(payload) -> tuple[str, bytes]:
    message_id = str(uuid.uuid4())
    return message_id, json.dumps({"queue_name": "events", "actor_name": "publish", "args": [payload],
                                   "kwargs": {}, "options": {}, "message_id": message_id}).encode()


def test_malformed_messages_are_dead_lettered_with_a_reason_and_good_ones_after_them_are_handled(mesh,
                                                                                                  redis_server):
    import redis

    client = redis.Redis.from_url(redis_server.url)  # bytes: the bodies are not all UTF-8
    per_queue = {"events": malformed(200)}
    for name in mesh.SERVICES:
        per_queue[name] = [m for m in malformed(27, seed=len(name), queue=name, actor=f"{name}_handle_event")
                           if m[2] in UNDECODABLE]
    # good events interleaved with the bad: a bad message must not hold back the good ones
    # fetched in the same batch
    good_before = [envelope("customer.updated", {"customer": {"id": f"GB-{i}", "name": f"客户{i}"}})
                   for i in range(20)]
    mixed = []
    for i, item in enumerate(per_queue["events"]):
        mixed.append(item)
        if i % 10 == 0 and good_before:
            mixed.append((*good_message(good_before.pop()), "good"))
    good_before_ids = {json.loads(body)["args"][0]["id"] for _id, body, kind in mixed if kind == "good"}
    enqueue_bodies(client, "events", mixed)
    for name in mesh.SERVICES:
        enqueue_bodies(client, name, per_queue[name])
    total = sum(len(v) for v in per_queue.values())

    def lettered():
        letters = {q: dead_letters(client, q) for q in per_queue}
        return sum(len(v) for v in letters.values()) == total and all(
            m["options"].get("dead_letter_reason") for v in letters.values() for m in v.values()) and letters

    letters = eventually(lettered, timeout=120, interval=0.25, message=f"{total} dead letters with their reasons")
    # each by its own id, with a reason a person can act on
    for queue, items in per_queue.items():
        assert set(letters[queue]) == {mid for mid, _body, _kind in items}
    kinds = {mid: kind for items in per_queue.values() for mid, _b, kind in items}
    for queue, found in letters.items():
        for mid, letter in found.items():
            reason = letter["options"]["dead_letter_reason"]
            if kinds[mid] in UNDECODABLE:
                assert reason.startswith("undecodable message"), reason
                assert "undecodable_body" in letter["options"]
            else:
                assert reason.startswith(("Invalid event", "Unknown event type", "Malformed envelope")), reason
    # nothing of them applied; every good one handled by every subscriber, once
    eventually(lambda: all(good_before_ids <= inbox_ids(mesh, n) for n in mesh.SERVICES), timeout=60,
               message="the good events between the bad ones")
    after = [envelope("customer.updated", {"customer": {"id": f"GA-{i}", "name": f"客户{i}"}}) for i in range(50)]
    enqueue_bodies(client, "events", [(*good_message(e), "good") for e in after])
    expected = good_before_ids | {e["id"] for e in after}
    eventually(lambda: all(inbox_ids(mesh, n) == expected for n in mesh.SERVICES), timeout=60,
               message="the good events after the bad ones, and nothing else")
    for name in ("scheduler", "reporting"):  # the services that keep customers
        assert mesh.count(name, "Customer") == len(expected), name
    # the workers are alive, nothing is left in flight
    assert all(p.poll() is None for p in mesh.workers.values())
    eventually(lambda: all(client.llen(f"dramatiq:{q}") == 0 and client.hlen(f"dramatiq:{q}.msgs") == 0
                           for q in per_queue), message="every message acknowledged")  # acked after commit
