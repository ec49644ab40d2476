"""RULES 2: the verification callback after a complaint is resolved (complaint.resolved), moved
with its deadline (complaint.deadlines_moved); RULES 1.3: the special callback of a repeat
complaint (complaint.repeated)."""
from __future__ import annotations

import logging

from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from ..domain.equipment import CHANNEL_PHONE
from ..domain.planned import PlannedCallback, plan_on
from ..domain.service import is_key_customer, plan_rule
from ..models import OPEN, CallbackTask
from ..rules import rules_for
from .common import customers_by_id, local_date, parse_datetime, upsert_customers
from .tasks import Wanted, cancel_open, sync_tasks

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
        planned = _verification_by(verify_due_at, uow=uow, rules=rules)
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


def _verification_by(verify_due_at, *, uow: UnitOfWork, rules) -> PlannedCallback:
    """Gives the verification callback due the day of the complaint's `verify_due_at` (rolled to a working day)."""
    return plan_on(rules.policy.verification.kind, local_date(verify_due_at, uow.settings), calendar=rules.calendar)


def on_complaint_deadlines_moved(*, uow: UnitOfWork, event: Event) -> None:
    """Moves the open verification callback of a complaint whose `verify_due_at` was re-planned
    (a provisional year of the calendar was published: RULES 1.6)."""
    org, data = event.organization, event.data
    verify_due_at = parse_datetime(data.get("verify_due_at"))
    if verify_due_at is None:
        return
    rules = rules_for(uow.settings, org)
    planned = _verification_by(verify_due_at, uow=uow, rules=rules)
    task = (CallbackTask.select().where(CallbackTask.organization == org,
                                        CallbackTask.complaint_id == data["complaint_id"],
                                        CallbackTask.kind == planned.kind, CallbackTask.status == OPEN).first())
    if task is None:
        return
    moved = sync_tasks(uow=uow, organization=org, rules=rules, wanted=[Wanted(
        plan_key=task.plan_key, planned=planned, customer_id=task.customer_id, business_line=task.business_line,
        channel=task.channel, key_customer=task.key_customer, complaint_id=task.complaint_id)])
    for m in moved:
        log.info("event %s: verification callback %s of complaint %s moved from %s to %s", event.id,
                 m.callback_id, data["complaint_id"], m.was_due_on, m.due_on)


def on_complaint_repeated(*, uow: UnitOfWork, event: Event) -> None:
    """Plans the special callback (特殊回访) of a repeat complaint about the same repair (RULES 1.3):
    due the day of its rework deadline, 24 hours after it was raised, not moved to a working day."""
    org, data = event.organization, event.data
    rules = rules_for(uow.settings, org)
    customer = data["customer"]
    upsert_customers(organization=org, customers=[customer])
    due_at = parse_datetime(data.get("rework_due_at")) or parse_datetime(data.get("raised_at")) or uow.now
    due_on = local_date(due_at, uow.settings)
    kind = rules.policy.repeat_complaint.kind
    stored = customers_by_id(org, [customer["id"]]).get(customer["id"])
    origin = (CallbackTask.select().where(CallbackTask.organization == org,
                                          CallbackTask.order_id == data.get("order_id"))
              .order_by(CallbackTask.created_at).first()) if data.get("order_id") else None
    sync_tasks(uow=uow, organization=org, rules=rules, wanted=[Wanted(
        plan_key=f"complaint:{data['complaint_id']}:{kind}",
        planned=plan_on(kind, due_on, calendar=rules.calendar, due_on=due_on),
        customer_id=customer["id"], business_line=origin.business_line if origin else COMPLAINTS_LINE,
        channel=CHANNEL_PHONE,
        key_customer=stored is not None and is_key_customer(stored.segment, None, stored.flagged_key, rules.policy),
        complaint_id=data["complaint_id"], order_id=data.get("order_id"), delivery_id=data.get("delivery_id"))])
    log.info("event %s: repeat complaint %s of %s: special callback due %s", event.id, data["complaint_id"], org,
             due_on)


def on_complaint_promise_made(*, uow: UnitOfWork, event: Event) -> None:
    """Plans the follow-up callback of a promise made to a complaint's customer, of the
    event's `followup_kind`, due the day of the promise (not moved: the promise is the customer's)."""
    org, data = event.organization, event.data
    rules = rules_for(uow.settings, org)
    customer = data["customer"]
    upsert_customers(organization=org, customers=[customer])
    due_on = local_date(parse_datetime(data.get("due_at")) or uow.now, uow.settings)
    kind = data.get("followup_kind") or "promise_followup"
    stored = customers_by_id(org, [customer["id"]]).get(customer["id"])
    sync_tasks(uow=uow, organization=org, rules=rules, wanted=[Wanted(
        plan_key=f"complaint:{data['complaint_id']}:promise:{data['promise_id']}",
        planned=plan_on(kind, due_on, calendar=rules.calendar, due_on=due_on),
        customer_id=customer["id"], business_line=data.get("business_line") or COMPLAINTS_LINE,
        channel=CHANNEL_PHONE,
        key_customer=stored is not None and is_key_customer(stored.segment, None, stored.flagged_key, rules.policy),
        complaint_id=data["complaint_id"], order_id=data.get("order_id"), delivery_id=data.get("delivery_id"))])


def on_complaint_closed(*, uow: UnitOfWork, event: Event) -> None:
    """Cancels the open callbacks of a complaint closed with a closure reason (an anonymous complaint,
    one answered in writing, not valid, no objection, or unreachable needs no more calls); a complaint closed by
    its satisfied verification callback leaves the others as they are."""
    data = event.data
    if not data.get("closure_reason"):
        return
    n = cancel_open(uow=uow, organization=event.organization, where=CallbackTask.complaint_id == data["complaint_id"])
    log.info("event %s: complaint %s closed as %s: %d open callbacks cancelled", event.id, data["complaint_id"],
             data["closure_reason"], n)
