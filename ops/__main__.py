"""The operator's one command line: `python -m ops <command> ...` (each make target calls one).

Only the module of the command given is imported: `deploy`, `undeploy` and `proxy-config` run
with the system's python3 before any virtualenv exists, so their modules (ops/deploy.py,
ops/proxy.py) and what they import use Python's standard library alone; the others run in the
virtualenv. `python -m ops <command> --help` says what a command takes.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from shared.core.errors import ConfigurationError

#: Every command, in the order `--help` lists them: (its module under ops/, one line of what it does).
COMMANDS = {
    # a developer's machine
    "run": ("run", "start every service (or the ones named): web, worker, a local Redis (make run)"),
    "initdb": ("run", "create or migrate one service's database"),
    "check-settings": ("run", "exit 2 with one line when a setting is wrong"),
    "system-deps": ("infra", "install the Debian packages the services need (make system-deps)"),
    "with-postgres": ("infra", "run a command with HUIFANG_TEST_POSTGRES_URL set (a throwaway server if need be)"),
    "redis-server": ("infra", "run a local Redis in the foreground"),
    "translations": ("translations", "extract, update and compile the pages' message catalogs (make translations)"),
    "event-catalogue": ("housekeeping", "write docs/EVENTS.md from the event schemas (make docs)"),
    "clean": ("housekeeping", "delete databases, Redis data, outbox mail; keep the key and organisations (make clean)"),
    # people, organisations, tokens
    "token": ("integration_tokens", "a user's bearer token; --role integration: the installation's own, or with "
                                    "--org one organisation's, revocable (make token)"),
    "user": ("people", "create or update a person of the user directory (make user)"),
    "integration-token": ("integration_tokens", "issue an organisation's integration token, revocable "
                                                "(make integration-token)"),
    "integration-tokens": ("integration_tokens", "list an organisation's integration tokens and their last use "
                                                 "(make integration-tokens)"),
    "revoke-integration-token": ("integration_tokens", "refuse one integration token on every service "
                                                       "(make revoke-integration-token)"),
    "revoke-tokens": ("people", "refuse a person's tokens and page sessions issued until now (make revoke-tokens)"),
    "import-users": ("people", "convert the old users/agents/recipients files into the directory (make import-users)"),
    "erase-customer": ("people", "blank one customer's personal data in every service, PIPL (make erase-customer)"),
    "org": ("people", "an organisation's data folder from the defaults, and its first admin (make org)"),
    "demo": ("people", "the demo organisation: people of every role, sample data (make demo)"),
    # what runs
    "status": ("status", "each service's health, queue depths, dead letters, outbox backlog (make status)"),
    "dead-letters": ("status", "the dead messages of a service's queues and why they died (make dead-letters)"),
    "replay": ("status", "send dead messages back after a fix (make replay)"),
    "logs": ("status", "follow a deployed service's logs (make logs)"),
    # production
    "deploy": ("deploy", "install or update one service (systemd units, environment file, code) (make deploy-*)"),
    "undeploy": ("deploy", "remove one service; its data stays unless --purge (make undeploy-*)"),
    "proxy-config": ("proxy", "the nginx site serving the three services under one host (make proxy-config)"),
    "backup": ("backup", "a consistent copy of a service's database and rule files (make backup)"),
    "restore": ("backup", "bring a backup folder back (make restore)"),
    # run by the deployed units
    "migrate": ("units", "run by the units: bring the database schema up to date"),
    "reset-metrics": ("units", "run by the units: empty the unit's own metrics subfolder"),
    "serve-web": ("units", "run by the units: the web process (gunicorn)"),
    "serve-worker": ("units", "run by the units: the worker process (dramatiq)"),
}


def parser_for(argv: list[str]) -> argparse.ArgumentParser:
    """Gives the command line's parser, with the arguments of the command `argv` names (its module
    imported, and no other)."""
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="<command>")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, summary) in COMMANDS.items():
        command = sub.add_parser(name, help=summary, description=summary)
        if name == chosen:
            importlib.import_module(f"ops.{module}").configure(name, command)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser_for(argv).parse_args(argv)
    try:
        return args.func(args) or 0
    except ConfigurationError as exc:
        # A bad setting: one line naming it, no traceback (exit 2, like a usage error).
        print(f"huifang: {exc}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
