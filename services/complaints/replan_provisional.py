"""Re-plan complaint deadlines counted over provisional days: `make replan-provisional`.

Once the official calendar (the chinesecalendar package) publishes a year that was provisional,
the pending deadlines of the complaints not closed that were counted over its days are computed
again (the daily job `replan_provisional_deadlines` does the same); every move is printed, logged,
recorded in the complaint's history and announced (`complaint.deadlines_moved`).
"""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    from shared.core.logs import configure_logging
    from shared.core.settings import load_settings

    from . import jobs
    from .service import SERVICE

    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    configure_logging()
    SERVICE.bind(load_settings())
    moved = SERVICE.run(jobs.replan_provisional_deadlines)
    for organization, complaint_id, deadlines in moved:
        print(f"{organization}: complaint {complaint_id}: {', '.join(deadlines)} moved")
    print(f"complaints: {len(moved)} complaints' deadlines moved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
