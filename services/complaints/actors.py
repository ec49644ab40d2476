"""Dramatiq entry point of the complaints worker: `dramatiq services.complaints.actors`.

Declaring actors needs the broker, so this module builds it on import: it is only imported by
the worker process, never by the web app or the domain.
"""

import dramatiq

from shared.mesh.worker import setup_worker
from shared.mesh.periodic import periodic
from shared.core.settings import load_settings_or_exit

from . import handlers, jobs, notify
from .models import WAKEUP_ACTOR, WAKEUP_QUEUE
from .service import SERVICE


#: How often (seconds) the sweep looks for complaints whose next deadline has come.
SWEEP_EVERY_SECONDS = 30
#: How often (seconds) queued complaint mail is sent (deadline wake-ups go out through the
#: outbox: the worker's relay thread sends them after commit, delayed to their moment).
MAIL_EVERY_SECONDS = 5
#: How often (seconds) deadlines counted over provisional days are checked against the published calendar.
PROVISIONAL_EVERY_SECONDS = 24 * 3600

broker = setup_worker(SERVICE, load_settings_or_exit())  # a bad setting: one line, exit 2


@dramatiq.actor(broker=broker, queue_name=WAKEUP_QUEUE, actor_name=WAKEUP_ACTOR, max_retries=3)
def complaint_deadline(organization, complaint_id):
    """Sweeps just the complaint whose moment has come (its delayed message)."""
    SERVICE.run(jobs.sweep_complaint, organization=organization, complaint_id=complaint_id)


@dramatiq.actor(broker=broker, queue_name=handlers.tickets.TICKET_WAKEUP_QUEUE,
               actor_name=handlers.tickets.TICKET_WAKEUP_ACTOR, max_retries=3)
def ticket_deadline(organization, ticket_id):
    """Looks at the hotline ticket whose deadline has come (its delayed message; seed 001)."""
    SERVICE.run(handlers.sweep_ticket, organization=organization, ticket_id=ticket_id)


@periodic(broker, SERVICE, every_seconds=SWEEP_EVERY_SECONDS)
def sweep_complaints():
    """Escalates complaints past a deadline, flags key customers, queues reminders, tells of hotline
    tickets past theirs; then mails."""
    jobs.sweep_due_complaints(SERVICE)
    SERVICE.run(handlers.sweep_due_tickets)
    SERVICE.run(handlers.remind_overdue_actions)  # overdue corrective actions remind their owners
    notify.send_notifications(SERVICE)


@periodic(broker, SERVICE, every_seconds=MAIL_EVERY_SECONDS)
def send_complaint_mail():
    """Sends the mail queued by handlers and requests (after their commit)."""
    notify.send_notifications(SERVICE)


@periodic(broker, SERVICE, every_seconds=SWEEP_EVERY_SECONDS)
def sweep_complaint_promises():
    """Reminds the makers of promises about to come due and marks broken the ones not kept."""
    SERVICE.run(handlers.sweep_promises)


@periodic(broker, SERVICE, every_seconds=PROVISIONAL_EVERY_SECONDS)
def replan_provisional_deadlines():
    """Re-plans deadlines counted over provisional days once their year is published (RULES 1.6)."""
    SERVICE.run(jobs.replan_provisional_deadlines)
