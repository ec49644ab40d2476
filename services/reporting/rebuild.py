"""Rebuild the reporting read model from the event log: `make rebuild-reporting`.

Every event this service received is kept raw in `event_log`. A rebuild empties the read
model (customers, callbacks, deliveries, served days, complaints) and applies the logged
events again in arrival order, in one transaction: readers see the old model or the new
one, never half of it. Reports already made and the schedule's claims are kept.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timezone

from shared.core.events import load_event

from . import handlers
from .handlers.rows import REPLAYING
from .models import READ_MODEL, EventLog

#: Log rows read from the database at a time.
BATCH = 2000


def rebuild(service) -> int:
    """Gives the number of events replayed into an emptied read model."""
    replaying = REPLAYING.set(True)
    try:
        return _replay(service)
    finally:
        REPLAYING.reset(replaying)


def _replay(service) -> int:
    replayed = 0
    with service.connection(), service.unit_of_work() as uow:
        for model in READ_MODEL:
            model.delete().execute()
        last_id = 0
        while True:
            rows = list(EventLog.select(EventLog.id, EventLog.envelope, EventLog.received_at)
                        .where(EventLog.id > last_id).order_by(EventLog.id).limit(BATCH).tuples())
            if not rows:
                break
            for row_id, raw, received_at in rows:
                event = load_event(json.loads(raw))
                # The clock of the first handling, so fallbacks to "now" give the same rows.
                uow.now = received_at.replace(tzinfo=timezone.utc)
                handlers.APPLY[event.type](uow=uow, event=event)
                last_id = row_id
                replayed += 1
        if uow.emitted:
            raise RuntimeError("a read-model handler emitted events during a rebuild; it must not")
    return replayed


def main(argv=None) -> int:
    from shared.core.logs import configure_logging
    from shared.core.settings import load_settings

    from .service import SERVICE

    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    configure_logging()
    SERVICE.bind(load_settings())
    started = time.perf_counter()
    count = rebuild(SERVICE)
    print(f"reporting: read model rebuilt from {count} events in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
