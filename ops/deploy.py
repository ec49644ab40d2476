"""One service installed for production on a Debian host, with systemd; and its processes.

    make deploy-scheduler [PREFIX=/opt/huifang] [DESTDIR=/tmp/stage] [PUBLIC_URL=https://huifang.example]
    make undeploy-scheduler [PURGE=1]

`deploy` writes, for one service (names are fixed: `make logs` and the other tools find the
units by them):

    PREFIX/<service>/app/                       the code (shared/, services/, the lock file)
    PREFIX/<service>/venv/                      its virtualenv (requirements.lock)
    /etc/huifang/<service>.env                  every setting (shared.core.setting_list), 0600
    /etc/systemd/system/huifang-<service>-web.service      gunicorn
    /etc/systemd/system/huifang-<service>-worker.service   dramatiq
    /var/lib/huifang/<service>/                 its data (HUIFANG_VAR_DIR: SQLite, mail, rules)

then, unless DESTDIR is given (a staging root: files only), creates the system user
`huifang-<service>`, the virtualenv, migrates the database as that user, and enables and
(re)starts the units. A file whose content and mode are already right is not written again, so
a second run changes nothing (a unit is restarted only when a file of it changed). The
environment file keeps every value set in it; settings added to Huifang since appear as
comments; the secrets (HUIFANG_SECRET_KEY, HUIFANG_API_TOKEN) are generated once, or taken
from another service's file in the same folder (one installation shares them). On a host, it
stops after writing the files while HUIFANG_BROKER_URL has no password (whoever can write to the
broker can post any event): the message names the setting and the file to set it in.

`undeploy` stops and removes the units and the code; the data folder, the environment file
and the user stay unless `purge` (PURGE=1).

Where each of these goes: ops/host.py (with the units' text); the environment file: ops/envfile.py.

This module uses Python's standard library only: `make deploy-*` runs it with the system's
python3, before any virtualenv exists. The processes (`serve-web`, `serve-worker`, `migrate`,
`reset-metrics`: ops/units.py) run inside the virtualenv, from the units.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ops.console import say
from ops.envfile import broker_without_password, env_values, read_env_file, render_env_file
from ops.host import BACKUPS, DEFAULT_PREFIX, KINDS, Layout, planted_link, render_unit, unit_name, user_name
from shared.core.settings import ROOT, SERVICES

#: What of the project a production host needs: the code, the pinned dependencies, the licence.
SHIPPED = ("shared", "ops", "services", "deploy", "docs", "pyproject.toml", "requirements.lock", "LICENSE", "README.md")
SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".hypothesis"}
SKIPPED_SUFFIXES = (".pyc", ".pyo")


# -- writing files only when they change ------------------------------------------------------

def write_if_changed(path: Path, content: bytes, mode: int) -> bool:
    """Writes `content` to `path` with `mode` unless it already holds exactly that; gives whether
    it wrote. Atomic (a temporary file renamed over), so a reader never sees half a file."""
    if path.is_file() and not path.is_symlink() and path.read_bytes() == content:
        if path.stat().st_mode & 0o7777 != mode:
            path.chmod(mode)
            return True
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    os.chmod(temporary, mode)  # the umask may have narrowed it
    os.replace(temporary, path)
    return True


def shipped_files(root: Path = ROOT) -> dict[str, Path]:
    """Gives the project's files a production host gets, by path relative to the project."""
    files = {}
    for top in SHIPPED:
        start = root / top
        if start.is_file():
            files[top] = start
            continue
        for path in sorted(start.rglob("*")):
            relative = path.relative_to(root)
            if path.is_dir() or SKIPPED_PARTS & set(relative.parts) or path.name.endswith(SKIPPED_SUFFIXES):
                continue
            files[relative.as_posix()] = path
    return files


def sync_code(target: Path, files: dict[str, Path]) -> list[str]:
    """Makes `target` hold exactly `files` (read-only to the service: root's, 0644); gives what changed."""
    changed = []
    for relative, source in files.items():
        mode = 0o755 if os.access(source, os.X_OK) else 0o644
        if write_if_changed(target / relative, source.read_bytes(), mode):
            changed.append(relative)
    if target.is_dir():
        for path in sorted(target.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            relative = path.relative_to(target).as_posix()
            if path.is_dir():
                if not any(path.iterdir()):
                    path.rmdir()
            elif relative not in files:
                path.unlink()
                changed.append(relative)
    return changed


# -- deploy, undeploy ---------------------------------------------------------------------------

def _run(*command: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), check=check, **kwargs)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def systemd_running() -> bool:
    """Gives whether this host was booted with systemd (sd_booted(3)), so systemctl can act."""
    return Path("/run/systemd/system").is_dir() and shutil.which("systemctl") is not None


