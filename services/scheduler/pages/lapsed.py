"""Customers who stopped coming (`/customers/lapsed`, 流失客户; seed 000 part 5 「回访调查流失原因」): a
business line's customers not served for the policy's months (or the months asked for), the longest
gone first, each with its "why not back" callback once planned; a supervisor, manager or admin plans
it here (the callback then waits on its agent's workbench)."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from shared.web.roles import define_action, page_roles

from .. import handlers
from ..domain.lapsed import LAPSE_LINES, MAX_MONTHS
from . import labels
from .common import blp, me, now, service, settings

#: Plan a "why not back" callback: the roles of POST /api/v1/customers/lapsed/plan.
PLAN_LAPSED = define_action("scheduler.plan_lapsed", *handlers.LAPSED_PLANNERS)


def _line() -> str:
    line = request.values.get("business_line")
    return line if line in LAPSE_LINES else "vehicle"


def _months() -> int | None:
    raw = (request.values.get("months") or "").strip()
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= MAX_MONTHS else None


@blp.get("/customers/lapsed")
@page_roles(*handlers.LAPSED_PLANNERS)
def lapsed():
    """The line's lapsed customers, each with its plan button or its planned callback."""
    who, line, asked, today = me(), _line(), _months(), now().date()
    with service().connection():
        months, rows = handlers.lapsed_customers(settings=settings(), organization=who.organization,
                                                 business_line=line, on=today, months=asked)
    return render_template("scheduler/lapsed.html", rows=rows, line=line, months=months, asked=asked,
                           lines={code: labels.LINES[code] for code in LAPSE_LINES}, max_months=MAX_MONTHS,
                           saved=request.args.get("saved"), today=today, page_title=_("Lapsed customers"))


@blp.post("/customers/lapsed/plan")
@PLAN_LAPSED
def plan_lapsed():
    """Plans the customer's "why not back" callback, then back to the list."""
    who, line, months = me(), _line(), _months()
    customer_id = (request.form.get("customer_id") or "").strip()[:64]
    if customer_id:
        with service().command() as uow:
            handlers.plan_lapsed(uow=uow, organization=who.organization, business_line=line,
                                 customer_ids=[customer_id], months=months, actor=who)
    return redirect(url_for(".lapsed", business_line=line, months=months, saved=customer_id)
                    + f"#c-{customer_id}", code=303)
