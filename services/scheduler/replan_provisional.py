"""Re-plan the open callbacks planned on provisional days: `make replan-provisional`.

Once the official calendar (the chinesecalendar package) publishes a year that was provisional,
the open callbacks planned on its days are planned again (the daily job `replan_provisional_callbacks`
does the same); every move is printed and logged. `--every-year`: every open provisional callback,
whatever its year (after an organisation changed its calendar.yaml, or the holidays library was upgraded).
"""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    from shared.core.logs import configure_logging
    from shared.core.settings import load_settings

    from . import jobs
    from .service import SERVICE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every-year", action="store_true", help="every open provisional callback")
    args = parser.parse_args(argv)
    configure_logging()
    SERVICE.bind(load_settings())
    moved = SERVICE.run(jobs.replan_provisional_callbacks, every_year=args.every_year)
    for organization, task in moved:
        print(f"{organization}: callback {task.callback_id} ({task.kind}) {task.was_due_on} -> {task.due_on}")
    print(f"scheduler: {len(moved)} open callbacks moved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
