"""The report's commands: ask for a month's report, store it when made, ask for it to be mailed.

A command that needs the worker sends it its job with `uow.send` in the caller's unit of work:
the message is stored in the outbox with the request and handed to the broker after the commit
(never before; a broker outage delays it, never loses it). Making the report (figures, PDF)
and mailing it happen outside any unit of work: jobs.py and notify.py sequence them.
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from shared.mesh.ratelimit import refuse_over_limit
from shared.mesh.service import UnitOfWork

from ..domain.report import ReportData
from ..models import (GENERATE_ACTOR, MAKE_FIGURES_ACTOR, RUN_FAILED, RUN_PENDING, RUN_READY, SEND_ACTOR,
                      SEND_QUEUED, MadeFigures, Report, ReportRun, ScheduledReport)
from .rows import as_utc, by_key

log = logging.getLogger(__name__)


def request_generation(*, uow: UnitOfWork, organization: str, month: str, language: str,
                       send_to: list[str] | None = None, who=None) -> ReportRun:
    """Gives the month's run, pending under a new request id (an older pending request is superseded),
    with its job for the worker.

    `send_to`: mail the report to these addresses once made (POST .../send for a month with no
    report). A send still waiting in a superseded pending run is carried over to the new one.
    `who`: the person asking (the API's caller or the page's), counted against their limit of heavy
    requests (HUIFANG_RATE_HEAVY_PER_MINUTE; 429 past it); None: the worker's own schedule.
    """
    if who is not None:
        _heavy(uow, who, organization)
    run = by_key(ReportRun, organization=organization, month=month)
    if send_to is not None:
        run.send_request, run.send_to = uuid.uuid4().hex, list(send_to)
    elif run.status != RUN_PENDING:
        run.send_request, run.send_to = None, None
    run.language, run.request, run.status = language, uuid.uuid4().hex, RUN_PENDING
    run.requested_at, run.finished_at, run.error = as_utc(uow.now), None, None
    run.save()
    uow.send(GENERATE_ACTOR, organization, month, run.request)
    return run


def run_to_make(*, uow: UnitOfWork, organization: str, month: str, request: str) -> ReportRun | None:
    """Gives the run of `request` when it is still to be made; None when it is ready already or
    was superseded by a newer POST (a late or repeated message)."""
    run = ReportRun.get_or_none(ReportRun.organization == organization, ReportRun.month == month)
    if run is None or run.request != request or run.status == RUN_READY:
        log.info("report run %s of %s %s: nothing to do", request, month, organization)
        return None
    return run


def finish_generation(*, uow: UnitOfWork, organization: str, month: str, request: str,
                      error: str | None = None) -> None:
    """Marks the run of `request` ready (or failed with `error`); a superseded request changes nothing."""
    (ReportRun.update(status=RUN_FAILED if error else RUN_READY, finished_at=as_utc(uow.now),
                      error=error[:1000] if error else None)
     .where((ReportRun.organization == organization) & (ReportRun.month == month) & (ReportRun.request == request))
     .execute())


def _claim_scheduled_month(uow: UnitOfWork, organization: str, month: str) -> bool:
    # True for exactly one caller per (organisation, month): the schedule fires once.
    query = ScheduledReport.insert(organization=organization, month=month,
                                   claimed_at=as_utc(uow.now)).on_conflict_ignore()
    return ScheduledReport._meta.database.execute(query).rowcount == 1


def store_report(*, uow: UnitOfWork, report: ReportData, pdf: bytes, send_to: list[str] | None = None,
                 send_request: str | None = None, only_once: bool = False,
                 run_request: str | None = None) -> tuple[Report | None, str | None]:
    """Gives (report row, send request id or None) after storing the month's report, created or
    replaced, and emitting `report.generated`.

    Replacing keeps the delivery record: a month made again is not mailed again unless asked.

    Parameters:
      send_to: also queue a send to these addresses (with its job).
      send_request: the id of that send, when asked for earlier (POST .../send with no report).
      only_once: the schedule's run: store nothing unless this call claims (organisation, month).
      run_request: the POST's run this report carries out: marked ready with it.
    """
    organization, month = report.organization, report.month
    if only_once and not _claim_scheduled_month(uow, organization, month):
        return None, None
    stored = by_key(Report, organization=organization, month=month)
    stored.language, stored.figures, stored.pdf = report.language, report.as_dict(), pdf
    stored.generated_at = as_utc(uow.now)
    stored.save()
    uow.emit("report.generated", {"month": month, "language": report.language, "generated_at": report.generated_at,
                                  "figures": {name: figure.as_dict() for name, figure in report.figures.items()}},
             organization=organization)
    request = request_send(uow=uow, row=stored, to=send_to, request=send_request) if send_to is not None else None
    if run_request is not None:
        finish_generation(uow=uow, organization=organization, month=month, request=run_request)
    return stored, request


def request_send(*, uow: UnitOfWork, row: Report, to: list[str], request: str | None = None) -> str:
    """Gives the id of a new send request of the report to `to` (or `request`, given by the run
    that asked for it), with its job; the send actor carries it out (notify.py)."""
    request = request or uuid.uuid4().hex
    row.send_status, row.send_request, row.send_to, row.send_error = SEND_QUEUED, request, list(to), None
    row.send_requested_at, row.claimed_at = as_utc(uow.now), None
    # only these columns: the row may be older than a worker's write of the previous send
    row.save(only=[Report.send_status, Report.send_request, Report.send_to, Report.send_error,
                   Report.send_requested_at, Report.claimed_at])
    uow.send(SEND_ACTOR, row.organization, row.month, request)
    return request


def mail_report(*, uow: UnitOfWork, organization: str, month: str,
                to: list[str], who=None) -> tuple[Report | None, ReportRun | None]:
    """Gives (report, None) with a send of the month's report to `to` queued, or (None, run) when
    the month has no report yet: the worker makes it, then queues the send (nothing heavy here).

    `who`: the person sending (the API's caller or the page's), recorded in the audit log
    (`report.sent`) in this unit of work; each attempt counts against their limit of sends
    before (api.common.count_send)."""
    if who is not None:
        uow.audit(who, organization=organization, action="report.sent", subject=month,
                  detail={"recipients": len(to)})
    stored = Report.get_or_none(Report.organization == organization, Report.month == month)
    if stored is None:
        return None, request_generation(uow=uow, organization=organization, month=month, language="zh-CN",
                                        send_to=to)
    request_send(uow=uow, row=stored, to=to)
    return stored, None


def _heavy(uow: UnitOfWork, who, organization: str) -> None:
    """Counts a heavy request of `who` (figures computed or a PDF rendered by the worker); 429 past
    HUIFANG_RATE_HEAVY_PER_MINUTE. Serving what the worker stored is not heavy: never refused."""
    refuse_over_limit(uow=uow, what="report.heavy", who=who, organization=organization,
                      limit=uow.settings.rate_heavy_per_minute, per_seconds=60)


# ------------------------------------------------- figures made for a reader (never in the request)

#: A request for figures still pending after this long (seconds) lost its message (or its worker):
#: the next reader asks again.
FIGURES_PENDING_RETRY_SECONDS = 60


def request_figures(*, uow: UnitOfWork, organization: str, month: str, branch: str, language: str,
                    with_pdf: bool, who=None) -> tuple[MadeFigures, bool]:
    """Gives (the figures' row, asked now?): a pending request already on its way is waited for
    (asked now: False); otherwise a new request id with its job for the worker. The figures made
    last stay until the new ones replace them. A request asked anew counts against the limit of
    heavy requests of `who` (the reader, API or page; 429 past it)."""
    row = by_key(MadeFigures, organization=organization, month=month, branch=branch, language=language)
    recent = as_utc(uow.now) - timedelta(seconds=FIGURES_PENDING_RETRY_SECONDS)
    if row.id is not None and row.status == RUN_PENDING and row.requested_at > recent and (row.with_pdf or not with_pdf):
        return row, False
    if who is not None:
        _heavy(uow, who, organization)
    row.with_pdf = with_pdf
    row.request, row.status, row.requested_at, row.finished_at, row.error = (
        uuid.uuid4().hex, RUN_PENDING, as_utc(uow.now), None, None)
    row.save()
    uow.send(MAKE_FIGURES_ACTOR, organization, month, branch, language, row.request)
    return row, True


def figures_to_make(*, uow: UnitOfWork, organization: str, month: str, branch: str, language: str,
                    request: str) -> MadeFigures | None:
    """Gives the row of `request` while it is still to be made; None when made or superseded."""
    row = MadeFigures.get_or_none(MadeFigures.organization == organization, MadeFigures.month == month,
                                  MadeFigures.branch == branch, MadeFigures.language == language)
    if row is None or row.request != request or row.status == RUN_READY:
        log.info("figures %s of %s %s [%s]: nothing to do", request, month, organization, branch)
        return None
    return row


def store_figures(*, uow: UnitOfWork, organization: str, month: str, branch: str, language: str, request: str,
                  figures: dict | None = None, pdf: bytes | None = None, error: str | None = None) -> None:
    """Stores what the worker made for `request` (or its error); a superseded request changes nothing."""
    values = {"status": RUN_FAILED if error else RUN_READY, "finished_at": as_utc(uow.now),
              "error": error[:1000] if error else None}
    if not error:
        values.update(figures=figures, pdf=pdf, made_at=as_utc(uow.now))
    (MadeFigures.update(**values)
     .where((MadeFigures.organization == organization) & (MadeFigures.month == month) & (MadeFigures.branch == branch)
            & (MadeFigures.language == language) & (MadeFigures.request == request))
     .execute())


def forget_made_figures(*, uow: UnitOfWork, organization: str, customer_id: str) -> dict[str, int]:
    """Erasure (PIPL): the figures made for readers list customers by name; they are dropped (the
    next reader's request makes them again without the erased data)."""
    return {"made_figures": MadeFigures.delete().where(MadeFigures.organization == organization).execute()}
