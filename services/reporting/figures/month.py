"""The month's counts, aggregated in SQL from the read model (RULES 3), and the ReportData.

A month's figures exist for the organisation and for each branch (`branch`):
a callback, and a served day, of its delivery's or order's branch; a complaint of the branch its
`complaint.raised` named (complaints raised before they carried one count for no branch).

What belongs to a month: a callback by its `due_on`, a complaint by the day it was raised,
a customer is served on the days an order of theirs was completed or a delivery of theirs
shipped or commissioned. Cancelled callbacks count nowhere. Every count is one GROUP BY /
COUNT(DISTINCT) / CASE query per month: nothing loads a month's rows into Python, except
the listings, which are capped by the policy's `listing_limit` (their full counts are
counted in SQL: `listing_totals`).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from peewee import JOIN, SQL, Case, NodeList, fn

from shared.core.answers import SATISFIED_ANSWERS
from shared.core.db import is_postgres

from . import desk
from .churn import callback_churn, merged_churn
from ..domain.kpi import ANSWERS, TREND_MONTHS, MonthCounts, month_bounds, previous_months
from ..domain.policy import ReportPolicy
from ..domain.report import (DEADLINES, CallbackListing, ComplaintSummary, Remark, ReportData, build_report,
                            complaint_summary)
from ..models import CANCELLED, OPEN, SERVED_ORDER, UNREACHABLE, Callback, Complaint, Customer, ServedDay
from .populations import (is_survey, month_callbacks, returning_customer, served_branch, served_in_month,  # noqa: F401
                          survey_callbacks, touched_can_rise, touched_customer)
from .populations import month_callbacks_of as _month_callbacks
from .populations import served_branch as _served_branch


def _count_distinct(expression):
    return fn.COUNT(NodeList((SQL("DISTINCT"), expression)))


def _sum_when(condition):
    return fn.COALESCE(fn.SUM(Case(None, [(condition, 1)], 0)), 0)


def _customer_join(query):
    return query.join(Customer, JOIN.LEFT_OUTER, on=(
        (Customer.organization == Callback.organization) & (Customer.customer_id == Callback.customer_id)))


def key_callback(policy: ReportPolicy):
    """Gives the SQL condition of a key customer's callback (重点客户) on Callback joined with
    Customer (`_customer_join`): the class the callback had when it was planned (handlers/callbacks.py
    keeps it; a customer flagged later never changes a past month), or for a callback stored
    before 1.4.0 without one, a key segment."""
    return fn.COALESCE(Callback.key_customer, Customer.segment.in_(list(policy.key_segments)),
                       False) == True  # noqa: E712 (SQL, not Python truth)


def ordinary_callback(policy: ReportPolicy):
    """Gives the SQL condition of an ordinary customer's callback (every callback not a key one)."""
    return ~key_callback(policy)


def _callback_counts(organization: str, month: str, policy: ReportPolicy, branch: str | None = None):
    reached = Callback.reached == True  # noqa: E712 (SQL, not Python truth)
    key = key_callback(policy)
    ordinary = ordinary_callback(policy)
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
        _sum_when(reached & Callback.over_time_limit.is_null(False)),
        _sum_when(reached & (Callback.over_time_limit == True)),  # noqa: E712
        _sum_when(Callback.outside_call_window.is_null(False)),
        _sum_when(Callback.outside_call_window == True),  # noqa: E712
    )).where(survey_callbacks(organization, month, policy, branch)).tuples()


def _verification_counts(organization: str, month: str, policy: ReportPolicy, branch: str | None = None):
    """The month's verification callbacks (RULES 3: a figure of their own): all, those that reached the
    customer by their last day on time, those that answered the handling question, and satisfied."""
    on_time = (Callback.reached == True) & Callback.reached_on.is_null(False) & (  # noqa: E712
        Callback.reached_on <= fn.COALESCE(Callback.overdue_on, Callback.due_on))
    return Callback.select(
        fn.COUNT(Callback.id), _sum_when(on_time), fn.COUNT(Callback.service_satisfaction),
        _sum_when(Callback.service_satisfaction.in_(sorted(SATISFIED_ANSWERS))),
    ).where(_month_callbacks(organization, month, branch)
            & Callback.kind.in_(sorted(policy.verification_kinds) or [""])).tuples()


