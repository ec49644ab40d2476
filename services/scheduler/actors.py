"""Dramatiq entry point of the scheduler worker: `dramatiq services.scheduler.actors`.

Declaring actors needs the broker, so this module builds it on import: it is only imported by
the worker process, never by the web app or the domain.
"""
import logging

import dramatiq
from dramatiq.middleware import TimeLimitExceeded

from shared.mesh.worker import setup_worker
from shared.mesh.periodic import for_each_organization, periodic
from shared.core.settings import load_settings_or_exit

from . import jobs, notify
from .models import IMPORT_ACTOR, IMPORT_QUEUE
from .service import SERVICE

log = logging.getLogger(__name__)

#: How often (seconds) the monthly property batches are looked at; a batch closes on its cut-off day.
BATCH_SWEEP_SECONDS = 300
#: How often (seconds) existing customers are looked at for their periodic callbacks (RULES 1.4).
PERIODIC_SWEEP_SECONDS = 3600
#: How often (seconds) open callbacks on provisional days are checked against the published calendar (daily).
PROVISIONAL_SWEEP_SECONDS = 24 * 3600
#: A ledger import that failed (a database blip) is tried again a few times; it is idempotent.
IMPORT_MAX_RETRIES = 3

settings = load_settings_or_exit()  # a bad setting: one line, exit 2
broker = setup_worker(SERVICE, settings)
#: The longest a ledger import may run (ms; HUIFANG_IMPORT_TIME_LIMIT_SECONDS): 100,000 rows take well
#: under a minute; past it the worker stops the import, which is marked failed after its retries.
IMPORT_TIME_LIMIT_MS = settings.import_time_limit_seconds * 1000


@dramatiq.actor(actor_name=IMPORT_ACTOR, queue_name=IMPORT_QUEUE, broker=broker, max_retries=IMPORT_MAX_RETRIES,
                min_backoff=5_000, max_backoff=60_000, time_limit=IMPORT_TIME_LIMIT_MS)
def ledger_import(import_id: str):
    """Checks, and unless it is a dry run imports, a ledger file uploaded on the ledger page (or a
    large one posted to the API)."""
    try:
        state = jobs.run_ledger_import(SERVICE, import_id)
    except TimeLimitExceeded:
        # not retried: the same file would take as long again; the import says why it stopped
        log.error("ledger import %s stopped after %d s (HUIFANG_IMPORT_TIME_LIMIT_SECONDS)", import_id,
                  settings.import_time_limit_seconds)
        SERVICE.run(jobs.finish_ledger_import, import_id=import_id,
                    error=f"stopped after {settings.import_time_limit_seconds} s; split the file.")
        return
    log.info("ledger import %s: %s", import_id, state or "nothing to do")


def _each_organization(job) -> dict:
    """Gives {organisation: what `job` gave}, run for each organisation in its own transaction."""
    return for_each_organization(SERVICE, job, SERVICE.run(jobs.organizations))


@periodic(broker, SERVICE, every_seconds=BATCH_SWEEP_SECONDS)
def close_callback_batches():
    """Closes the monthly batches (RULES 1.3) whose cut-off day has come: tops each up to its tier."""
    # one transaction per organisation: one's bad data file does not stop the others
    closed = [b for done in _each_organization(jobs.close_due_batches).values() for b in done]
    if closed:
        log.info("closed %d callback batches: %s", len(closed), closed)


@periodic(broker, SERVICE, every_seconds=PERIODIC_SWEEP_SECONDS)
def plan_existing_customer_callbacks():
    """Plans the periodic callbacks of existing customers (RULES 1.4: retail quarterly, key customers monthly)."""
    planned = {org: n for done in _each_organization(jobs.plan_existing_customer_callbacks).values()
               for org, n in done.items()}
    if planned:
        log.info("periodic callbacks planned: %s", planned)


@periodic(broker, SERVICE, every_seconds=PROVISIONAL_SWEEP_SECONDS)
def replan_provisional_callbacks():
    """Re-plans the open callbacks planned on provisional days of a year the official calendar has
    published since (RULES 1.6); each move is logged."""
    moved = [m for done in _each_organization(jobs.replan_provisional_callbacks).values() for m in done]
    if moved:
        log.info("%d open callbacks moved to the published calendar", len(moved))


#: How often (seconds) the weekly mail of missing ledger data is looked at.
LEDGER_GAP_SWEEP_SECONDS = 900


@periodic(broker, SERVICE, every_seconds=LEDGER_GAP_SWEEP_SECONDS)
def mail_missing_ledger_data():
    """Mails the week's list of deliveries missing an installation or commissioning date to the
    ledger keepers, once their mail day has come (data/ledger_watch.yaml)."""
    for organization, week, where in notify.send_ledger_gap_mails(SERVICE):
        log.info("missing ledger data of %s for %s mailed: %s", organization, week, where)


#: How often (seconds) the leads' owners are mailed: a new lead, an overdue one.
LEAD_MAIL_SWEEP_SECONDS = 300


@periodic(broker, SERVICE, every_seconds=LEAD_MAIL_SWEEP_SECONDS)
def mail_lead_owners():
    """Mails each lead's owner once when it is raised and once when it is past its due date
    (data/leads.yaml gives the owner and the due date)."""
    for lead_id, kind, where in notify.send_lead_mails(SERVICE):
        log.info("lead %s: %s mail sent: %s", lead_id, kind, where)


#: How often (seconds) the owners of customers' open questions are mailed.
QUESTION_MAIL_SWEEP_SECONDS = 120


@periodic(broker, SERVICE, every_seconds=QUESTION_MAIL_SWEEP_SECONDS)
def mail_question_owners():
    """Mails the owner of each open question a customer asked on a callback (seed 000 part 3: ask first,
    then call back), once."""
    for question_id, where in notify.send_question_mails(SERVICE):
        log.info("question %s: owner mailed: %s", question_id, where)
