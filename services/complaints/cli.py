"""The complaints service's command line: `python -m services.complaints.cli COMMAND`.

- `replan-provisional`: re-plan complaint deadlines counted over provisional days
  (`make replan-provisional`). Once the official calendar (the chinesecalendar package) publishes a
  year that was provisional, the pending deadlines of the complaints not closed that were counted
  over its days are computed again (the daily job `replan_provisional_deadlines` does the same);
  every move is printed, logged, recorded in the complaint's history and announced
  (`complaint.deadlines_moved`).
"""
from __future__ import annotations

import argparse
import sys

from shared.core.logs import configure_logging
from shared.core.settings import load_settings

from . import jobs
from .service import SERVICE


def replan_provisional(args: argparse.Namespace) -> int:
    """Re-plans the deadlines counted over provisional days, printing each move; gives the exit status."""
    moved = SERVICE.run(jobs.replan_provisional_deadlines)
    for organization, complaint_id, deadlines in moved:
        print(f"{organization}: complaint {complaint_id}: {', '.join(deadlines)} moved")
    print(f"complaints: {len(moved)} complaints' deadlines moved")
    return 0


def parser() -> argparse.ArgumentParser:
    """Gives the parser of the complaints service's command line."""
    commands = argparse.ArgumentParser(prog="python -m services.complaints.cli", description=__doc__.splitlines()[0])
    sub = commands.add_subparsers(dest="command", required=True)
    sub.add_parser("replan-provisional", help="re-plan complaint deadlines counted over provisional days").set_defaults(
        run=replan_provisional)
    return commands


def main(argv=None) -> int:
    """Runs one command against the installation's settings; gives the exit status."""
    args = parser().parse_args(argv)
    configure_logging()
    SERVICE.bind(load_settings())
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
