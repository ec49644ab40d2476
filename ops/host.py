"""Where one deployed service lives on its Debian host (ops/deploy.py installs it there): its code,
virtualenv, environment file, data folder and system user, and the text of its two systemd units.

Python's standard library only, like ops/deploy.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from shared.core.settings import ROOT

#: Where things go on the target host (DESTDIR is put in front of each).
DEFAULT_PREFIX = Path("/opt/huifang")
ETC_DIR = Path("/etc/huifang")
UNIT_DIR = Path("/etc/systemd/system")
STATE_DIR = Path("/var/lib/huifang")
#: The backups' folder inside a service's data folder (`make backup`'s default): never purged.
BACKUPS = "backups"
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
