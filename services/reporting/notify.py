"""Mailing the month's report: the PDF to the addresses of one send request, at least once and
not twice for the same request, under a lease on the report row (shared.core.lease).

`send_report` (the send actor's work, taking the service) claims the send in one unit of
work, committed before the mail server is spoken to; mails it with the service's mailer; and
records the outcome in another. Of two messages for the same request (a retry, the stale-send
sweep), one sends, the other skips; a worker that dies mid-send leaves a lease that runs out,
and the sweep (jobs.requeue_stale) queues the send again.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from email.message import EmailMessage

from shared.core.lease import Lease
from shared.core.mail import MailError, build_message
from shared.mesh.service import UnitOfWork

from .domain.policy import report_filename
from .errors import SendFailed
from .handlers.rows import as_utc
from .labels import LABELS
from .models import SEND_FAILED, SEND_QUEUED, SEND_SENDING, SEND_SENT, Report

log = logging.getLogger(__name__)

#: How long a claimed send (`sending`) is held by its worker: longer than any SMTP exchange
#: (connect and command timeouts included). A claim older than this was lost with its worker
#: (a crash mid-send): the stale-send sweep queues the send again and a worker may re-claim it.
SEND_LEASE = Lease(Report.claimed_at, timedelta(minutes=15))


def _request(row: Report, request: str):
    return (Report.id == row.id) & (Report.send_request == request)


def claim_send(*, uow: UnitOfWork, organization: str, month: str, request: str) -> Report | None:
    """Gives the month's report, now `sending` under this caller's lease, for one attempt at
    `request`; None when there is nothing to send or another worker holds it."""
    row = Report.get_or_none(Report.organization == organization, Report.month == month)
    if row is None or row.send_request != request or row.sent_request == request:
        log.info("send %s of report %s %s: nothing to do", request, month, organization)
        return None
    claimable = _request(row, request) & Report.send_status.in_([SEND_QUEUED, SEND_FAILED, SEND_SENDING])
    if not SEND_LEASE.claim(claimable, now=uow.now, send_status=SEND_SENDING):
        log.info("send %s of report %s %s is held by another worker or done; skipped", request, month, organization)
        return None
    row.send_status, row.claimed_at = SEND_SENDING, as_utc(uow.now)
    return row


def _held(row: Report, request: str):
    return SEND_LEASE.held(_request(row, request) & (Report.send_status == SEND_SENDING), since=row.claimed_at)


def record_sent(*, uow: UnitOfWork, row: Report, request: str, where: str) -> None:
    """Marks the claimed request sent and emits `report.sent` (the mail went out, so the event
    goes out even if a newer request replaced this one meanwhile: that one stays queued)."""
    sent_at = as_utc(uow.now)
    updated = (Report.update(send_status=SEND_SENT, sent_request=request, send_error=None, sent_at=sent_at,
                             claimed_at=None, send_attempts=Report.send_attempts + 1)
               .where(_held(row, request)).execute())
    if not updated:
        Report.update(sent_request=request, sent_at=sent_at).where(Report.id == row.id).execute()
    uow.emit("report.sent", {"month": row.month, "language": row.language, "to": row.send_to,
                             "message": where, "sent_at": uow.now.isoformat()}, organization=row.organization)


def record_send_failure(*, uow: UnitOfWork, row: Report, request: str, error: str) -> None:
    """Marks the claimed request failed and gives its lease back (the actor's retry claims it again)."""
    SEND_LEASE.give_back(_held(row, request), send_status=SEND_FAILED, send_error=error[:1000],
                         send_attempts=Report.send_attempts + 1)


def report_message_id(request: str, sender: str) -> str:
    """Gives the Message-ID of the mail of one send request: the same for every attempt at it,
    so a mail sent again after a crash (sent, but not recorded) is recognisable as the same."""
    domain = sender.rpartition("@")[2].strip(" >") or "huifang.invalid"
    return f"<report-{request}@{domain}>"


def report_mail(settings, row: Report, request: str) -> EmailMessage:
    """Gives the mail of one send request: the month's PDF, named as the report is, to `send_to`."""
    title = LABELS.get(row.language, LABELS["zh-CN"])["title"]
    message = build_message(
        sender=settings.mail_from, to=row.send_to, subject=f"{title} {row.month}",
        body_text=f"{title} {row.month}: {row.organization}\n",
        attachments=[(report_filename(row.month, row.language), bytes(row.pdf), "application/pdf")])
    del message["Message-ID"]
    message["Message-ID"] = report_message_id(request, settings.mail_from)
    return message


def send_report(service, organization: str, month: str, request: str) -> str:
    """Gives "sent", "skipped" or "failed" after mailing the month's PDF for one send request.

    Raises:
      SendFailed: the mail could not be sent this time (the actor retries it).
    """
    row = service.run(claim_send, organization=organization, month=month, request=request)
    if row is None:
        return "skipped"
    if not row.send_to:
        service.run(record_send_failure, row=row, request=request,
                    error="no recipients: give the organisation's managers an e-mail (make user ROLE=manager "
                          "EMAIL=...), or list them in reporting/recipients.yaml, or post {\"to\": [...]}")
        return "failed"
    try:
        where = service.mailer.send(report_mail(service.settings, row, request))
    except MailError as exc:
        service.run(record_send_failure, row=row, request=request, error=str(exc))
        raise SendFailed(str(exc)) from None
    service.run(record_sent, row=row, request=request, where=where)
    log.info("report %s of %s sent to %s (%s)", month, organization, row.send_to, where)
    return "sent"
