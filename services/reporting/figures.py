"""The month's counts, aggregated in SQL from the read model (RULES 3), and the ReportData.

What belongs to a month: a callback by its `due_on`, a complaint by the day it was raised,
a customer is served on the days an order of theirs was completed or a delivery of theirs
shipped or commissioned. Cancelled callbacks count nowhere. Every count is one GROUP BY /
COUNT(DISTINCT) / CASE query per month: nothing loads a month's rows into Python, except
the listings, which are capped by the policy's `listing_limit` (their full counts are
counted in SQL: `listing_totals`).
"""
from __future__ import annotations

from datetime import datetime, timezone

from peewee import JOIN, SQL, Case, NodeList, fn

from shared.answers import SATISFIED_ANSWERS
from shared.db import is_postgres

from .domain.kpi import ANSWERS, TREND_MONTHS, MonthCounts, month_bounds, previous_months
from .domain.policy import ReportPolicy
from .domain.report import (DEADLINES, CallbackListing, ComplaintSummary, Remark, ReportData, build_report,
                            complaint_summary)
from .models import CANCELLED, OPEN, UNREACHABLE, Callback, Complaint, Customer, ServedDay


def _count_distinct(expression):
    return fn.COUNT(NodeList((SQL("DISTINCT"), expression)))


def _sum_when(condition):
    return fn.COALESCE(fn.SUM(Case(None, [(condition, 1)], 0)), 0)


def _month_callbacks(organization: str, month: str):
    first, last = month_bounds(month)
    return ((Callback.organization == organization) & (Callback.due_on >= first) & (Callback.due_on <= last)
            & (Callback.status != CANCELLED))


def _customer_join(query):
    return query.join(Customer, JOIN.LEFT_OUTER, on=(
        (Customer.organization == Callback.organization) & (Customer.customer_id == Callback.customer_id)))


def _callback_counts(organization: str, month: str, policy: ReportPolicy):
    reached = Callback.reached == True  # noqa: E712 (SQL, not Python truth)
    key = ((Callback.key_customer == True) | (Customer.flagged == True)  # noqa: E712
           | Customer.segment.in_(list(policy.key_segments)))
    ordinary = ~fn.COALESCE(key, False)
    return _customer_join(Callback.select(
        fn.COUNT(Callback.id),
        _sum_when(reached),
        _sum_when(key),
        _sum_when(key & reached),
        _sum_when(ordinary),
        _sum_when(ordinary & reached),
        fn.COUNT(Callback.product_satisfaction),
        _sum_when(Callback.product_satisfaction.in_(sorted(SATISFIED_ANSWERS))),
        fn.COUNT(Callback.service_satisfaction),
        _sum_when(Callback.service_satisfaction.in_(sorted(SATISFIED_ANSWERS))),
    )).where(_month_callbacks(organization, month)).tuples()


def _served_counts(organization: str, month: str):
    first, last = month_bounds(month)
    earlier = ServedDay.alias("earlier")
    returning = fn.EXISTS(earlier.select(SQL("1")).where(
        (earlier.organization == ServedDay.organization) & (earlier.customer_id == ServedDay.customer_id)
        & (earlier.served_on < first)))
    touch = Callback.alias("touch")
    touched = fn.EXISTS(touch.select(SQL("1")).where(
        (touch.organization == ServedDay.organization) & (touch.customer_id == ServedDay.customer_id)
        & (touch.due_on >= first) & (touch.due_on <= last) & (touch.status != CANCELLED)
        & (touch.reached == True)  # noqa: E712
        # every answer given is very satisfied, and at least one was given
        & (fn.COALESCE(touch.product_satisfaction, "very_satisfied") == "very_satisfied")
        & (fn.COALESCE(touch.service_satisfaction, "very_satisfied") == "very_satisfied")
        & (touch.product_satisfaction.is_null(False) | touch.service_satisfaction.is_null(False))))
    return ServedDay.select(
        _count_distinct(ServedDay.customer_id),
        _count_distinct(Case(None, [(touched, ServedDay.customer_id)], None)),
        _count_distinct(Case(None, [(returning, ServedDay.customer_id)], None)),
    ).where((ServedDay.organization == organization) & (ServedDay.served_on >= first)
            & (ServedDay.served_on <= last)).tuples()


def _answer_counts(organization: str, month: str, column):
    return (Callback.select(column, fn.COUNT(Callback.id))
            .where(_month_callbacks(organization, month) & column.in_(list(ANSWERS)))
            .group_by(column).tuples())


