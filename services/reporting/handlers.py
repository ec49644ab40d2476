"""One function per event type or command: load, decide (domain), store, emit.

Event handlers keep the read model the report is computed from. Each first appends the
envelope to `event_log` (so `rebuild` can replay it), then applies it with `apply_<type>`,
an upsert by natural key: the same event applied twice, or events arriving out of order
(a completion before its scheduling, a commissioning before its shipment), leave the
same rows. Data is read leniently: fields other services add later are ignored, optional
ones are used when present.

Commands (`store_report`, `request_generation`, `finish_generation`, `request_send`,
`record_sent`, `record_send_failure`, `claim_scheduled_month`) run inside the caller's
unit of work and never commit. A command that needs the worker sends it its job with
`uow.send` in that unit of work: the message is stored in the outbox with the request and
handed to the broker after the commit (never before; a broker outage delays it, never loses it).
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from shared.calendar import WorkingCalendar, service_hours_between
from shared.events import Event, SATISFACTION
from shared.orgdata import load_org_data
from shared.service import UnitOfWork

from .domain.kpi import ReportData
from .domain.policy import Recipients, ReportPolicy, Schedule
from .models import (CANCELLED, DONE, GENERATE_ACTOR, OPEN, RUN_FAILED, RUN_PENDING, RUN_READY, SEND_ACTOR,
                     SEND_FAILED, SEND_QUEUED, SEND_SENDING, SEND_SENT, SERVED_COMMISSIONED, SERVED_ORDER,
                     SERVED_SHIPPED, UNREACHABLE, Callback, Complaint, Customer, Delivery, EventLog, Report, ReportRun,
                     ScheduledReport, ServedDay)

log = logging.getLogger(__name__)

SERVICE_NAME = "reporting"
#: The queue of the worker's jobs (SEND_ACTOR mails a report, GENERATE_ACTOR makes one; both
#: declared in actors.py, sent by name through the outbox).
JOBS_QUEUE = SERVICE_NAME
#: How long a claimed send (`sending`) is held by its worker: longer than any SMTP exchange
#: (connect and command timeouts included). A claim older than this was lost with its worker
#: (a crash mid-send): the stale-send sweep queues the send again and a worker may re-claim it.
SEND_LEASE = timedelta(minutes=15)


# --------------------------------------------------------------------------- policies


def report_policy(settings, organization: str) -> ReportPolicy:
    """Gives the organisation's report policy (data/report.yaml or its own copy)."""
    return ReportPolicy.from_data(load_org_data(settings, service=SERVICE_NAME, relative="report.yaml",
                                                organization=organization))


def schedule_of(settings, organization: str) -> Schedule:
    """Gives the organisation's report schedule (data/schedule.yaml or its own copy)."""
    return Schedule.from_data(load_org_data(settings, service=SERVICE_NAME, relative="schedule.yaml",
                                            organization=organization))


def recipients_of(settings, organization: str) -> Recipients:
    """Gives who the organisation's report goes to and may go to (data/recipients.yaml)."""
    return Recipients.from_data(load_org_data(settings, service=SERVICE_NAME, relative="recipients.yaml",
                                              organization=organization))


def managers_of(settings, organization: str) -> list[str]:
    """Gives the addresses the report goes to by default (data/recipients.yaml)."""
    return list(recipients_of(settings, organization).managers)


@lru_cache(maxsize=1)
def _working_calendar() -> WorkingCalendar:
    return WorkingCalendar()


# --------------------------------------------------------------------------- reading data


