"""The findings of a period (domain/summary.py): the dissatisfied customers and their reasons, the
yes/no questions' answers counted, the complaints by source with the hand-over on-time share.

What belongs to the period: a callback by its `due_on` (cancelled and declined ones count nowhere,
as in month.py), a complaint by the day it was raised. A month's, a quarter's and a year's are the
same queries over their days. The list is capped by the policy's `listing_limit`; its full count is
counted in SQL. Phones are kept as stored: every reader masks them (RULES 1.4), as the other lists.
"""
from __future__ import annotations

from datetime import date

from peewee import JOIN, Case, fn

from shared.core.answers import DISSATISFIED_ANSWERS

from ..domain.summary import source_rows, yes_no_counts
from ..models import CANCELLED, DECLINED, Callback, Complaint, Customer, QuestionLabel


def _callbacks(organization: str, first: date, last: date, branch: str | None):
    where = ((Callback.organization == organization) & (Callback.due_on >= first) & (Callback.due_on <= last)
             & Callback.status.not_in((CANCELLED, DECLINED)))
    return where if branch is None else where & (Callback.branch == branch)


def _dissatisfied(where, limit: int, tz) -> tuple[list[dict], int]:
    bad = sorted(DISSATISFIED_ANSWERS)
    where = where & (Callback.product_satisfaction.in_(bad) | Callback.service_satisfaction.in_(bad))
    rows = (Callback.select(Customer.name, Callback.customer_id, Customer.phone, Callback.product_satisfaction,
                            Callback.service_satisfaction, Callback.dissatisfied_reason, Callback.recorded_at,
                            Callback.due_on)
            .join(Customer, JOIN.LEFT_OUTER, on=((Customer.organization == Callback.organization)
                                                 & (Customer.customer_id == Callback.customer_id)))
            .where(where).order_by(Callback.due_on, Callback.callback_id).limit(limit).tuples())
    listed = [{"customer_name": name or cid or "—", "phone": phone, "product_satisfaction": product,
               "service_satisfaction": service, "reason": reason or "",
               "recorded_on": (recorded_at.astimezone(tz).date() if recorded_at else due_on).isoformat()}
              for name, cid, phone, product, service, reason, recorded_at, due_on in rows]
    return listed, int(Callback.select(fn.COUNT(Callback.id)).where(where).scalar() or 0)


def _labels(organization: str) -> dict[str, tuple[str, str]]:
    rows = (QuestionLabel.select(QuestionLabel.question_id, QuestionLabel.label_zh, QuestionLabel.label_en)
            .where(QuestionLabel.organization == organization).order_by(QuestionLabel.id).tuples())
    return {question: (zh, en) for question, zh, en in rows}


def _sources(organization: str, first: date, last: date, branch: str | None) -> dict[str, tuple[int, int, int]]:
    where = (Complaint.organization == organization) & (Complaint.raised_on >= first) & (Complaint.raised_on <= last)
    if branch is not None:
        where &= Complaint.branch == branch
    due = Complaint.handover_due_at.is_null(False)
    on_time = due & Complaint.handed_over_at.is_null(False) & (Complaint.handed_over_at <= Complaint.handover_due_at)
    source = fn.COALESCE(Complaint.source, "hotline")  # complaint.raised says hotline when it says nothing
    rows = (Complaint.select(source, fn.COUNT(Complaint.id), fn.SUM(Case(None, [(due, 1)], 0)),
                             fn.SUM(Case(None, [(on_time, 1)], 0)))
            .where(where).group_by(source).tuples())
    return {name: (int(total or 0), int(due_n or 0), int(on_time_n or 0)) for name, total, due_n, on_time_n in rows}


def findings(organization: str, first: date, last: date, *, limit: int, tz, branch: str | None = None) -> dict:
    """Gives the findings block (domain/summary.py) of the days `first`..`last` (inside a connection)."""
    where = _callbacks(organization, first, last, branch)
    listed, total = _dissatisfied(where, limit, tz)
    answers = Callback.select(Callback.yes_no_answers).where(where & Callback.yes_no_answers.is_null(False))
    return {"dissatisfied": listed, "dissatisfied_total": total,
            "yes_no": yes_no_counts((row for (row,) in answers.tuples()), _labels(organization)),
            "complaint_sources": source_rows(_sources(organization, first, last, branch))}
