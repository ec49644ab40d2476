"""The machinery around the services on a developer's machine: free ports, a local Redis, a
throwaway PostgreSQL (`make test-postgres`, `make soak`), the Debian packages the services need.

    python -m ops with-postgres -- <command ...>
    python -m ops system-deps
    python -m ops redis-server [--port 6379 --dir var/redis]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from ops.console import say
from shared.core.errors import ConfigurationError
from shared.core.folders import private_folder
from shared.core.settings import ROOT

PG_BIN_DIRS = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15", "14", "13")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Gives whether a server could listen on `host:port` now (as gunicorn would: SO_REUSEADDR)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def control_socket_option(path: Path) -> str:
    """Gives gunicorn's option for its own control socket at `path` (every gunicorn of every
    checkout would share ~/.gunicorn/gunicorn.ctl otherwise); none when the path is too long
    for a Unix socket."""
    return f"--control-socket {shlex.quote(str(path))}" if len(str(path)) < 100 else "--no-control-socket"


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


def redis_command(port: int, data_dir: Path, password: str | None = None) -> list[str]:
    """The command of a local Redis that keeps queued messages across restarts (appendonly).

    With `password`, the Redis requires it of every client (`requirepass`): it is written to
    `auth.conf` in `data_dir` (mode 0600), never on the command line where `ps` would show it.
    """
    private_folder(data_dir)  # its append-only files hold the messages: customers' data
    config = []
    if password:
        config = [str(write_private(data_dir / "auth.conf", f"requirepass {password}\n"))]
    return [redis_server_binary(), *config, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--protected-mode", "yes"]


def write_private(path: Path, text: str) -> Path:
    """Writes `text` to `path`, readable by its owner only (0600, also when it existed); gives the path."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    path.chmod(0o600)
    return path


def with_new_password(url: str) -> str:
    """Gives the Redis `url` with a new random password in it (`redis://:<password>@host:port/db`)."""
    parts = urlparse(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f":{secrets.token_urlsafe(32)}@{host}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


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


def configure(command: str, parser) -> None:
    """Gives `parser` the arguments of `command` and the function that runs it."""
    if command == "with-postgres":
        parser.add_argument("command", nargs=argparse.REMAINDER)
        parser.set_defaults(func=cmd_with_postgres)
    elif command == "system-deps":
        parser.set_defaults(func=cmd_system_deps)
    elif command == "redis-server":
        parser.add_argument("--port", type=int, default=6379)
        parser.add_argument("--dir", default=str(ROOT / "var" / "redis"))
        parser.set_defaults(func=cmd_redis_server)
