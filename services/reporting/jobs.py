"""The worker's background and periodic work: making reports, the monthly schedule, the safety net.

Making a report takes two steps around the slow work: the figures are aggregated (a read, no
transaction) and the PDF laid out before a unit of work opens, then `store_report` stores it
in one (so no write lock is held while WeasyPrint lays out pages). The entry points here
(`generate_report`, `run_generation`, `run_schedule`, taking the service) sequence those steps;
the rest are handlers of the usual form, run by actors.py with `SERVICE.run`.
"""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import timedelta

from shared.core.errors import HuifangError
from shared.core.events import load_event
from shared.mesh.periodic import for_each_organization
from shared.mesh.service import UnitOfWork

from .figures import desk, ownership, tickets
from .domain.desk import parse_period
from .domain.report import ReportData
from .domain.kpi import month_bounds
from .domain.summary import months_of, parse_summary_period
from .figures.findings import findings as period_findings
from .figures.month import build_report_data
from .handlers import APPLY, finish_generation, run_to_make, store_report
from .handlers.rows import REPLAYING, as_utc
from .models import (GENERATE_ACTOR, READ_MODEL, RUN_PENDING, SEND_ACTOR, SEND_QUEUED, SEND_SENDING, EventLog, Report,
                     ReportRun, ScheduledReport)
from .notify import SEND_LEASE
from .render import render_report_pdf
from .rules import desk_policy, recipients_of, report_policy, schedule_of

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- making a report


def compute_report(service, organization: str, month: str, language: str, branch: str | None = None) -> ReportData:
    """Gives the month's report (of the organisation, or one `branch` of it) as the read model
    stands now (nothing stored)."""
    settings = service.settings
    now = service.clock()
    policy = report_policy(settings, organization)
    with service.connection():
        report = build_report_data(organization, month, language=language,
                                   policy=policy, now=now, tz=settings.tz, branch=branch)
        found = period_findings(organization, *month_bounds(month), limit=policy.listing_limit, tz=settings.tz,
                                branch=branch)
        return replace(report, findings=found, **month_blocks(service, organization, month,
                                                              today=now.astimezone(settings.tz).date(), branch=branch))


def compute_summary(service, organization: str, period: str) -> dict:
    """Gives the findings of a quarter (``2026-Q4``) or a year (``2026``) of the organisation, summed as a
    month's (seed 003: 年度、季度和月度), with the period's days and months.

    Raises:
      KpiError: the text names neither a quarter nor a year.
    """
    named = parse_summary_period(period)
    settings = service.settings
    policy = report_policy(settings, organization)
    with service.connection():
        found = period_findings(organization, named.first, named.last, limit=policy.listing_limit, tz=settings.tz)
    return {"organization": organization, "period": named.name, "kind": named.kind, "first": named.first.isoformat(),
            "last": named.last.isoformat(), "months": months_of(named), "findings": found}


def month_blocks(service, organization: str, month: str, *, today, branch: str | None = None) -> dict:
    """Gives the report's ownership and desk blocks (ReportData `closures`, `corrective_actions`, `desk`):
    the closures and the register of corrective actions (figures/ownership.py), and the desk's people
    against their targets with the declined callbacks counted apart (figures/desk.py). Inside a connection.
    One `branch`'s report gets its desk figures; the register and the closures are the organisation's
    and stay in its report."""
    people = desk.period_figures(organization, parse_period(month), desk_policy(service.settings, organization),
                                 branch=branch)
    desk_block = {**desk.desk_figures(organization, month, branch), "agents": people["agents"],
                  "advisors": people["advisors"]}
    if branch is not None:
        return {"desk": desk_block}
    return {
        "closures": ownership.month_closures(organization, month),
        "corrective_actions": ownership.month_corrective_actions(organization, month, today=today),
        # leads have no branch: the organisation's report counts those raised and won in the month
        # tickets have no branch either: the hotline desk's tickets (seed 001), never complaints
        "desk": {**desk_block, "leads": desk.month_leads(organization, month),
                 "tickets": tickets.month_tickets(organization, month)},
    }


def render_pdf(service, report: ReportData, language: str) -> bytes:
    """Gives the report's PDF, each list cut to the organisation's `pdf_listing_limit`."""
    policy = report_policy(service.settings, report.organization)
    return render_report_pdf(report, language, listing_limit=policy.pdf_listing_limit)


def generate_report(service, organization: str, month: str, language: str, *, send_to: list[str] | None = None,
                    send_request: str | None = None, only_once: bool = False,
                    run_request: str | None = None) -> tuple[Report | None, str | None]:
    """Gives (report row, send request id or None) after making and storing the month's report
    (the parameters are those of `handlers.store_report`)."""
    report = compute_report(service, organization, month, language)
    pdf = render_pdf(service, report, language)
    row, request = service.run(store_report, report=report, pdf=pdf, send_to=send_to, send_request=send_request,
                               only_once=only_once, run_request=run_request)
    if row is not None:
        log.info("report %s %s of %s generated (%d bytes)", month, language, organization, len(pdf))
    return row, request


def run_generation(service, organization: str, month: str, request: str) -> str:
    """Gives "ready" or "skipped" after carrying out one POST /api/v1/reports run.

    A run already ready, or superseded by a newer POST, is skipped. An error marks the run
    failed and is raised again (the actor retries; a retry that succeeds marks it ready).
    """
    run = service.run(run_to_make, organization=organization, month=month, request=request)
    if run is None:
        return "skipped"
    try:
        generate_report(service, organization, month, run.language, run_request=request,
                        send_to=run.send_to if run.send_request else None, send_request=run.send_request)
    except Exception as exc:
        service.run(finish_generation, organization=organization, month=month, request=request,
                    error=f"{type(exc).__name__}: {exc}")
        raise
    return "ready"


