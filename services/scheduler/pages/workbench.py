"""The agent workbench (工作台, `/`): today's callbacks and the overdue ones, inside the call windows.

The list is the query of GET /api/v1/agents/<login>/callbacks (handlers.agent_worklist):
an agent sees their own tasks and those no roster assigned; team leads (接待主管, 服务经理,
admin) and advisors see the whole organisation's, with an agent filter.
"""
from __future__ import annotations

from math import ceil

from flask import render_template, request, url_for
from flask_babel import gettext as _

from .. import handlers
from ..models import OPEN, WRONG_NUMBER
from . import labels
from .common import PAGE_READERS, Shown, blp, me, now, service, settings, when
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
    page = max(1, request.args.get("page", 1, type=int) or 1)
    agents, agent = [], None
    if who.role == "agent":
        scope, done_by = handlers.Scope(logins=(who.login,), unassigned=True), who.login
    else:
        agents = service().users.of_role(who.organization, "agent")
        agent = request.args.get("agent") or None
        if agent == UNASSIGNED:
            scope = handlers.Scope(logins=())
        elif agent in {p.login for p in agents}:
            scope = handlers.Scope(logins=(agent,))
        else:
            agent, scope = None, handlers.Scope()
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
    filters = {k: v for k, v in (("line", line), ("kind", kind), ("agent", agent), ("all", "1" if show_all else None),
                                 ("waiting", "1" if waiting else None)) if v}
    return render_template(
        "scheduler/workbench.html", page_title=_("Workbench"), rows=rows, total=listed.total,
        counts=counts, in_window=listed.in_window, next_window_at=when(listed.next_window_at, today),
        windows=_(", ").join(f"{w.start:%H:%M}–{w.end:%H:%M}" for w in listed.windows), show_all=show_all, waiting=waiting, lines=labels.LINES, kinds=labels.KINDS, line=line, kind=kind,
        agents=agents, agent=agent, unassigned=UNASSIGNED, team=who.role != "agent", filters=filters, page=page,
        pages=max(1, ceil(listed.total / PAGE_SIZE)), today=today)


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
