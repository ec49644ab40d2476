"""Rules as data: a service's packaged defaults, overridden per organisation.

`services/<service>/data/<path>` holds the defaults (listed in the manifest's `data`);
`<HUIFANG_DATA_DIR>/<organization>/<service>/<path>` (default var/data/...) is an
organisation's own copy and wins when present. Files are YAML or JSON, read when first asked
for and again when they change; each service validates what it reads with its own schema.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import yaml

from shared.core.errors import ConfigurationError
from shared.core.settings import ROOT
from shared.core.calendar import WorkingCalendar

_cache: dict[str, tuple[int, object]] = {}
_SERVICES = str(ROOT / "services")
_lock = threading.Lock()


def packaged_path(service: str, relative: str) -> Path:
    return ROOT / "services" / service / "data" / relative


def org_path(settings, organization: str, service: str, relative: str) -> Path:
    return Path(settings.data_dir) / organization / service / relative


def read_data_file(path: Path):
    """Gives the parsed content of a YAML or JSON file (cached until it changes)."""
    return _read(str(path), Path(path).stat().st_mtime_ns)


def _read(path, mtime: int):
    with _lock:
        hit = _cache.get(path)
        if hit and hit[0] == mtime:
            return hit[1]
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
        value = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigurationError(str(path), f"cannot be parsed: {exc}") from None
    with _lock:
        _cache[path] = (mtime, value)
    return value


def load_org_data(settings, *, service: str, relative: str, organization: str):
    """Gives the organisation's data file if it has one, else the packaged default.

    Asked for on every message: two stat calls on plain strings, no pathlib (which costs
    more than the rest of a small handler).
    """
    if settings is not None:
        own = os.path.join(str(settings.data_dir), organization, service, relative)
        try:
            return _read(own, os.stat(own).st_mtime_ns)
        except FileNotFoundError:
            pass
    default = os.path.join(_SERVICES, service, "data", relative)
    try:
        mtime = os.stat(default).st_mtime_ns
    except FileNotFoundError:
        raise ConfigurationError(relative, f"no data file for {service} (looked in {default})") from None
    return _read(default, mtime)


_parsed: dict[tuple, tuple[object, object]] = {}


def load_org_rules(settings, *, service: str, relative: str, organization: str, parse):
    """Gives `parse(content)` of the organisation's data file (or the packaged default),
    parsed and validated once per version of the file: the one rule cache of every service.

    `parse` turns the raw YAML/JSON content into the service's rule object and raises the
    service's error (naming the bad field) when the content is invalid.

    Raises:
      ConfigurationError: the file is missing or cannot be parsed.
    """
    raw = load_org_data(settings, service=service, relative=relative, organization=organization)
    key = (service, organization, relative, parse)
    with _lock:
        hit = _parsed.get(key)
        if hit is not None and hit[0] is raw:
            return hit[1]
    value = parse(raw)
    with _lock:
        _parsed[key] = (raw, value)
    return value


def working_calendar(settings, *, service: str, organization: str):
    """Gives the organisation's working calendar (`calendar.yaml` of the service: holidays,
    make-up working days, service hours), parsed once per version of the file."""
    return load_org_rules(settings, service=service, relative="calendar.yaml", organization=organization,
                          parse=_calendar_from_data)


def _calendar_from_data(raw):
    return WorkingCalendar.from_data(raw or {})


#: The file naming the organisation, in its data folder.
ORGANIZATION_FILE = "organization.yaml"


def organization_name(settings, organization: str) -> str | None:
    """Gives the organisation's name from its organization.yaml, or None."""
    path = Path(settings.data_dir) / organization / ORGANIZATION_FILE
    if not path.exists():
        return None
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return content.get("name") if isinstance(content, dict) else None
