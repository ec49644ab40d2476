"""Malformed messages for the dead-letter proofs: generated, reproducible.

`malformed(n, seed)` gives n raw Redis message bodies (bytes) for a queue, each with its kind:
envelopes of the real event types with one thing wrong (wrong types, missing fields, bad dates,
wrong organisation slugs, huge strings, unknown types), and bodies that are no Dramatiq message
at all (invalid JSON, non-UTF-8 bytes, JSON without `args`). Every one must end in the queue's
dead-letter queue with a reason; none may have any effect. The tests run a few; bench/malformed.py
runs the full proof (`make soak`).
"""
from __future__ import annotations

import copy
import json
import random
import time
import uuid

KINDS = ("wrong_type", "missing_field", "bad_date", "wrong_org", "huge_string", "unknown_type", "invalid_json",
         "non_utf8", "not_a_message")
#: Characters of a huge string: far past every length limit, small enough for a few hundred in Redis.
HUGE = 100_000


def valid_envelopes(i: int, org: str = "acme-electric", source: str = "erp://malformed") -> list[dict]:
    """Gives valid envelopes of the mix's types (the templates the malformed ones spoil)."""
    customer = {"id": f"MC-{i}", "name": f"客户{i}", "segment": "ordinary"}
    base = {"specversion": "1.0", "source": source, "time": "2026-01-31T10:00:00+08:00", "organization": org}
    return [
        {**base, "id": f"m-{i}-d", "type": "delivery.shipped",
         "data": {"delivery_id": f"MD-{i}", "customer": customer, "shipped_on": "2026-01-31"}},
        {**base, "id": f"m-{i}-o", "type": "service_order.completed",
         "data": {"order_id": f"MO-{i}", "customer": customer, "completed_at": "2026-01-31T10:00:00+08:00",
                  "business_line": "vehicle", "kind": "repair"}},
        {**base, "id": f"m-{i}-k", "type": "complaint.raised",
         "data": {"complaint_id": f"MK-{i}", "customer": customer, "description": "维修后仍漏水"}},
        {**base, "id": f"m-{i}-c", "type": "equipment.commissioned",
         "data": {"delivery_id": f"MD-{i}", "commissioned_on": "2026-02-03"}},
    ]


def _spoil(kind: str, envelope: dict, rng: random.Random):
    e = copy.deepcopy(envelope)
    data = e["data"]
    if kind == "wrong_type":
        where, value = rng.choice([("id", 12345), ("type", ["delivery.shipped"]), ("data", "data"),
                                   ("organization", 7), ("time", 20260131), ("specversion", 1.0),
                                   ("data.customer", "C-1"), ("data.customer.id", {"x": 1})])
        if where.startswith("data.customer") and "customer" not in data:
            where, value = "data.delivery_id", ["MD-1"]  # a type without a customer (extra fields pass)
    elif kind == "missing_field":
        # (`organization` may be left out: it is "default" then, CONTRACT.md)
        where = rng.choice(["id", "type", "source", "specversion", "data"]
                           + [f"data.{k}" for k in data if k not in ("kind",)])
        value = None
    elif kind == "bad_date":
        where = rng.choice(["time"] + [f"data.{k}" for k in data if k.endswith(("_on", "_at"))])
        value = rng.choice(["31/01/2026", "2026-02-30", "yesterday", "2026-13-01T10:00:00+08:00", ""])
        if where.startswith("data.") and where.endswith("_at"):
            value = rng.choice([value, "2026-01-31T10:00:00"])  # naive: no offset
    elif kind == "wrong_org":
        where, value = "organization", rng.choice(["ACME", "acme electric", "", "-acme", "a" * 65, "../etc",
                                                   "华东电力", "acme\nelectric"])
    elif kind == "huge_string":
        where = rng.choice(["id", "source", "data.customer.name", "data.customer.id"]
                           + (["data.description"] if "description" in data else []))
        value = rng.choice(["x", "客"]) * HUGE
    elif kind == "unknown_type":
        where, value = "type", rng.choice(["parcel.teleported", "delivery.SHIPPED", "complaint.raised.v2"])
    else:
        raise ValueError(kind)
    target, *path = where.split(".")
    holder, key = e, target
    for part in path:
        if not isinstance(holder.get(key), dict):  # this type has no such object: spoil the source
            holder, key, path = e, "source", []
            break
        holder, key = holder[key], part
    if value is None:
        del holder[key]
    else:
        holder[key] = value
    return e


def dramatiq_message(queue: str, actor: str, payload, message_id: str) -> dict:
    """Gives a Dramatiq message of `actor` on `queue` carrying `payload` (CONTRACT.md)."""
    return {"queue_name": queue, "actor_name": actor, "args": [payload], "kwargs": {}, "options": {},
            "message_id": message_id, "message_timestamp": int(time.time() * 1000)}


def malformed(n: int, *, seed: int = 16, queue: str = "events", actor: str = "publish",
              org: str = "acme-electric") -> list[tuple[str, bytes, str]]:
    """Gives n (message_id, raw body, kind), every kind in turn."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        message_id = str(uuid.UUID(int=rng.getrandbits(128)))
        template = rng.choice(valid_envelopes(i, org))
        if kind == "invalid_json":
            good = json.dumps(dramatiq_message(queue, actor, template, message_id), ensure_ascii=False)
            body = rng.choice([good[: rng.randrange(1, len(good) - 1)], good.replace('":', '"=', 1),
                               "{not json", good + "}", "", "NaN-ish"]).encode()
        elif kind == "non_utf8":
            good = json.dumps(dramatiq_message(queue, actor, template, message_id), ensure_ascii=False).encode()
            cut = rng.randrange(1, len(good) - 1)
            body = rng.choice([good[:cut] + b"\xff\xfe" + good[cut:], "客户".encode("gb18030") + good,
                               bytes(rng.getrandbits(8) | 0x80 for _ in range(64))])
        elif kind == "not_a_message":
            body = json.dumps(rng.choice([[template], {"queue_name": queue, "actor_name": actor},
                                          {"args": [template]}, 42, "publish"]), ensure_ascii=False).encode()
        else:
            body = json.dumps(dramatiq_message(queue, actor, _spoil(kind, template, rng), message_id),
                              ensure_ascii=False).encode()
        out.append((message_id, body, kind))
    return out


def enqueue_bodies(client, queue: str, items, *, namespace: str = "dramatiq", batch: int = 200) -> None:
    """Enqueues raw bodies the way CONTRACT.md spells it out (HSET then RPUSH), pipelined."""
    for first in range(0, len(items), batch):
        chunk = items[first:first + batch]
        pipe = client.pipeline(transaction=False)
        pipe.hset(f"{namespace}:{queue}.msgs", mapping={mid: body for mid, body, *_ in chunk})
        pipe.rpush(f"{namespace}:{queue}", *[mid for mid, *_ in chunk])
        pipe.execute()


def dead_letters(client, queue: str, namespace: str = "dramatiq") -> dict[str, dict]:
    """Gives the dead letters of a queue by id (the message with its options)."""
    out = {}
    for key, value in client.hgetall(f"{namespace}:{queue}.XQ.msgs").items():
        key = key.decode() if isinstance(key, bytes) else key
        out[key] = json.loads(value)
    return out
