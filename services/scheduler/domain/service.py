"""RULES 1.2-1.4: callbacks after a completed service (vehicle, property, retail)."""

from __future__ import annotations

import calendar as _stdlib_calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Iterable

from services.scheduler.errors import SchedulerDomainError
from services.scheduler.domain.planned import PlannedCallback, plan_on
from services.scheduler.domain.policy import (
    BusinessLinePolicy,
    CallbackRule,
    OrderKindPolicy,
    PeriodicRule,
    Policy,
)
from services.scheduler.domain.sampling import sampling_period
from shared.core.calendar import WorkingCalendar, add_months

__all__ = [
    "ExistingCustomer",
    "batch_cutoff_on",
    "callback_rules_for",
    "is_batched",
    "is_key_customer",
    "plan_periodic_callbacks",
    "plan_rule",
    "plan_service_callbacks",
    "property_batch_for",
    "sample_rate_for",
]

def is_key_customer(segment: str | None, kind: str | None, flagged: bool, policy: Policy) -> bool:
    """Gives True for a key customer (重点客户): key segment, key order kind, or flagged.

    ``flagged`` is the special mark a customer gets the day after a complaint is resolved.
    """
    rules = policy.key_customers
    return bool(flagged) or segment in rules.segments or kind in rules.order_kinds


def is_batched(*, business_line: str, kind: str, policy: Policy) -> bool:
    """Gives True when orders of ``kind`` wait for the monthly batch sample."""
    override = _order_kind(_line(business_line, policy), kind)
    return override is not None and override.batched


def sample_rate_for(*, business_line: str, kind: str, key: bool, policy: Policy) -> float:
    """Gives the share of such orders to call back: the key-customer rate for key ones.

    Batched kinds are sampled by volume tiers instead (see ``sampling.target_count``).
    """
    if key:
        return policy.key_customers.sample_rate
    line = _line(business_line, policy)
    override = _order_kind(line, kind)
    if override is not None and override.sample_rate is not None:
        return override.sample_rate
    return line.ordinary_sample_rate


def callback_rules_for(*, business_line: str, kind: str, policy: Policy) -> tuple[CallbackRule, ...]:
    """Gives the callback rules an order kind follows (its own, else its line's)."""
    line = _line(business_line, policy)
    override = _order_kind(line, kind)
    if override is not None and override.callbacks is not None:
        return override.callbacks
    return line.callbacks


def plan_service_callbacks(
    *,
    business_line: str,
    kind: str,
    completed_on: date,
    key: bool,
    policy: Policy,
    calendar: WorkingCalendar,
) -> list[PlannedCallback]:
    """Gives the callbacks for one completed order, or its batch placeholder.

    Whether an ordinary customer's order is called at all is a sampling decision
    (``sample_rate_for`` and ``sampling.decide_sample``); this gives the dates. A batched
    kind gives one callback named after the order kind, with ``batch_period`` set and
    due on the batch's day; it is called only if the batch sample picks it. ``key`` is
    accepted for symmetry and does not change the dates.

    Raises:
      SchedulerDomainError: for an unknown business line, or a kind with no rule.
    """
    del key  # dates do not depend on it; sampling does
    if is_batched(business_line=business_line, kind=kind, policy=policy):
        period, nominal_on = property_batch_for(completed_on, policy)
        return [plan_on(kind, nominal_on, calendar=calendar, batch_period=period)]
    rules = callback_rules_for(business_line=business_line, kind=kind, policy=policy)
    if not rules:
        raise SchedulerDomainError(
            f"business line {business_line!r} has no callback rule for order kind {kind!r}",
            field="kind",
        )
    return [plan_rule(rule, completed_on, calendar=calendar) for rule in rules]


def plan_rule(rule: CallbackRule, start_on: date, *, calendar: WorkingCalendar) -> PlannedCallback:
    """Gives the callback one rule asks for, counting from ``start_on`` (a completion or resolution)."""
    if rule.unit == "working_days":
        nominal_on = calendar.add_working_days(start_on, rule.offset)
    else:
        nominal_on = _offset(start_on, rule.offset, rule.unit)
    overdue_on = None
    if rule.overdue_after is not None:
        overdue_on = (
            calendar.add_working_days(start_on, rule.overdue_after)
            if rule.unit == "working_days"
            else _offset(start_on, rule.overdue_after, rule.unit)
        )
    planned = plan_on(rule.kind, nominal_on, calendar=calendar, overdue_on=overdue_on)
    return replace(planned, immediate=True) if rule.immediate else planned


def property_batch_for(
    completed_on: date, policy: Policy, *, calendar: WorkingCalendar | None = None
) -> tuple[str, date]:
    """Gives ``(period "YYYY-MM", due_on)`` of the monthly batch an order falls into.

    Orders completed on or before the batch day fall into that month's batch, due that
    day; later ones into next month's. A batch day past a month's end means its last
    day. With a ``calendar``, ``due_on`` is moved to a working day.
    """
    day = policy.batch.day_of_month
    cutoff = _clamped_day(completed_on.year, completed_on.month, day)
    month_start = completed_on.replace(day=1)
    if completed_on > cutoff:
        month_start = add_months(month_start, 1)
    due_on = _clamped_day(month_start.year, month_start.month, day)
    if calendar is not None:
        due_on = calendar.roll_forward(due_on)
    return sampling_period(month_start), due_on


def _line(business_line: str, policy: Policy) -> BusinessLinePolicy:
    try:
        return policy.business_lines[business_line]
    except KeyError:
        raise SchedulerDomainError(
            f"policy {policy.sampling_key} has no business line {business_line!r}",
            field="business_line",
        ) from None


def _order_kind(line: BusinessLinePolicy, kind: str) -> OrderKindPolicy | None:
    return line.order_kinds.get(kind)


def _offset(day: date, amount: int, unit: str) -> date:
    if unit == "months":
        return add_months(day, amount)
    return day + timedelta(days=amount)


def _clamped_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, _stdlib_calendar.monthrange(year, month)[1]))


def batch_cutoff_on(period: str, policy: Policy) -> date:
    """Gives the last completion day of the monthly batch ``period`` ("YYYY-MM"), its nominal due day."""
    year, month = (int(part) for part in period.split("-"))
    return _clamped_day(year, month, policy.batch.day_of_month)


@dataclass(frozen=True)
class ExistingCustomer:
    """A customer of a business line, as the periodic callbacks (RULES 1.4) see them.

    ``last_contact_on``: the due date of their last callback of the line (done or planned),
    else the day of their last order.
    """

    customer_id: str
    key: bool
    last_contact_on: date


def plan_periodic_callbacks(
    customers: Iterable[ExistingCustomer], *, today: date, rule: PeriodicRule, calendar: WorkingCalendar
) -> list[tuple[str, PlannedCallback]]:
    """Gives ``(customer_id, callback)`` for each existing customer whose last contact is a period old.

    RULES 1.4: once every ``rule.every_months`` (key customers every ``rule.key_every_months``);
    the callback is due ``today`` (moved to a working day).
    """
    due = []
    for customer in customers:
        months = rule.key_every_months if customer.key else rule.every_months
        if add_months(customer.last_contact_on, months) <= today:
            due.append((customer.customer_id, plan_on(rule.kind, today, calendar=calendar)))
    return due
