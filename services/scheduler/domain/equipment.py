"""RULES 1.1: callbacks for equipment deliveries (设备回访), from shipment to 36 months."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from services.scheduler.errors import SchedulerDomainError
from services.scheduler.domain.planned import PlannedCallback, plan_on
from services.scheduler.domain.policy import ANCHOR_WARRANTY_END, Policy
from shared.core.calendar import WorkingCalendar, add_months

__all__ = [
    "CHANNEL_ONSITE",
    "CHANNEL_PHONE",
    "INSTALLATION",
    "channel_for",
    "plan_equipment_callbacks",
    "warranty_end_on",
]

#: The callback made while the equipment is installed, before power-on.
INSTALLATION = "installation"
#: Contact channels.
CHANNEL_PHONE = "phone"
CHANNEL_ONSITE = "onsite"


def warranty_end_on(*, shipped_on: date, commissioned_on: date | None = None, policy: Policy) -> date:
    """Gives the warranty end (质保期满): the earlier of commissioning + N or shipment + M months.

    Not yet commissioned: shipment + M months.
    """
    rules = policy.equipment
    by_shipment = add_months(shipped_on, rules.warranty_months_after_shipment)
    if commissioned_on is None:
        return by_shipment
    return min(add_months(commissioned_on, rules.warranty_months_after_commissioning), by_shipment)


def plan_equipment_callbacks(
    *,
    shipped_on: date,
    installed_on: date | None = None,
    commissioned_on: date | None = None,
    policy: Policy,
    calendar: WorkingCalendar,
) -> list[PlannedCallback]:
    """Gives the callbacks of one delivery, in the policy's order.

    The installation callback is due on ``installed_on`` if known, else shipment + N
    days. The milestones (trial run ... 36 months) wait for ``commissioned_on``; call
    again with the new date when it changes. Each is overdue N months after its due date.

    Raises:
      SchedulerDomainError: when commissioning or installation precedes shipment.
    """
    rules = policy.equipment
    for name, value in (("installed_on", installed_on), ("commissioned_on", commissioned_on)):
        if value is not None and value < shipped_on:
            raise SchedulerDomainError(
                f"{name} {value.isoformat()} is before shipment {shipped_on.isoformat()}",
                field=name,
            )

    def planned(kind: str, nominal_on: date) -> PlannedCallback:
        due_on = calendar.roll_forward(nominal_on)
        return plan_on(
            kind,
            nominal_on,
            calendar=calendar,
            due_on=due_on,
            overdue_on=add_months(due_on, rules.overdue_months_after_due),
        )

    installation_on = installed_on or shipped_on + timedelta(
        days=rules.installation_days_after_shipment
    )
    callbacks = [planned(INSTALLATION, installation_on)]
    if commissioned_on is None:
        return callbacks
    warranty_end = warranty_end_on(
        shipped_on=shipped_on, commissioned_on=commissioned_on, policy=policy
    )
    for milestone in rules.milestones:
        anchor = warranty_end if milestone.anchor == ANCHOR_WARRANTY_END else commissioned_on
        callbacks.append(planned(milestone.kind, add_months(anchor, milestone.months)))
    return callbacks


def channel_for(total_contract_amount: Decimal | int | float, policy: Policy) -> str:
    """Gives ``"onsite"`` when the customer's contracts reach the policy's threshold, else ``"phone"``."""
    amount = Decimal(str(total_contract_amount))
    return CHANNEL_ONSITE if amount >= policy.equipment.onsite_threshold_cny else CHANNEL_PHONE
