"""Figures and PDFs made by the worker for a reader, so the web never computes them in a request.

A month with no stored report, one branch's figures, or the stored report's PDF in the other
language used to be computed or rendered inside the web request: a few readers could keep every
web thread busy aggregating and laying out pages. Now the web only reads:

- `for_reader` (web): serves the figures (and PDF) the worker made, while fresh
  (HUIFANG_REPORT_FRESH_SECONDS); otherwise asks the worker once (`request_figures`: the job goes
  through the outbox with the commit; a request already pending is waited for, not repeated),
  then waits up to HUIFANG_REPORT_WAIT_SECONDS, reading the row. It gives what is there: the
  new figures, the previous ones while new ones are made, or nothing yet (the API answers 202).
- `make` (worker, actor `reporting_make_figures`): computes and renders outside any unit of
  work, then stores them in one (`store_figures`); a superseded or repeated message does nothing.

A stored report's own figures and its own PDF are served as stored and never pass here.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import jobs
from ..domain.report import ReportData
from ..domain.summary import is_summary_period
from ..handlers import figures_to_make, request_figures, store_figures
from ..handlers.rows import as_utc
from ..models import RUN_FAILED, RUN_PENDING, MadeFigures, Report

log = logging.getLogger(__name__)

#: How often (seconds) a waiting request reads the row again.
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Made:
    """What a reader gets: `figures` (ReportData.as_dict()) and `pdf` when made (maybe an earlier
    making while `pending` a newer one), `made_at` (aware), `error` of a failed making."""

    figures: dict | None
    pdf: bytes | None
    made_at: datetime | None
    pending: bool
    error: str | None = None


def _row(service, organization: str, month: str, branch: str, language: str) -> MadeFigures | None:
    with service.connection():
        return MadeFigures.get_or_none(MadeFigures.organization == organization, MadeFigures.month == month,
                                       MadeFigures.branch == branch, MadeFigures.language == language)


def _stored_at(service, organization: str, month: str) -> datetime | None:
    with service.connection():
        return (Report.select(Report.generated_at)
                .where(Report.organization == organization, Report.month == month).scalar())


def _usable(row: MadeFigures | None, *, with_pdf: bool, fresh_after: datetime | None = None,
            stored_at: datetime | None = None) -> bool:
    return (row is not None and row.made_at is not None and row.figures is not None
            and (row.pdf is not None or not with_pdf) and (fresh_after is None or row.made_at > fresh_after)
            and (stored_at is None or row.made_at >= stored_at))


def for_reader(service, organization: str, month: str, *, language: str, branch: str | None = None,
               with_pdf: bool = False, inline: bool = False, who=None) -> Made:
    """Gives the month's figures (and PDF) for a reader, made by the worker (see the module).

    `who`: the reader (API or page); asking the worker anew counts against their limit of heavy
    requests (handlers.request_figures; 429 past it). `inline`: make them here (tests and
    single-process installs, as REPORTING_GENERATE_INLINE)."""
    settings = service.settings
    branch = branch or ""
    now = as_utc(service.clock())
    # fresh: made within the window, and after the stored report it is another edition of
    fresh_after = now - timedelta(seconds=settings.report_fresh_seconds)
    stored_at = _stored_at(service, organization, month) if not branch else None
    row = _row(service, organization, month, branch, language)
    if _usable(row, with_pdf=with_pdf, fresh_after=fresh_after, stored_at=stored_at):
        return Made(row.figures, bytes(row.pdf) if row.pdf is not None else None, row.made_at, pending=False)
    row, asked = service.run(request_figures, organization=organization, month=month, branch=branch,
                             language=language, with_pdf=with_pdf, who=who)
    request = row.request
    if asked and inline:
        try:
            make(service, organization, month, branch, language, request)
        except Exception:  # stored with the row (failed): the reader is told below, as from the worker
            log.exception("figures %s of %s [%s] could not be made", month, organization, branch or "all")
    deadline = time.monotonic() + settings.report_wait_seconds
    while True:
        row = _row(service, organization, month, branch, language)
        if row is None or row.request != request or row.status != RUN_PENDING or time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    if row is None:
        return Made(None, None, None, pending=True)
    error = row.error if row.status == RUN_FAILED else None
    if _usable(row, with_pdf=with_pdf):  # the new ones, or the earlier ones while made again
        return Made(row.figures, bytes(row.pdf) if row.pdf is not None else None, row.made_at,
                    pending=row.status == RUN_PENDING, error=error)
    return Made(None, None, None, pending=row.status == RUN_PENDING, error=error)


def make(service, organization: str, month: str, branch: str, language: str, request: str) -> str:
    """Gives "ready" or "skipped" after making the figures (and PDF) of one request (the worker's
    job). The whole organisation's month with a stored report: its stored figures (an edition in
    another language); otherwise the read model as it stands. An error is stored and raised again
    (the actor retries)."""
    row = service.run(figures_to_make, organization=organization, month=month, branch=branch, language=language,
                      request=request)
    if row is None:
        return "skipped"
    if is_summary_period(month):  # a quarter's or a year's findings (seed 003): figures only, no PDF
        return _make_summary(service, organization, month, language, request)
    try:
        stored = None
        if not branch:
            with service.connection():
                stored = Report.get_or_none(Report.organization == organization, Report.month == month)
        if stored is not None:
            report = ReportData.from_dict({**stored.figures, "language": language})
        else:
            report = jobs.compute_report(service, organization, month, language, branch=branch or None)
        pdf = jobs.render_pdf(service, report, language) if row.with_pdf else None
    except Exception as exc:
        service.run(store_figures, organization=organization, month=month, branch=branch, language=language,
                    request=request, error=f"{type(exc).__name__}: {exc}")
        raise
    service.run(store_figures, organization=organization, month=month, branch=branch, language=language,
                request=request, figures=report.as_dict(), pdf=pdf)
    log.info("figures %s of %s [%s] %s made for a reader%s", month, organization, branch or "all", language,
             " with the PDF" if pdf is not None else "")
    return "ready"


def _make_summary(service, organization: str, period: str, language: str, request: str) -> str:
    try:
        figures = jobs.compute_summary(service, organization, period)
    except Exception as exc:
        service.run(store_figures, organization=organization, month=period, branch="", language=language,
                    request=request, error=f"{type(exc).__name__}: {exc}")
        raise
    service.run(store_figures, organization=organization, month=period, branch="", language=language,
                request=request, figures=figures)
    log.info("findings %s of %s made for a reader", period, organization)
    return "ready"
