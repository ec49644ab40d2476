"""Development commands behind the Makefile: token, run, infrastructure for tests.

    python -m ops.devenv token --login li --role advisor --org acme-electric
    python -m ops.devenv user --login li --role agent --org acme-electric [--name ... --email ...]
    python -m ops.devenv import-users
    python -m ops.devenv translations [shared complaints ...]
    python -m ops.devenv run [scheduler complaints reporting]
    python -m ops.devenv org --org acme-electric --name "Acme Electric"   (make org)
    python -m ops.devenv demo                                             (make demo)
    python -m ops.devenv event-catalogue [--check]                        (make docs)
    python -m ops.devenv clean [--all]                                    (make clean)
    python -m ops.devenv check-settings
    python -m ops.devenv with-postgres -- <command ...>
    python -m ops.devenv ensure-redis-binary

Each step says what it did: a user should never wonder what got installed or started.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from shared.core.settings import ROOT, SERVICES
from shared.core.db import private_folder
from shared.core.errors import ConfigurationError
from shared.web.auth import issue_token
from shared.core.settings import load_settings
from shared.mesh.broker import make_broker
from shared.core.manifest import subscribers
from shared.mesh.outbox import pending_count, relay_once
from shared.mesh.retention import erase_customer
from shared.core.errors import HuifangError
from shared.users.store import save_person
from shared.users.store import check_person, save_person
from shared.users.store import LEGACY_FILES, import_people, people_from_data_files
from shared.mesh.metrics import reset_folder
from shared.core.settings import _env
from ops.onboarding import known_organizations
from ops.onboarding import check_organization, create_organization
from ops.onboarding import next_steps
from shared.core.events import validate_envelope
from ops.onboarding import DEMO_NAME, DEMO_ORG, DEMO_PEOPLE, create_organization, new_password, sample_events
import shared.core.catalogue as catalogue

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
    private_folder(data_dir)  # its append-only files hold the messages: customers' data
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

        if not url.startswith(("postgresql://", "postgres://")):
            raise ConfigurationError("HUIFANG_TEST_POSTGRES_URL", f"must start with postgresql://, got {url!r}")
        parsed = urlparse(url)
        if port_open(parsed.hostname or "127.0.0.1", parsed.port or 5432):
            say(f"using PostgreSQL at HUIFANG_TEST_POSTGRES_URL ({parsed.hostname}:{parsed.port or 5432})")
            return subprocess.call(command)
        say("nothing answers at HUIFANG_TEST_POSTGRES_URL; starting a throwaway server instead")
    with throwaway_postgres() as url:
        return subprocess.call(command, env={**os.environ, "HUIFANG_TEST_POSTGRES_URL": url})


def cmd_token(args) -> int:

    settings = load_settings()
    if args.role == "integration" and not args.org:
        # Not a signed token: the installation's own (HUIFANG_API_TOKEN, else the one `make run`
        # keeps in var/api_token), which reads every organisation.
        print(settings.api_token or dev_api_token(settings.var_dir))
        return 0
    login = args.login or ("integration" if args.role == "integration" else "")
    try:
        # ROLE=integration ORG=...: an integration token of that organisation only
        print(issue_token(settings.secret_key, login=login, role=args.role, organization=args.org))
    except ValueError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    return 0


def _bind_service(name: str):
    import importlib


    service = importlib.import_module(f"services.{name}.service").SERVICE
    return service.bind(load_settings())


def _relay_now(service, what: str = "user.updated") -> None:
    """Hands the service's outbox to the broker now; when it is down, the service's worker
    sends the rows once it runs (they are committed either way)."""
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
        say(f"sent to the other services ({what})")


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
    lines = None if args.lines is None else [part for part in args.lines.split(",") if part.strip()]
    service, changed = enter_person(args.service, organization=args.org, login=args.login, role=args.role,
                                    name=args.name, email=args.email, phone=args.phone, lines=lines,
                                    password=os.environ.get("PASSWORD") or None, branch=args.branch)
    if changed:
        _relay_now(service)
    return 0


def cmd_erase_customer(args) -> int:
    """Blanks one customer's personal data in every service (PIPL): names,
    phones, contacts and free texts in the tables and in the raw event logs; ids, dates, answers
    and amounts stay, so every figure and report is as before."""
    for name in SERVICES:
        service = _bind_service(name)
        done = service.run(erase_customer, organization=args.org, customer_id=args.customer)
        say(f"{name}: customer {args.customer} of {args.org} erased ({', '.join(f'{k} {v}' for k, v in done.items())})")
    return 0


def cmd_revoke_tokens(args) -> int:
    """Refuses every token issued and page session started until now of one person, on every
    service; `make token` gives them a new one."""
    service = _bind_service(args.service)
    with service.connection():
        known = service.users.get(args.org, args.login)
    if known is None:
        raise SystemExit(f"huifang: no {args.login} in {args.org}'s directory (make user LOGIN=... first)")
    try:
        record = service.run(save_person, organization=args.org, login=args.login, revoke_tokens=True)
    except HuifangError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    _relay_now(service)
    say(f"{args.login} of {args.org}: tokens and sessions from before {record['tokens_not_before']} are refused")
    return 0


def enter_person(service_name: str, *, organization: str, login: str, role: str, name: str = "", email: str = "",
                 phone: str = "", lines: list[str] | None = None, password: str | None = None, ask: bool = True,
                 branch: str | None = None):
    """Gives (service, changed) after creating or updating one person of the user directory in
    `service_name`'s database (what `make user` does); asks for the password at a terminal
    when none is given and `ask`. The caller relays the `user.updated` event."""
    from datetime import timezone


    try:
        check_person(login=login, role=role, organization=organization)
    except HuifangError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    service = _bind_service(service_name)
    with service.connection():
        known = service.users.get(organization, login)
    if password is None and ask:
        password = _ask_password(login, known is not None and known.has_password)
    try:
        record = service.run(save_person, organization=organization, login=login, role=role,
                             name=name or None, email=email or None, phone=phone or None,
                             business_lines=lines, password=password, branch=branch)
    except HuifangError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    unchanged = known is not None and record["updated_at"] == known.updated_at.astimezone(timezone.utc).isoformat()
    state = "created" if known is None else ("unchanged" if unchanged else "updated")
    say(f"{login} of {organization} {state} in {service_name}'s directory: role {record['role']}, "
        f"{'can sign in' if record['password_hash'] else 'no password yet (cannot sign in)'}")
    return service, not unchanged


def cmd_import_users(args) -> int:

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


#: Catalogs kept for each catalog folder (English is the msgids themselves).
TRANSLATED_LOCALES = ("zh_Hans_CN",)
#: The shared catalog: the shell, sign-in, error pages (and the pages of every service that
#: keeps no catalog of its own).
SHARED_CATALOG = ROOT / "shared" / "web" / "translations"


def own_catalog(service: str) -> Path:
    """Gives the folder of a service's own catalog (used when it exists: create it to start one)."""
    return ROOT / "services" / service / "translations"


