"""The report room (报告室, `/`): this month so far against the targets, and the months with
their report's status (not made, being made, ready, being sent, sent, failed), when each was
sent and to whom; make or remake a month in the background with its progress on the page,
send it again to the organisation's recipients.

Making runs the command of POST /api/v1/reports (handlers.request_generation: the worker makes
it); sending the one of POST /api/v1/reports/<month>/send (handlers.mail_report, to the
managers). While a month is being made, htmx asks for the months again every two seconds.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from shared.web.roles import page_roles

from .. import handlers, jobs
from ..api.common import count_send
from ..domain.kpi import Figure, build_figures, month_of, parse_month, previous_months
from ..domain.report import DEADLINES
from ..figures.month import month_complaints, month_counts
from ..models import (RUN_FAILED, RUN_PENDING, RUN_READY, SEND_FAILED, SEND_QUEUED, SEND_SENDING, SEND_SENT, Report,
                      ReportRun)
from ..rules import recipients_of, report_policy, schedule_of
from .common import MAKE, READERS, SEND, blp, is_htmx, me, my_branch, no_branch_manager, now, service, settings

#: Months listed in the room: the running one and the eleven before (older ones with a report too).
MONTHS_LISTED = 12
#: While a month is being made or sent, the months are fetched again this often (seconds).
PROGRESS_EVERY_S = 2
#: A first report's expected making time (s), until the organisation has made some.
FIRST_GUESS_S = 10.0
#: The figures of "this month so far", in order: the report's, then the 2-1-1 deadlines' on-time shares.
SO_FAR = ("key_callback_completion_rate", "ordinary_order_coverage_rate", "ordinary_callback_completion_rate",
          "callback_completion_rate", "product_satisfaction_rate", "service_satisfaction_rate", "touched_rate",
          "return_rate")
#: The 2-1-1 rule asks every deadline to be met: the on-time shares' target.
ON_TIME_TARGET = 1.0
#: The deadlines of the 2-1-1 rule (RULES 2), shown even before the month has one due.
TWO_ONE_ONE = ("first_reply", "answer", "verify")


def _aware(moment) -> datetime | None:
    """Gives a stored moment (aware) in the installation's zone."""
    return moment.astimezone(settings().tz) if moment else None


@dataclass
class MonthLine:
    """One month of the room: its report's status and delivery."""

    month: str
    status: str
    made_at: datetime | None = None
    language: str | None = None
    sent_at: datetime | None = None
    sent_to: tuple[str, ...] = ()
    error: str | None = None
    stored: bool = False
    progress: int | None = None
    elapsed_s: int | None = None
    expected_s: int | None = None


def _status(report, run) -> tuple[str, str | None]:
    """Gives (status, error) of a month from its report row and its latest run (either may be None)."""
    newer_report = report is not None and run is not None and run.finished_at is not None \
        and report.generated_at > run.finished_at
    if run is not None and run.status == RUN_PENDING:
        return "making", None
    if run is not None and run.status == RUN_FAILED and not newer_report:
        return "failed", run.error
    if report is None:
        return "not_made", None
    if report.send_status == SEND_SENT:
        return "sent", None
    if report.send_status == SEND_FAILED:
        return "failed", report.send_error
    if report.send_status in (SEND_QUEUED, SEND_SENDING):
        return "sending", None
    return "ready", None


def month_lines(organization: str, moment: datetime) -> list[MonthLine]:
    """Gives the months of the room, newest first, with their status."""
    this_month = month_of(moment.date())
    # only the columns shown: never the figures or the PDF
    reports = {r.month: r for r in Report.select(
        Report.month, Report.language, Report.generated_at, Report.send_status, Report.send_to, Report.sent_at,
        Report.send_error).where(Report.organization == organization)}
    runs = {r.month: r for r in ReportRun.select(
        ReportRun.month, ReportRun.status, ReportRun.requested_at, ReportRun.finished_at, ReportRun.error)
        .where(ReportRun.organization == organization)}
    durations = [(r.finished_at - r.requested_at).total_seconds() for r in runs.values()
                 if r.status == RUN_READY and r.finished_at and r.requested_at]
    expected = max(1.0, statistics.median(durations)) if durations else FIRST_GUESS_S
    months = {this_month, *previous_months(this_month, MONTHS_LISTED - 1), *reports, *runs}
    lines = []
    for month in sorted(months, reverse=True):
        report, run = reports.get(month), runs.get(month)
        status, error = _status(report, run)
        line = MonthLine(month=month, status=status, error=error, stored=report is not None)
        if report is not None:
            line.made_at, line.language = _aware(report.generated_at), report.language
            line.sent_at, line.sent_to = _aware(report.sent_at), tuple(report.send_to or ())
        if status == "making":
            elapsed = max(0.0, (moment - run.requested_at).total_seconds())
            line.elapsed_s, line.expected_s = int(elapsed), int(round(expected))
            line.progress = int(min(95, 5 + 90 * elapsed / expected))
        lines.append(line)
    return lines


