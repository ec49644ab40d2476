"""The hotline desk's tickets of a month (seed 001 热线接听流程): consultations (咨询服务单) and service
requests (任务单) recorded, the share handed to the hotline engineer inside its deadline (15 minutes),
the share of service requests passed on to the repair coordinator inside theirs (15 more), the possible
duplicates (避免重复单据) and those turned into complaints.

A ticket belongs to the month of the day it was recorded. Tickets are rows of `desk_ticket`, never of
`complaint`: no complaint figure reads them (a converted ticket's complaint counts by its own
complaint.raised). Counted in SQL, one query.
"""
from __future__ import annotations

from peewee import Case, fn

from ..domain.kpi import Figure, month_bounds
from ..models import DeskTicket

#: The block's names, in the order the page and the PDF show them.
TICKET_FIGURES = ("consultations", "service_requests", "handed_over_on_time", "dispatched_on_time",
                  "possible_duplicates", "converted")


def _count(condition):
    return fn.SUM(Case(None, [(condition, 1)], 0))


def month_tickets(organization: str, month: str) -> dict:
    """Gives the desk's tickets of the month (inside a connection)::

        {"recorded": 3, "consultations": 1, "service_requests": 2,
         "handed_over_on_time": {"numerator": 2, "denominator": 3, "value": 0.6667},
         "dispatched_on_time": {"numerator": 1, "denominator": 2, "value": 0.5},
         "possible_duplicates": 1, "converted": 1}

    `handed_over_on_time`: of the month's tickets, those handed over by their deadline; `dispatched_on_time`:
    of the month's service requests handed over (their second deadline set), those passed on by it.
    """
    first, last = month_bounds(month)
    t = DeskTicket
    request = t.kind == "service_request"
    handed = t.handed_over_at.is_null(False) & t.handover_due_at.is_null(False) & (t.handed_over_at <= t.handover_due_at)
    due = request & t.dispatch_due_at.is_null(False)
    dispatched = due & t.dispatched_at.is_null(False) & (t.dispatched_at <= t.dispatch_due_at)
    row = (t.select(fn.COUNT(t.id), _count(t.kind == "consultation"), _count(request), _count(handed), _count(due),
                    _count(dispatched), _count(t.duplicate_of.is_null(False)), _count(t.complaint_id.is_null(False)))
           .where(t.organization == organization, t.recorded_on >= first, t.recorded_on <= last).tuples().get())
    recorded, consultations, requests, on_time, due_n, dispatched_n, duplicates, converted = (int(n or 0) for n in row)
    return {"recorded": recorded, "consultations": consultations, "service_requests": requests,
            "handed_over_on_time": Figure.of(on_time, recorded).as_dict(),
            "dispatched_on_time": Figure.of(dispatched_n, due_n).as_dict(),
            "possible_duplicates": duplicates, "converted": converted}
