"""Malformed messages for the dead-letter proofs: generated, reproducible.

`malformed(n, seed)` gives n raw Redis message bodies (bytes) for a queue, each with its kind:
envelopes of the real event types with one thing wrong (wrong types, missing fields, bad dates,
wrong organisation slugs, huge strings, unknown types), and bodies that are no Dramatiq message
at all (invalid JSON, non-UTF-8 bytes, JSON without `args`; testkit/malformed.py makes them).
Every one must end in the queue's dead-letter queue with a reason; none may have any effect.

    .venv/bin/python bench/malformed.py [--events 1000] [--postgres-url URL]

runs the full proof against a private Redis and the three services' workers (`make soak`).
"""
from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PrivateRedis, mesh_env, start_worker, stop_worker, wait_until  # noqa: E402
from shared.core.settings import load_settings  # noqa: E402
from testkit.malformed import dead_letters, dramatiq_message, enqueue_bodies, malformed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--good", type=int, default=1000, help="good events after the bad ones")
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a `timeout` still stops the workers
    folder = Path(tempfile.mkdtemp(prefix="huifang-malformed-"))
    redis_ = PrivateRedis()
    env = mesh_env(folder, redis_.url, args.postgres_url)
    settings = load_settings(env)
    services = {}
    for name in ("scheduler", "complaints", "reporting"):
        services[name] = importlib.import_module(f"services.{name}.service").SERVICE
        services[name].bind(settings)
    workers = {name: start_worker(f"services.{name}.actors", ["events", name], env=env, processes=1, threads=4,
                                  log=folder / f"{name}.log") for name in services}
    try:
        bad = malformed(args.events)
        per_queue = {"events": bad}
        # and a few undecodable ones straight on each service's own queue
        for name in services:
            per_queue[name] = [(mid, body, kind) for mid, body, kind in malformed(
                max(9, args.events // 20), seed=len(name), queue=name, actor=f"{name}_handle_event")
                if kind in ("invalid_json", "non_utf8", "not_a_message")]
        started = time.perf_counter()
        for queue, items in per_queue.items():
            enqueue_bodies(redis_.client, queue, items)
        total = sum(len(v) for v in per_queue.values())
        wait_until(lambda: sum(len(dead_letters(redis_.client, q)) for q in per_queue) >= total
                   and all(all(m["options"].get("dead_letter_reason") for m in dead_letters(redis_.client, q).values())
                           for q in per_queue), timeout=600, interval=0.2, what="every malformed message dead-lettered")
        bad_elapsed = time.perf_counter() - started
        good = [{"specversion": "1.0", "id": f"good-{i}", "type": "customer.updated", "source": "erp://malformed",
                 "organization": "acme-electric", "data": {"customer": {"id": f"GC-{i}", "name": f"客户{i}"}}}
                for i in range(args.good)]
        good_items = [(str(uuid.uuid4()),) for _ in good]
        enqueue_bodies(redis_.client, "events", [(mid, json.dumps(dramatiq_message("events", "publish", e, mid),
                                                                  ensure_ascii=False).encode())
                                                 for (mid,), e in zip(good_items, good)])
        started = time.perf_counter()

        def inbox(name):
            with services[name].connection():
                return {r.event_id for r in services[name].Inbox.select(services[name].Inbox.event_id)}

        wait_until(lambda: all(len(inbox(n)) >= args.good for n in services), timeout=600, interval=0.2,
                   what="good events after the bad ones")
        good_elapsed = time.perf_counter() - started
        lost = {n: args.good - len(inbox(n) & {e["id"] for e in good}) for n in services}
        extra = {n: len(inbox(n) - {e["id"] for e in good}) for n in services}
        reasons = {}
        for q in per_queue:
            for m in dead_letters(redis_.client, q).values():
                reasons.setdefault(m["options"]["dead_letter_reason"].split(":")[0], 0)
                reasons[m["options"]["dead_letter_reason"].split(":")[0]] += 1
        alive = all(w.poll() is None for w in workers.values())
        print(f"malformed: {total} bad messages ({len(bad)} on events, {total - len(bad)} on the services' queues) "
              f"dead-lettered with a reason in {bad_elapsed:.1f}s; reasons {reasons}")
        print(f"then {args.good} good events handled by all 3 services in {good_elapsed:.1f}s "
              f"({args.good / good_elapsed:,.0f} events/s); lost {lost}; bad events applied {extra}; "
              f"workers alive: {alive}")
        if any(lost.values()) or any(extra.values()) or not alive:
            raise SystemExit(1)
    finally:
        for w in workers.values():
            stop_worker(w)
        redis_.close()


if __name__ == "__main__":
    main()
