"""Operator commands behind the Makefile: what runs, what died, send it back, follow the logs.

    python -m ops status [--service NAME]                       (make status)
    python -m ops dead-letters --service NAME                   (make dead-letters SERVICE=...)
    python -m ops replay --service NAME (--id ID | --all)       (make replay SERVICE=... ID=... | ALL=1)
    python -m ops logs --service NAME                           (make logs SERVICE=...)

They read the same settings as the services (the environment, `.env`; on a deployed host
the environment file of the service), so they work against `make run` and deployed hosts alike.
"""
from __future__ import annotations

import getpass
import importlib
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

from shared.core.settings import SERVICES, load_settings_or_exit
from shared.mesh.broker import make_broker
import shared.mesh.queues as queues
from shared.core.errors import NotFound


def _service(name: str, settings, *, create: bool = True):
    """Gives the bound Service `name`; `create`: its schema brought up to date, as a worker would
    (`make status` only reads: it never migrates)."""
    service = importlib.import_module(f"services.{name}.service").SERVICE
    if service.settings is None:
        service.bind(settings, create=create)
    return service


def _broker(settings):
    return make_broker(settings)


def _health(settings, name: str) -> str:
    base = settings.public_url(name)
    parts = []
    for path in ("/healthz", "/readyz"):
        try:
            with urllib.request.urlopen(base + path, timeout=3) as response:
                body = json.loads(response.read() or b"{}")
                parts.append(body.get("status", str(response.status)))
        except urllib.error.HTTPError as exc:
            try:
                checks = json.loads(exc.read() or b"{}").get("checks", {})
            except ValueError:
                checks = {}
            bad = ", ".join(f"{k} {v}" for k, v in checks.items() if v != "ok")
            parts.append(f"HTTP {exc.code}" + (f" ({bad})" if bad else ""))
        except (OSError, ValueError) as exc:
            parts.append(f"not answering ({getattr(exc, 'reason', exc)})")
            break
    return f"{base}: " + " / ".join(parts)


def cmd_status(args) -> int:
    settings = load_settings_or_exit()
    names = [args.service] if args.service else list(SERVICES)
    broker = _broker(settings)
    problems = 0
    for name in names:
        print(f"{name}")
        health = _health(settings, name)
        problems += "ready" not in health
        print(f"  web        {health}")
        try:
            counts = queues.queue_counts(broker, queues.service_queue_names(name))
            for row in counts:
                print(f"  queue      {row.queue:<12} ready {row.ready:>6}  delayed {row.delayed:>6}  "
                      f"dead {row.dead:>6}")
                problems += row.dead > 0
        except Exception as exc:
            problems += 1
            print(f"  queue      broker not answering ({type(exc).__name__}: {exc})")
        try:
            service = _service(name, settings, create=False)
            with service.connection():
                backlog = queues.outbox_backlog(service)
            for kind, (count, age) in backlog.items():
                print(f"  outbox     {kind + 's':<12} waiting {count:>6}  oldest {age:>8.0f} s")
                problems += age > 300
        except Exception as exc:
            problems += 1
            print(f"  outbox     database not answering ({type(exc).__name__}: {exc})")
    print("all well" if not problems else f"{problems} thing(s) to look at (see above)")
    return 0


def cmd_dead_letters(args) -> int:
    settings = load_settings_or_exit()
    service = _service(args.service, settings)
    with service.connection():
        dead = queues.list_dead(_broker(settings), queues.service_queue_names(args.service), service=service)
    if not dead:
        print(f"{args.service}: no dead messages")
        return 0
    print(f"{args.service}: {len(dead)} dead message(s); send one back after the fix with "
          f"make replay SERVICE={args.service} ID=<id> (or ALL=1)")
    for d in dead:
        when = d.dead_at.strftime("%Y-%m-%d %H:%M:%S UTC") if d.dead_at else "?"
        first = (d.body.get("args") or [None])[0]
        what = f"{first.get('type')} {first.get('id')}" if isinstance(first, dict) else json.dumps(first)[:60]
        print(f"{d.message_id}  {d.queue:<10} {d.actor:<26} {when}  {what}\n    reason: {d.reason}")
    return 0


def replayed_by() -> str:
    """Gives who replays: REPLAYED_BY, else the login of the shell."""
    for name in ("REPLAYED_BY", "SUDO_USER", "USER"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def cmd_replay(args) -> int:
    if not args.all and not args.id:
        print("huifang: say which message: ID=<id> (make dead-letters lists them) or ALL=1", file=sys.stderr)
        return 2
    settings = load_settings_or_exit()
    service = _service(args.service, settings)
    who = replayed_by()
    try:
        ids = queues.replay(_broker(settings), queues.service_queue_names(args.service), service=service, who=who,
                            message_id=None if args.all else args.id)
    except NotFound as exc:
        print(f"huifang: {exc}", file=sys.stderr)
        return 1
    for mid in ids:
        print(f"replayed {mid} (by {who})")
    print(f"{args.service}: {len(ids)} message(s) sent back; recorded in its dead_letter_log")
    return 0


def logs_command(service: str) -> list[str]:
    return ["journalctl", "-f", "-u", f"huifang-{service}-*", "-o", "cat"]


def cmd_logs(args) -> int:
    command = logs_command(args.service)
    shown = " ".join(f"'{c}'" if "*" in c else c for c in command)
    if shutil.which("journalctl") is None:
        print(f"huifang: journalctl is not here; on a deployed host this runs: {shown}")
        return 0
    units = subprocess.run(["systemctl", "list-units", "--all", "--no-legend", f"huifang-{args.service}-*"],
                           capture_output=True, text=True) if shutil.which("systemctl") else None
    if units is None or units.returncode != 0 or not units.stdout.strip():
        print(f"huifang: no huifang-{args.service}-* units on this host (make deploy-{args.service} installs "
              f"them); there it runs: {shown}")
        return 0
    print(f"huifang: {shown}", flush=True)
    os.execvp(command[0], command)
    return 0  # pragma: no cover


def configure(command: str, parser) -> None:
    """Gives `parser` the arguments of `command` and the function that runs it."""
    if command == "status":
        parser.add_argument("--service", choices=list(SERVICES))
        parser.set_defaults(func=cmd_status)
        return
    parser.add_argument("--service", required=True, choices=list(SERVICES),
                        help="the service (SERVICE=scheduler, complaints or reporting)")
    parser.set_defaults(func={"dead-letters": cmd_dead_letters, "replay": cmd_replay, "logs": cmd_logs}[command])
    if command == "replay":
        parser.add_argument("--id")
        parser.add_argument("--all", action="store_true")
