"""The default chains and policies shipped in ``services/complaints/data/``.

Reading a packaged file is the only I/O here; the caller decides when (never at import).
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .chain import Chain, load_chain
from ..errors import InvalidData
from .policy import ComplaintPolicy, load_policy

#: Folder of the complaints service's data files.
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _read(kind: str, name: str) -> dict:
    path = DATA_DIR / kind / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in (DATA_DIR / kind).glob("*.yaml")))
        raise InvalidData(f"no {kind[:-1]} named {name!r}; known: {known}.", field=kind[:-1])
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def packaged_chain(name: str = "default") -> Chain:
    """Gives the packaged chain `name` (``default``, ``seed004``, ``seed000``)."""
    return load_chain(_read("chains", name))


def packaged_policy(name: str = "default") -> ComplaintPolicy:
    """Gives the packaged policy `name` (``default``, ``seed000``, ``property``)."""
    return load_policy(_read("policies", name))


def packaged_names(kind: str) -> list[str]:
    """Gives the names of the packaged ``chains`` or ``policies``."""
    return sorted(p.stem for p in (DATA_DIR / kind).glob("*.yaml"))