def _utc(value, tz) -> datetime | None:
    """Gives a naive UTC datetime from an aware datetime or ISO text (naive: local time)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            log.warning("ignored a datetime that is not ISO 8601: %r", value)
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def _local_date(value, tz) -> date | None:
    moment = _utc(value, tz)
    return moment.replace(tzinfo=timezone.utc).astimezone(tz).date() if moment else None


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _answer(value) -> str | None:
    return value if value in SATISFACTION else None


def _row(model, **key):
    """Gives the row with this natural key, or a new unsaved one carrying the key."""
    row = model.get_or_none(*[getattr(model, name) == value for name, value in key.items()])
    return row if row is not None else model(**key)


def _save_customer(organization: str, customer: dict | None) -> None:
    if not customer or not customer.get("id"):
        return
    row = _row(Customer, organization=organization, customer_id=customer["id"])
    for name in ("name", "phone", "segment"):
        if customer.get(name):
            setattr(row, name, customer[name])
    row.save()


def _serve(organization: str, kind: str, source_id: str, customer_id: str | None, served_on: date | None) -> None:
    if not customer_id or served_on is None:
        return
    row = _row(ServedDay, organization=organization, source_kind=kind, source_id=source_id)
    row.customer_id, row.served_on = customer_id, served_on
    row.save()


def log_event(event: Event, uow: UnitOfWork) -> None:
    """Appends the envelope to the event log (once per source and id)."""
    EventLog.insert(source=event.source, event_id=event.id, type=event.type, organization=event.organization,
                    envelope=json.dumps(event.raw, ensure_ascii=False, default=str),
                    received_at=uow.now.astimezone(timezone.utc).replace(tzinfo=None)).on_conflict_ignore().execute()


# --------------------------------------------------------------------------- callbacks


def apply_callback_scheduled(event: Event, uow: UnitOfWork) -> None:
    data, org = event.data, event.organization
    row = _row(Callback, organization=org, callback_id=data["callback_id"])
    row.kind, row.due_on, row.customer_id = data["kind"], data["due_on"], data["customer_id"]
    for name in ("delivery_id", "order_id", "complaint_id"):
        if data.get(name):
            setattr(row, name, data[name])
    if data.get("overdue_on"):
        row.overdue_on = _date(data["overdue_on"])
    if isinstance(data.get("key_customer"), bool):
        row.key_customer = data["key_customer"]
    wanted = data.get("status")
    if wanted == CANCELLED and row.status in (None, OPEN):
        row.status = CANCELLED
    elif row.status is None:
        row.status = OPEN
    _save_customer(org, data.get("customer"))
    row.save()


def apply_callback_completed(event: Event, uow: UnitOfWork) -> None:
    data, org = event.data, event.organization
    customer = data["customer"]
    _save_customer(org, customer)
    row = _row(Callback, organization=org, callback_id=data["callback_id"])
    row.kind, row.due_on, row.customer_id = data["kind"], data["due_on"], customer["id"]
    row.key_customer = bool(data.get("key_customer"))
    row.reached = bool(data["reached"])
    row.product_satisfaction = _answer(data.get("product_satisfaction"))
    row.service_satisfaction = _answer(data.get("service_satisfaction"))
    row.suggestions = (data.get("suggestions") or "").strip() or None
    row.dissatisfied_reason = (data.get("dissatisfied_reason") or "").strip() or None
    row.complaint_id = data.get("complaint_id") or row.complaint_id
    tz = uow.settings.tz
    row.recorded_at = _utc(data.get("recorded_at") or event.time or uow.now, tz)
    if row.status != CANCELLED:
        # An attempt that did not reach the customer leaves the task open for the next try.
        row.status = DONE if row.reached else (row.status or OPEN)
    row.save()


def apply_callback_unreachable(event: Event, uow: UnitOfWork) -> None:
    data, org = event.data, event.organization
    row = _row(Callback, organization=org, callback_id=data["callback_id"])
    row.customer_id = data["customer_id"]
    if data.get("kind"):
        row.kind = data["kind"]
    if data.get("due_on"):
        row.due_on = _date(data["due_on"])
    row.reached = False
    if row.status != CANCELLED:
        row.status = UNREACHABLE
    row.save()


def apply_delivery_cancelled(event: Event, uow: UnitOfWork) -> None:
    """Open callbacks of a cancelled delivery count nowhere (RULES 3)."""
    (Callback.update(status=CANCELLED)
     .where(Callback.organization == event.organization, Callback.delivery_id == event.data["delivery_id"],
            Callback.status == OPEN).execute())


# --------------------------------------------------------------------------- served


def apply_service_order_completed(event: Event, uow: UnitOfWork) -> None:
    data, org = event.data, event.organization
    _save_customer(org, data["customer"])
    _serve(org, SERVED_ORDER, data["order_id"], data["customer"]["id"], _local_date(data["completed_at"], uow.settings.tz))


def apply_delivery_shipped(event: Event, uow: UnitOfWork) -> None:
    data, org = event.data, event.organization
    _save_customer(org, data["customer"])
    delivery = _row(Delivery, organization=org, delivery_id=data["delivery_id"])
    delivery.customer_id, delivery.shipped_on = data["customer"]["id"], data["shipped_on"]
    delivery.save()
    _serve(org, SERVED_SHIPPED, delivery.delivery_id, delivery.customer_id, delivery.shipped_on)
    _serve(org, SERVED_COMMISSIONED, delivery.delivery_id, delivery.customer_id, delivery.commissioned_on)


def apply_equipment_commissioned(event: Event, uow: UnitOfWork) -> None:
    data, org = event.data, event.organization
    delivery = _row(Delivery, organization=org, delivery_id=data["delivery_id"])
    delivery.commissioned_on = data["commissioned_on"]
    delivery.save()
    _serve(org, SERVED_COMMISSIONED, delivery.delivery_id, delivery.customer_id, delivery.commissioned_on)


# --------------------------------------------------------------------------- customers


def apply_customer_updated(event: Event, uow: UnitOfWork) -> None:
    _save_customer(event.organization, event.data["customer"])


def apply_customer_flagged(event: Event, uow: UnitOfWork) -> None:
    row = _row(Customer, organization=event.organization, customer_id=event.data["customer_id"])
    row.flagged = True
    row.save()


# --------------------------------------------------------------------------- complaints

#: Optional deadline fields any complaint event may carry (the 2-1-1 deadlines and when met).
_DEADLINE_FIELDS = ("first_reply_due_at", "first_reply_at", "answer_due_at", "answered_at", "verify_due_at")


def _complaint(event: Event, uow: UnitOfWork) -> Complaint:
    data = event.data
    row = _row(Complaint, organization=event.organization, complaint_id=data["complaint_id"])
    tz = uow.settings.tz
    if data.get("customer_id") and not row.customer_id:
        row.customer_id = data["customer_id"]
    if data.get("raised_at") and row.raised_at is None:
        row.raised_at = _utc(data["raised_at"], tz)
        row.raised_on = _local_date(data["raised_at"], tz)
    for name in _DEADLINE_FIELDS:
        if data.get(name):
            setattr(row, name, _utc(data[name], tz))
    if data.get("churn_reason"):
        row.churn_reason = str(data["churn_reason"]).strip() or row.churn_reason
    if isinstance(data.get("level"), int):
        row.level = data["level"]
    return row


def apply_complaint_raised(event: Event, uow: UnitOfWork) -> None:
    data, org = event.data, event.organization
    _save_customer(org, data["customer"])
    row = _complaint(event, uow)
    row.customer_id = data["customer"]["id"]
    row.category = data.get("category")
    row.customer_class = data["customer"].get("segment")
    if row.raised_at is None:
        raised_at = data.get("raised_at") or event.time or uow.now
        row.raised_at = _utc(raised_at, uow.settings.tz)
        row.raised_on = _local_date(raised_at, uow.settings.tz)
    if row.level is None:
        row.level = 0
    row.save()


def apply_complaint_escalated(event: Event, uow: UnitOfWork) -> None:
    row = _complaint(event, uow)
    if isinstance(event.data.get("to_level"), int):
        row.level = event.data["to_level"]
    row.save()


def apply_complaint_resolved(event: Event, uow: UnitOfWork) -> None:
    data, tz = event.data, uow.settings.tz
    row = _complaint(event, uow)
    row.state = "resolved"
    row.resolved_level = data.get("level", row.level)
    row.resolved_level_role = data.get("level_role")
    row.resolved_at = _utc(data.get("resolved_at") or event.time or uow.now, tz)
    hours = data.get("service_hours_to_resolve")
    if isinstance(hours, (int, float)):
        row.service_hours_to_resolve = float(hours)
    elif row.raised_at is not None and row.resolved_at is not None:
        policy = report_policy(uow.settings, event.organization)
        row.service_hours_to_resolve = round(service_hours_between(
            row.raised_at.replace(tzinfo=timezone.utc).astimezone(tz),
            row.resolved_at.replace(tzinfo=timezone.utc).astimezone(tz),
            calendar=_working_calendar(), service_hours=policy.service_hours), 2)
    row.save()


def apply_complaint_closed(event: Event, uow: UnitOfWork) -> None:
    row = _complaint(event, uow)
    row.state = "closed"
    row.closed_at = _utc(event.data.get("closed_at") or event.time or uow.now, uow.settings.tz)
    row.save()


def apply_complaint_reopened(event: Event, uow: UnitOfWork) -> None:
    row = _complaint(event, uow)
    row.state = "open"
    row.reopened_count = (row.reopened_count or 0) + 1
    row.save()


#: What each event type does to the read model (rebuild replays these).
APPLY = {
    "callback.scheduled": apply_callback_scheduled,
    "callback.completed": apply_callback_completed,
    "callback.unreachable": apply_callback_unreachable,
    "delivery.cancelled": apply_delivery_cancelled,
    "service_order.completed": apply_service_order_completed,
    "delivery.shipped": apply_delivery_shipped,
    "equipment.commissioned": apply_equipment_commissioned,
    "customer.updated": apply_customer_updated,
    "customer.flagged": apply_customer_flagged,
    "complaint.raised": apply_complaint_raised,
    "complaint.escalated": apply_complaint_escalated,
    "complaint.resolved": apply_complaint_resolved,
    "complaint.closed": apply_complaint_closed,
    "complaint.reopened": apply_complaint_reopened,
}


def _logged(apply):
    def handle(event: Event, uow: UnitOfWork) -> None:
        log_event(event, uow)
        apply(event, uow)

    handle.__name__ = apply.__name__.replace("apply_", "on_")
    return handle


HANDLERS = {event_type: _logged(apply) for event_type, apply in APPLY.items()}


# --------------------------------------------------------------------------- commands


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _headline(report: ReportData) -> dict:
    return {name: figure.as_dict() for name, figure in report.figures.items()}


def store_report(uow: UnitOfWork, report: ReportData, pdf: bytes) -> Report:
    """Gives the month's report row, created or replaced; emits `report.generated`.

    Replacing keeps the delivery record: a month re-run is not sent again unless asked.
    """
    row = _row(Report, organization=report.organization, month=report.month)
    row.language, row.figures, row.pdf = report.language, report.as_dict(), pdf
    row.generated_at = _naive_utc(uow.now)
    row.save()
    uow.emit("report.generated", {"month": report.month, "language": report.language,
                                  "generated_at": report.generated_at, "figures": _headline(report)},
             organization=report.organization)
    return row


def add_job(uow: UnitOfWork, actor_name: str, organization: str, month: str, request: str) -> None:
    """Sends the worker a job (SEND_ACTOR or GENERATE_ACTOR) with the caller's unit of work:
    stored in its outbox, handed to the broker after its commit."""
    uow.send(actor_name, organization, month, request, queue_name=JOBS_QUEUE)


def request_generation(uow: UnitOfWork, organization: str, month: str, language: str, *,
                       send_to: list[str] | None = None) -> ReportRun:
    """Gives the month's run, pending under a new request id (an older pending request is superseded),
    with its job for the worker.

    `send_to`: mail the report to these addresses once made (POST .../send for a month with no
    report). A send still waiting in a superseded pending run is carried over to the new one.
    """
    run = _row(ReportRun, organization=organization, month=month)
    if send_to is not None:
        run.send_request, run.send_to = uuid.uuid4().hex, list(send_to)
    elif run.status != RUN_PENDING:
        run.send_request, run.send_to = None, None
    run.language, run.request, run.status = language, uuid.uuid4().hex, RUN_PENDING
    run.requested_at, run.finished_at, run.error = _naive_utc(uow.now), None, None
    run.save()
    add_job(uow, GENERATE_ACTOR, organization, month, run.request)
    return run


def finish_generation(uow: UnitOfWork, organization: str, month: str, request: str, *,
                      error: str | None = None) -> None:
    """Marks the run of `request` ready (or failed with `error`); a superseded request changes nothing."""
    (ReportRun.update(status=RUN_FAILED if error else RUN_READY, finished_at=_naive_utc(uow.now),
                      error=error[:1000] if error else None)
     .where((ReportRun.organization == organization) & (ReportRun.month == month) & (ReportRun.request == request))
     .execute())


def request_send(uow: UnitOfWork, row: Report, to: list[str], *, request: str | None = None) -> str:
    """Gives the id of a new send request of the report to `to` (or `request`, given by the run
    that asked for it), with its job; the send actor carries it out."""
    request = request or uuid.uuid4().hex
    row.send_status, row.send_request, row.send_to, row.send_error = SEND_QUEUED, request, list(to), None
    row.send_requested_at, row.claimed_at = _naive_utc(uow.now), None
    # only these columns: the row may be older than a worker's write of the previous send
    row.save(only=[Report.send_status, Report.send_request, Report.send_to, Report.send_error,
                   Report.send_requested_at, Report.claimed_at])
    add_job(uow, SEND_ACTOR, row.organization, row.month, request)
    return request


def _claimable(now: datetime):
    """A send nobody holds: queued, failed (a retry), or `sending` whose lease expired."""
    return (Report.send_status.in_([SEND_QUEUED, SEND_FAILED])
            | ((Report.send_status == SEND_SENDING) & (Report.claimed_at < _naive_utc(now) - SEND_LEASE)))


def claim_send(uow: UnitOfWork, row: Report, request: str) -> bool:
    """Gives True to exactly one caller per attempt at `request`: a compare-and-set from a
    claimable state to `sending`, to be committed before the mail server is spoken to."""
    claimed_at = _naive_utc(uow.now)
    updated = (Report.update(send_status=SEND_SENDING, claimed_at=claimed_at)
               .where((Report.id == row.id) & (Report.send_request == request) & _claimable(uow.now))
               .execute())
    if updated == 1:
        row.send_status, row.claimed_at = SEND_SENDING, claimed_at
    return updated == 1


def _held(row: Report, request: str):
    return (Report.id == row.id) & (Report.send_request == request) & (Report.send_status == SEND_SENDING)


def record_sent(uow: UnitOfWork, row: Report, request: str, where: str) -> None:
    """Marks the claimed request sent and emits `report.sent` (the mail went out, so the event
    goes out even if a newer request replaced this one meanwhile: that one stays queued)."""
    sent_at = _naive_utc(uow.now)
    updated = (Report.update(send_status=SEND_SENT, sent_request=request, send_error=None, sent_at=sent_at,
                             claimed_at=None, send_attempts=Report.send_attempts + 1)
               .where(_held(row, request)).execute())
    if not updated:
        Report.update(sent_request=request, sent_at=sent_at).where(Report.id == row.id).execute()
    uow.emit("report.sent", {"month": row.month, "language": row.language, "to": row.send_to,
                             "message": where, "sent_at": uow.now.isoformat()}, organization=row.organization)


def record_send_failure(uow: UnitOfWork, row: Report, error: str, *, request: str | None = None) -> None:
    """Marks the request failed (claimable again by the actor's retry)."""
    where = _held(row, request) if request else (Report.id == row.id)
    (Report.update(send_status=SEND_FAILED, send_error=error[:1000], claimed_at=None,
                   send_attempts=Report.send_attempts + 1).where(where).execute())


def claim_scheduled_month(uow: UnitOfWork, organization: str, month: str) -> bool:
    """Gives True to exactly one caller per (organisation, month): the schedule fires once."""
    query = ScheduledReport.insert(organization=organization, month=month,
                                   claimed_at=_naive_utc(uow.now)).on_conflict_ignore()
    return ScheduledReport._meta.database.execute(query).rowcount == 1


# --------------------------------------------------------------------------- report runs
# These open their own units of work: the figures and the PDF are made before the
# transaction starts, so no write lock is held while WeasyPrint lays out pages.


def compute_report(service, organization: str, month: str, language: str) -> ReportData:
    """Gives the month's report as the read model stands now (nothing stored)."""
    from .figures import build_report_data

    settings = service.settings
    with service.connection():
        return build_report_data(organization, month, language=language,
                                 policy=report_policy(settings, organization), now=service.clock(), tz=settings.tz)


def render_pdf(service, report: ReportData, language: str) -> bytes:
    """Gives the report's PDF, each list cut to the organisation's `pdf_listing_limit`."""
    from .render import render_report_pdf

    policy = report_policy(service.settings, report.organization)
    return render_report_pdf(report, language, listing_limit=policy.pdf_listing_limit)


def generate_report(service, organization: str, month: str, language: str, *, send_to: list[str] | None = None,
                    send_request: str | None = None, only_once: bool = False,
                    run_request: str | None = None) -> tuple[Report | None, str | None]:
    """Gives (report row, send request id or None) after making and storing the month's report.

    Parameters:
      send_to: also queue a send to these addresses in the same transaction (with its job).
      send_request: the id of that send, when asked for earlier (POST .../send with no report).
      only_once: the schedule's run: store nothing unless this call claims (organisation, month).
      run_request: the POST's run this call carries out: marked ready in the same transaction.
    """
    report = compute_report(service, organization, month, language)
    pdf = render_pdf(service, report, language)
    with service.connection(), service.unit_of_work() as uow:
        if only_once and not claim_scheduled_month(uow, organization, month):
            return None, None
        row = store_report(uow, report, pdf)
        request = request_send(uow, row, send_to, request=send_request) if send_to is not None else None
        if run_request is not None:
            finish_generation(uow, organization, month, run_request)
    log.info("report %s %s of %s generated (%d bytes)", month, language, organization, len(pdf))
    return row, request


def run_generation(service, organization: str, month: str, request: str) -> str:
    """Gives "ready" or "skipped" after carrying out one POST /api/v1/reports run.

    A run already ready, or superseded by a newer POST, is skipped. An error marks the run
    failed and is raised again (the actor retries; a retry that succeeds marks it ready).
    """
    with service.connection():
        run = ReportRun.get_or_none(ReportRun.organization == organization, ReportRun.month == month)
    if run is None or run.request != request or run.status == RUN_READY:
        log.info("report run %s of %s %s: nothing to do", request, month, organization)
        return "skipped"
    try:
        generate_report(service, organization, month, run.language, run_request=request,
                        send_to=run.send_to if run.send_request else None, send_request=run.send_request)
    except Exception as exc:
        with service.connection(), service.unit_of_work() as uow:
            finish_generation(uow, organization, month, request, error=f"{type(exc).__name__}: {exc}")
        raise
    return "ready"


def stale_generations(service, *, older_than_seconds: float) -> list[tuple[str, str, str]]:
    """Gives (organisation, month, request) of runs pending long after they were asked for
    (the broker was down when POSTed, or the worker died): the schedule queues them again."""
    before = _naive_utc(service.clock()) - timedelta(seconds=older_than_seconds)
    with service.connection():
        return list(ReportRun.select(ReportRun.organization, ReportRun.month, ReportRun.request)
                    .where((ReportRun.status == RUN_PENDING) & (ReportRun.requested_at < before)).tuples())


class SendFailed(Exception):
    """The mail server refused or could not be reached; the send actor retries."""


def report_message_id(request: str, sender: str) -> str:
    """Gives the Message-ID of the mail of one send request: the same for every attempt at it,
    so a mail sent again after a crash (sent, but not recorded) is recognisable as the same."""
    domain = sender.rpartition("@")[2].strip(" >") or "huifang.invalid"
    return f"<report-{request}@{domain}>"


def send_report(service, organization: str, month: str, request: str) -> str:
    """Gives "sent", "skipped" or "failed" after mailing the month's PDF for one send request.

    The send is claimed (`sending`, committed) before the mail server is spoken to: of two
    messages for the same request (a retry, the stale-send sweep), one sends, the other skips.

    Raises:
      SendFailed: the mail could not be sent this time (the actor retries it).
    """
    from shared.mail import MailError, build_message, send_message

    from .domain.policy import report_filename
    from .render import LABELS

    settings = service.settings
    with service.connection():
        row = Report.get_or_none(Report.organization == organization, Report.month == month)
        if row is None or row.send_request != request or row.sent_request == request:
            log.info("send %s of report %s %s: nothing to do", request, month, organization)
            return "skipped"
        with service.unit_of_work() as uow:
            claimed = claim_send(uow, row, request)
        if not claimed:
            log.info("send %s of report %s %s is held by another worker or done; skipped", request, month,
                     organization)
            return "skipped"
        if not row.send_to:
            with service.unit_of_work() as uow:
                record_send_failure(uow, row, "no recipients: list the managers in reporting/recipients.yaml "
                                              "or post {\"to\": [...]}", request=request)
            return "failed"
        title = LABELS.get(row.language, LABELS["zh-CN"])["title"]
        message = build_message(
            sender=settings.mail_from, to=row.send_to, subject=f"{title} {month}",
            body_text=f"{title} {month}: {organization}\n",
            attachments=[(report_filename(month, row.language), bytes(row.pdf), "application/pdf")])
        del message["Message-ID"]
        message["Message-ID"] = report_message_id(request, settings.mail_from)
        try:
            where = send_message(message, smtp_url=settings.smtp_url, outbox_dir=settings.var_dir / "outbox")
        except MailError as exc:
            with service.unit_of_work() as uow:
                record_send_failure(uow, row, str(exc), request=request)
            raise SendFailed(str(exc)) from None
        with service.unit_of_work() as uow:
            record_sent(uow, row, request, where)
    log.info("report %s of %s sent to %s (%s)", month, organization, row.send_to, where)
    return "sent"


def organizations(service) -> list[str]:
    """Gives the organisations this service has heard of."""
    with service.connection():
        return [org for (org,) in EventLog.select(EventLog.organization).distinct().tuples()]


def run_schedule(service) -> list[tuple[str, str, str]]:
    """Gives (organisation, month, send request) for each report the schedule made just now.

    Each organisation's report is made once per month however many workers run this.
    """
    settings = service.settings
    made = []
    for organization in organizations(service):
        schedule = schedule_of(settings, organization)
        month = schedule.month_due(service.clock().astimezone(settings.tz).replace(tzinfo=None))
        if month is None:
            continue
        with service.connection():
            if ScheduledReport.get_or_none(ScheduledReport.organization == organization,
                                           ScheduledReport.month == month):
                continue
        row, request = generate_report(service, organization, month, schedule.language,
                                       send_to=managers_of(settings, organization), only_once=True)
        if row is not None:
            made.append((organization, month, request))
    return made


def requeue_stale(service, *, send_after_seconds: float,
                  generate_after_seconds: float) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Gives (sends, runs) queued again: the safety net for a job lost on the way or a worker
    that died (`stale_sends`, `stale_generations`). Their jobs go through the outbox in one
    unit of work; one still waiting there unsent (the broker is down) is not queued twice."""
    sends = stale_sends(service, older_than_seconds=send_after_seconds)
    runs = stale_generations(service, older_than_seconds=generate_after_seconds)
    if not sends and not runs:
        return [], []
    Message = service.OutboxMessage
    with service.connection(), service.unit_of_work() as uow:
        waiting = {(actor, tuple(json.loads(args))) for actor, args in
                   Message.select(Message.actor_name, Message.args)
                   .where(Message.sent_at.is_null(), Message.actor_name.in_([SEND_ACTOR, GENERATE_ACTOR])).tuples()}
        sends = [job for job in sends if (SEND_ACTOR, job) not in waiting]
        runs = [job for job in runs if (GENERATE_ACTOR, job) not in waiting]
        for job in sends:
            add_job(uow, SEND_ACTOR, *job)
        for job in runs:
            add_job(uow, GENERATE_ACTOR, *job)
    return sends, runs


def stale_sends(service, *, older_than_seconds: float) -> list[tuple[str, str, str]]:
    """Gives (organisation, month, request) of sends never carried out: still `queued` long
    after they were asked for (the job was lost on the way), or `sending` whose claim's lease
    expired (the worker died mid-send): the schedule queues them again. A send held by a live
    worker, or failed (the actor retries it), is left alone."""
    now = service.clock()
    before = _naive_utc(now) - timedelta(seconds=older_than_seconds)
    with service.connection():
        rows = (Report.select(Report.organization, Report.month, Report.send_request)
                .where(((Report.send_status == SEND_QUEUED) & (Report.send_requested_at < before))
                       | ((Report.send_status == SEND_SENDING) & (Report.claimed_at < _naive_utc(now) - SEND_LEASE)))
                .tuples())
        return list(rows)