def service_sources(service: str) -> list[str]:
    """Gives the babel mapping lines of a service's pages: its views and its templates."""
    return [f"[python: services/{service}/pages.py]", f"[python: services/{service}/pages/**.py]",
            f"[jinja2: services/{service}/templates/{service}/**.html]"]


def catalogs() -> dict[Path, str]:
    """Gives each message catalog's folder and its babel mapping (what `make translations` extracts).

    Every app loads shared/web/translations and then its service's own folder, when there is one
    (shared.web.pages.init_app), the later winning. A service with services/<name>/translations
    keeps its pages' strings there; the others' stay in the shared catalog.
    """
    shared = ["[python: shared/**.py]", "[jinja2: shared/web/templates/**.html]"]
    out = {}
    for service in SERVICES:
        if own_catalog(service).is_dir():
            out[own_catalog(service)] = "\n".join(service_sources(service)) + "\n"
        else:
            shared += service_sources(service)
    return {SHARED_CATALOG: "\n".join(shared) + "\n", **out}


def extract_messages(mapping: str, pot: Path) -> None:
    """Writes the strings `mapping` (babel's mapping file format) finds under ROOT to `pot`."""
    from babel.messages.frontend import CommandLineInterface

    config = pot.with_suffix(".cfg")
    config.write_text(mapping, encoding="utf-8")
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(config), "-k", "_l", "-k", "lazy_gettext",
                                "-k", "lazy_pgettext:1c,2",
                                "--no-location", "--sort-output", "--omit-header", "--project=Huifang",
                                "-o", str(pot), str(ROOT)])


