"""Complaint ownership in the monthly report: how the month's complaints ended besides a satisfied callback
(closure reasons, seed 002) and how many verification callbacks found nobody.

Kept apart from month.py (its own block of the report, `closures`), computed from the read model
whenever the report is read.
"""
from __future__ import annotations

import json

from peewee import fn

from .month import month_complaints_where
from ..domain.kpi import month_bounds
from ..models import Complaint, CorrectiveAction

#: Corrective actions listed in the report (the rest are counted).
ACTIONS_LISTED = 50


def month_closures(organization: str, month: str) -> dict:
    """Gives, for the complaints raised in `month`: `by_reason` (closed with each closure reason),
    `closed_with_reason` (their sum), `verification_unreachable` (whose verification callback found
    nobody after every attempt), `unreachable_waiting` (of those, still not closed), `promises_broken`
    (promises to the customer not kept in time) and `complaints_with_broken_promises`."""
    where = month_complaints_where(organization, month)
    by_reason = {reason: int(count) for reason, count in (
        Complaint.select(Complaint.closure_reason, fn.COUNT(Complaint.id))
        .where(where & Complaint.closure_reason.is_null(False)).group_by(Complaint.closure_reason).tuples())}
    unreachable = Complaint.select().where(where & Complaint.verification_unreachable_at.is_null(False))
    broken = Complaint.select(fn.COUNT(Complaint.id), fn.COALESCE(fn.SUM(Complaint.promises_broken), 0)).where(
        where & (Complaint.promises_broken > 0)).tuples().get()
    return {"by_reason": by_reason, "closed_with_reason": sum(by_reason.values()),
            "verification_unreachable": unreachable.count(),
            "unreachable_waiting": unreachable.where(Complaint.state != "closed").count(),
            "promises_broken": int(broken[1] or 0), "complaints_with_broken_promises": int(broken[0] or 0)}


def month_corrective_actions(organization: str, month: str, *, today) -> dict:
    """Gives the register as the month's report lists it (seed 000 part 1: the quality meeting reviews them):
    `listed`, the actions not checked by the month's end or checked within it, soonest due first, each with
    `overdue` (not done and past its due date `today`); `overdue` (their ids) and the counts by status."""
    first, last = month_bounds(month)
    rows = [a for a in CorrectiveAction.select().where(CorrectiveAction.organization == organization)
            .order_by(CorrectiveAction.due_on, CorrectiveAction.id)
            if a.status not in ("effective", "ineffective") or a.updated_at.date() >= first]
    listed = []
    for a in rows:
        overdue = a.status in ("open", "in_progress") and today > a.due_on
        listed.append({"id": a.action_id, "title": a.title, "owner": a.owner, "due_on": a.due_on.isoformat(),
                       "status": a.status, "origin": a.origin, "overdue": overdue,
                       "complaint_ids": json.loads(a.complaint_ids or "[]"),
                       "callback_ids": json.loads(a.callback_ids or "[]"), "effectiveness": a.effectiveness})
    by_status: dict[str, int] = {}
    for item in listed:
        by_status[item["status"]] = by_status.get(item["status"], 0) + 1
    return {"listed": listed[:ACTIONS_LISTED], "total": len(listed), "by_status": by_status,
            "overdue": [item["id"] for item in listed if item["overdue"]], "month_end": last.isoformat()}
