"""Backups of one service: its database and its organisations' rule files, and bringing them back.

    make backup SERVICE=reporting [DEST=/srv/backups] [ENV_FILE=/etc/huifang/reporting.env]
    make restore SERVICE=reporting FROM=/srv/backups/reporting-20261129T190000Z [FORCE=1]

A backup is a folder `<service>-<UTC time>` holding

    database.sqlite3   SQLite's online backup (consistent while the service runs), or
    database.pgdump    pg_dump's custom format (one snapshot, consistent while the service runs)
    data/<org>/...     each organisation's files of this service (<org>/<service>/...) and the
                       organisation's own files (organization.yaml, webhooks.yaml; restored
                       only with ORG_FILES=1: the other services of a shared folder read them)
    backup.json        service, schema version, database kind, time, and each file's SHA-256

Restoring checks the folder (service, checksums), writes back only the files backup.json
lists, refuses to replace a database that holds
tables or rule files that exist unless `force`, and writes both back: SQLite through the online
backup API, PostgreSQL with pg_restore --clean in one transaction (pg_dump and pg_restore get
the password in PGPASSWORD, never on their command line). Stop the service's units
first (`systemctl stop huifang-<service>-web huifang-<service>-worker`), start them after.
The secrets are not in a backup: keep /etc/huifang/<service>.env (or var/secret_key) apart.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

from ops.console import say
from shared.core.errors import Conflict, InvalidInput
from shared.core.settings import SERVICES, Settings
from shared.core.manifest import load_manifests
from ops.infra import pg_binary
from ops.envfile import read_env_file
from ops import host
from ops.host import default_backup_dir, planted_link
from shared.core.errors import HuifangError
from shared.core.settings import load_settings_or_exit

MANIFEST = "backup.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"


def _kind(database_url: str) -> str:
    scheme = urlparse(database_url).scheme
    return "sqlite" if scheme == "sqlite" else "postgresql"


def _sqlite_path(database_url: str) -> Path:
    return Path(database_url[len("sqlite:///"):] if database_url.startswith("sqlite:///") else urlparse(database_url).path)


def _pg_url(database_url: str) -> str:
    """Gives the URL as libpq reads it (postgres:// and postgresql:// both)."""
    return "postgresql://" + database_url.split("://", 1)[1]


def libpq_call(database_url: str) -> tuple[str, dict]:
    """Gives (the URL without its password, the environment with PGPASSWORD) for pg_dump and
    pg_restore: a password on the command line is readable by every user of the host (`ps`)."""
    parsed = urlparse(_pg_url(database_url))
    env = dict(os.environ)
    if parsed.password is None:
        return parsed.geturl(), env
    env["PGPASSWORD"] = unquote(parsed.password)
    user = parsed.username or ""
    host = parsed.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{user}@" if user else "") + host + (f":{parsed.port}" if parsed.port else "")
    return parsed._replace(netloc=netloc).geturl(), env


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _schema_version(service: str) -> str:
    return str(load_manifests()[service]["version"])


def _org_files(data_dir: Path, service: str, *, organization_files: bool = True) -> list[Path]:
    """Gives the files of `data_dir` that belong to `service`: <org>/<service>/** and (with
    `organization_files`) the organisation's own <org>/* files (organization.yaml, webhooks.yaml),
    which every service of a shared data folder reads."""
    files = []
    if not data_dir.is_dir():
        return files
    # The service user writes this folder: a symbolic link planted there is never followed
    # (root would copy, overwrite or chown what it points at).
    for org in sorted(p for p in data_dir.iterdir() if p.is_dir() and not p.is_symlink()):
        if organization_files:
            files += sorted(p for p in org.iterdir() if p.is_file() and not p.is_symlink())
        own = org / service
        if own.is_dir() and not own.is_symlink():
            files += sorted(p for p in own.rglob("*") if _plain_file(p, data_dir))
    return files


def _plain_file(path: Path, base: Path) -> bool:
    """Gives whether `path` is a regular file reached from `base` through no symbolic link (lstat
    of each component: nothing is followed)."""
    current = base
    for part in path.relative_to(base).parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return False
        if stat.S_ISLNK(mode):
            return False
    return stat.S_ISREG(mode)


def _refuse_links(path: Path, base: Path) -> None:
    """Raises when a component of `path` under `base` is a symbolic link (planted by the service user)."""
    current = base
    for part in path.relative_to(base).parts:
        current = current / part
        if current.is_symlink():
            raise Conflict(f"{current} is a symbolic link: restore follows none; remove it and restore again.")


def _make_folders(folder: Path, *, below: Path) -> None:
    """Makes `folder` and its missing parents (0700) after looking at every component of its path
    with lstat (host.planted_link): a planted link anywhere along it gets nothing made where it points.

    Raises:
      Conflict: a component is a symbolic link (any at or below `below`, another user's above it).
    """
    for _ in range(2):  # before making anything, and again once made (nothing swapped in meanwhile)
        link = planted_link(folder, below=below)
        if link is not None:
            raise Conflict(f"{link} is a symbolic link: restore follows none; remove it and restore again.")
        if folder.is_dir():
            return
        current = Path(folder.anchor)
        for part in Path(os.path.normpath(folder)).parts[1:]:
            current = current / part
            try:
                os.mkdir(current, 0o700)
            except FileExistsError:
                pass


def _backup_folder(dest: Path) -> None:
    """Makes the folder backups are written into, following no link another user planted on its
    way; a deployed service's (under host.BACKUP_DIR) is made root's and 0700 when root runs the backup.

    Raises:
      Conflict: a symbolic link on the way, or the deployed backups' folder is not root's.
    """
    link = planted_link(dest)
    if link is not None:
        raise Conflict(f"{link} is a symbolic link: backup follows none; remove it or give another DEST.")
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = Path(os.path.normpath(dest))
    while os.geteuid() == 0 and host.BACKUP_DIR in (folder, *folder.parents):
        info = os.lstat(folder)
        if info.st_uid != 0 or stat.S_ISLNK(info.st_mode):
            raise Conflict(f"{folder} is not root's: the backups' folder must be (chown root: {folder})")
        os.chmod(folder, 0o700)
        folder = folder.parent


def _copy_nofollow(source: Path, target: Path) -> None:
    """Copies `source` to a new `target`, following no symbolic link at either end (O_NOFOLLOW)."""
    flags_out = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    with open(os.open(source, os.O_RDONLY | os.O_NOFOLLOW), "rb") as src, \
            open(os.open(target, flags_out, 0o600), "wb") as dst:
        shutil.copyfileobj(src, dst)


# -- backup ------------------------------------------------------------------------------------

def backup(service: str, settings: Settings, dest: Path, *, database_url: str | None = None,
           now: datetime | None = None) -> Path:
    """Writes a backup of `service` into a new folder under `dest`; gives that folder."""
    database_url = database_url or settings.database_url(service)
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    _backup_folder(dest)
    folder = dest / f"{service}-{moment:%Y%m%dT%H%M%SZ}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = dest / f"{service}-{moment:%Y%m%dT%H%M%SZ}-{suffix}"
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)  # customers' personal data
    kind = _kind(database_url)
    if kind == "sqlite":
        source = _sqlite_path(database_url)
        if not source.is_file():
            raise InvalidInput(f"there is no database at {source}", field="database_url")
        target = partial / SQLITE_FILE
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
            src.backup(dst)  # page by page, a consistent copy while writers go on
        dst.close()
        src.close()
    else:
        target = partial / PG_FILE
        url, env = libpq_call(database_url)
        subprocess.run([pg_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                        "--file", str(target), "--dbname", url], check=True, env=env)
        target.chmod(0o600)
    data_dir = Path(settings.data_dir)
    for path in _org_files(data_dir, service):
        copy = partial / "data" / path.relative_to(data_dir)
        copy.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _copy_nofollow(path, copy)
    files = {p.relative_to(partial).as_posix(): _sha256(p) for p in sorted(partial.rglob("*")) if p.is_file()}
    manifest = {"service": service, "schema_version": _schema_version(service), "database": kind,
                "created_at": moment.isoformat(timespec="seconds"), "files": files}
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    partial.rename(folder)  # a folder without .partial is complete
    say(f"{service}: backup written to {folder} ({len(files)} files)")
    return folder