def cmd_translations(args) -> int:
    """Extracts the pages' strings, updates each catalog (shared, and each service's own), compiles
    them; a string another catalog already translates is filled in from there, marked fuzzy to be
    checked (so strings moving to a service's own catalog keep their translation); names what is
    untranslated or fuzzy."""
    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import read_po, write_po

    def messages(path: Path) -> list:
        with path.open("rb") as f:
            return _messages_of(f.read(), read_po, locale)

    run = CommandLineInterface().run
    wanted = catalogs()
    if args.only:
        # a catalog is named by the folder it serves: shared, or the service's name
        wanted = {folder: mapping for folder, mapping in wanted.items() if folder.parent.name in args.only}
    for locale in TRANSLATED_LOCALES:
        known: dict = {}
        for folder in catalogs():
            po = folder / locale / "LC_MESSAGES" / "messages.po"
            if po.exists():
                known.update({i: s for i, s, flags in messages(po) if translated(s) and "fuzzy" not in flags})
        with tempfile.TemporaryDirectory() as scratch:
            for folder, mapping in wanted.items():
                pot = Path(scratch) / f"{folder.parent.name}.pot"
                extract_messages(mapping, pot)
                po = folder / locale / "LC_MESSAGES" / "messages.po"
                before = po.read_bytes() if po.exists() else None
                if before is None:
                    run(["pybabel", "-q", "init", "-i", str(pot), "-d", str(folder), "-l", locale, "-w", "100"])
                else:
                    run(["pybabel", "-q", "update", "-i", str(pot), "-d", str(folder), "-l", locale, "-w", "100",
                         "--no-fuzzy-matching", "--ignore-obsolete"])
                with po.open("rb") as f:
                    catalog = read_po(f, locale=locale)
                filled = 0
                for message in catalog:
                    if message.id and not translated(message.string) and message.id in known:
                        message.string = known[message.id]
                        message.flags.add("fuzzy")  # the same words may mean something else here
                        filled += 1
                if filled:
                    with po.open("wb") as f:
                        write_po(f, catalog, width=100, ignore_obsolete=True)
                    say(f"{locale}: {filled} string(s) of {po.relative_to(ROOT)} filled in from another catalog, "
                        "marked fuzzy: check each and remove its fuzzy flag")
                if before is not None and po.read_bytes() != before and messages(po) == _messages_of(before, read_po,
                                                                                                     locale):
                    po.write_bytes(before)  # only the header's date moved: keep the file as it was
                run(["pybabel", "-q", "compile", "-d", str(folder), "-l", locale])
                missing = [m for m, string, flags in messages(po) if not translated(string) or "fuzzy" in flags]
                if missing:
                    say(f"{locale}: {len(missing)} untranslated in {po.relative_to(ROOT)}: {missing}; "
                        "fill in msgstr and run make translations again")
                else:
                    say(f"{locale}: every string of {po.relative_to(ROOT)} translated and compiled")
    return 0


def _messages_of(content: bytes, read_po, locale: str | None = None) -> list:
    import io

    return sorted(((m.id, m.string, tuple(sorted(m.flags))) for m in read_po(io.BytesIO(content), locale=locale)
                   if m.id), key=repr)


def translated(string) -> bool:
    """Gives whether a catalog's msgstr is filled in (every form of a plural one)."""
    if isinstance(string, (tuple, list)):
        return bool(string) and all(string)
    return bool(string)


def dev_api_token(var_dir: Path) -> str:
    path = var_dir / "api_token"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    token = "hf_" + secrets.token_urlsafe(32)
    path.write_text(token)
    path.chmod(0o600)
    return token


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
    redis_line = plan_broker(settings, explicit=bool(_setting_given("HUIFANG_BROKER_URL")))
    if redis_line:
        lines.append(redis_line)
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
        done = subprocess.run([python, "-m", "ops.devenv", "initdb", name], env=env)
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
              f"{_shown(settings.var_dir / 'api_token')})")
    print("  a user token: make token LOGIN=li ROLE=advisor ORG=acme-electric")
    print("  a person who signs in to the pages: make user LOGIN=li ROLE=agent ORG=acme-electric")
    print("  Ctrl-C stops everything started here.\n", flush=True)
    os.chdir(ROOT)
    os.execvpe(python, [python, "-m", "honcho", "-f", str(procfile), "-d", str(ROOT), "start"], env)