def month_queries(organization: str, month: str, policy: ReportPolicy) -> dict:
    """Gives the month's aggregation queries by name (for EXPLAIN: bench/reporting.py)."""
    return {"callbacks": _callback_counts(organization, month, policy),
            "served": _served_counts(organization, month),
            "product_answers": _answer_counts(organization, month, Callback.product_satisfaction),
            "service_answers": _answer_counts(organization, month, Callback.service_satisfaction)}


def explain(query) -> list[str]:
    """Gives the database's plan of a query, one line per step (SQLite or PostgreSQL)."""
    database = query.model._meta.database
    sql, params = query.sql()
    if is_postgres(database):
        return [row[0] for row in database.execute_sql("EXPLAIN " + sql, params)]
    return [row[-1] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]


def month_counts(organization: str, month: str, policy: ReportPolicy) -> MonthCounts:
    """Gives the counts of one month of one organisation, in two queries."""
    callbacks = _callback_counts(organization, month, policy).get()
    served = _served_counts(organization, month).get()
    n = [int(v or 0) for v in (*callbacks, *served)]
    return MonthCounts(
        callbacks=n[0], callbacks_reached=n[1], key_callbacks=n[2], key_callbacks_reached=n[3],
        ordinary_callbacks=n[4], ordinary_callbacks_reached=n[5], product_answered=n[6], product_satisfied=n[7],
        service_answered=n[8], service_satisfied=n[9], customers_served=n[10], customers_touched=n[11],
        customers_returning=n[12])


def satisfaction_answers(organization: str, month: str) -> dict[str, dict[str, int]]:
    """Gives, for product and service quality, the month's count per five-point answer."""
    out = {}
    for name, column in (("product", Callback.product_satisfaction), ("service", Callback.service_satisfaction)):
        counts = dict(_answer_counts(organization, month, column))
        out[name] = {answer: int(counts[answer]) for answer in ANSWERS if answer in counts}
    return out


def _month_complaints(organization: str, month: str):
    first, last = month_bounds(month)
    return (Complaint.organization == organization) & (Complaint.raised_on >= first) & (Complaint.raised_on <= last)


def month_complaints(organization: str, month: str, now: datetime) -> ComplaintSummary:
    """Gives the complaint analysis of the complaints raised in the month (投诉分析).

    A deadline counts once it is met or has passed; it is met when done by its due time.
    """
    where = _month_complaints(organization, month)
    by_category = dict(Complaint.select(fn.COALESCE(Complaint.category, "other"), fn.COUNT(Complaint.id))
                       .where(where).group_by(fn.COALESCE(Complaint.category, "other")).tuples())
    by_class = dict(Complaint.select(fn.COALESCE(Complaint.customer_class, "ordinary"), fn.COUNT(Complaint.id))
                    .where(where).group_by(fn.COALESCE(Complaint.customer_class, "ordinary")).tuples())
    by_level: dict[str, int] = {}
    for level, role, count in (Complaint.select(Complaint.resolved_level, Complaint.resolved_level_role,
                                                fn.COUNT(Complaint.id))
                               .where(where & Complaint.resolved_level.is_null(False))
                               .group_by(Complaint.resolved_level, Complaint.resolved_level_role).tuples()):
        label = role or str(level)
        by_level[label] = by_level.get(label, 0) + int(count)
    at = now.astimezone(timezone.utc).replace(tzinfo=None)
    pairs = {"first_reply": (Complaint.first_reply_due_at, Complaint.first_reply_at),
             "answer": (Complaint.answer_due_at, Complaint.answered_at),
             "verify": (Complaint.verify_due_at, Complaint.closed_at)}
    columns = []
    for name in DEADLINES:
        due, done = pairs[name]
        columns.append(_sum_when(due.is_null(False) & done.is_null(False) & (done <= due)))
        columns.append(_sum_when(due.is_null(False) & (done.is_null(False) | (due < at))))
    row = Complaint.select(
        *columns,
        fn.COALESCE(fn.SUM(Complaint.service_hours_to_resolve), 0),
        fn.COUNT(Complaint.service_hours_to_resolve),
        _sum_when(Complaint.reopened_count > 0),
    ).where(where).tuples().get()
    deadlines = {name: (int(row[2 * i] or 0), int(row[2 * i + 1] or 0)) for i, name in enumerate(DEADLINES)}
    deadlines = {name: counts for name, counts in deadlines.items() if counts[1]}
    tail = row[2 * len(DEADLINES):]
    return complaint_summary(
        by_category={k: int(v) for k, v in by_category.items()},
        by_customer_class={k: int(v) for k, v in by_class.items()},
        by_level=by_level, deadlines_met=deadlines, resolve_service_hours=float(tail[0] or 0),
        resolved=int(tail[1] or 0), reopened=int(tail[2] or 0))


