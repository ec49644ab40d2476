"""Where one deployed service lives on its Debian host (ops/deploy.py installs it there): its code,
virtualenv, environment file, data folder and system user, and the text of its two systemd units.

Python's standard library only, like ops/deploy.py.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from shared.core.settings import ROOT

#: Where things go on the target host (DESTDIR is put in front of each).
DEFAULT_PREFIX = Path("/opt/huifang")
ETC_DIR = Path("/etc/huifang")
UNIT_DIR = Path("/etc/systemd/system")
STATE_DIR = Path("/var/lib/huifang")
#: The backups' folder inside a service's data folder (`make backup`'s default in a checkout, and
#: where earlier versions kept a deployed service's): never purged.
BACKUPS = "backups"
#: Where `make backup` keeps a deployed service's backups (<BACKUP_DIR>/<service>): root's, 0700,
#: outside the folder the service's user may write (it could swap a backup for a link, or read one).
BACKUP_DIR = Path("/var/backups/huifang")
#: The two processes of a service, by unit kind.
KINDS = ("web", "worker")
#: Sandboxing common to both units (systemd.exec(5)); the data folder is the one writable path.
SANDBOX = """\
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=@state@
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
LockPersonality=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
ProtectProc=invisible
CapabilityBoundingSet=
AmbientCapabilities="""
#: The web unit's more: it reads the organisations' rule files (the data folder) and never
#: changes them, nor the backups (a web process reached over the network cannot alter the rules
#: the workers apply). "-": a folder not made yet is no error.
WEB_SANDBOX = """
ReadOnlyPaths=-@state@/data -@state@/backups"""


def unit_name(service: str, kind: str) -> str:
    """Gives the systemd unit of one process of a service: huifang-<service>-web.service or -worker."""
    return f"huifang-{service}-{kind}.service"


def user_name(service: str) -> str:
    return f"huifang-{service}"


@dataclass(frozen=True)
class Layout:
    """Where one service lives on the target host (`real`) and in the staging root (`staged`)."""

    service: str
    prefix: Path = DEFAULT_PREFIX
    destdir: Path | None = None

    def staged(self, path: Path) -> Path:
        """Gives `path` of the target host inside DESTDIR (itself without one)."""
        return self.destdir / path.relative_to("/") if self.destdir else path

    @property
    def home(self) -> Path:
        return self.prefix / self.service

    @property
    def app(self) -> Path:
        return self.home / "app"

    @property
    def venv(self) -> Path:
        return self.home / "venv"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def env_file(self) -> Path:
        return ETC_DIR / f"{self.service}.env"

    @property
    def state(self) -> Path:
        return STATE_DIR / self.service

    def unit(self, kind: str) -> Path:
        return UNIT_DIR / unit_name(self.service, kind)


def planted_link(path: Path, *, below: Path | None = None) -> Path | None:
    """Gives the first component of the absolute `path` that is a symbolic link root must not follow,
    or None: one not owned by root (root's own, like /var/run, are the system's), or any link at or
    below `below`. Each component is looked at with lstat; the walk ends at one that does not exist.

    Root working in a folder the service's user may write (deploy's chown, restore's mkdir) checks
    the whole path first, so a link planted anywhere along it gets nothing made or given."""
    current = Path(path.anchor or "/")
    for part in Path(os.path.normpath(path)).parts[1:]:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(info.st_mode) and (info.st_uid != 0 or (below is not None and _within(current, below))):
            return current
    return None


def _within(path: Path, folder: Path) -> bool:
    parts, top = Path(os.path.normpath(path)).parts, Path(os.path.normpath(folder)).parts
    return parts[:len(top)] == top


def default_backup_dir(service: str, var_dir: Path) -> Path:
    """Gives where `make backup` writes without DEST: for a deployed service (its data folder under
    /var/lib/huifang) <BACKUP_DIR>/<service>, root's and outside the service's writable folder; in
    a checkout <HUIFANG_VAR_DIR>/backups."""
    if _within(var_dir, STATE_DIR):
        return BACKUP_DIR / service
    return var_dir / BACKUPS


# -- units ----------------------------------------------------------------------------------

def render_template(name: str, fields: dict[str, str]) -> str:
    text = (ROOT / "deploy" / name).read_text(encoding="utf-8")
    for key, value in fields.items():
        text = text.replace(f"@{key}@", value)
    leftover = re.findall(r"@[a-z_]+@", text)
    if leftover:
        raise ValueError(f"deploy/{name}: no value for {', '.join(sorted(set(leftover)))}")
    return text


def render_unit(layout: Layout, kind: str) -> str:
    fields = {"service": layout.service, "app": str(layout.app), "python": str(layout.python),
              "env_file": str(layout.env_file), "user": user_name(layout.service), "state": str(layout.state)}
    fields["sandbox"] = (SANDBOX + (WEB_SANDBOX if kind == "web" else "")).replace("@state@", fields["state"])
    return render_template(f"huifang-{kind}.service.in", fields)
