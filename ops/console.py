"""What the operator's commands say and ask at the terminal. The standard library alone: every
command uses it, `make deploy-*` and `make proxy-config` with the system's python3."""
from __future__ import annotations

import sys
from pathlib import Path

from shared.core.settings import ROOT


def say(message: str) -> None:
    print(f"huifang: {message}", file=sys.stderr, flush=True)


def shown(path: Path) -> str:
    """Gives `path` relative to the project folder when it is inside it (shorter to read and type)."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def ask(question: str, default: str) -> str:
    answer = input(f"{question}{f' [{default}]' if default else ''}: ").strip()
    return answer or default
