"""Issue 18 in the monthly report: how the month's complaints ended besides a satisfied callback
(closure reasons, seed 002) and how many verification callbacks found nobody.

Kept apart from figures.py (its own block of the report, `closures`), computed from the read model
whenever the report is read.
"""
from __future__ import annotations

from peewee import fn

from .figures import month_complaints_where
from .models import Complaint


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
