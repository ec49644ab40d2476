"""Dramatiq entry point of the reporting worker: `dramatiq services.reporting.actors`.

Declaring actors needs the broker, so this module builds it on import: it is only imported by
the worker process, never by the web app or the domain.
"""
import logging

import dramatiq

from shared.mesh.worker import setup_worker
from shared.mesh.periodic import periodic
from shared.core.settings import load_settings_or_exit

from . import jobs, notify
from .figures import made
from .models import GENERATE_ACTOR, MAKE_FIGURES_ACTOR, SEND_ACTOR
from .service import SERVICE

log = logging.getLogger(__name__)

#: How often (seconds) a worker looks whether an organisation's report is due. Not a rule:
#: the schedule itself (day, time, month) is data (data/schedule.yaml).
SCHEDULE_CHECK_SECONDS = 60
#: Mail retries: a mail server that is down for a while still gets the report.
SEND_MAX_RETRIES = 8
#: A send still queued after this long (seconds) was lost on the way to the broker: queue it again
#: (a send claimed by a worker that died is queued again once its lease, notify.SEND_LEASE, expires).
REQUEUE_SEND_AFTER_SECONDS = 900

#: A report that fails to render is tried a few times (a database blip), then left failed.
GENERATE_MAX_RETRIES = 3
#: A POSTed report still pending after this long (seconds) was lost on the way: queue it again.
REQUEUE_GENERATE_AFTER_SECONDS = 600

#: Jobs (make a report, mail it) go to these actors through the outbox (`uow.send`): the web
#: hands them to the broker right after its commit, the worker's relay thread otherwise.
broker = setup_worker(SERVICE, load_settings_or_exit())  # a bad setting: one line, exit 2


@dramatiq.actor(actor_name=SEND_ACTOR, queue_name=SERVICE.name, broker=broker,
                max_retries=SEND_MAX_RETRIES, min_backoff=2_000, max_backoff=600_000)
def send_report(organization: str, month: str, request: str):
    """Mails the month's report for one send request (POST .../send or the schedule)."""
    notify.send_report(SERVICE, organization, month, request)


@dramatiq.actor(actor_name=GENERATE_ACTOR, queue_name=SERVICE.name, broker=broker,
                max_retries=GENERATE_MAX_RETRIES, min_backoff=5_000, max_backoff=300_000)
def generate_report(organization: str, month: str, request: str):
    """Makes and stores the month's report for one POST /api/v1/reports (pending -> ready), and
    queues the send asked for with it (POST .../send of a month not made yet)."""
    jobs.run_generation(SERVICE, organization, month, request)


#: Figures for a reader are asked for again by the next reader when lost; a failing one is retried
#: a little, and the reader sees the error meanwhile.
MAKE_FIGURES_MAX_RETRIES = 2


@dramatiq.actor(actor_name=MAKE_FIGURES_ACTOR, queue_name=SERVICE.name, broker=broker,
                max_retries=MAKE_FIGURES_MAX_RETRIES, min_backoff=2_000, max_backoff=30_000)
def make_figures(organization: str, month: str, branch: str, language: str, request: str):
    """Makes a month's figures (and PDF) a reader asked for: a month not stored, a branch, the
    other language's PDF; the web serves them, it never computes them."""
    made.make(SERVICE, organization, month, branch, language, request)


@periodic(broker, SERVICE, every_seconds=SCHEDULE_CHECK_SECONDS, name="reporting_schedule")
def reporting_schedule():
    """Makes and mails each organisation's monthly report once, on its schedule."""
    for organization, month, request in jobs.run_schedule(SERVICE):
        log.info("scheduled report %s of %s made; mailing it (send %s)", month, organization, request)
    # The safety net: sends and runs whose message was lost (or whose worker died) go again
    # (through the outbox, like every job).
    sends, runs = SERVICE.run(jobs.requeue_stale, send_after_seconds=REQUEUE_SEND_AFTER_SECONDS,
                              generate_after_seconds=REQUEUE_GENERATE_AFTER_SECONDS)
    for organization, month, request in sends:
        log.warning("send %s of report %s of %s was never carried out; queued again", request, month, organization)
    for organization, month, request in runs:
        log.warning("report run %s of %s of %s still pending; queued again", request, month, organization)
