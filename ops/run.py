"""`make run`: every service's web and worker processes under honcho, a local Redis when none
answers, the databases created or migrated first; and the settings' check the processes run.

    python -m ops run [scheduler complaints reporting]
    python -m ops check-settings
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from ops.console import say, shown
from ops.infra import (broker_users, control_socket_option, port_free, port_open, redis_answers, redis_command,
                       with_new_password, write_private)
from ops.onboarding import known_organizations
from ops.people import bind_service, create_demo, dev_api_token
from shared.core.settings import ROOT, SERVICES, _env, broker_url_file, load_settings
from shared.mesh.metrics import reset_folder

def worker_line(name: str, settings, python: str) -> str:
    """Gives the Procfile line of `name`'s worker under `make run`: its own queues
    (HUIFANG_<SERVICE>_WORKER_QUEUES over HUIFANG_WORKER_QUEUES: one .env serves all three)."""
    return (f"{name}-worker: {python} -m dramatiq services.{name}.actors "
            f"--processes {settings.worker_processes} --threads {settings.worker_threads} "
            f"--queues {' '.join(settings.queues(name))}")


def cmd_run(args) -> int:
    services = args.services or list(SERVICES)
    unknown = [s for s in services if s not in SERVICES]
    if unknown:
        raise SystemExit(f"huifang: unknown service {unknown}; choose from {list(SERVICES)}")
    settings = load_settings()
    refuse_taken_ports(settings, services)
    env = dict(os.environ)
    if not settings.api_token:
        env["HUIFANG_API_TOKEN"] = dev_api_token(settings.var_dir)
    lines = []
    redis_line = plan_broker(settings, explicit=bool(setting_given("HUIFANG_BROKER_URL")))
    if redis_line:
        lines.append(redis_line)
    kept = broker_url_file(settings.var_dir)
    if kept.exists() and urlparse(settings.broker_url).scheme.startswith("redis"):
        # the Redis of this checkout asks for a password: every process gets the full URL
        env["HUIFANG_BROKER_URL"] = kept_url_for(settings, urlparse(settings.broker_url).hostname or "127.0.0.1",
                                                 urlparse(settings.broker_url).port or 6379) or settings.broker_url
    python = sys.executable
    # Two gunicorn processes and the worker of a service count into one folder; /metrics sums them.
    env.setdefault("HUIFANG_METRICS_DIR", str(settings.var_dir / "metrics"))
    for name in services:
        reset_folder(Path(env["HUIFANG_METRICS_DIR"]) / name)
    sockets = settings.var_dir / "run"
    sockets.mkdir(parents=True, exist_ok=True)
    for name in services:
        port = settings.port(name)
        # Create or migrate the database once here, not racing in every process.
        done = subprocess.run([python, "-m", "ops", "initdb", name], env=env)
        if done.returncode:
            raise SystemExit(done.returncode)  # it said why
        lines.append(f"{name}-web: {python} -m gunicorn --bind 127.0.0.1:{port} --workers {settings.web_workers} "
                     f"--threads {settings.web_threads} "
                     f"{control_socket_option(sockets / f'{name}-web.ctl')} "
                     f"--access-logfile - 'services.{name}.app:create_app()'")
        lines.append(worker_line(name, settings, python))
    if "scheduler" in services and not has_organizations(settings):
        offer_demo(settings)
    procfile = settings.var_dir / "Procfile"
    procfile.write_text("\n".join(lines) + "\n")
    print("\nHuifang is starting:", flush=True)
    for name in services:
        print(f"  {name:<11} {settings.public_url(name)}/   (API reference: {settings.public_url(name)}/api/v1/docs)")
    if not settings.api_token:
        print(f"  the integration token (every organisation): export HUIFANG_API_TOKEN=$(cat "
              f"{shown(settings.var_dir / 'api_token')})")
    print("  a user token: make token LOGIN=li ROLE=advisor ORG=acme-electric")
    print("  a person who signs in to the pages: make user LOGIN=li ROLE=agent ORG=acme-electric")
    print("  Ctrl-C stops everything started here.\n", flush=True)
    os.chdir(ROOT)
    os.execvpe(python, [python, "-m", "honcho", "-f", str(procfile), "-d", str(ROOT), "start"], env)


def setting_given(name: str) -> str | None:
    """Gives the value of a setting someone set (the environment or .env), None when it is the default."""
    return _env(None).get(name) or None


def refuse_taken_ports(settings, services) -> None:
    """Stops `make run` before it starts anything when a service's HTTP port is taken."""
    taken = [(name, settings.port(name)) for name in services if not port_free(settings.port(name))]
    if not taken:
        return
    for name, port in taken:
        say(f"port {port} ({name}) is taken: another program listens there (another `make run`, "
            "perhaps of another checkout)")
    others = " ".join(f"HUIFANG_{name.upper()}_PORT={port + 100}" for name, port in taken)
    raise SystemExit(f"huifang: not starting. Stop that program, or choose other ports: {others} make run")


