"""RULES 2: the verification callback after a complaint is resolved (complaint.resolved)."""
from __future__ import annotations

import logging

from shared.events import Event
from shared.service import UnitOfWork

from ..domain.equipment import CHANNEL_PHONE
from ..domain.planned import PlannedCallback
from ..domain.service import is_key_customer, plan_rule
from ..models import OPEN, CallbackTask
from ..rules import rules_for
from .common import customers_by_id, local_date, parse_datetime, upsert_customers
from .tasks import Wanted, sync_tasks

log = logging.getLogger(__name__)

#: Business line of verification callbacks whose complaint names no other.
COMPLAINTS_LINE = "complaints"


def on_complaint_resolved(*, uow: UnitOfWork, event: Event) -> None:
    """Plans the verification callback (RULES 2): `verify_due_at` if sent, else the policy's offset."""
    org, data = event.organization, event.data
    rules = rules_for(uow.settings, org)
    complaint_id = data["complaint_id"]
    raised_by = (CallbackTask.select().where(CallbackTask.organization == org,
                                             (CallbackTask.raised_complaint_id == complaint_id)
                                             | (CallbackTask.complaint_id == complaint_id))
                 .order_by(CallbackTask.created_at).first())
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else None
    customer_id = (customer or {}).get("id") or data.get("customer_id") or (raised_by and raised_by.customer_id)
    if not customer_id:
        log.warning("complaint %s resolved without a known customer; no verification callback", complaint_id)
        return
    if customer and customer.get("name"):
        upsert_customers(organization=org, customers=[customer])
    verify_due_at = parse_datetime(data.get("verify_due_at"))
    if verify_due_at is not None:
        due = rules.calendar.roll_forward(local_date(verify_due_at, uow.settings))
        planned = PlannedCallback(kind=rules.policy.verification.kind, nominal_on=due, due_on=due, overdue_on=due,
                                  provisional=rules.calendar.is_provisional(due))
    else:
        resolved_at = parse_datetime(data.get("resolved_at")) or event.time or uow.now
        planned = plan_rule(rules.policy.verification, local_date(resolved_at, uow.settings), calendar=rules.calendar)
    stored = customers_by_id(org, [customer_id]).get(customer_id)
    earlier = CallbackTask.select().where(CallbackTask.organization == org, CallbackTask.complaint_id == complaint_id,
                                          CallbackTask.kind == planned.kind).count()
    still_open = (CallbackTask.select().where(CallbackTask.organization == org,
                                              CallbackTask.complaint_id == complaint_id,
                                              CallbackTask.kind == planned.kind, CallbackTask.status == OPEN).first())
    # A complaint resolved again after a reopening gets a new verification; an open one moves.
    round_no = earlier if still_open else earlier + 1
    plan_key = still_open.plan_key if still_open else f"complaint:{complaint_id}:{planned.kind}:{round_no}"
    sync_tasks(uow=uow, organization=org, rules=rules, wanted=[Wanted(
        plan_key=plan_key, planned=planned, customer_id=customer_id,
        business_line=(raised_by.business_line if raised_by else data.get("business_line") or COMPLAINTS_LINE),
        channel=CHANNEL_PHONE,
        key_customer=stored is not None and is_key_customer(stored.segment, None, stored.flagged_key, rules.policy),
        complaint_id=complaint_id, order_id=data.get("order_id") or (raised_by and raised_by.order_id),
        delivery_id=data.get("delivery_id") or (raised_by and raised_by.delivery_id))])
