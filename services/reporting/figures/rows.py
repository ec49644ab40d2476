"""The rows behind a figure of the month: the callbacks, customers or complaints counted in its
denominator, each saying whether it counts in the numerator (the report room's links).

The conditions are month.py's own (the same SQL builds the counts and these lists), so a
list always adds up to its figure. A read of the read model, paged: nothing loads a month.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from peewee import JOIN, Case, fn

from shared.core.answers import SATISFIED_ANSWERS

from ..domain.report import DEADLINES
from .month import (DEADLINE_COLUMNS, _customer_join, deadline_counted, deadline_met, key_callback,
                      month_complaints_where, ordinary_callback, returning_customer,
                      served_in_month, survey_callbacks, touched_customer)
from ..models import Callback, Complaint, Customer, ServedDay

#: Figures whose rows are the month's callbacks: the condition of the denominator's subset.
CALLBACK_FIGURES = ("callback_completion_rate", "key_callback_completion_rate", "ordinary_callback_completion_rate")
#: Figures whose rows are the callbacks that answered a question, and the answer's column.
ANSWER_FIGURES = {"product_satisfaction_rate": "product_satisfaction",
                  "service_satisfaction_rate": "service_satisfaction"}
#: Figures whose rows are the customers served in the month.
CUSTOMER_FIGURES = ("touched_rate", "return_rate")
#: The complaint deadlines' on-time shares, by the name the pages give them.
DEADLINE_FIGURES = {f"{name}_on_time": name for name in DEADLINES if name in DEADLINE_COLUMNS}
#: Every figure that has rows behind it.
ROW_FIGURES = (*CALLBACK_FIGURES, *ANSWER_FIGURES, *CUSTOMER_FIGURES, *DEADLINE_FIGURES)


@dataclass(frozen=True)
class FigureRows:
    """One page of the rows behind a figure: what they are ("callbacks", "answers", "customers",
    "complaints"), the rows (dicts, `counts` True when in the numerator), and how many in all."""

    kind: str
    rows: list[dict]
    total: int
    counted: int


def _name(name, customer_id) -> str:
    return name or customer_id or "—"


def figure_rows(organization: str, month: str, figure: str, *, policy, now: datetime, only: bool | None = None,
                limit: int = 50, offset: int = 0) -> FigureRows:
    """Gives a page of the rows behind `figure` of `month` (`only`: True the numerator's rows,
    False the others, None all), in a stable order.

    Raises:
      KeyError: `figure` has no rows (not in ROW_FIGURES).
    """
    if figure in CALLBACK_FIGURES or figure in ANSWER_FIGURES:
        return _callback_rows(organization, month, figure, policy=policy, only=only, limit=limit, offset=offset)
    if figure in CUSTOMER_FIGURES:
        return _customer_rows(organization, month, figure, policy=policy, only=only, limit=limit, offset=offset)
    if figure in DEADLINE_FIGURES:
        return _complaint_rows(organization, month, DEADLINE_FIGURES[figure], now=now, only=only, limit=limit,
                               offset=offset)
    raise KeyError(figure)


def _callback_rows(organization, month, figure, *, policy, only, limit, offset) -> FigureRows:
    where = survey_callbacks(organization, month, policy)  # RULES 3: the survey callbacks only
    if figure == "key_callback_completion_rate":
        where &= key_callback(policy)
    elif figure == "ordinary_callback_completion_rate":
        where &= ordinary_callback(policy)
    answer = getattr(Callback, ANSWER_FIGURES[figure]) if figure in ANSWER_FIGURES else None
    if answer is not None:
        where &= answer.is_null(False)
        counts = answer.in_(sorted(SATISFIED_ANSWERS))
    else:
        counts = Callback.reached == True  # noqa: E712 (SQL, not Python truth)
    counts = fn.COALESCE(counts, False)
    total, counted = (_customer_join(Callback.select(fn.COUNT(Callback.id),
                                                     fn.COALESCE(fn.SUM(Case(None, [(counts, 1)], 0)), 0)))
                      .where(where).tuples().get())
    if only is not None:
        where &= counts if only else ~counts
    query = (_customer_join(Callback.select(
        Callback.callback_id, Callback.customer_id, Customer.name, Callback.kind, Callback.due_on, Callback.status,
        Callback.reached, answer if answer is not None else Callback.product_satisfaction, Callback.recorded_at,
        Callback.complaint_id, Case(None, [(counts, 1)], 0)))
        .where(where).order_by(Callback.due_on, Callback.callback_id).limit(limit).offset(offset).tuples())
    rows = [{"callback_id": callback_id, "customer": _name(name, customer_id), "kind": kind or "", "due_on": due_on,
             "status": status, "reached": reached, "answer": answer_given if answer is not None else None,
             "recorded_at": recorded_at,
             "complaint_id": complaint_id, "counts": bool(in_numerator)}
            for (callback_id, customer_id, name, kind, due_on, status, reached, answer_given, recorded_at,
                 complaint_id, in_numerator) in query]
    return FigureRows(kind="answers" if answer is not None else "callbacks", rows=rows, total=int(total or 0),
                      counted=int(counted or 0))


def _customer_rows(organization, month, figure, *, policy, only, limit, offset) -> FigureRows:
    counts = touched_customer(month, policy) if figure == "touched_rate" else returning_customer(month)
    where = served_in_month(organization, month)
    flag = fn.MAX(Case(None, [(counts, 1)], 0))
    grouped = (ServedDay.select(ServedDay.customer_id, flag.alias("counts")).where(where)
               .group_by(ServedDay.organization, ServedDay.customer_id))
    summary = grouped.alias("served")
    total, counted = (ServedDay.select(fn.COUNT(summary.c.customer_id), fn.COALESCE(fn.SUM(summary.c.counts), 0))
                      .from_(summary).tuples().get())
    query = (ServedDay.select(ServedDay.customer_id, Customer.name, fn.MIN(ServedDay.served_on),
                              fn.MAX(ServedDay.served_on), fn.COUNT(ServedDay.id), flag)
             .join(Customer, JOIN.LEFT_OUTER, on=((Customer.organization == ServedDay.organization)
                                                  & (Customer.customer_id == ServedDay.customer_id)))
             .where(where).group_by(ServedDay.organization, ServedDay.customer_id, Customer.name))
    if only is not None:
        query = query.having(flag == (1 if only else 0))
    rows = [{"customer_id": customer_id, "customer": _name(name, customer_id), "first_served_on": first,
             "last_served_on": last, "times": int(times), "counts": bool(in_numerator)}
            for customer_id, name, first, last, times, in_numerator
            in query.order_by(ServedDay.customer_id).limit(limit).offset(offset).tuples()]
    return FigureRows(kind="customers", rows=rows, total=int(total or 0), counted=int(counted or 0))


def _complaint_rows(organization, month, deadline, *, now, only, limit, offset) -> FigureRows:
    at = now.astimezone(timezone.utc)
    counts = deadline_met(deadline)
    where = month_complaints_where(organization, month) & deadline_counted(deadline, at)
    total, counted = (Complaint.select(fn.COUNT(Complaint.id), fn.COALESCE(fn.SUM(Case(None, [(counts, 1)], 0)), 0))
                      .where(where).tuples().get())
    if only is not None:
        where &= counts if only else ~counts
    due, done = DEADLINE_COLUMNS[deadline]
    query = (Complaint.select(Complaint.complaint_id, Complaint.customer_id, Customer.name, Complaint.category,
                              Complaint.raised_at, due, done, Case(None, [(counts, 1)], 0))
             .join(Customer, JOIN.LEFT_OUTER, on=((Customer.organization == Complaint.organization)
                                                  & (Customer.customer_id == Complaint.customer_id)))
             .where(where).order_by(Complaint.raised_at, Complaint.complaint_id).limit(limit).offset(offset).tuples())
    rows = [{"complaint_id": complaint_id, "customer": _name(name, customer_id), "category": category,
             "raised_at": raised_at, "due_at": due_at, "done_at": done_at,
             "counts": bool(in_numerator)}
            for complaint_id, customer_id, name, category, raised_at, due_at, done_at, in_numerator in query]
    return FigureRows(kind="complaints", rows=rows, total=int(total or 0), counted=int(counted or 0))
