"""What the broker's durability settings cost (docs/PRODUCTION.md "Scaling"), as ratios to a floor.

    .venv/bin/python bench/broker_settings.py [--messages 5000] [--rabbitmq]

Redis: the same messages enqueued one at a time (what the outbox relay and the router do
when they cannot batch) through Huifang's broker, on a private Redis started with
- `appendonly no` (the floor: nothing written to disk; a Redis restart loses the queues),
- `appendonly yes` + `appendfsync everysec` (`make run`'s and the recommended setting: at most
  about a second of enqueued messages lost if the machine, not just Redis, dies),
- `appendonly yes` + `appendfsync always` (nothing acknowledged is lost; one fsync a command).
With --rabbitmq: publisher confirms off (the floor) against on (Huifang's setting).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dramatiq  # noqa: E402
import redis  # noqa: E402

from ops.infra import free_port, redis_server_binary  # noqa: E402
from shared.core.settings import load_settings  # noqa: E402
from testkit.servers import RabbitServer  # noqa: E402


def messages(n: int) -> list:
    return [dramatiq.Message(queue_name="bench", actor_name="noop", args=({"i": i, "pad": "x" * 400},), kwargs={},
                             options={}) for i in range(n)]


def redis_rate(args_: list[str], n: int) -> float:
    import subprocess

    folder = Path(tempfile.mkdtemp(prefix="huifang-bench-fsync-"))
    port = free_port()
    proc = subprocess.Popen([redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                             "--save", "", *args_], stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        from shared.mesh.broker import make_broker

        broker = make_broker(load_settings({"HUIFANG_BROKER_URL": f"redis://127.0.0.1:{port}/0",
                                            "HUIFANG_SECRET_KEY": "bench-" + "x" * 20}))
        batch = messages(n)
        broker.enqueue(batch[0])  # loads the script
        started = time.perf_counter()
        for message in batch[1:]:
            broker.enqueue(message)
        return (n - 1) / (time.perf_counter() - started)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def rabbit_rate(url: str, n: int, *, confirm: bool) -> float:
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    broker = RabbitmqBroker(url=url, confirm_delivery=confirm)
    broker.declare_queue("bench")
    batch = messages(n)
    started = time.perf_counter()
    for message in batch:
        broker.enqueue(message)
    rate = n / (time.perf_counter() - started)
    broker.flush_all()
    broker.close()
    return rate


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rabbitmq", action="store_true")
    args = parser.parse_args()
    n = args.messages
    floor = redis_rate(["--appendonly", "no"], n)
    print(f"Redis enqueue, {n} messages one at a time (floor: appendonly no, {floor:.0f}/s)")
    for label, extra in (("appendonly yes, appendfsync everysec", ["--appendonly", "yes", "--appendfsync", "everysec"]),
                         ("appendonly yes, appendfsync always", ["--appendonly", "yes", "--appendfsync", "always"])):
        rate = redis_rate(extra, n)
        print(f"  {label:<40} {rate:8.0f}/s   {floor / rate:5.2f}x the floor's time")
    if args.rabbitmq:
        folder = Path(tempfile.mkdtemp(prefix="huifang-bench-rabbit-"))
        folder.chmod(0o755)
        server = RabbitServer(folder).start()
        try:
            off = rabbit_rate(server.url, n, confirm=False)
            on = rabbit_rate(server.url, n, confirm=True)
            print(f"RabbitMQ enqueue, {n} messages (floor: publisher confirms off, {off:.0f}/s)")
            print(f"  {'publisher confirms on (Huifang)':<40} {on:8.0f}/s   {off / on:5.2f}x the floor's time")
        finally:
            server.stop()
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