# -- restore -----------------------------------------------------------------------------------

def read_backup(service: str, source: Path) -> dict:
    """Gives the manifest of the backup folder `source`, checked against its files.

    Raises:
      InvalidInput: the folder is not a complete backup of `service`, or a file differs.
    """
    path = source / MANIFEST
    if not path.is_file():
        raise InvalidInput(f"{source} is not a backup folder (no {MANIFEST})", field="from")
    manifest = json.loads(path.read_text())
    if manifest.get("service") != service:
        raise InvalidInput(f"{source} is a backup of {manifest.get('service')!r}, not {service!r}", field="service")
    for relative, digest in manifest["files"].items():
        file = source / relative
        if not file.is_file() or _sha256(file) != digest:
            raise InvalidInput(f"{source}: {relative} is missing or damaged (checksum)", field="from")
    return manifest


def _holds_data(database_url: str) -> bool:
    if _kind(database_url) == "sqlite":
        path = _sqlite_path(database_url)
        if not path.is_file() or path.stat().st_size == 0:
            return False
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            found = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        conn.close()
        return found > 0
    import psycopg2

    conn = psycopg2.connect(_pg_url(database_url))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            return cur.fetchone()[0] > 0
    finally:
        conn.close()


def restore(service: str, settings: Settings, source: Path, *, force: bool = False,
            database_url: str | None = None, organization_files: bool = False) -> dict:
    """Brings the backup folder `source` back for `service`; gives its manifest.

    Only the files backup.json lists (and its checksums vouch for) are written back, and of the
    rule files only the service's own (<org>/<service>/...): the organisation's files
    (organization.yaml, webhooks.yaml), which the other services of a shared data folder read
    too, only with `organization_files` (ORG_FILES=1).

    Raises:
      InvalidInput: `source` is not a sound backup of `service`.
      Conflict: the database or the rule files hold data and `force` is not given.
    """
    database_url = database_url or settings.database_url(service)
    manifest = read_backup(service, source)
    kind = _kind(database_url)
    if manifest["database"] != kind:
        raise InvalidInput(f"{source} holds a {manifest['database']} database; {service}'s is {kind}", field="from")
    data_dir = Path(settings.data_dir)
    present = _org_files(data_dir, service, organization_files=organization_files)
    if not force and (_holds_data(database_url) or present):
        raise Conflict(f"{service}'s database or rule files hold data; FORCE=1 replaces them with the backup")
    if kind == "sqlite":
        target = _sqlite_path(database_url)
        _make_folders(target.parent, below=Path(settings.var_dir))
        if planted_link(target, below=Path(settings.var_dir)) is not None:  # the database file itself
            raise Conflict(f"{target} is a symbolic link: restore follows none; remove it and restore again.")
        if not target.exists():
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))
        with sqlite3.connect(f"file:{source / SQLITE_FILE}?mode=ro", uri=True) as src, \
                sqlite3.connect(target) as dst:
            src.backup(dst)  # replaces every page of the target, in one go
        dst.close()
        src.close()
    else:
        url, env = libpq_call(database_url)
        subprocess.run([pg_binary("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                        "--single-transaction", "--exit-on-error", "--dbname", url,
                        str(source / PG_FILE)], check=True, env=env)
    # The rule files: each organisation's files of this service as they were, nothing more.
    for path in present:
        _refuse_links(path, data_dir)
        path.unlink()
    for relative in _listed_rule_files(manifest, service, organization_files=organization_files):
        target = data_dir.joinpath(*relative.parts[1:])
        _make_folders(target.parent, below=data_dir)
        if os.path.lexists(target):
            target.unlink()  # a link itself, never what it points at
        _copy_nofollow(source / relative, target)
    _give_back_to_owner(settings, database_url)
    say(f"{service}: restored from {source} (made {manifest['created_at']}, schema {manifest['schema_version']})")
    return manifest


def _listed_rule_files(manifest: dict, service: str, *, organization_files: bool) -> list[Path]:
    """Gives the rule files backup.json lists (data/<org>/<service>/..., and data/<org>/<file>
    with `organization_files`), as paths relative to the backup folder; none reaching outside."""
    files = []
    for name in sorted(manifest["files"]):
        relative = Path(name)
        parts = relative.parts
        if len(parts) < 3 or parts[0] != "data" or any(p in ("", ".", "..") for p in parts) or relative.is_absolute():
            continue
        if (len(parts) == 3 and organization_files) or (len(parts) > 3 and parts[2] == service):
            files.append(relative)
    return files


def _give_back_to_owner(settings: Settings, database_url: str) -> None:
    """Run as root on a deployed host, gives the restored files the owner of the service's folder."""
    if os.geteuid() != 0:
        return
    var_dir = Path(settings.var_dir)
    if not var_dir.is_dir():
        return
    owner = var_dir.stat()
    if owner.st_uid == 0:
        return
    paths = [p for p in Path(settings.data_dir).rglob("*")] if Path(settings.data_dir).is_dir() else []
    if _kind(database_url) == "sqlite":
        paths.append(_sqlite_path(database_url))
    for path in paths:
        # lchown: a symbolic link the service user planted gives it nothing it points at
        os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)