#: "This month so far" is kept this long (seconds) per organisation and web process: its
#: aggregation reads the whole running month, and the room is opened often by many people.
SO_FAR_SECONDS = 60
_so_far_kept: dict[tuple, tuple[float, dict]] = {}


def so_far(organization: str, moment: datetime) -> dict:
    """Gives the running month's figures against the targets, each with its counts (as of a
    moment at most SO_FAR_SECONDS old)."""
    month = month_of(moment.date())
    key = (settings().database_urls["reporting"], organization, month)
    kept = _so_far_kept.get(key)
    if kept is not None and time.monotonic() - kept[0] < SO_FAR_SECONDS:
        return kept[1]
    policy = report_policy(settings(), organization)
    figures = build_figures(month_counts(organization, month, policy))
    complaints = month_complaints(organization, month, moment, policy)
    items = []
    for name in SO_FAR:
        if name not in figures:
            continue
        target = policy.targets.get(name)
        items.append({"name": name, "figure": figures[name], "target": target, "met": figures[name].meets(target)})
    for deadline in DEADLINES:
        figure = complaints.deadlines.get(deadline)
        if figure is None and deadline not in TWO_ONE_ONE:
            continue  # a repeat's rework: shown once the month has one
        figure = figure or Figure.of(0, 0)
        items.append({"name": f"{deadline}_on_time", "figure": figure, "target": ON_TIME_TARGET,
                      "met": figure.meets(ON_TIME_TARGET)})
    result = {"month": month, "items": items, "complaints_total": complaints.total, "as_of": moment}
    _so_far_kept[key] = (time.monotonic(), result)
    return result


def _recipients(organization: str) -> tuple[str, ...]:
    return recipients_of(settings(), organization, users=service().users).managers


def months_context(**extra) -> dict:
    who = me()
    moment = now()
    lines = month_lines(who.organization, moment)
    return {"lines": lines, "busy": any(line.status in ("making", "sending") for line in lines),
            "progress_every_s": PROGRESS_EVERY_S, "recipients": _recipients(who.organization),
            "this_month": month_of(moment.date()), **extra}


@blp.get("/")
@page_roles(*READERS)
def report_room():
    """The report room: this month so far, then the months and their reports. A branch manager
    goes to their branch's running month instead: the room is the organisation's."""
    if my_branch() is not None:
        return redirect(url_for(".month_report", month=month_of(now().date())), code=303)
    who = me()
    context = months_context(notice=request.args.get("notice"), notice_month=request.args.get("month"))
    return render_template("reporting/room.html", so_far=so_far(who.organization, now()),
                           page_title=_("Report room"), **context)


@blp.get("/months")
@page_roles(*READERS)
def months():
    """The months' table alone (htmx asks for it while a report is being made)."""
    no_branch_manager()
    return render_template("reporting/_months.html", **months_context())


def _back(month: str, notice: str):
    """Gives the answer after a command: the months' table to htmx, else back where the form was."""
    if is_htmx():
        return render_template("reporting/_months.html", **months_context(notice=notice, notice_month=month))
    if request.form.get("back") == "month":
        return redirect(url_for(".month_report", month=month, notice=notice), code=303)
    return redirect(url_for(".report_room", notice=notice, month=month), code=303)


@blp.post("/reports/<month>/make")
@MAKE
def make(month):
    """Asks the worker to make (or remake) the month's report, in the organisation's edition."""
    no_branch_manager()
    parse_month(month)
    organization = me().organization
    language = schedule_of(settings(), organization).language
    run = service().run(handlers.request_generation, organization=organization, month=month, language=language,
                        who=me())
    if current_app.config.get("REPORTING_GENERATE_INLINE"):  # tests, single-process installs (as the API)
        jobs.run_generation(service(), organization, month, run.request)
    return _back(month, "making")


@blp.post("/reports/<month>/send")
@SEND
def send(month):
    """Mails the month's report again to the organisation's recipients (its managers)."""
    no_branch_manager()
    parse_month(month)
    organization = me().organization
    count_send(me(), organization)  # as the API counts each attempt (429 past the limit)
    to = list(_recipients(organization))
    if not to:
        return _back(month, "no_recipients")
    _row, run = service().run(handlers.mail_report, organization=organization, month=month, to=to, who=me())
    if run is not None and current_app.config.get("REPORTING_GENERATE_INLINE"):
        jobs.run_generation(service(), organization, month, run.request)
    return _back(month, "sending")

