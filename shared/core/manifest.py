"""Odoo-style manifests: `services/<name>/__manifest__.py` holds one dict literal.

They are read as data (ast.literal_eval), never imported, so the router learns who
subscribes to what without loading any service's code.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

from shared.core.errors import ConfigurationError
from shared.core.event_types import REGISTRY
from shared.core.settings import ROOT

REQUIRED = ("name", "version", "depends", "subscribes", "publishes", "data")


def read_manifest(path: Path) -> dict:
    """Gives the validated manifest at `path`."""
    try:
        manifest = ast.literal_eval(path.read_text(encoding="utf-8"))
    except (SyntaxError, ValueError) as exc:
        raise ConfigurationError(str(path), f"is not a dict literal: {exc}") from None
    missing = [key for key in REQUIRED if key not in manifest]
    if missing:
        raise ConfigurationError(str(path), f"missing keys {missing}")
    unknown = [t for t in list(manifest["subscribes"]) + list(manifest["publishes"]) if t not in REGISTRY]
    if unknown:
        raise ConfigurationError(str(path), f"unknown event types {unknown}")
    return manifest


@lru_cache(maxsize=None)
def load_manifests(root: str = str(ROOT)) -> dict[str, dict]:
    """Gives every service's manifest, by service name."""
    manifests = {}
    for path in sorted(Path(root, "services").glob("*/__manifest__.py")):
        manifest = read_manifest(path)
        manifests[path.parent.name] = manifest
    return manifests


def subscribers(event_type: str, manifests: dict[str, dict] | None = None) -> list[str]:
    """Gives the names of the services that subscribe to `event_type`."""
    manifests = load_manifests() if manifests is None else manifests
    return [name for name, m in manifests.items() if event_type in m["subscribes"]]