def _load_env_file(path: str) -> None:
    for name, value in read_env_file(Path(path)).items():
        os.environ.setdefault(name, value)


def cmd_backup_or_restore(args) -> int:
    """Runs `backup` or `restore` from the command line's arguments."""
    if args.env_file:
        _load_env_file(args.env_file)
    settings = load_settings_or_exit()
    try:
        if args.command == "backup":
            dest = Path(args.dest) if args.dest else default_backup_dir(args.service, Path(settings.var_dir))
            folder = backup(args.service, settings, dest)
            print(folder)
        else:
            restore(args.service, settings, Path(args.source), force=args.force,
                    organization_files=args.organization_files)
    except HuifangError as exc:
        say(str(exc.message if hasattr(exc, "message") else exc))
        return 1
    except subprocess.CalledProcessError as exc:
        say(f"{exc.cmd[0]} failed (exit {exc.returncode})")
        return 1
    return 0


def configure(command: str, parser) -> None:
    """Gives `parser` the arguments of `backup` or `restore` and the function that runs it."""
    parser.add_argument("service", choices=list(SERVICES))
    if command == "backup":
        parser.add_argument("--dest", help="the folder to write into (default: a deployed service's "
                            "/var/backups/huifang/<service>, root's; in a checkout <HUIFANG_VAR_DIR>/backups)")
        parser.add_argument("--env-file", help="read the settings of a deployed service (/etc/huifang/<service>.env)")
    else:
        parser.add_argument("--from", dest="source", required=True, help="the backup folder")
        parser.add_argument("--force", action="store_true", help="replace a database or rule files that hold data")
        parser.add_argument("--organization-files", action="store_true",
                            help="restore the organisations' own files too (organization.yaml, webhooks.yaml: every "
                                 "service of a shared data folder reads them)")
        parser.add_argument("--env-file")
    parser.set_defaults(func=cmd_backup_or_restore)
