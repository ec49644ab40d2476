"""The agent workbench (工作台, `/`): today's callbacks and the overdue ones, inside the call windows.

The list is the query of GET /api/v1/agents/<login>/callbacks (handlers.agent_worklist):
an agent sees their own tasks and those no roster assigned; team leads (接待主管, 服务经理,
admin) and advisors see the whole organisation's, with an agent filter.
"""
from __future__ import annotations

from math import ceil

from datetime import date, timedelta

from flask import render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from shared.web import export

from .. import handlers
from ..api.exports import records_sheet
from ..models import OPEN, WRONG_NUMBER
from ..rules import review_policy
from . import labels
from .common import PAGE_READERS, Shown, blp, me, now, service, settings, when
from shared.web.pages import page_number
from shared.web.branches import my_branch
from shared.web.roles import page_roles

#: Tasks on one page of the workbench.
PAGE_SIZE = 50
#: The agent filter's value for tasks no roster assigned.
UNASSIGNED = "-"


@blp.get("/")
@page_roles(*PAGE_READERS)
def workbench():
    """The workbench: counts at the top (due today, overdue, done today), filters, the list."""
    who = me()
    moment = now()
    line = request.args.get("line") if request.args.get("line") in labels.LINES else None
    kind = request.args.get("kind") if request.args.get("kind") in labels.KINDS else None
    show_all = request.args.get("all") == "1"
    # the tasks waiting for a correct number (待更正号码), listed apart
    waiting = request.args.get("waiting") == "1"
    page = page_number()
    agents, agent = [], None
    # a branch manager's workbench: their branch's tasks and agents (shared/web/branches.py)
    branch = my_branch()
    if who.role == "agent":
        scope, done_by = handlers.Scope(logins=(who.login,), unassigned=True), who.login
    else:
        agents = [p for p in service().users.of_role(who.organization, "agent") if branch in (None, p.branch)]
        agent = request.args.get("agent") or None
        if agent == UNASSIGNED:
            scope = handlers.Scope(logins=(), branch=branch)
        elif agent in {p.login for p in agents}:
            scope = handlers.Scope(logins=(agent,), branch=branch)
        else:
            agent, scope = None, handlers.Scope(branch=branch)
        done_by = agent if agent not in (None, UNASSIGNED) else None
    counts = handlers.worklist_counts(settings=settings(), organization=who.organization, now=moment, scope=scope,
                                      done_by=done_by, business_line=line, kind=kind)
    if waiting:
        listed = handlers.agent_worklist(
            settings=settings(), organization=who.organization, now=moment, role=who.role, scope=scope,
            business_line=line, kind=kind, key_first=True, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
            status=WRONG_NUMBER)
    else:
        listed = handlers.agent_worklist(
            settings=settings(), organization=who.organization, now=moment, role=who.role, scope=scope,
            due_to=moment.date(), callable_now=not show_all, business_line=line, kind=kind, key_first=True,
            limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
            counted=counts["parts"] if show_all else counts["callable_parts"])
    today = moment.date()
    rows = _rows(listed.rows, today)
    notes = _improvement_notes(who, moment) if who.role == "agent" else []
    filters = {k: v for k, v in (("line", line), ("kind", kind), ("agent", agent), ("all", "1" if show_all else None),
                                 ("waiting", "1" if waiting else None)) if v}
    return render_template(
        "scheduler/workbench.html", page_title=_("Workbench"), rows=rows, total=listed.total, notes=notes,
        counts=counts, in_window=listed.in_window, next_window_at=when(listed.next_window_at, today),
        windows=_(", ").join(f"{w.start:%H:%M}–{w.end:%H:%M}" for w in listed.windows), show_all=show_all, waiting=waiting, lines=labels.LINES, kinds=labels.KINDS, line=line, kind=kind,
        agents=agents, agent=agent, unassigned=UNASSIGNED, team=who.role != "agent", filters=filters, page=page,
        pages=max(1, ceil(listed.total / PAGE_SIZE)), today=today, period=export.period_of(None, None, today))


def _improvement_notes(who, moment) -> list:
    """Gives the "needs improvement" verdicts on the agent's records of the last days review.yaml
    says (`needs_improvement.shown_for_days`), newest first, each with its comment (seed 002 「有待改进」)."""
    days = review_policy(settings(), who.organization).shown_for_days
    return handlers.improvement_notes(settings=settings(), organization=who.organization, agent=who.login,
                                      since=moment - timedelta(days=days))


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


@blp.get("/callbacks/export")
@page_roles(*PAGE_READERS)
def callback_records_export():
    """The callback records of a period (回访记录表) with the workbench's filters, as .xlsx or .csv
    (the API's table: GET /api/v1/callbacks/export.xlsx); an agent's are their own calls."""
    who = me()
    first, last = export.period_of(_day(request.args.get("from")), _day(request.args.get("to")), now().date())
    agent = request.args.get("agent") if who.role != "agent" else who.login
    filters = handlers.RecordFilter(
        first=first, last=last, branch=my_branch(),
        business_line=request.args.get("line") if request.args.get("line") in labels.LINES else None,
        kind=request.args.get("kind") if request.args.get("kind") in labels.KINDS else None,
        agent=agent if agent and agent != UNASSIGNED else None)
    language = "en" if get_locale().language == "en" else "zh-CN"
    sheet = records_sheet(organization=who.organization, filters=filters, role=who.role, language=language)
    return export.download(sheet, request.args.get("format", "xlsx"),
                           f"callback-records-{first.isoformat()}-{last.isoformat()}")


def _rows(tasks: list[dict], today) -> list[dict]:
    """Gives the worklist's rows as the list shows them (labels and dates worked out here, once each)."""
    shown = Shown()
    moments: dict = {}
    callback_url = url_for(".callback", callback_id="-")[:-1]
    rows = []
    for task in tasks:
        at = task["next_call_at"]
        if at not in moments:
            moments[at] = when(at, today)
        customer = task["customer"]
        rows.append({"href": callback_url + task["id"], "key": task["key_customer"],
                     "customer": customer["name"] if customer else task["customer_id"],
                     "kind": shown.name(labels.KINDS, task["kind"]),
                     "line": shown.name(labels.LINES, task["business_line"]),
                     "due_iso": task["due_on"].isoformat(), "due": shown.day(task["due_on"]), "call_at": moments[at],
                     "attempts": shown.number(task["attempts"]), "channel": shown.name(labels.CHANNELS, task["channel"]),
                     "agent": task["assigned_to"] or "", "waiting": task["status"] == WRONG_NUMBER,
                     "late": task["status"] == OPEN and task["overdue_on"] < today})
    return rows
