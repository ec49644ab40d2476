"""Dramatiq entry point of the complaints worker: `dramatiq services.complaints.actors`.

Declaring actors needs the broker, so this module builds it on import: it is only imported by
the worker process, never by the web app or the domain.
"""

import dramatiq

from shared.broker import setup_worker
from shared.periodic import periodic
from shared.settings import load_settings

from . import handlers
from .service import SERVICE


#: How often (seconds) the sweep looks for complaints whose next deadline has come.
SWEEP_EVERY_SECONDS = 30
#: How often (seconds) queued complaint mail is sent and deadline wake-ups are relayed.
MAIL_EVERY_SECONDS = 5

broker = setup_worker(SERVICE, load_settings())


@dramatiq.actor(broker=broker, queue_name=SERVICE.name, actor_name="complaint_deadline", max_retries=3)
def complaint_deadline(organization, complaint_id):
    """A complaint's moment has come (delayed message): sweeps just that complaint."""
    with SERVICE.connection():
        handlers.sweep_complaint(service=SERVICE, organization=organization, complaint_id=complaint_id)


def send_wakeup(*, organization: str, complaint_id: str, delay_ms: int) -> None:
    """Enqueues the delayed `complaint_deadline` message of one wake-up."""
    complaint_deadline.send_with_options(args=(organization, complaint_id), delay=delay_ms)


@periodic(broker, SERVICE, every_seconds=SWEEP_EVERY_SECONDS)
def sweep_complaints():
    """Escalates complaints past a deadline, flags key customers, queues reminders; then mails."""
    handlers.sweep_due_complaints(service=SERVICE)
    handlers.relay_wakeups(service=SERVICE, send=send_wakeup)
    handlers.send_notifications(service=SERVICE)


@periodic(broker, SERVICE, every_seconds=MAIL_EVERY_SECONDS)
def send_complaint_mail():
    """Sends the mail queued by handlers and requests, and the deadline wake-ups (after their commit)."""
    handlers.relay_wakeups(service=SERVICE, send=send_wakeup)
    handlers.send_notifications(service=SERVICE)
