"""A month's report (`/reports/<month>`): its figures with the same charts as the PDF, the
complaint analysis and the lists, its status and delivery, the PDF in Chinese or English; and
the rows behind each figure (`/reports/<month>/rows/<figure>`).

The figures are the stored report's when the month was made (as GET /api/v1/reports/<month>
gives them), else those the worker made for readers (never computed in the
request; the page says they are being made and asks again); the PDF is the stored one, else the
worker's, as the API serves it.
"""
from __future__ import annotations

from datetime import datetime
from math import ceil
from urllib.parse import quote

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from shared.web.pages import page_number
from shared.web.roles import page_roles
from shared.core.privacy import mask_phone

from ..figures import made as made_mod
from ..domain.desk import TARGET_FIGURES
from ..domain.kpi import FIGURE_NAMES, KEY_FIGURES, month_of, parse_month
from ..domain.policy import report_filename
from ..domain.report import DEADLINES, LISTINGS, ReportData
from ..figures.rows import ROW_FIGURES, figure_rows
from ..labels import LANGUAGES
from ..models import Report
from ..render import findings_shown, report_charts
from ..rules import report_policy
from . import labels
from ..figures import desk
from .common import READERS, blp, edition, me, my_branch, no_branch_manager, now, service, settings
from .room import month_lines

#: Rows of each list shown on the page (the PDF has its own limit; the JSON all of them).
LISTED = 20
#: Rows behind a figure, per page.
ROWS_PAGE = 50


def _month(month: str) -> str:
    try:
        parse_month(month)
    except Exception:
        abort(404)
    return month


def _report(organization: str, month: str, language: str,
            branch: str | None = None) -> tuple[ReportData | None, bool, datetime | None]:
    """Gives (the month's report, stored?, when the worker made it): the stored figures, else those
    the worker made for readers (a branch's: always those); None while the
    worker makes them."""
    if branch is None:
        with service().connection():
            figures = (Report.select(Report.figures)
                       .where(Report.organization == organization, Report.month == month).scalar())
        if figures is not None:
            return ReportData.from_dict({**figures, "language": language}), True, None
    made = made_mod.for_reader(service(), organization, month, language=language, branch=branch,
                               inline=bool(current_app.config.get("REPORTING_GENERATE_INLINE")), who=me())
    if made.figures is None:
        return None, False, None
    made_at = made.made_at.astimezone(settings().tz)
    return ReportData.from_dict({**made.figures, "language": language}), False, made_at


def _pending(month: str, branch: str | None):
    """The page said while the worker makes the month's figures: it asks again by itself."""
    return render_template("reporting/month_pending.html", month=month, branch=branch,
                           page_title=_("Report %(month)s", month=month)), 202


@blp.get("/reports/<month>")
@page_roles(*READERS)
def month_report(month):
    """The month's figures and charts (the PDF's), its status, the PDF in both editions; or one
    branch's figures (`?branch=`: a branch manager always sees their own, another: 403)."""
    month = _month(month)
    who = me()
    moment = now()
    language = edition()
    own = my_branch()
    asked = (request.args.get("branch") or "").strip()[:128] or None
    if own is not None and asked not in (None, own):
        abort(403)
    branch = own or asked
    with service().connection():
        branches = [own] if own is not None else desk.known_branches(who.organization)
    if branch is not None and branch not in branches:
        abort(404)  # the worker makes figures only of branches that exist
    report, stored, made_at = _report(who.organization, month, language, branch)
    if report is None:
        return _pending(month, branch)
    line = None if branch else next((m for m in month_lines(who.organization, moment) if m.month == month), None)
    summary = []
    for name in FIGURE_NAMES:
        figure = report.figures.get(name)
        if figure is None:
            continue
        target = report.targets.get(name)
        summary.append({"name": name, "key": name in KEY_FIGURES, "figure": figure, "target": target,
                        "met": figure.meets(target), "trend": [report.trend[m].get(name) for m in sorted(report.trend)]})
    listings = {}
    for name in LISTINGS:
        rows = getattr(report, name)[:LISTED]
        listings[name] = {"rows": rows, "total": report.listing_total(name)}
    return render_template(
        "reporting/month.html", month=month, report=report, stored=stored, line=line, summary=summary,
        trend_months=sorted(report.trend), charts=report_charts(report, language), listings=listings,
        deadlines=[(name, report.complaints.deadlines[name]) for name in DEADLINES
                   if name in report.complaints.deadlines],
        running=month == month_of(moment.date()), mask_phone=lambda phone: mask_phone(phone) or "",
        branch=branch, branches=branches, own_branch=own, made_at=made_at,
        notice=request.args.get("notice"), page_title=_("Report %(month)s", month=month),
        target_figures=TARGET_FIGURES, findings=findings_shown(report, language, LISTED))


@blp.get("/reports/<month>.pdf")
@page_roles(*READERS)
def month_pdf(month):
    """The month's report as PDF, in Chinese or (`?language=en`) English (the organisation's: not for
    a branch manager)."""
    month = _month(month)
    no_branch_manager()
    language = request.args.get("language") or None
    if language is not None and language not in LANGUAGES:
        abort(404)
    organization = me().organization
    with service().connection():
        row = Report.get_or_none(Report.organization == organization, Report.month == month)
    language = language or (row.language if row is not None else "zh-CN")
    if row is not None and row.pdf and row.language == language:
        pdf = bytes(row.pdf)
    else:  # another edition, or a month not made: the worker renders it
        made = made_mod.for_reader(service(), organization, month, language=language, with_pdf=True,
                                   inline=bool(current_app.config.get("REPORTING_GENERATE_INLINE")), who=me())
        if made.pdf is None:
            return redirect(url_for(".month_report", month=month, notice="pdf_making"), code=303)
        pdf = made.pdf
    filename = report_filename(month, language)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"report-{month}-{language}.pdf\"; "
                               f"filename*=UTF-8''{quote(filename)}"})


@blp.get("/reports/<month>/rows/<figure>")
@page_roles(*READERS)
def figure_rows_page(month, figure):
    """The rows behind one figure of the month: each callback, customer or complaint counted,
    and whether it counts in the numerator (filter: only those, or only the others)."""
    month = _month(month)
    if figure not in ROW_FIGURES:
        abort(404)
    no_branch_manager()  # the rows are the organisation's
    who = me()
    only = {"yes": True, "no": False}.get(request.args.get("only", ""))
    page = page_number()
    with service().connection():
        found = figure_rows(who.organization, month, figure, policy=report_policy(settings(), who.organization),
                            now=now(), only=only, limit=ROWS_PAGE, offset=(page - 1) * ROWS_PAGE)
    shown_total = found.total if only is None else (found.counted if only else found.total - found.counted)
    return render_template(
        "reporting/rows.html", month=month, figure=figure, found=found, only=request.args.get("only", ""),
        page=page, pages=max(1, ceil(shown_total / ROWS_PAGE)), shown_total=shown_total,
        figure_parts=[str(part) for part in labels.FIGURE_PARTS[figure]],
        page_title=_("Rows behind a figure"))