def plan_broker(settings, *, explicit: bool) -> str | None:
    """Gives the Procfile line of a local Redis to start, or None when the broker answers already;
    says loudly when it will share a Redis it did not start and nobody chose it on purpose.

    The Redis it starts requires a password (CONTRACT.md "The broker's password"): the one in the
    broker's URL, or one generated here; the full URL is kept in `var/broker_url` (0600), which
    every process and command of this checkout reads when HUIFANG_BROKER_URL is not set.
    """
    broker = urlparse(settings.broker_url)
    if not broker.scheme.startswith("redis"):
        say(f"broker: {broker.scheme}://{broker.hostname}:{broker.port or ''} (HUIFANG_BROKER_URL)")
        return None
    host, port = broker.hostname or "127.0.0.1", broker.port or 6379
    url = settings.broker_url if broker.password else kept_url_for(settings, host, port) or settings.broker_url
    if redis_answers(url):
        if url != settings.broker_url:
            say(f"using the Redis at {host}:{port} with the password kept in "
                f"{shown(broker_url_file(settings.var_dir))}")
        elif explicit:
            say(f"using the Redis at {host}:{port} (HUIFANG_BROKER_URL)")
        else:
            warn_shared_broker(settings.broker_url, host, port)
        return None
    if port_open(host, port):
        raise SystemExit(f"huifang: something that is not Redis listens on {host}:{port} (HUIFANG_BROKER_URL); "
                         "stop it or point HUIFANG_BROKER_URL at another port")
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"huifang: no Redis answers at {host}:{port} (HUIFANG_BROKER_URL); start it and retry")
    if not urlparse(url).password:
        url = with_new_password(url)
    write_private(broker_url_file(settings.var_dir), url + "\n")
    say(f"no Redis at {host}:{port}: starting a local redis-server on port {port} "
        f"(appendonly, data in {shown(settings.var_dir / 'redis')}; its password is in the URL kept in "
        f"{shown(broker_url_file(settings.var_dir))})")
    return "redis: " + " ".join(redis_command(port, settings.var_dir / "redis", urlparse(url).password))


def kept_url_for(settings, host: str, port: int) -> str | None:
    """Gives the URL kept in var/broker_url when it names the Redis at host:port (a password in it)."""
    try:
        kept = broker_url_file(settings.var_dir).read_text().strip()
    except OSError:
        return None
    parts = urlparse(kept)
    return kept if parts.password and (parts.hostname, parts.port or 6379) == (host, port) else None


def warn_shared_broker(url: str, host: str, port: int) -> None:
    """Says, loudly, that this installation will share a Redis it did not start, and with whom."""
    try:
        found = broker_users(url)
    except Exception as exc:  # a Redis that refuses SCAN: say what we can
        found = {"queues": {}, "workers": 0, "other_keys": 0, "error": type(exc).__name__}
    queues = ", ".join(f"{q} ({n} message{'s' if n != 1 else ''})" for q, n in found["queues"].items()) or \
        "none holding messages now"
    spare = next((p for p in range(port + 1, port + 50) if port_free(p)), port + 1)
    bar = "=" * 78
    for line in (
        bar,
        f"WARNING: a Redis that this command did not start answers at {host}:{port},",
        "and HUIFANG_BROKER_URL is not set: this installation will SHARE that broker.",
        f"  Dramatiq queues there: {queues}; Dramatiq workers connected: {found['workers']}; "
        f"keys of other programs: {found['other_keys']}.",
        "  Another checkout (or program) using it takes this installation's events, and this one theirs.",
        f"  To keep apart:     HUIFANG_BROKER_URL=redis://127.0.0.1:{spare}/0 make run   (starts its own Redis)",
        f"  To share on purpose: set HUIFANG_BROKER_URL={url} (environment or .env): no more warning.",
        bar,
    ):
        say(line)


def has_organizations(settings) -> bool:
    """Gives whether this installation has an organisation: a data folder, or people in the directory."""
    if known_organizations(settings):
        return True
    service = bind_service("scheduler")
    with service.connection():
        return service.users.User.select().exists()


def offer_demo(settings) -> None:
    """Offers the demo organisation to an installation without any (asks at a terminal)."""
    say("no organisation yet. `make demo` makes one to look around in (people of every role with their "
        "passwords, sample deliveries, service orders and complaints); `make org ORG=acme-electric NAME=...` "
        "makes your own.")
    if not sys.stdin.isatty():
        return
    answer = input("Create the demo organisation now? [Y/n] ").strip().lower()
    if answer in ("", "y", "yes"):
        create_demo(settings, relay=False)


def cmd_check_settings(args) -> int:
    """Exits 2 with one line naming the variable when a setting is wrong (deploy/Procfile runs it first)."""
    load_settings()
    return 0


def cmd_initdb(args) -> int:
    service = importlib.import_module(f"services.{args.service}.service").SERVICE
    service.bind(load_settings())
    say(f"{args.service}: database ready at {service.settings.database_url(args.service).split('@')[-1]}")
    return 0


def configure(command: str, parser) -> None:
    """Gives `parser` the arguments of `command` and the function that runs it."""
    if command == "run":
        parser.add_argument("services", nargs="*", help="scheduler, complaints, reporting (default: all)")
        parser.set_defaults(func=cmd_run)
    elif command == "initdb":
        parser.add_argument("service", choices=list(SERVICES))
        parser.set_defaults(func=cmd_initdb)
    elif command == "check-settings":
        parser.set_defaults(func=cmd_check_settings)