def _shown(path: Path) -> str:
    """Gives `path` relative to the project folder when it is inside it (shorter to read and type)."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _setting_given(name: str) -> str | None:
    """Gives the value of a setting someone set (the environment or .env), None when it is the default."""
    return _env(None).get(name) or None


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Gives whether a server could listen on `host:port` now (as gunicorn would: SO_REUSEADDR)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


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


def control_socket_option(path: Path) -> str:
    """Gives gunicorn's option for its own control socket at `path` (every gunicorn of every
    checkout would share ~/.gunicorn/gunicorn.ctl otherwise); none when the path is too long
    for a Unix socket."""
    return f"--control-socket {shlex.quote(str(path))}" if len(str(path)) < 100 else "--no-control-socket"


def _redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2, decode_responses=True)


def redis_answers(url: str) -> bool:
    """Gives whether a Redis answers at `url` (one that asks for a password counts)."""
    import redis

    try:
        _redis_client(url).ping()
    except redis.exceptions.AuthenticationError:
        return True
    except redis.exceptions.ResponseError as exc:
        return "NOAUTH" in str(exc)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        return False
    return True


#: Key suffixes of one Dramatiq queue on Redis (its messages, delay and dead-letter queues).
_QUEUE_SUFFIXES = (".DQ.msgs", ".XQ.msgs", ".msgs", ".DQ", ".XQ")


def broker_users(url: str, namespace: str = "dramatiq") -> dict:
    """Gives what uses the Redis at `url`: Dramatiq queues with their messages, live workers,
    and how many other keys its database holds."""
    client = _redis_client(url)
    queues: dict[str, int] = {}
    dramatiq_keys = 0
    for key in client.scan_iter(match=f"{namespace}:*", count=1000):
        dramatiq_keys += 1
        rest = key[len(namespace) + 1:]
        if rest.startswith("__"):
            continue
        for suffix in _QUEUE_SUFFIXES:
            if rest.endswith(suffix):
                rest = rest[: -len(suffix)]
                break
        queues.setdefault(rest, 0)
    for queue in queues:
        queues[queue] = client.hlen(f"{namespace}:{queue}.msgs")
    workers = client.zcard(f"{namespace}:__heartbeats__")
    return {"queues": dict(sorted(queues.items())), "workers": workers, "other_keys": client.dbsize() - dramatiq_keys}


def plan_broker(settings, *, explicit: bool) -> str | None:
    """Gives the Procfile line of a local Redis to start, or None when the broker answers already;
    says loudly when it will share a Redis it did not start and nobody chose it on purpose."""
    broker = urlparse(settings.broker_url)
    if not broker.scheme.startswith("redis"):
        say(f"broker: {broker.scheme}://{broker.hostname}:{broker.port or ''} (HUIFANG_BROKER_URL)")
        return None
    host, port = broker.hostname or "127.0.0.1", broker.port or 6379
    if redis_answers(settings.broker_url):
        if explicit:
            say(f"using the Redis at {host}:{port} (HUIFANG_BROKER_URL)")
        else:
            warn_shared_broker(settings.broker_url, host, port)
        return None
    if port_open(host, port):
        raise SystemExit(f"huifang: something that is not Redis listens on {host}:{port} (HUIFANG_BROKER_URL); "
                         "stop it or point HUIFANG_BROKER_URL at another port")
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"huifang: no Redis answers at {host}:{port} (HUIFANG_BROKER_URL); start it and retry")
    say(f"no Redis at {host}:{port}: starting a local redis-server on port {port} "
        f"(appendonly, data in {_shown(settings.var_dir / 'redis')})")
    return "redis: " + " ".join(redis_command(port, settings.var_dir / "redis"))


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
    service = _bind_service("scheduler")
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


def cmd_org(args) -> int:
    """Creates an organisation's data folder from the defaults and its first admin; says what is next."""
    try:
        check_organization(args.org)
    except ValueError as exc:
        raise SystemExit(f"huifang: {exc}") from None
    settings = load_settings()
    files = create_organization(settings, args.org, args.name or args.org)
    say(f"{args.org}: rule files in {_shown(Path(settings.data_dir) / args.org)} "
        "(Huifang reads these instead of the defaults):")
    for f in files:
        state = "written" if f.created else "kept (already there)"
        say(f"  {f.service + '/' + f.relative:<34} {state}: {f.summary}")
    interactive = sys.stdin.isatty()
    login = args.admin or (_ask("Login of the first admin", "admin") if interactive else "admin")
    email = args.email or (_ask(f"E-mail of {login} (optional)", "") if interactive else "")
    service, changed = enter_person("scheduler", organization=args.org, login=login, role="admin",
                                    name=args.admin_name, email=email, password=os.environ.get("PASSWORD") or None,
                                    ask=interactive)
    if changed:
        _relay_now(service)
    print(f"\nNext, for {args.org}:", flush=True)
    for line in next_steps(settings, args.org, admin=login):
        print("  " + line)
    return 0