def ensure_user(layout: Layout) -> None:
    name = user_name(layout.service)
    if _user_exists(name):
        return
    say(f"creating the system user {name}")
    _run("useradd", "--system", "--user-group", "--home-dir", str(layout.state), "--no-create-home",
         "--shell", "/usr/sbin/nologin", "--comment", f"Huifang {layout.service}", name)


def ensure_venv(layout: Layout) -> bool:
    """Creates the virtualenv and installs requirements.lock when the lock changed; gives whether it did."""
    lock = (layout.app / "requirements.lock").read_bytes()
    stamp = layout.venv / ".huifang-lock-sha256"
    digest = hashlib.sha256(lock).hexdigest()
    if stamp.is_file() and stamp.read_text().strip() == digest and layout.python.exists():
        return False
    if not layout.python.exists():
        say(f"creating the virtualenv {layout.venv}")
        _run(sys.executable, "-m", "venv", str(layout.venv))
    say("installing the pinned dependencies (requirements.lock)")
    _run(str(layout.venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
         "-r", str(layout.app / "requirements.lock"))
    stamp.write_text(digest + "\n")
    return True


def _as_service_user(layout: Layout, *command: str) -> None:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONPATH": str(layout.app), "PYTHONDONTWRITEBYTECODE": "1",
           "LANG": "C.UTF-8", **read_env_file(layout.env_file)}
    _run("runuser", "-u", user_name(layout.service), "--", *command, env=env, cwd=str(layout.app))


def _refuse_planted_link(folder: Path, state: Path) -> None:
    """Stops when a component of `folder` is a symbolic link deploy must not follow (host.planted_link):
    every component, not only the last, since root makes and chowns these folders and a link the
    service user planted anywhere along the path would have it make or give what the link points at."""
    link = planted_link(folder, below=state)
    if link is not None:
        raise SystemExit(f"huifang: {link} is a symbolic link; deploy follows none (remove it)")


def deploy(service: str, *, prefix: Path = DEFAULT_PREFIX, destdir: Path | None = None,
           public_url: str | None = None) -> list[Path]:
    """Installs (or updates) `service`; gives the files it wrote (none on a second run)."""
    layout = Layout(service, prefix, destdir)
    staged = layout.staged
    written: list[Path] = []

    code_changes = sync_code(staged(layout.app), shipped_files())
    written += [layout.app / c for c in code_changes]

    etc = staged(layout.env_file.parent)
    etc.mkdir(parents=True, exist_ok=True)
    etc.chmod(0o755)
    values = env_values(layout, public_url=public_url, etc=etc)
    if write_if_changed(staged(layout.env_file), render_env_file(service, values).encode(), 0o600):
        written.append(layout.env_file)
    units_changed = False
    for kind in KINDS:
        if write_if_changed(staged(layout.unit(kind)), render_unit(layout, kind).encode(), 0o644):
            written.append(layout.unit(kind))
            units_changed = True
    for folder in (layout.state, Path(values["HUIFANG_VAR_DIR"]), Path(values["HUIFANG_DATA_DIR"])):
        _refuse_planted_link(staged(folder), staged(layout.state))
        if not staged(folder).is_dir():
            staged(folder).mkdir(parents=True, mode=0o700)
            written.append(folder)
    for path in written:
        say(f"wrote {path}")
    broker_problem = broker_without_password(values)
    if broker_problem:
        advice = (f"{broker_problem}: set it in {layout.env_file} to the broker's URL with its password "
                  "(redis://:<password>@host:6379/0, amqp://huifang:<password>@host:5672/huifang; "
                  "docs/PRODUCTION.md, Scaling 1.)")
        if destdir is None:  # nothing is created, started or restarted on a broker anyone may post to
            raise SystemExit(f"huifang: {advice}, then run make deploy-{service} again")
        say(f"note: {advice}")
    if destdir is not None:
        say(f"{service}: files staged under {destdir} ({len(written)} written; DESTDIR: no user, "
            "virtualenv or systemctl)")
        return written

    ensure_user(layout)
    for folder in {layout.state, Path(values["HUIFANG_VAR_DIR"]), Path(values["HUIFANG_DATA_DIR"])}:
        _refuse_planted_link(folder, layout.state)
        if folder.is_dir():
            shutil.chown(folder, user_name(service), user_name(service))
    venv_changed = ensure_venv(layout)
    say(f"{service}: migrating the database")
    _as_service_user(layout, str(layout.python), "-m", "ops", "migrate", service)
    if not systemd_running():
        say(f"{service}: installed and migrated, but systemd is not running here: start "
            f"{unit_name(service, 'web')} and {unit_name(service, 'worker')} on a host that boots with it")
        return written
    if units_changed:
        _run("systemctl", "daemon-reload")
    units = [unit_name(service, kind) for kind in KINDS]
    _run("systemctl", "enable", "--quiet", *units)
    # Started, or restarted when anything they run changed; a second run leaves them alone.
    _run("systemctl", "restart" if (written or venv_changed) else "start", *units)
    say(f"{service}: running ({', '.join(units)}); journalctl -u huifang-{service}-web -u huifang-{service}-worker")
    return written