def _order_counts(organization: str, month: str, branch: str | None = None):
    """Ordinary customers' service orders completed in the month, and those with a callback that
    reached the customer (RULES 3), as the order's class was at its completion."""
    first, last = month_bounds(month)
    called = Callback.alias("called")
    reached = fn.EXISTS(called.select(SQL("1")).where(
        (called.organization == ServedDay.organization) & (called.order_id == ServedDay.source_id)
        & (called.reached == True) & (called.status != CANCELLED)))  # noqa: E712
    return ServedDay.select(fn.COUNT(ServedDay.id), _sum_when(reached)).where(_served_branch(
        (ServedDay.organization == organization) & (ServedDay.source_kind == SERVED_ORDER)
        & (ServedDay.served_on >= first) & (ServedDay.served_on <= last)
        & (fn.COALESCE(ServedDay.key_customer, False) == False), branch)).tuples()  # noqa: E712


def _served_counts(organization: str, month: str, policy: ReportPolicy, branch: str | None = None):
    returning = returning_customer(month)
    touched = touched_customer(month, policy)
    return ServedDay.select(
        _count_distinct(ServedDay.customer_id),
        _count_distinct(Case(None, [(touched, ServedDay.customer_id)], None)),
        _count_distinct(Case(None, [(returning, ServedDay.customer_id)], None)),
    ).where(_served_branch(served_in_month(organization, month), branch)).tuples()


def _answer_counts(organization: str, month: str, column, policy: ReportPolicy, branch: str | None = None):
    return (Callback.select(column, fn.COUNT(Callback.id))
            .where(survey_callbacks(organization, month, policy, branch) & column.in_(list(ANSWERS)))
            .group_by(column).tuples())


def month_queries(organization: str, month: str, policy: ReportPolicy) -> dict:
    """Gives the month's aggregation queries by name (for EXPLAIN: bench/reporting.py)."""
    return {"callbacks": _callback_counts(organization, month, policy),
            "served": _served_counts(organization, month, policy),
            "orders": _order_counts(organization, month),
            "verifications": _verification_counts(organization, month, policy),
            "product_answers": _answer_counts(organization, month, Callback.product_satisfaction, policy),
            "service_answers": _answer_counts(organization, month, Callback.service_satisfaction, policy)}


def explain(query) -> list[str]:
    """Gives the database's plan of a query, one line per step (SQLite or PostgreSQL)."""
    database = query.model._meta.database
    sql, params = query.sql()
    if is_postgres(database):
        return [row[0] for row in database.execute_sql("EXPLAIN " + sql, params)]
    return [row[-1] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]


def month_counts(organization: str, month: str, policy: ReportPolicy, branch: str | None = None) -> MonthCounts:
    """Gives the counts of one month of one organisation (or one `branch` of it), in four queries."""
    callbacks = _callback_counts(organization, month, policy, branch).get()
    served = _served_counts(organization, month, policy, branch).get()
    orders = _order_counts(organization, month, branch).get()
    verifications = _verification_counts(organization, month, policy, branch).get()
    n = [int(v or 0) for v in (*callbacks, *served, *orders, *verifications)]
    return MonthCounts(
        callbacks=n[0], callbacks_reached=n[1], key_callbacks=n[2], key_callbacks_reached=n[3],
        ordinary_callbacks=n[4], ordinary_callbacks_reached=n[5], product_answered=n[6], product_satisfied=n[7],
        service_answered=n[8], service_satisfied=n[9], calls_timed=n[10], calls_over_time_limit=n[11],
        calls_windowed=n[12], calls_outside_window=n[13], customers_served=n[14], customers_touched=n[15],
        customers_returning=n[16], ordinary_orders=n[17], ordinary_orders_reached=n[18], verifications=n[19],
        verifications_on_time=n[20], verifications_answered=n[21], verifications_satisfied=n[22])