def _ask(question: str, default: str) -> str:
    answer = input(f"{question}{f' [{default}]' if default else ''}: ").strip()
    return answer or default


def create_demo(settings, *, relay: bool) -> None:
    """Makes the demo organisation: its rule files, one person of each role with a new password
    (printed), and its sample events posted through the scheduler's outbox."""
    from datetime import datetime


    files = create_organization(settings, DEMO_ORG, DEMO_NAME)
    say(f"{DEMO_ORG}: {sum(f.created for f in files)} rule files written in "
        f"{_shown(Path(settings.data_dir) / DEMO_ORG)}")
    passwords = {}
    service = None
    for login, (role, name, email) in DEMO_PEOPLE.items():
        passwords[login] = new_password()
        service, _ = enter_person("scheduler", organization=DEMO_ORG, login=login, role=role, name=name,
                                  email=email, password=passwords[login], ask=False)
    envelopes = [validate_envelope(e) for e in sample_events(DEMO_ORG, now=datetime.now(settings.tz))]
    with service.connection():
        service.accept(envelopes)
    say(f"{DEMO_ORG}: {len(envelopes)} sample events posted (deliveries, service orders, complaints)")
    if relay:
        _relay_now(service, "the people and the sample events")
    else:
        say("they reach every service when the workers start")
    login_url = settings.public_url("scheduler") + "/login"
    print(f"\nThe demo organisation: sign in at {login_url} (organisation {DEMO_ORG}) as", flush=True)
    for login, (role, name, _) in DEMO_PEOPLE.items():
        print(f"  {login:<7} {role:<11} password {passwords[login]}   ({name})")
    print("New passwords each time `make demo` runs; the sample data is posted once.\n", flush=True)


def cmd_demo(args) -> int:

    create_demo(load_settings(), relay=True)
    return 0


def cmd_event_catalogue(args) -> int:
    """Writes docs/EVENTS.md from the event schemas (--check: exit 1 when it is out of date)."""
    if args.check:
        current = catalogue.CATALOGUE_PATH.read_text(encoding="utf-8") if catalogue.CATALOGUE_PATH.exists() else ""
        if current != catalogue.render():
            say(f"{_shown(catalogue.CATALOGUE_PATH)} is out of date: run make docs")
            return 1
        return 0
    changed = catalogue.write()
    say(f"{_shown(catalogue.CATALOGUE_PATH)} {'written' if changed else 'already up to date'}")
    return 0


#: What `make clean` keeps unless ALL=1, by name under var/, and why.
KEPT_BY_CLEAN = {"secret_key": "signs every token and session", "api_token": "the integration token"}


def cmd_clean(args) -> int:
    """Deletes what `make run` and the tests leave behind; keeps the secret key, the integration
    token and the organisations' data folders unless --all. Says what it deletes."""
    env = _env(None)
    var_dir = Path(env.get("HUIFANG_VAR_DIR") or ROOT / "var").resolve()
    data_dir = Path(env.get("HUIFANG_DATA_DIR") or var_dir / "data").resolve()
    running = [p for p in (var_dir / "run").glob("*.ctl") if _socket_answers(p)] if (var_dir / "run").is_dir() else []
    if running:
        raise SystemExit(f"huifang: not cleaning: `make run` is running here ({', '.join(p.name for p in running)} "
                         "answer); stop it first")
    keep: dict[Path, str] = {}
    if not args.all:
        keep = {var_dir / name: why for name, why in KEPT_BY_CLEAN.items()}
        if data_dir.is_relative_to(var_dir) and data_dir != var_dir:
            keep[var_dir / data_dir.relative_to(var_dir).parts[0]] = "the organisations' rule files"
    doomed = sorted(p for p in var_dir.iterdir() if p not in keep) if var_dir.is_dir() else []
    cache = ROOT / ".pytest_cache"
    if cache.exists() and var_dir == (ROOT / "var").resolve():  # this checkout's own var/: its caches too
        doomed.append(cache)
    for path in doomed:
        say(f"deleting {_shown(path)}{'/' if path.is_dir() else ''}")
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    if not doomed:
        say("nothing to delete")
    for path, why in keep.items():
        if path.exists():
            say(f"keeping {_shown(path)}{'/' if path.is_dir() else ''} ({why}); make clean ALL=1 deletes it too")
    if args.all and not data_dir.is_relative_to(var_dir):
        say(f"HUIFANG_DATA_DIR {data_dir} is outside {_shown(var_dir)}: not touched")
    return 0


