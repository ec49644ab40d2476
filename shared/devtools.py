"""Development commands behind the Makefile: token, run, infrastructure for tests.

    python -m shared.devtools token --login li --role advisor --org acme-electric
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
        print(f"  {name:<11} http://127.0.0.1:{settings.port(name)}/   (API docs: /api/v1/openapi.json)")
    if not settings.api_token:
        print(f"  dev API token (integration role): {env['HUIFANG_API_TOKEN']}")
    print("  a user token: make token LOGIN=li ROLE=advisor ORG=acme-electric")
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
}


def cmd_system_deps(args) -> int:
    missing = [name for name, present in SYSTEM_PACKAGES.items() if not present()]
    if not missing:
        return 0
    say(f"missing system packages: {', '.join(missing)}")
    if not apt_install(*missing):
        say("continuing without them; Redis, the PDF report's CJK font or fast font subsetting may not work")
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