def _name(customer_name, customer_id) -> str:
    return customer_name or customer_id or "—"


def _listing(where, limit: int) -> list[CallbackListing]:
    rows = (_customer_join(Callback.select(Customer.name, Callback.customer_id, Customer.phone, Callback.kind,
                                           Callback.due_on))
            .where(where).order_by(Callback.due_on, Callback.callback_id).limit(limit).tuples())
    return [CallbackListing(_name(name, cid), phone, kind or "", due) for name, cid, phone, kind, due in rows]


def listings(organization: str, month: str, policy: ReportPolicy, *, today, tz) -> dict:
    """Gives suggestions, churn reasons, overdue callbacks and unreachable customers of the month,
    each at most `policy.listing_limit` rows, and `listing_totals`: the full count of each."""
    limit = policy.listing_limit
    overdue_from = fn.COALESCE(Callback.overdue_on, Callback.due_on)
    month_callbacks = _month_callbacks(organization, month)
    where = {
        "suggestions": month_callbacks & Callback.suggestions.is_null(False),
        "churn_reasons": _month_complaints(organization, month) & Complaint.churn_reason.is_null(False),
        "overdue": month_callbacks & (Callback.status == OPEN) & (overdue_from < today),
        "unreachable": month_callbacks & (Callback.status == UNREACHABLE),
    }
    suggestions = []
    for name, cid, text, recorded_at in (
            _customer_join(Callback.select(Customer.name, Callback.customer_id, Callback.suggestions,
                                           Callback.recorded_at))
            .where(where["suggestions"]).order_by(Callback.recorded_at, Callback.callback_id).limit(limit).tuples()):
        recorded_on = recorded_at.replace(tzinfo=timezone.utc).astimezone(tz).date() if recorded_at else None
        suggestions.append(Remark(_name(name, cid), text, recorded_on))
    churn = []
    for name, cid, text, category, raised_on in (
            Complaint.select(Customer.name, Complaint.customer_id, Complaint.churn_reason, Complaint.category,
                             Complaint.raised_on)
            .join(Customer, JOIN.LEFT_OUTER, on=((Customer.organization == Complaint.organization)
                                                 & (Customer.customer_id == Complaint.customer_id)))
            .where(where["churn_reasons"]).order_by(Complaint.raised_on, Complaint.complaint_id).limit(limit)
            .tuples()):
        churn.append(Remark(_name(name, cid), text, raised_on, category))
    # One pass over the month's callbacks counts the three callback lists in full.
    suggested, overdue, unreachable = Callback.select(
        _sum_when(Callback.suggestions.is_null(False)),
        _sum_when((Callback.status == OPEN) & (overdue_from < today)),
        _sum_when(Callback.status == UNREACHABLE),
    ).where(month_callbacks).tuples().get()
    churned = Complaint.select(fn.COUNT(Complaint.id)).where(where["churn_reasons"]).scalar()
    return {
        "suggestions": suggestions,
        "churn_reasons": churn,
        "overdue": _listing(where["overdue"], limit),
        "unreachable": _listing(where["unreachable"], limit),
        "listing_totals": {"suggestions": int(suggested or 0), "churn_reasons": int(churned or 0),
                           "overdue": int(overdue or 0), "unreachable": int(unreachable or 0)},
    }


def build_report_data(organization: str, month: str, *, language: str, policy: ReportPolicy, now: datetime,
                      tz) -> ReportData:
    """Gives the month's report of an organisation, as the JSON route and the PDF show it."""
    local_now = now.astimezone(tz)
    trend = {m: month_counts(organization, m, policy) for m in previous_months(month, TREND_MONTHS)}
    return build_report(
        organization=organization, month=month, language=language,
        counts=month_counts(organization, month, policy), trend_counts=trend, trend_months=TREND_MONTHS,
        targets=policy.targets,
        complaints=month_complaints(organization, month, now),
        satisfaction_answers=satisfaction_answers(organization, month),
        generated_at=local_now.isoformat(timespec="seconds"),
        **listings(organization, month, policy, today=local_now.date(), tz=tz))
