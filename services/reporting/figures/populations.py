"""Who counts in which figure of the month (RULES 3), as SQL conditions on the read model: the month's
callbacks (by due date; cancelled and declined ones count nowhere), its survey callbacks (the
population of the completion and satisfaction rates: every kind but the follow-up calls), the
customers served in it, and which of them returned or were touched (感动) by a survey callback of
that service, whatever month it falls in.
"""
from __future__ import annotations

from peewee import SQL, fn

from ..domain.kpi import month_bounds
from ..domain.policy import ReportPolicy
from ..models import CANCELLED, DECLINED, OPEN, SERVED_ORDER, Callback, ServedDay


def month_callbacks(organization: str, month: str, branch: str | None = None):
    """Gives the SQL condition of the callbacks of `month` (by due date; cancelled ones count nowhere)."""
    return month_callbacks_of(organization, month, branch)


def month_callbacks_of(organization: str, month: str, branch: str | None = None):
    first, last = month_bounds(month)
    # a declined callback is counted apart (desk.py), not among the month's callbacks
    where = ((Callback.organization == organization) & (Callback.due_on >= first) & (Callback.due_on <= last)
             & Callback.status.not_in((CANCELLED, DECLINED)))
    return where if branch is None else where & (Callback.branch == branch)


def is_survey(policy: ReportPolicy, model=Callback):
    """Gives the SQL condition of a survey callback (RULES 3): every kind but the follow-up calls
    (verifications, repeat-complaint special callbacks, promise and question follow-ups), which ask
    questionnaires of their own and count in no survey rate."""
    kinds = sorted(policy.follow_up_kinds)
    return model.kind.is_null() | model.kind.not_in(kinds) if kinds else model.id.is_null(False)


def survey_callbacks(organization: str, month: str, policy: ReportPolicy, branch: str | None = None):
    """Gives the SQL condition of the month's survey callbacks: the population of the completion and
    satisfaction rates (RULES 3)."""
    return month_callbacks_of(organization, month, branch) & is_survey(policy)


def served_branch(where, branch: str | None):
    return where if branch is None else where & (ServedDay.branch == branch)


def returning_customer(month: str):
    """Gives the SQL condition of a ServedDay row whose customer was also served before `month` (回头)."""
    first, _ = month_bounds(month)
    earlier = ServedDay.alias("earlier")
    return fn.EXISTS(earlier.select(SQL("1")).where(
        (earlier.organization == ServedDay.organization) & (earlier.customer_id == ServedDay.customer_id)
        & (earlier.served_on < first)))


def _for_service(touch, condition):
    """Gives the SQL condition that a survey callback `touch` of the ServedDay row's service (its order,
    or its delivery) meets `condition`: two EXISTS, each on its own index of the callbacks."""
    def exists(link):
        return fn.EXISTS(touch.select(SQL("1")).where(
            (touch.organization == ServedDay.organization) & link & (touch.status != CANCELLED) & condition))
    return (((ServedDay.source_kind == SERVED_ORDER) & exists(touch.order_id == ServedDay.source_id))
            | ((ServedDay.source_kind != SERVED_ORDER) & exists(touch.delivery_id == ServedDay.source_id)))


def touched_customer(month: str, policy: ReportPolicy):
    """Gives the SQL condition of a ServedDay row of `month` whose service has a reached survey callback,
    whatever month it falls in, with every answer given very satisfied (感动, RULES 3): a customer served on
    the month's last days counts in that month once their first callback, due the next month, is made."""
    touch = Callback.alias("touch")
    return _for_service(touch, (touch.reached == True)  # noqa: E712
                        & is_survey(policy, touch)
                        # every answer given is very satisfied, and at least one was given
                        & (fn.COALESCE(touch.product_satisfaction, "very_satisfied") == "very_satisfied")
                        & (fn.COALESCE(touch.service_satisfaction, "very_satisfied") == "very_satisfied")
                        & (touch.product_satisfaction.is_null(False) | touch.service_satisfaction.is_null(False)))


def touched_can_rise(organization: str, month: str, policy: ReportPolicy, branch: str | None = None) -> bool:
    """Gives whether the month's touched rate can still rise: a customer served in it, not touched, has a
    survey callback for that service still open (RULES 3: the report says so)."""
    pending = Callback.alias("pending")
    waiting = _for_service(pending, (pending.status == OPEN) & is_survey(policy, pending))
    return ServedDay.select(SQL("1")).where(
        served_branch(served_in_month(organization, month), branch) & ~touched_customer(month, policy)
        & waiting).exists()


def served_in_month(organization: str, month: str):
    """Gives the SQL condition of the ServedDay rows of `month` (the customers served in it)."""
    first, last = month_bounds(month)
    return (ServedDay.organization == organization) & (ServedDay.served_on >= first) & (ServedDay.served_on <= last)