# --------------------------------------------------------------------------- the schedule


def organizations(*, uow: UnitOfWork) -> list[str]:
    """Gives the organisations this service has heard of (their events are in the log)."""
    return sorted(org for (org,) in EventLog.select(EventLog.organization).distinct().tuples())


def due_report(*, uow: UnitOfWork, organization: str) -> tuple[str, str, list[str]] | None:
    """Gives (month, language, managers) of the report the organisation's schedule says is due
    now and that was not made for it yet, or None."""
    settings = uow.settings
    schedule = schedule_of(settings, organization)
    month = schedule.month_due(uow.now.astimezone(settings.tz).replace(tzinfo=None))
    if month is None or ScheduledReport.get_or_none(ScheduledReport.organization == organization,
                                                    ScheduledReport.month == month):
        return None
    return month, schedule.language, list(recipients_of(settings, organization, users=uow.users).managers)


def run_schedule(service) -> list[tuple[str, str, str]]:
    """Gives (organisation, month, send request) for each report the schedule made just now.

    Each organisation's report is made once per month however many workers run this. One
    organisation's bad schedule file or failing render is logged with the organisation and
    the others go on; its report is tried again at the next check.
    """
    made = []
    due = for_each_organization(service, due_report, service.run(organizations))
    for organization, report in due.items():
        if report is None:
            continue
        month, language, managers = report
        try:
            row, request = generate_report(service, organization, month, language, send_to=managers, only_once=True)
        except Exception as exc:  # noqa: BLE001 - one organisation must not stop the others
            log.error("scheduled report %s of %s failed, the other organisations go on: %s: %s", month,
                      organization, type(exc).__name__, exc, exc_info=not isinstance(exc, HuifangError))
            continue
        if row is not None:
            made.append((organization, month, request))
    return made


# --------------------------------------------------------------------------- the safety net


def stale_sends(*, uow: UnitOfWork, older_than_seconds: float) -> list[tuple[str, str, str]]:
    """Gives (organisation, month, request) of sends never carried out: still `queued` long
    after they were asked for (the job was lost on the way), or `sending` whose claim's lease
    expired (the worker died mid-send). A send held by a live worker, or failed (the actor
    retries it), is left alone."""
    before = as_utc(uow.now) - timedelta(seconds=older_than_seconds)
    return list(Report.select(Report.organization, Report.month, Report.send_request)
                .where(((Report.send_status == SEND_QUEUED) & (Report.send_requested_at < before))
                       | ((Report.send_status == SEND_SENDING) & SEND_LEASE.free(uow.now)))
                .tuples())


def stale_generations(*, uow: UnitOfWork, older_than_seconds: float) -> list[tuple[str, str, str]]:
    """Gives (organisation, month, request) of runs pending long after they were asked for
    (the broker was down when POSTed, or the worker died)."""
    before = as_utc(uow.now) - timedelta(seconds=older_than_seconds)
    return list(ReportRun.select(ReportRun.organization, ReportRun.month, ReportRun.request)
                .where((ReportRun.status == RUN_PENDING) & (ReportRun.requested_at < before)).tuples())


def requeue_stale(*, uow: UnitOfWork, send_after_seconds: float,
                  generate_after_seconds: float) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Gives (sends, runs) queued again: the safety net for a job lost on the way or a worker
    that died (`stale_sends`, `stale_generations`). A job still waiting unsent in the outbox
    (the broker is down) is not queued twice."""
    sends = stale_sends(uow=uow, older_than_seconds=send_after_seconds)
    runs = stale_generations(uow=uow, older_than_seconds=generate_after_seconds)
    if not sends and not runs:
        return [], []
    Message = uow.service.OutboxMessage
    waiting = {(actor, tuple(json.loads(args))) for actor, args in
               Message.select(Message.actor_name, Message.args)
               .where(Message.sent_at.is_null(), Message.actor_name.in_([SEND_ACTOR, GENERATE_ACTOR])).tuples()}
    sends = [job for job in sends if (SEND_ACTOR, job) not in waiting]
    runs = [job for job in runs if (GENERATE_ACTOR, job) not in waiting]
    for job in sends:
        uow.send(SEND_ACTOR, *job)
    for job in runs:
        uow.send(GENERATE_ACTOR, *job)
    return sends, runs


# --------------------------------------------------------------------------- rebuilding the read model

#: Log rows read from the database at a time by a rebuild.
REBUILD_BATCH = 2000


def rebuild(service) -> int:
    """Gives the number of events replayed into an emptied read model (`make rebuild-reporting`).

    Every event this service received is kept raw in `event_log`. A rebuild empties the read
    model (customers, callbacks, deliveries, served days, complaints) and applies the logged
    events again in arrival order, in one transaction: readers see the old model or the new
    one, never half of it. Reports already made and the schedule's claims are kept.
    """
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
                        .where(EventLog.id > last_id).order_by(EventLog.id).limit(REBUILD_BATCH).tuples())
            if not rows:
                break
            for row_id, raw, received_at in rows:
                event = load_event(json.loads(raw))
                # The clock of the first handling, so fallbacks to "now" give the same rows.
                uow.now = received_at
                APPLY[event.type](uow=uow, event=event)
                last_id = row_id
                replayed += 1
        if uow.emitted:
            raise RuntimeError("a read-model handler emitted events during a rebuild; it must not")
    return replayed
