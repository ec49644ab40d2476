"""The scheduler's command line: `python -m services.scheduler.cli COMMAND`.

- `replan-provisional [--every-year]`: re-plan the open callbacks planned on provisional days
  (`make replan-provisional`). Once the official calendar (the chinesecalendar package) publishes
  a year that was provisional, the open callbacks planned on its days are planned again (the daily
  job `replan_provisional_callbacks` does the same); every move is printed and logged.
  `--every-year`: every open provisional callback, whatever its year (after an organisation changed
  its calendar.yaml, or the holidays library was upgraded).
"""
from __future__ import annotations

import argparse
import sys

from shared.core.logs import configure_logging
from shared.core.settings import load_settings

from . import jobs
from .service import SERVICE


def replan_provisional(args: argparse.Namespace) -> int:
    """Re-plans the open callbacks planned on provisional days, printing each move; gives the exit status."""
    moved = SERVICE.run(jobs.replan_provisional_callbacks, every_year=args.every_year)
    for organization, task in moved:
        print(f"{organization}: callback {task.callback_id} ({task.kind}) {task.was_due_on} -> {task.due_on}")
    print(f"scheduler: {len(moved)} open callbacks moved")
    return 0


def parser() -> argparse.ArgumentParser:
    """Gives the parser of the scheduler's command line."""
    commands = argparse.ArgumentParser(prog="python -m services.scheduler.cli", description=__doc__.splitlines()[0])
    sub = commands.add_subparsers(dest="command", required=True)
    replan = sub.add_parser("replan-provisional", help="re-plan the open callbacks planned on provisional days")
    replan.add_argument("--every-year", action="store_true", help="every open provisional callback")
    replan.set_defaults(run=replan_provisional)
    return commands


def main(argv=None) -> int:
    """Runs one command against the installation's settings; gives the exit status."""
    args = parser().parse_args(argv)
    configure_logging()
    SERVICE.bind(load_settings())
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
