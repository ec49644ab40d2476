"""The processes a deployed service's systemd units run, inside its virtualenv: the database
migrated, the unit's metrics folder emptied, then gunicorn or dramatiq in place of this process.

    python -m ops migrate <service>
    python -m ops reset-metrics <service> web|worker
    python -m ops serve-web <service>
    python -m ops serve-worker <service>
"""
from __future__ import annotations

import importlib
import os

from ops.console import say
from ops.deploy import web_command, worker_command
from ops.host import KINDS
from shared.core.settings import SERVICES, load_settings_or_exit
from shared.mesh.metrics import reset_kind


def serve(kind: str, service: str) -> int:
    settings = load_settings_or_exit()
    command = (web_command if kind == "web" else worker_command)(service, settings)
    os.execv(command[0], command)


def reset_metrics(service: str, kind: str) -> int:
    """A unit's ExecStartPre: empties its own metrics subfolder (HUIFANG_METRICS_DIR/<service>/<kind>),
    where only its processes, now gone, wrote; the other unit's subfolder is left alone."""
    folder = reset_kind(load_settings_or_exit(), service, kind)
    if folder is not None:
        say(f"{service}: {kind} metrics start afresh in {folder}")
    return 0


def migrate(service: str) -> int:
    settings = load_settings_or_exit()
    importlib.import_module(f"services.{service}.service").SERVICE.bind(settings)
    say(f"{service}: database schema up to date")
    return 0


def configure(command: str, parser) -> None:
    """Gives `parser` the arguments of `command` and the function that runs it."""
    parser.add_argument("service", choices=list(SERVICES))
    if command == "reset-metrics":
        parser.add_argument("kind", choices=list(KINDS))
        parser.set_defaults(func=lambda args: reset_metrics(args.service, args.kind))
    elif command == "migrate":
        parser.set_defaults(func=lambda args: migrate(args.service))
    else:
        kind = "web" if command == "serve-web" else "worker"
        parser.set_defaults(func=lambda args: serve(kind, args.service))
