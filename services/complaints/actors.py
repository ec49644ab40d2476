"""Dramatiq entry point of the complaints worker: `dramatiq services.complaints.actors`.

Declaring actors needs the broker, so this module builds it on import: it is only imported by
the worker process, never by the web app or the domain.
"""

from shared.broker import setup_worker
from shared.periodic import periodic
from shared.settings import load_settings

from . import handlers
from .service import SERVICE


#: How often (seconds) the sweep looks for complaints whose next deadline has come.
SWEEP_EVERY_SECONDS = 30
#: How often (seconds) queued complaint mail is sent.
MAIL_EVERY_SECONDS = 5

broker = setup_worker(SERVICE, load_settings())


@periodic(broker, SERVICE, every_seconds=SWEEP_EVERY_SECONDS)
def sweep_complaints():
    """Escalates complaints past a deadline, flags key customers, queues reminders; then mails."""
    handlers.sweep_due_complaints(service=SERVICE)
    handlers.send_notifications(service=SERVICE)


@periodic(broker, SERVICE, every_seconds=MAIL_EVERY_SECONDS)
def send_complaint_mail():
    """Sends the mail queued by handlers and requests (after their commit)."""
    handlers.send_notifications(service=SERVICE)
