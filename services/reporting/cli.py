"""The reporting service's command line: `python -m services.reporting.cli COMMAND`.

- `rebuild`: rebuild the read model from the event log (`make rebuild-reporting`; jobs.rebuild).
"""
from __future__ import annotations

import argparse
import sys
import time

from shared.core.logs import configure_logging
from shared.core.settings import load_settings

from . import jobs
from .service import SERVICE


def rebuild(args: argparse.Namespace) -> int:
    """Rebuilds the read model from the event log; gives the exit status."""
    started = time.perf_counter()
    count = jobs.rebuild(SERVICE)
    print(f"reporting: read model rebuilt from {count} events in {time.perf_counter() - started:.1f}s")
    return 0


def parser() -> argparse.ArgumentParser:
    """Gives the parser of the reporting command line."""
    commands = argparse.ArgumentParser(prog="python -m services.reporting.cli", description=__doc__.splitlines()[0])
    sub = commands.add_subparsers(dest="command", required=True)
    sub.add_parser("rebuild", help="rebuild the read model from the event log").set_defaults(run=rebuild)
    return commands


def main(argv=None) -> int:
    """Runs one command against the installation's settings; gives the exit status."""
    args = parser().parse_args(argv)
    configure_logging()
    SERVICE.bind(load_settings())
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