def _socket_answers(path: Path) -> bool:
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as s:
        s.settimeout(0.5)
        s.connect(str(path))
        return True
    return False


def cmd_check_settings(args) -> int:
    """Exits 2 with one line naming the variable when a setting is wrong (deploy/Procfile runs it first)."""
    load_settings()
    return 0


def cmd_initdb(args) -> int:
    import importlib


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
    parser = argparse.ArgumentParser(prog="python -m ops.devenv")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("token", help="a user's bearer token; --role integration: the installation's own, "
                                     "or with --org one organisation's")
    p.add_argument("--login", default="")
    p.add_argument("--role", required=True)
    p.add_argument("--org", default="")
    p.set_defaults(func=cmd_token)
    p = sub.add_parser("org", help="an organisation's data folder from the defaults, and its first admin")
    p.add_argument("--org", required=True)
    p.add_argument("--name", default="", help="the organisation's name, as people read it")
    p.add_argument("--admin", default="", help="login of the first admin (asked at a terminal; default admin)")
    p.add_argument("--admin-name", default="", help="display name of the first admin")
    p.add_argument("--email", default="", help="e-mail of the first admin")
    p.set_defaults(func=cmd_org)
    p = sub.add_parser("demo", help="the demo organisation: people of every role, sample data")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("event-catalogue", help="write docs/EVENTS.md from the event schemas")
    p.add_argument("--check", action="store_true", help="exit 1 when docs/EVENTS.md is out of date")
    p.set_defaults(func=cmd_event_catalogue)
    p = sub.add_parser("clean", help="delete databases, Redis data, outbox mail; keep the key and organisations")
    p.add_argument("--all", action="store_true", help="delete var/ whole: the secret key and organisations too")
    p.set_defaults(func=cmd_clean)
    p = sub.add_parser("check-settings", help="exit 2 with one line when a setting is wrong")
    p.set_defaults(func=cmd_check_settings)
    p = sub.add_parser("user", help="create or update a person of the user directory")
    p.add_argument("--login", required=True)
    p.add_argument("--role", required=True)
    p.add_argument("--org", required=True)
    p.add_argument("--name", default="")
    p.add_argument("--email", default="")
    p.add_argument("--phone", default="")
    p.add_argument("--lines", default=None, help="business lines, comma-separated (empty: every line)")
    p.add_argument("--branch", default=None, help="the person's branch; empty: the whole organisation")
    p.add_argument("--service", default="scheduler", choices=list(SERVICES),
                   help="the service whose database takes the change and relays it (default scheduler)")
    p.set_defaults(func=cmd_user)
    p = sub.add_parser("erase-customer", help="blank one customer's personal data in every service (PIPL)")
    p.add_argument("--org", required=True)
    p.add_argument("--customer", required=True, help="the customer's id")
    p.set_defaults(func=cmd_erase_customer)
    p = sub.add_parser("revoke-tokens", help="refuse a person's tokens and page sessions issued until now")
    p.add_argument("--login", required=True)
    p.add_argument("--org", required=True)
    p.add_argument("--service", default="scheduler", choices=list(SERVICES))
    p.set_defaults(func=cmd_revoke_tokens)
    p = sub.add_parser("import-users", help="convert the old users/agents/recipients files into the directory")
    p.add_argument("--service", default="scheduler", choices=list(SERVICES))
    p.set_defaults(func=cmd_import_users)
    p = sub.add_parser("translations", help="extract, update and compile the pages' message catalogs")
    p.add_argument("only", nargs="*", help="only these catalogs: shared and/or service names (default: all)")
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
    try:
        return args.func(args) or 0
    except ConfigurationError as exc:
        # A bad setting: one line naming it, no traceback (exit 2, like a usage error).
        print(f"huifang: {exc}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