def undeploy(service: str, *, prefix: Path = DEFAULT_PREFIX, destdir: Path | None = None,
             purge: bool = False) -> list[Path]:
    """Removes `service`: units and code; with `purge` also its environment file, its user and the
    data folder deploy created for it (/var/lib/huifang/<service>), except the backups in it
    (`backups/`). A HUIFANG_VAR_DIR or HUIFANG_DATA_DIR the operator pointed elsewhere (maybe
    shared, maybe holding other data) is never removed: it is named, for a person to decide."""
    layout = Layout(service, prefix, destdir)
    staged = layout.staged
    units = [unit_name(service, kind) for kind in KINDS]
    if destdir is None and systemd_running():
        _run("systemctl", "disable", "--now", "--quiet", *units, check=False)
    removed = []
    targets = [layout.unit(kind) for kind in KINDS] + [layout.home]
    if purge:
        values = read_env_file(staged(layout.env_file))
        targets.append(layout.env_file)
        state = staged(layout.state)
        if (state / BACKUPS).is_dir():
            targets += [layout.state / child.name for child in sorted(state.iterdir()) if child.name != BACKUPS]
            say(f"kept the backups in {layout.state / BACKUPS}: remove them yourself when they are not needed")
        else:
            targets.append(layout.state)
        for key in ("HUIFANG_VAR_DIR", "HUIFANG_DATA_DIR"):
            named = Path(values[key]) if values.get(key) else None
            if named is not None and not _inside(named, layout.state):
                say(f"kept {named} ({key} in {layout.env_file}): not a folder deploy made for {service}")
    for path in targets:
        path_staged = staged(path)
        if path_staged.is_dir():
            shutil.rmtree(path_staged)
        elif path_staged.exists():
            path_staged.unlink()
        else:
            continue
        removed.append(path)
        say(f"removed {path}")
    if destdir is None and systemd_running():
        _run("systemctl", "daemon-reload", check=False)
    if purge and destdir is None and _user_exists(user_name(service)):
        _run("userdel", user_name(service), check=False)
        say(f"removed the user {user_name(service)}")
    if not purge:
        say(f"{service}: kept its data ({layout.state}) and {layout.env_file}; PURGE=1 removes them too")
    return removed


def _inside(path: Path, folder: Path) -> bool:
    """Gives whether `path` is `folder` or under it (both absolute host paths, not resolved)."""
    parts = Path(os.path.normpath(path)).parts
    return parts[:len(folder.parts)] == folder.parts


# -- the processes the units run ------------------------------------------------------------------

def web_command(service: str, settings) -> list[str]:
    """Gives the gunicorn command of `service`'s web process, from the settings."""
    return [sys.executable, "-m", "gunicorn", "--bind", f"{settings.web_host}:{settings.port(service)}",
            "--workers", str(settings.web_workers), "--threads", str(settings.web_threads),
            "--no-control-socket", "--config", "python:shared.web.gunicorn_conf", "--access-logfile", "-",
            f"services.{service}.app:create_app()"]


def worker_command(service: str, settings) -> list[str]:
    """Gives the dramatiq command of `service`'s worker, from the settings."""
    return [sys.executable, "-m", "dramatiq", f"services.{service}.actors",
            "--processes", str(settings.worker_processes), "--threads", str(settings.worker_threads),
            "--queues", *settings.queues(service)]


def deploy_command(args) -> int:
    """Runs `deploy` or `undeploy` from the command line's arguments."""
    destdir = Path(args.destdir).resolve() if args.destdir else None
    if destdir is None and os.geteuid() != 0:
        raise SystemExit(f"huifang: {args.command} needs root (or DESTDIR=<folder> to stage the files)")
    prefix = Path(args.prefix)
    if not prefix.is_absolute():
        raise SystemExit(f"huifang: PREFIX must be an absolute path, got {args.prefix!r}")
    if args.command == "deploy":
        deploy(args.service, prefix=prefix, destdir=destdir, public_url=args.public_url or None)
    else:
        undeploy(args.service, prefix=prefix, destdir=destdir, purge=args.purge)
    return 0


def configure(command: str, parser) -> None:
    """Gives `parser` the arguments of `deploy` or `undeploy` and the function that runs it."""
    parser.add_argument("service", choices=list(SERVICES))
    parser.add_argument("--prefix", default=str(DEFAULT_PREFIX))
    if command == "deploy":
        parser.add_argument("--destdir", default="", help="a staging root: write the files only")
        parser.add_argument("--public-url", default="", help="the proxy's address: sets every HUIFANG_<SERVICE>_URL")
    else:
        parser.add_argument("--destdir", default="")
        parser.add_argument("--purge", action="store_true", help="also its data folder, environment file and user")
    parser.set_defaults(func=deploy_command)
