"""Webhook delivery figures: deliveries per second to a local receiver, against the floor
of posting the same bodies with the same HTTP client directly, in the same run.

    .venv/bin/python bench/webhooks.py [--events 3000] [--postgres-url URL]

1. The reporting service (its own database: SQLite, or PostgreSQL with --postgres-url or
   HUIFANG_TEST_POSTGRES_URL) gets one endpoint pointing at a receiver on loopback (HTTP/1.1,
   keep-alive; testkit/receiver.py, not verifying, so the receiver costs the same both ways),
   and produces N events in units of work of 100: N deliveries written with them.
2. Floor: the N bodies, signed, posted one after the other with shared.webhooks.poster.Poster.
3. Huifang: the worker's Sender (shared/webhooks/sender.py) sends the N deliveries (claims, signs,
   posts, records each attempt in the log and the delivery's state); from its start until the
   last is recorded as delivered.

Prints both rates and their ratio (aim: 0.5 or more).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.webhooks.endpoints import add_endpoint  # noqa: E402
from shared.webhooks.models import DELIVERED  # noqa: E402
from shared.webhooks.poster import Poster  # noqa: E402
from shared.webhooks.sender import Sender  # noqa: E402
from shared.webhooks.signing import signed_headers  # noqa: E402
from shared.core.settings import load_settings  # noqa: E402
from testkit.receiver import Receiver  # noqa: E402

ORG = "bench"


def new_postgres_database(admin_url: str) -> str:
    import psycopg2
    from urllib.parse import urlparse

    name = f"bench_webhooks_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return urlparse(admin_url)._replace(path="/" + name).geturl()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--postgres-url", default=os.environ.get("HUIFANG_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    from services.reporting.service import SERVICE

    folder = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    settings = load_settings({"HUIFANG_SECRET_KEY": "b" * 32, "HUIFANG_BROKER_URL": "stub://",
                              "HUIFANG_VAR_DIR": str(folder), "HUIFANG_WEBHOOK_ALLOW_PRIVATE": "1"})
    url = new_postgres_database(args.postgres_url) if args.postgres_url else f"sqlite:///{folder / 'reporting.db'}"
    SERVICE.bind(settings, url=url)
    receiver = Receiver(verify=False).start()
    record = SERVICE.run(add_endpoint, organization=ORG, url=receiver.url, types=["*"])
    receiver.secret = record["secret"]

    def produce(*, uow, first):
        for n in range(first, min(first + 100, args.events)):
            uow.emit("report.generated", {"month": f"{2000 + n // 12:04d}-{n % 12 + 1:02d}"}, organization=ORG)

    started = time.perf_counter()
    for first in range(0, args.events, 100):
        SERVICE.run(produce, first=first)
    written = time.perf_counter() - started
    D = SERVICE.webhooks.Delivery
    with SERVICE.connection():
        rows = list(D.select(D.delivery_id, D.body).order_by(D.id).tuples())
    assert len(rows) == args.events
    print(f"database: {'PostgreSQL' if args.postgres_url else 'SQLite'}; {args.events} events produced with their "
          f"deliveries in {written:.2f} s")

    # the floor: the same bodies, signed, posted directly with the same client
    poster = Poster(allow_private=True)
    started = time.perf_counter()
    for delivery_id, body in rows:
        raw = body.encode("utf-8")
        assert poster.post(receiver.url, raw, signed_headers(record["secret"], delivery_id, raw)).ok
    direct = time.perf_counter() - started
    poster.close()

    # Huifang: the sender, from the table to the receiver and back into the log
    before = len(receiver.received)
    sender = Sender(SERVICE).start()
    started = time.perf_counter()
    while True:
        with SERVICE.connection():
            done = D.select().where(D.state == DELIVERED).count()
        if done == args.events:
            break
        time.sleep(0.05)
    sent = time.perf_counter() - started
    sender.stop()
    assert len(receiver.received) - before == args.events
    receiver.stop()

    direct_rate, sender_rate = args.events / direct, args.events / sent
    print(f"posting directly (floor): {direct_rate:8.0f} posts/s")
    print(f"webhook sender:           {sender_rate:8.0f} deliveries/s (claimed, signed, posted, logged)")
    print(f"ratio: {sender_rate / direct_rate:.2f} (aim: 0.5 or more)")


if __name__ == "__main__":
    main()