def satisfaction_answers(organization: str, month: str, policy: ReportPolicy,
                         branch: str | None = None) -> dict[str, dict[str, int]]:
    """Gives, for product and service quality, the month's count per five-point answer (survey callbacks)."""
    out = {}
    for name, column in (("product", Callback.product_satisfaction), ("service", Callback.service_satisfaction)):
        counts = dict(_answer_counts(organization, month, column, policy, branch))
        out[name] = {answer: int(counts[answer]) for answer in ANSWERS if answer in counts}
    return out


#: Each 2-1-1 deadline of a complaint: (its due column, the column that meets it).
DEADLINE_COLUMNS = {"first_reply": (Complaint.first_reply_due_at, Complaint.first_reply_at),
                    "answer": (Complaint.answer_due_at, Complaint.answered_at),
                    # the verification ("1" of 2-1-1) is met by reaching the customer in time, whatever
                    # the answer; a complaint it closed was reached then too
                    "verify": (Complaint.verify_due_at, fn.COALESCE(Complaint.verified_at, Complaint.closed_at)),
                    # a repeat complaint's rework (RULES 1.3)
                    "rework": (Complaint.rework_due_at, Complaint.reworked_at)}


def deadline_met(name: str):
    """Gives the SQL condition of a complaint that met deadline `name` (done by its due time)."""
    due, done = DEADLINE_COLUMNS[name]
    return due.is_null(False) & done.is_null(False) & (done <= due)


def deadline_counted(name: str, at: datetime):
    """Gives the SQL condition of a complaint whose deadline `name` counts at `at` (aware): met,
    or passed."""
    due, done = DEADLINE_COLUMNS[name]
    return due.is_null(False) & (done.is_null(False) | (due < at))


def month_complaints_where(organization: str, month: str, branch: str | None = None):
    """Gives the SQL condition of the complaints raised in `month`."""
    return _month_complaints(organization, month, branch)


def _month_complaints(organization: str, month: str, branch: str | None = None):
    first, last = month_bounds(month)
    where = (Complaint.organization == organization) & (Complaint.raised_on >= first) & (Complaint.raised_on <= last)
    if branch is not None:
        return where & (Complaint.branch == branch)
    return where


def month_complaints(organization: str, month: str, now: datetime, policy: ReportPolicy,
                     branch: str | None = None) -> ComplaintSummary:
    """Gives the complaint analysis of the complaints raised in the month (投诉分析).

    A deadline counts once it is met or has passed; it is met when done by its due time. The
    verification ("1" of 2-1-1) is done when its callback reached the customer, whatever the
    answer (a complaint closed by it was reached then too); a repeat's rework when recorded.
    """
    where = _month_complaints(organization, month, branch)
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
    at = now.astimezone(timezone.utc)
    columns = []
    for name in DEADLINES:
        columns.append(_sum_when(deadline_met(name)))
        columns.append(_sum_when(deadline_counted(name, at)))
    row = Complaint.select(
        *columns,
        fn.COALESCE(fn.SUM(Complaint.service_hours_to_resolve), 0),
        fn.COUNT(Complaint.service_hours_to_resolve),
        _sum_when(Complaint.reopened_count > 0),
        _sum_when(Complaint.repeat == True),  # noqa: E712
    ).where(where).tuples().get()
    special = Callback.select(fn.COUNT(Callback.id), _sum_when(Callback.reached == True)).where(  # noqa: E712
        _month_callbacks(organization, month, branch) & Callback.kind.in_(list(policy.special_callback_kinds) or [""])
    ).tuples().get()
    deadlines = {name: (int(row[2 * i] or 0), int(row[2 * i + 1] or 0)) for i, name in enumerate(DEADLINES)}
    deadlines = {name: counts for name, counts in deadlines.items() if counts[1]}
    tail = row[2 * len(DEADLINES):]
    return complaint_summary(
        by_category={k: int(v) for k, v in by_category.items()},
        by_customer_class={k: int(v) for k, v in by_class.items()},
        by_level=by_level, deadlines_met=deadlines, resolve_service_hours=float(tail[0] or 0),
        resolved=int(tail[1] or 0), reopened=int(tail[2] or 0), repeat=int(tail[3] or 0),
        special_callbacks=(int(special[1] or 0), int(special[0] or 0)))


