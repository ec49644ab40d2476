"""Dramatiq entry point of the scheduler worker: `dramatiq services.scheduler.actors`.

Declaring actors needs the broker, so this module builds it on import: it is only imported by
the worker process, never by the web app or the domain.
"""
import logging

from shared.broker import setup_worker
from shared.periodic import periodic
from shared.settings import load_settings

from . import jobs
from .service import SERVICE

log = logging.getLogger(__name__)

#: How often (seconds) the monthly property batches are looked at; a batch closes on its cut-off day.
BATCH_SWEEP_SECONDS = 300
#: How often (seconds) existing customers are looked at for their periodic callbacks (RULES 1.4).
PERIODIC_SWEEP_SECONDS = 3600

broker = setup_worker(SERVICE, load_settings())


@periodic(broker, SERVICE, every_seconds=BATCH_SWEEP_SECONDS)
def close_callback_batches():
    """Closes the monthly batches (RULES 1.3) whose cut-off day has come: tops each up to its tier."""
    closed = SERVICE.run(jobs.close_due_batches)
    if closed:
        log.info("closed %d callback batches: %s", len(closed), closed)


@periodic(broker, SERVICE, every_seconds=PERIODIC_SWEEP_SECONDS)
def plan_existing_customer_callbacks():
    """Plans the periodic callbacks of existing customers (RULES 1.4: retail quarterly, key customers monthly)."""
    planned = SERVICE.run(jobs.plan_existing_customer_callbacks)
    if planned:
        log.info("periodic callbacks planned: %s", planned)
