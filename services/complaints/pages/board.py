"""The complaint board (投诉看板, `/`): a kanban with one column per level of the organisation's
chain, each card's nearest deadline as a live countdown in service time.

The board refreshes itself: htmx asks for the columns again every few seconds (the fragment
only, `HX-Request`), so a complaint raised, escalated or closed anywhere shows up without a
reload; between two refreshes the page's script ticks the countdowns on.
"""
from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from shared.web import export

from shared.web.branches import my_branch
from shared.web.roles import page_roles

from ..api.exports import tracking_sheet
from ..domain import pending_deadlines
from ..handlers.board import (BOARD_STATES, BoardFilters, board_branches, board_columns, board_departments,
                              board_owners)
from ..models import ComplaintPromise
from ..rules import rules_for
from . import labels
from .common import READERS, blp, countdown, is_htmx, may_act, me, now, service_clock, settings

#: Cards shown per column (the most urgent); the column says how many more there are.
CARDS_PER_COLUMN = 40
#: Seconds between two refreshes of the board.
REFRESH_SECONDS = 5


def _choice(name: str, allowed) -> str | None:
    value = request.args.get(name) or None
    return value if value in allowed else None


def broken_promise_ids(complaint_pks: list[int]) -> set[int]:
    """Gives the ids of the complaints (rows) among these with a promise broken and not kept since."""
    if not complaint_pks:
        return set()
    return {pk for (pk,) in ComplaintPromise.select(ComplaintPromise.complaint).where(
        ComplaintPromise.complaint.in_(complaint_pks), ComplaintPromise.broken_at.is_null(False),
        ComplaintPromise.kept_at.is_null()).tuples()}


def board_context() -> dict:
    """Gives what the board shows for the request's filters."""
    who = me()
    moment = now()
    rules = rules_for(settings(), organization=who.organization)
    chain = rules.chain
    state = _choice("state", BOARD_STATES)
    # a branch manager's board holds their branch's complaints only (shared/web/branches.py)
    own = my_branch()
    branches = [own] if own is not None else board_branches(who.organization)
    departments, owners = board_departments(who.organization), board_owners(who.organization)
    filters = BoardFilters(states=(state,) if state else BOARD_STATES, category=_choice("category", labels.CATEGORIES),
                           customer_class=_choice("class", labels.CLASSES), source=_choice("source", labels.SOURCES),
                           unreachable=request.args.get("queue") == "unreachable",
                           branch=own or _choice("branch", branches),
                           department=_choice("department", departments), owner=_choice("owner", owners))
    columns = board_columns(organization=who.organization, levels=len(chain.levels), filters=filters,
                            limit=CARDS_PER_COLUMN)
    tz = settings().tz
    clock = service_clock(moment, rules)
    broken = broken_promise_ids([row.id for column in columns for row in column.rows])
    for column in columns:
        level = chain.level(column.level)
        column.role, column.label, column.duty = level.role, level.label, level.duty
        column.mine = level.role == who.role
        column.more = column.total - len(column.rows)
        cards = []
        for row in column.rows:
            complaint = row.to_domain(tz)
            pending = pending_deadlines(complaint)
            cards.append({"row": row, "countdown": countdown(*pending[0], clock, rules) if pending else None,
                          "actionable": may_act(rules, who.role, row.level), "promise_broken": row.id in broken})
        column.cards = cards
    args = {k: v for k, v in (("state", state), ("category", filters.category), ("class", filters.customer_class),
                              ("source", filters.source), ("queue", "unreachable" if filters.unreachable else None),
                              ("branch", filters.branch), ("department", filters.department),
                              ("owner", filters.owner))
            if v}
    return {"columns": columns, "chain": chain, "filters": args, "now": moment, "refresh_s": REFRESH_SECONDS,
            "resumes_at": clock.resumes_at,
            "total": sum(c.total for c in columns), "categories": labels.CATEGORIES, "classes": labels.CLASSES,
            "sources": labels.SOURCES, "branches": branches, "departments": departments, "owners": owners,
            "states": {s: labels.STATES[s] for s in BOARD_STATES}, "period": export.period_of(None, None, moment.date()),
            "page_title": _("Complaint board")}


@blp.get("/")
@page_roles(*READERS)
def board():
    """The board: filters, then one column per level with its cards, most urgent first."""
    context = board_context()
    if is_htmx():
        return render_template("complaints/_board.html", **context)
    return render_template("complaints/board.html", **context)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


@blp.get("/complaints/export")
@page_roles(*READERS)
def complaints_export():
    """The complaints raised in a period with the board's filters, as the table 客户投诉处理追踪表
    (.xlsx, or .csv with ?format=csv): the API's table (GET /api/v1/complaints/export.xlsx)."""
    who = me()
    first, last = export.period_of(_day(request.args.get("from")), _day(request.args.get("to")), now().date())
    own = my_branch()
    filters = {"state": _choice("state", BOARD_STATES), "category": _choice("category", labels.CATEGORIES),
               "customer_class": _choice("class", labels.CLASSES), "source": _choice("source", labels.SOURCES),
               "branch": own or (request.args.get("branch") or None), "department": request.args.get("department") or None,
               "owner": request.args.get("owner") or None}
    language = "en" if get_locale().language == "en" else "zh-CN"
    sheet = tracking_sheet(organization=who.organization, first=first, last=last, filters=filters, role=who.role,
                           language=language, branch=own)
    return export.download(sheet, request.args.get("format", "xlsx"), f"complaints-{first.isoformat()}-{last.isoformat()}")
