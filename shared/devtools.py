"""Development commands behind the Makefile: token, run, infrastructure for tests.

    python -m shared.devtools token --login li --role advisor --org acme-electric
    python -m shared.devtools user --login li --role agent --org acme-electric [--name ... --email ...]
    python -m shared.devtools import-users
    python -m shared.devtools translations
    python -m shared.devtools run [scheduler complaints reporting]
    python -m shared.devtools with-postgres -- <command ...>
    python -m shared.devtools ensure-redis-binary

Each step says what it did: a user should never wonder what got installed or started.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from .settings import ROOT, SERVICES

PG_BIN_DIRS = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15", "14", "13")]


def say(message: str) -> None:
    print(f"huifang: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def apt_install(*packages: str) -> bool:
    """Installs Debian packages when we are root and apt-get exists; says what it did."""
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        say(f"cannot install {' '.join(packages)} (needs root and apt-get); install them and retry")
        return False
    say(f"installing Debian packages: {' '.join(packages)} (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, stdout=subprocess.DEVNULL)
    result = subprocess.run(["apt-get", "install", "-y", "-qq", *packages], env=env, stdout=subprocess.DEVNULL)
    return result.returncode == 0


def redis_server_binary() -> str:
    path = shutil.which("redis-server")
    if path is None:
        apt_install("redis-server")
        path = shutil.which("redis-server")
    if path is None:
        raise SystemExit("huifang: redis-server is missing and could not be installed")
    return path


def redis_command(port: int, data_dir: Path) -> list[str]:
    """The command of a local Redis that keeps queued messages across restarts (appendonly)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--protected-mode", "yes"]


def pg_binary(name: str) -> str:
    for d in PG_BIN_DIRS:
        if (d / name).exists():
            return str(d / name)
    found = shutil.which(name)
    if found:
        return found
    apt_install("postgresql")
    for d in PG_BIN_DIRS:
        if (d / name).exists():
            return str(d / name)
    raise SystemExit(f"huifang: PostgreSQL's {name} is missing and could not be installed")


