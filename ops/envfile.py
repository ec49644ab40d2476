"""The environment file of a deployed service (/etc/huifang/<service>.env): read, decided and
written from the settings list (shared/core/setting_list.py).

Python's standard library only, like ops/deploy.py.
"""
from __future__ import annotations

import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ops.host import Layout
from shared.core.setting_list import setting_list
from shared.core.settings import SERVICES

_ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def read_env_file(path: Path) -> dict[str, str]:
    """Gives the values set (not commented) in an environment file; {} when there is none."""
    values = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ASSIGNMENT.match(line.strip())
        if match:
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[match.group(1)] = value
    return values


def _quoted(value: str) -> str:
    """Gives `value` as systemd's EnvironmentFile and python-dotenv both read it back."""
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./~-]*", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _comment(text: str, width: int = 96) -> list[str]:
    lines, line = [], "#"
    for word in text.split():
        if len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "#"
        line += " " + word
    return lines + [line]


def render_env_file(service: str, values: dict[str, str]) -> str:
    """Gives the environment file of `service`: every setting with what it means; those in
    `values` set, the others commented out with their default."""
    known = {s.name for s in setting_list()}
    out = [
        f"# Huifang {service}: its settings, read by huifang-{service}-web.service and -worker.service.",
        f"# Written by `make deploy-{service}` from shared/core/settings.py's list: what you set here is kept when",
        "# it runs again; a setting Huifang gains later appears below as a comment. A line starting with",
        "# `# HUIFANG_` is a setting left at its default (shown). Keep this file 0600: it holds the",
        "# installation's secrets. After a change: systemctl restart "
        f"huifang-{service}-web huifang-{service}-worker",
        "",
    ]
    for setting in setting_list():
        out += _comment(setting.meaning)
        if setting.name in values:
            out.append(f"{setting.name}={_quoted(values[setting.name])}")
        else:
            out.append(f"# {setting.name}={setting.default}")
        out.append("")
    others = {k: v for k, v in values.items() if k not in known}
    if others:
        out.append("# Not settings of Huifang: kept as they were written.")
        out += [f"{k}={_quoted(v)}" for k, v in sorted(others.items())]
        out.append("")
    return "\n".join(out)


def env_values(layout: Layout, *, public_url: str | None, etc: Path) -> dict[str, str]:
    """Gives the values of the service's environment file: the file's own, then what deploy
    decides (data folder, secrets, public addresses), never replacing a value already set
    unless asked for (`public_url`)."""
    values = read_env_file(etc / layout.env_file.name)
    values.setdefault("HUIFANG_VAR_DIR", str(layout.state))
    values.setdefault("HUIFANG_DATA_DIR", str(layout.state / "data"))
    siblings = [read_env_file(p) for p in sorted(etc.glob("*.env")) if p.name != layout.env_file.name]
    for setting in setting_list():
        if setting.secret and not values.get(setting.name):
            shared = next((s[setting.name] for s in siblings if s.get(setting.name)), None)
            values[setting.name] = shared or secrets.token_urlsafe(48)
    if public_url:
        base = public_url.rstrip("/")
        for name in SERVICES:
            values[f"HUIFANG_{name.upper()}_URL"] = f"{base}/{name}"
        values.setdefault("HUIFANG_TRUSTED_PROXIES", "1")
    return values


def broker_without_password(values: dict[str, str]) -> str | None:
    """Gives why the environment's HUIFANG_BROKER_URL lets anyone on the network post events (none
    set: the default, a local Redis without a password; or a URL without a password), or None.

    Whoever can write to the broker can post any event a service may post: a deployed service
    starts only with a broker that asks for a password (docs/PRODUCTION.md, Scaling 1.)."""
    url = values.get("HUIFANG_BROKER_URL", "")
    if not url:
        return "HUIFANG_BROKER_URL is not set (the default, redis://127.0.0.1:6379/0, has no password)"
    parts = urlsplit(url)
    if parts.password or parse_qs(parts.query).get("password", [""])[0]:
        return None
    shown = parts._replace(netloc=parts.netloc.rpartition("@")[2], query="").geturl()
    return f"HUIFANG_BROKER_URL ({shown}) has no password"