def _name(customer_name, customer_id) -> str:
    return customer_name or customer_id or "—"


def _listing(where, limit: int) -> list[CallbackListing]:
    rows = (_customer_join(Callback.select(Customer.name, Callback.customer_id, Customer.phone, Callback.kind,
                                           Callback.due_on))
            .where(where).order_by(Callback.due_on, Callback.callback_id).limit(limit).tuples())
    return [CallbackListing(_name(name, cid), phone, kind or "", due) for name, cid, phone, kind, due in rows]


def listings(organization: str, month: str, policy: ReportPolicy, *, today, tz, branch: str | None = None) -> dict:
    """Gives suggestions, churn reasons, overdue callbacks and unreachable customers of the month,
    each at most `policy.listing_limit` rows, and `listing_totals`: the full count of each."""
    limit = policy.listing_limit
    overdue_from = fn.COALESCE(Callback.overdue_on, Callback.due_on)
    month_callbacks = _month_callbacks(organization, month, branch)
    where = {
        "suggestions": month_callbacks & Callback.suggestions.is_null(False),
        "churn_reasons": _month_complaints(organization, month, branch) & Complaint.churn_reason.is_null(False),
        "overdue": month_callbacks & (Callback.status == OPEN) & (overdue_from < today),
        "unreachable": month_callbacks & (Callback.status == UNREACHABLE),
    }
    suggestions = []
    for name, cid, text, recorded_at in (
            _customer_join(Callback.select(Customer.name, Callback.customer_id, Callback.suggestions,
                                           Callback.recorded_at))
            .where(where["suggestions"]).order_by(Callback.recorded_at, Callback.callback_id).limit(limit).tuples()):
        recorded_on = recorded_at.astimezone(tz).date() if recorded_at else None
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
    # and the churn reasons the lapsed customers' "why not back" callbacks brought back (seed 000 part 5)
    called, called_total = callback_churn(organization, month, limit=limit, tz=tz, branch=branch)
    churn = merged_churn(churn, called, limit)
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
        "listing_totals": {"suggestions": int(suggested or 0), "churn_reasons": int(churned or 0) + called_total,
                           "overdue": int(overdue or 0), "unreachable": int(unreachable or 0)},
    }


def build_report_data(organization: str, month: str, *, language: str, policy: ReportPolicy, now: datetime,
                      tz, branch: str | None = None) -> ReportData:
    """Gives the month's report of an organisation (or of one `branch` of it), as
    the JSON route and the PDF show it."""
    local_now = now.astimezone(tz)
    trend = {m: month_counts(organization, m, policy, branch) for m in previous_months(month, TREND_MONTHS)}
    report = build_report(
        organization=organization, month=month, language=language,
        counts=month_counts(organization, month, policy, branch), trend_counts=trend, trend_months=TREND_MONTHS,
        targets=policy.targets,
        complaints=month_complaints(organization, month, now, policy, branch),
        satisfaction_answers=satisfaction_answers(organization, month, policy, branch),
        satisfaction_points=policy.satisfaction_points,
        generated_at=local_now.isoformat(timespec="seconds"),
        **listings(organization, month, policy, today=local_now.date(), tz=tz, branch=branch))
    # the callback quality pass rate from the reviewers' verdicts (desk.py), once there are any
    report = replace(report, touched_rate_can_rise=touched_can_rise(organization, month, policy, branch))
    quality = desk.callback_quality(organization, month, branch)
    return report if quality is None else replace(report, callback_quality=quality)