@contextlib.contextmanager
def throwaway_postgres():
    """Yields the URL of a fresh PostgreSQL server in a temporary folder, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="huifang-pg-"))
    data = folder / "data"
    port = free_port()
    user_args = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: run it as an unprivileged user.
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pw = pwd.getpwnam("nobody")
        os.chown(folder, pw.pw_uid, pw.pw_gid)
        user_args = ["runuser", "-u", pw.pw_name, "--"]
    initdb, pg_ctl = pg_binary("initdb"), pg_binary("pg_ctl")
    say(f"starting a throwaway PostgreSQL on port {port} in {folder}")
    subprocess.run([*user_args, initdb, "-D", str(data), "-U", "huifang", "--auth=trust", "-E", "UTF8",
                    "--no-sync"], check=True, stdout=subprocess.DEVNULL)
    opts = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300"
    subprocess.run([*user_args, pg_ctl, "-D", str(data), "-o", opts, "-l", str(folder / "log"), "-w", "start"],
                   check=True, stdout=subprocess.DEVNULL)
    try:
        yield f"postgresql://huifang@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*user_args, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)
        say("throwaway PostgreSQL stopped and removed")


def cmd_with_postgres(args) -> int:
    command = args.command[1:] if args.command and args.command[0] == "--" else args.command
    url = os.environ.get("HUIFANG_TEST_POSTGRES_URL")
    if url:
        parsed = urlparse(url)
        if port_open(parsed.hostname or "127.0.0.1", parsed.port or 5432):
            say(f"using PostgreSQL at HUIFANG_TEST_POSTGRES_URL ({parsed.hostname}:{parsed.port or 5432})")
            return subprocess.call(command)
        say("nothing answers at HUIFANG_TEST_POSTGRES_URL; starting a throwaway server instead")
    with throwaway_postgres() as url:
        return subprocess.call(command, env={**os.environ, "HUIFANG_TEST_POSTGRES_URL": url})


def cmd_token(args) -> int:
    from .auth import issue_token
    from .settings import load_settings

    settings = load_settings()
    try:
        print(issue_token(settings.secret_key, login=args.login, role=args.role, organization=args.org))
    except ValueError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    return 0


def _bind_service(name: str):
    import importlib

    from .settings import load_settings

    service = importlib.import_module(f"services.{name}.service").SERVICE
    return service.bind(load_settings())


def _relay_now(service) -> None:
    """Hands the service's outbox to the broker now; when it is down, the service's worker
    sends the rows once it runs (they are committed either way)."""
    from .broker import make_broker
    from .manifest import subscribers
    from .outbox import pending_count, relay_once

    try:
        broker = make_broker(service.settings)
        with service.connection():
            relay_once(service.Outbox, broker, limit=1000, subscribers=subscribers)
            left = pending_count(service.Outbox)
    except Exception as exc:  # the broker is down or unreachable
        say(f"broker unavailable ({type(exc).__name__}): the other services get the change when "
            f"{service.name}'s worker runs")
        return
    if left:
        say(f"{left} event(s) wait in {service.name}'s outbox until the broker answers and its worker runs")
    else:
        say("sent to the other services (user.updated)")


def _ask_password(login: str, known: bool) -> str | None:
    """Gives the password typed twice at the terminal; None to keep the current one (or none)."""
    import getpass

    if not sys.stdin.isatty():
        return None
    keep = "keep the current one" if known else f"none: {login} cannot sign in yet"
    while True:
        first = getpass.getpass(f"Password for {login} (empty: {keep}): ")
        if not first:
            return None
        if getpass.getpass("Again: ") == first:
            return first
        say("the two passwords differ; try again")


def cmd_user(args) -> int:
    from .errors import HuifangError
    from .users import check_person, save_person

    try:
        check_person(login=args.login, role=args.role, organization=args.org)
    except HuifangError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    service = _bind_service(args.service)
    with service.connection():
        known = service.users.get(args.org, args.login)
    password = os.environ.get("PASSWORD") or None
    if password is None:
        password = _ask_password(args.login, known is not None and known.has_password)
    lines = None if args.lines is None else [part for part in args.lines.split(",") if part.strip()]
    try:
        record = service.run(save_person, organization=args.org, login=args.login, role=args.role,
                             name=args.name or None, email=args.email or None, phone=args.phone or None,
                             business_lines=lines, password=password)
    except HuifangError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    from datetime import timezone

    unchanged = known is not None and record["updated_at"] == known.updated_at.astimezone(timezone.utc).isoformat()
    state = "created" if known is None else ("unchanged" if unchanged else "updated")
    say(f"{args.login} of {args.org} {state} in {args.service}'s directory: role {record['role']}, "
        f"{'can sign in' if record['password_hash'] else 'no password yet (cannot sign in)'}")
    if not unchanged:
        _relay_now(service)
    return 0


def cmd_import_users(args) -> int:
    from .users import LEGACY_FILES, import_people, people_from_data_files

    service = _bind_service(args.service)
    people, notes = people_from_data_files(service.settings)
    for note in notes:
        say(note)
    if not people:
        say(f"no one listed in {', '.join(f'{s}/{f}' for s, f in LEGACY_FILES.items())}; nothing to import")
        return 0
    for organization, found in people.items():
        changed = service.run(import_people, organization=organization, people=found)
        say(f"{organization}: {len(found)} listed, {len(changed)} created or completed"
            + (f" ({', '.join(changed)})" if changed else ""))
    say("imported people have no password: set one with make user LOGIN=... ROLE=... ORG=...")
    _relay_now(service)
    return 0


def cmd_translations(args) -> int:
    """Extracts the pages' strings, updates the Chinese catalog, compiles it; names what is untranslated."""
    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import read_po

    def messages(path: Path) -> list:
        with path.open("rb") as f:
            return sorted((m.id, m.string, tuple(sorted(m.flags))) for m in read_po(f) if m.id)

    folder = ROOT / "shared" / "translations"
    run = CommandLineInterface().run
    with tempfile.TemporaryDirectory() as scratch:
        pot = Path(scratch) / "messages.pot"
        run(["pybabel", "-q", "extract", "-F", str(folder / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
             "--no-location", "--sort-output", "--omit-header", "--project=Huifang", "-o", str(pot), str(ROOT)])
        for locale in TRANSLATED_LOCALES:
            po = folder / locale / "LC_MESSAGES" / "messages.po"
            before = po.read_bytes() if po.exists() else None
            if before is None:
                run(["pybabel", "-q", "init", "-i", str(pot), "-d", str(folder), "-l", locale, "-w", "100"])
            else:
                run(["pybabel", "-q", "update", "-i", str(pot), "-d", str(folder), "-l", locale, "-w", "100",
                     "--no-fuzzy-matching", "--ignore-obsolete"])
                after = po.read_bytes()
                if after != before and messages(po) == _messages_of(before, read_po):
                    po.write_bytes(before)  # only the header's date moved: keep the file as it was
            run(["pybabel", "-q", "compile", "-d", str(folder), "-l", locale])
            missing = [m for m, string, _ in messages(po) if not string]
            if missing:
                say(f"{locale}: {len(missing)} untranslated in {po.relative_to(ROOT)}: {missing}; "
                    "fill in msgstr and run make translations again")
            else:
                say(f"{locale}: every string translated and compiled")
    return 0


def _messages_of(content: bytes, read_po) -> list:
    import io

    return sorted((m.id, m.string, tuple(sorted(m.flags))) for m in read_po(io.BytesIO(content)) if m.id)


#: Catalogs kept in shared/translations (English is the msgids themselves).
TRANSLATED_LOCALES = ("zh_Hans_CN",)


def dev_api_token(var_dir: Path) -> str:
    path = var_dir / "api_token"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    token = "hf_" + secrets.token_urlsafe(32)
    path.write_text(token)
    path.chmod(0o600)
    return token


def cmd_run(args) -> int:
    from .settings import load_settings

    services = args.services or list(SERVICES)
    unknown = [s for s in services if s not in SERVICES]
    if unknown:
        raise SystemExit(f"huifang: unknown service {unknown}; choose from {list(SERVICES)}")
    settings = load_settings()
    env = dict(os.environ)
    if not settings.api_token:
        env["HUIFANG_API_TOKEN"] = dev_api_token(settings.var_dir)
    lines = []
    broker = urlparse(settings.broker_url)
    if broker.scheme.startswith("redis"):
        host, port = broker.hostname or "127.0.0.1", broker.port or 6379
        if port_open(host, port):
            say(f"Redis answers at {host}:{port}; using it")
        elif host in ("127.0.0.1", "localhost", "::1"):
            command = redis_command(port, settings.var_dir / "redis")
            say(f"no Redis at {host}:{port}: starting a local redis-server (appendonly, data in var/redis)")
            lines.append("redis: " + " ".join(command))
        else:
            raise SystemExit(f"huifang: no Redis answers at {host}:{port} (HUIFANG_BROKER_URL); start it and retry")
    python = sys.executable
    for name in services:
        port = settings.port(name)
        # Create or migrate the database once here, not racing in every process.
        subprocess.run([python, "-m", "shared.devtools", "initdb", name], check=True, env=env)
        lines.append(f"{name}-web: {python} -m gunicorn --bind 127.0.0.1:{port} --workers 2 --threads 4 "
                     f"--access-logfile - 'services.{name}.app:create_app()'")
        lines.append(f"{name}-worker: {python} -m dramatiq services.{name}.actors --processes 1 "
                     f"--threads {settings.worker_threads} --queues events {name}")
    procfile = settings.var_dir / "Procfile"
    procfile.write_text("\n".join(lines) + "\n")
    print("\nHuifang is starting:", flush=True)
    for name in services:
        print(f"  {name:<11} {settings.public_url(name)}/   (API docs: /api/v1/openapi.json)")
    if not settings.api_token:
        print(f"  dev API token (integration role): {env['HUIFANG_API_TOKEN']}")
    print("  a user token: make token LOGIN=li ROLE=advisor ORG=acme-electric")
    print("  a person who signs in to the pages: make user LOGIN=li ROLE=agent ORG=acme-electric")
    print("  Ctrl-C stops everything started here.\n", flush=True)
    os.chdir(ROOT)
    os.execvpe(python, [python, "-m", "honcho", "-f", str(procfile), "-d", str(ROOT), "start"], env)


def cmd_initdb(args) -> int:
    import importlib

    from .settings import load_settings

    service = importlib.import_module(f"services.{args.service}.service").SERVICE
    service.bind(load_settings())
    say(f"{args.service}: database ready at {service.settings.database_url(args.service).split('@')[-1]}")
    return 0


def _has_library(name: str) -> bool:
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout if shutil.which("ldconfig") else ""
    return name in out


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    return "Noto Sans CJK" in out or "WenQuanYi" in out


#: Debian packages the services need at run time, and how to tell one is there.
SYSTEM_PACKAGES = {
    "redis-server": lambda: shutil.which("redis-server") is not None,
    "fonts-noto-cjk": _has_cjk_font,
    "libharfbuzz-subset0": lambda: _has_library("libharfbuzz-subset.so"),
    "poppler-utils": lambda: shutil.which("pdftotext") is not None,
    "libpango-1.0-0": lambda: _has_library("libpango-1.0.so"),
    # The browser of the page tests (tests/pages, Playwright); Playwright cannot download its own.
    "chromium": lambda: shutil.which("chromium") is not None,
}


def cmd_system_deps(args) -> int:
    missing = [name for name, present in SYSTEM_PACKAGES.items() if not present()]
    if not missing:
        return 0
    say(f"missing system packages: {', '.join(missing)}")
    if not apt_install(*missing):
        say("continuing without them; Redis, the PDF report's CJK font, fast font subsetting or the page "
            "tests' browser may not work")
    return 0


def cmd_redis_server(args) -> int:
    """Runs a local Redis in the foreground (used by tests and make run)."""
    os.execv(redis_server_binary(), redis_command(args.port, Path(args.dir)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.devtools")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("token")
    p.add_argument("--login", required=True)
    p.add_argument("--role", required=True)
    p.add_argument("--org", required=True)
    p.set_defaults(func=cmd_token)
    p = sub.add_parser("user", help="create or update a person of the user directory")
    p.add_argument("--login", required=True)
    p.add_argument("--role", required=True)
    p.add_argument("--org", required=True)
    p.add_argument("--name", default="")
    p.add_argument("--email", default="")
    p.add_argument("--phone", default="")
    p.add_argument("--lines", default=None, help="business lines, comma-separated (empty: every line)")
    p.add_argument("--service", default="scheduler", choices=list(SERVICES),
                   help="the service whose database takes the change and relays it (default scheduler)")
    p.set_defaults(func=cmd_user)
    p = sub.add_parser("import-users", help="convert the old users/agents/recipients files into the directory")
    p.add_argument("--service", default="scheduler", choices=list(SERVICES))
    p.set_defaults(func=cmd_import_users)
    p = sub.add_parser("translations", help="extract, update and compile the pages' message catalogs")
    p.set_defaults(func=cmd_translations)
    p = sub.add_parser("run")
    p.add_argument("services", nargs="*", help="scheduler, complaints, reporting (default: all)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("initdb")
    p.add_argument("service", choices=list(SERVICES))
    p.set_defaults(func=cmd_initdb)
    p = sub.add_parser("with-postgres")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_with_postgres)
    p = sub.add_parser("system-deps")
    p.set_defaults(func=cmd_system_deps)
    p = sub.add_parser("redis-server")
    p.add_argument("--port", type=int, default=6379)
    p.add_argument("--dir", default=str(ROOT / "var" / "redis"))
    p.set_defaults(func=cmd_redis_server)
    args = parser.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
