"""What a checkout holds besides the code: `make clean` (var/ and caches) and `make docs`
(docs/EVENTS.md from the event schemas).

    python -m ops clean [--all]
    python -m ops event-catalogue [--check]
"""
from __future__ import annotations

import contextlib
import shutil
import socket
from pathlib import Path

import shared.core.catalogue_doc as catalogue
from ops.console import say, shown
from shared.core.settings import ROOT, _env

def cmd_event_catalogue(args) -> int:
    """Writes docs/EVENTS.md from the event schemas (--check: exit 1 when it is out of date)."""
    if args.check:
        current = catalogue.CATALOGUE_PATH.read_text(encoding="utf-8") if catalogue.CATALOGUE_PATH.exists() else ""
        if current != catalogue.render():
            say(f"{shown(catalogue.CATALOGUE_PATH)} is out of date: run make docs")
            return 1
        return 0
    changed = catalogue.write()
    say(f"{shown(catalogue.CATALOGUE_PATH)} {'written' if changed else 'already up to date'}")
    return 0


#: What `make clean` keeps unless ALL=1, by name under var/, and why.
KEPT_BY_CLEAN = {"secret_key": "signs every token and session", "api_token": "the integration token"}


def cmd_clean(args) -> int:
    """Deletes what `make run` and the tests leave behind; keeps the secret key, the integration
    token and the organisations' data folders unless --all. Says what it deletes."""
    env = _env(None)
    var_dir = Path(env.get("HUIFANG_VAR_DIR") or ROOT / "var").resolve()
    data_dir = Path(env.get("HUIFANG_DATA_DIR") or var_dir / "data").resolve()
    running = [p for p in (var_dir / "run").glob("*.ctl") if _socket_answers(p)] if (var_dir / "run").is_dir() else []
    if running:
        raise SystemExit(f"huifang: not cleaning: `make run` is running here ({', '.join(p.name for p in running)} "
                         "answer); stop it first")
    keep: dict[Path, str] = {}
    if not args.all:
        keep = {var_dir / name: why for name, why in KEPT_BY_CLEAN.items()}
        if data_dir.is_relative_to(var_dir) and data_dir != var_dir:
            keep[var_dir / data_dir.relative_to(var_dir).parts[0]] = "the organisations' rule files"
    doomed = sorted(p for p in var_dir.iterdir() if p not in keep) if var_dir.is_dir() else []
    cache = ROOT / ".pytest_cache"
    if cache.exists() and var_dir == (ROOT / "var").resolve():  # this checkout's own var/: its caches too
        doomed.append(cache)
    for path in doomed:
        say(f"deleting {shown(path)}{'/' if path.is_dir() else ''}")
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    if not doomed:
        say("nothing to delete")
    for path, why in keep.items():
        if path.exists():
            say(f"keeping {shown(path)}{'/' if path.is_dir() else ''} ({why}); make clean ALL=1 deletes it too")
    if args.all and not data_dir.is_relative_to(var_dir):
        say(f"HUIFANG_DATA_DIR {data_dir} is outside {shown(var_dir)}: not touched")
    return 0


def _socket_answers(path: Path) -> bool:
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as s:
        s.settimeout(0.5)
        s.connect(str(path))
        return True
    return False


def configure(command: str, parser) -> None:
    """Gives `parser` the arguments of `command` and the function that runs it."""
    if command == "event-catalogue":
        parser.add_argument("--check", action="store_true", help="exit 1 when docs/EVENTS.md is out of date")
        parser.set_defaults(func=cmd_event_catalogue)
    elif command == "clean":
        parser.add_argument("--all", action="store_true", help="delete var/ whole: the secret key and organisations too")
        parser.set_defaults(func=cmd_clean)
