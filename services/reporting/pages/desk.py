"""The desk's figures page (`/desk?period=`): a week's or a month's callback figures for
the organisation, per agent and per service advisor against their role's targets, and the agents'
monthly summaries with their late mark. Reads with the API's functions (desk.py)."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from shared.core.errors import InvalidInput
from shared.web import export
from shared.web.roles import page_roles

from ..api.exports import statistics_sheet
from ..figures import desk
from ..domain.desk import TARGET_FIGURES, parse_period, week_of
from ..domain.kpi import month_of, previous_months
from ..rules import desk_policy
from .common import READERS, blp, me, my_branch, now, service, settings


@blp.get("/desk")
@page_roles(*READERS)
def desk_figures():
    """A week's (default: this week) or a month's desk figures, per agent and per advisor, and the
    agents' summaries of the month (of a week: the month before it, whose summary is due)."""
    organization = me().organization
    today = now().date()
    asked = (request.args.get("period") or "").strip() or week_of(today)
    try:
        period = parse_period(asked)
    except InvalidInput:
        period, asked = parse_period(week_of(today)), None
    policy = desk_policy(settings(), organization)
    # a branch manager sees their branch; others may pick one
    own = my_branch()
    asked_branch = (request.args.get("branch") or "").strip()[:128] or None
    if own is not None and asked_branch not in (None, own):
        abort(403)
    branch = own or asked_branch
    summary_month = period.name if period.kind == "month" else previous_months(month_of(period.first), 1)[0]
    with service().connection():
        figures = desk.period_figures(organization, period, policy, branch=branch)
        # a branch's figures: its agents' summaries (a branch manager sees only theirs)
        agents = [p.login for p in service().users.of_role(organization, "agent") if branch in (None, p.branch)]
        summaries = desk.summaries(organization=organization, month=summary_month, agents=agents, policy=policy,
                                   now=now(), tz=settings().tz, submitted_too=branch is None)
    step = timedelta(days=7)
    links = {"branch": branch, "previous": week_of(period.first - step) if period.kind == "week" else previous_months(period.name, 1)[0],
             "next": week_of(period.first + step) if period.kind == "week" else month_of(period.last + timedelta(days=1)),
             "week": week_of(today), "month": month_of(today)}
    return render_template("reporting/desk.html", figures=figures, period=period, links=links,
                           summaries=summaries, summary_month=summary_month, target_figures=TARGET_FIGURES,
                           bad_period=request.args.get("period") if asked is None else None,
                           page_title=_("Desk figures"))


@blp.get("/desk/export")
@page_roles(*READERS)
def desk_export():
    """The period's desk figures (with the page's branch) as the table 维修用户回访记录统计表, .xlsx or
    .csv (?format=csv): the API's table (GET /api/v1/desk/figures.xlsx)."""
    organization = me().organization
    try:
        period = parse_period((request.args.get("period") or "").strip() or week_of(now().date()))
    except InvalidInput:
        abort(404)
    own = my_branch()
    asked_branch = (request.args.get("branch") or "").strip()[:128] or None
    if own is not None and asked_branch not in (None, own):
        abort(403)
    with service().connection():
        figures = desk.period_figures(organization, period, desk_policy(settings(), organization),
                                      branch=own or asked_branch)
    language = "en" if get_locale().language == "en" else "zh-CN"
    return export.download(statistics_sheet(figures, language=language), request.args.get("format", "xlsx"),
                           f"callback-statistics-{period.name}")
