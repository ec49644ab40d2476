"""The complaint board (投诉看板, `/`): a kanban with one column per level of the organisation's
chain, each card's nearest deadline as a live countdown in service time.

The board refreshes itself: htmx asks for the columns again every few seconds (the fragment
only, `HX-Request`), so a complaint raised, escalated or closed anywhere shows up without a
reload; between two refreshes the page's script ticks the countdowns on.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from shared.web.roles import page_roles

from ..domain import pending_deadlines
from ..handlers.board import BOARD_STATES, BoardFilters, board_branches, board_columns
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
    branches = board_branches(who.organization)
    filters = BoardFilters(states=(state,) if state else BOARD_STATES, category=_choice("category", labels.CATEGORIES),
                           customer_class=_choice("class", labels.CLASSES), source=_choice("source", labels.SOURCES),
                           unreachable=request.args.get("queue") == "unreachable", branch=_choice("branch", branches))
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
                              ("branch", filters.branch))
            if v}
    return {"columns": columns, "chain": chain, "filters": args, "now": moment, "refresh_s": REFRESH_SECONDS,
            "resumes_at": clock.resumes_at,
            "total": sum(c.total for c in columns), "categories": labels.CATEGORIES, "classes": labels.CLASSES,
            "sources": labels.SOURCES, "branches": branches, "states": {s: labels.STATES[s] for s in BOARD_STATES},
            "page_title": _("Complaint board")}


@blp.get("/")
@page_roles(*READERS)
def board():
    """The board: filters, then one column per level with its cards, most urgent first."""
    context = board_context()
    if is_htmx():
        return render_template("complaints/_board.html", **context)
    return render_template("complaints/board.html", **context)
