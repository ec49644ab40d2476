"""A new complaint: raised over HTTP (`raise_complaint`) or by complaint.raised (a
dissatisfied callback, the hotline, the manufacturer...)."""
from __future__ import annotations

import logging

from shared.core.db import advisory_lock
from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from .. import domain, notify
from ..domain.complaint import CLOSED, SYSTEM
from ..models import Complaint, ComplaintHistory, domain_changes
from ..domain.ownership import assign
from ..rules import ownership_for, rules_for
from .corrective import check_recurrence
from .customers import customer_columns, customer_of
from .store import Change, Writes, event_data, store_changes, wake_at

log = logging.getLogger(__name__)


def raise_complaint(*, uow: UnitOfWork, organization: str, data: dict, actor: str = SYSTEM,
                    announce: bool = False) -> tuple[Complaint, bool]:
    """Gives (the complaint row, created?) for complaint.raised data (loaded by its schema).

    Idempotent by complaint id: a complaint already known is given back unchanged. A
    complaint about an order complained about within the policy's repeat window is marked
    repeat. `announce` emits complaint.raised (a complaint created over HTTP: the other
    services learn of it the same way as of any other).
    """
    complaint_id = data["complaint_id"]
    # a narrow existence check first: building a select of every column costs more than running it
    known = Complaint.select(Complaint.id).where(Complaint.organization == organization,
                                                 Complaint.complaint_id == complaint_id).scalar()
    if known is not None:
        log.info("complaint %s of %s already known; nothing to do", complaint_id, organization)
        return Complaint.get_by_id(known), False
    tz = uow.settings.tz
    rules = rules_for(uow.settings, organization=organization)
    raised_at = (data.get("raised_at") or uow.now).astimezone(tz)
    order_id = data.get("order_id")
    earlier = []
    if order_id:
        # complaints about one order are raised one at a time, so two at once still see each other
        advisory_lock(Complaint._meta.database, "complaint-order", organization, order_id)
        earlier = list(Complaint.select(Complaint.order_id, Complaint.raised_at).where(
            Complaint.organization == organization, Complaint.order_id == order_id,
            Complaint.raised_at >= raised_at - rules.policy.repeat_window, Complaint.raised_at <= raised_at))
    outcome = domain.raise_complaint(
        complaint_id=complaint_id, customer_id=data["customer"]["id"], raised_at=raised_at,
        source=data.get("source") or "hotline", actor=actor, order_id=order_id, earlier=tuple(earlier),
        policy=rules.policy, chain=rules.chain, calendar=rules.calendar)
    # the department and owner by category; who took it down is its first taker (首问责任制)
    ownership = ownership_for(uow.settings, organization=organization)
    # a complaint raised from a callback was taken down by the agent who recorded the call
    taker = actor if actor != SYSTEM else data.get("recorded_by")
    taken_by = taker if taker and uow.users.get(organization, taker) is not None else None
    complaint = assign(outcome.complaint, policy=ownership, category=data.get("category") or "other", taken_by=taken_by)
    row = Complaint.create(
        organization=organization, complaint_id=complaint_id, **customer_columns(data["customer"], policy=rules.policy),
        description=data["description"], category=data.get("category") or "other", source=complaint.source,
        order_id=order_id, delivery_id=data.get("delivery_id"), callback_id=data.get("callback_id"),
        product_model=data.get("product_model"), branch=data.get("branch"), advisor_id=data.get("advisor_id"),
        chain_name=rules.chain.name, policy_name=rules.policy.name, raised_at=complaint.raised_at,
        first_reply_due_at=complaint.first_reply_due_at, answer_due_at=complaint.answer_due_at,
        **{k: v for k, v in domain_changes(complaint).items() if k not in ("first_reply_due_at", "answer_due_at")},
        reminders_sent=(), next_sweep_at=wake_at(complaint, reminders_sent=(), policy=rules.policy, now=uow.now),
        provisional_deadlines=domain.provisional_deadlines(complaint, rules.calendar),
        version=1, created_at=uow.now, updated_at=uow.now)
    writes = Writes(uow)
    writes.history.extend(ComplaintHistory.rows_for(row.id, complaint.history))
    writes.notes.append(notify.level_reached(uow, row, complaint, complaint.history[-1], rules))
    if complaint.owner:
        writes.notes.append(notify.assigned_to_person(uow, row, complaint.owner))
    writes.notes.extend(notify.department_notes(uow, row))  # seed 000 part 5: 传递至相关部门
    writes.wake(row, row.next_sweep_at)
    writes.flush()
    if announce:
        uow.emit("complaint.raised", raised_event_data(row), organization=organization)
    for type_, event in outcome.events:  # a repeat: complaint.repeated (RULES 1.3)
        uow.emit(type_, event_data(row, event), organization=organization)
    if order_id:
        _mark_later_repeats(uow, row, rules)
    check_recurrence(uow=uow, row=row)  # a recurring (batch) problem opens a corrective action
    log.info("complaint %s of %s raised via %s at level %s%s", complaint_id, organization, complaint.source,
             complaint.level, " (repeat)" if complaint.repeat else "")
    return row, True


def _mark_later_repeats(uow: UnitOfWork, row: Complaint, rules) -> None:
    """Marks repeat the complaints about the same order raised after this one (within the window)
    that arrived before it: the repeat does not depend on the order events are handled in."""
    later = (Complaint.select().where(
        Complaint.organization == row.organization, Complaint.order_id == row.order_id, Complaint.id != row.id,
        Complaint.raised_at > row.raised_at, Complaint.raised_at <= row.raised_at + rules.policy.repeat_window,
        Complaint.repeat == False, Complaint.state != CLOSED))  # noqa: E712 (SQL)
    changes = []
    for other in later:
        before = other.to_domain(uow.settings.tz)
        outcome = domain.found_repeat(before, earlier_id=row.complaint_id, earlier_raised_at=row.raised_at,
                                      policy=rules.policy, now=uow.now)
        if outcome.complaint is not before:
            changes.append(Change(row=other, before=before, outcome=outcome, rules=rules))
    for change in store_changes(uow=uow, changes=changes):
        log.info("complaint %s of %s found to be a repeat: %s about order %s was raised earlier",
                 change.row.complaint_id, row.organization, row.complaint_id, row.order_id)


def raised_event_data(row: Complaint) -> dict:
    """Gives complaint.raised data (CONTRACT) for a stored complaint."""
    return {"complaint_id": row.complaint_id, "customer": customer_of(row), "description": row.description,
            "category": row.category, "source": row.source, "raised_at": row.raised_at.isoformat(),
            "order_id": row.order_id, "delivery_id": row.delivery_id, "callback_id": row.callback_id,
            "repeat": row.repeat, "product_model": row.product_model, "branch": row.branch,
            # a hotline ticket's hand-over deadline (seed 001): the report's on-time share
            "handover_due_at": row.handover_due_at.isoformat() if row.handover_due_at else None}


def on_complaint_raised(*, uow: UnitOfWork, event: Event) -> None:
    """Raises the complaint of complaint.raised (its time the event's when the data has none)."""
    data = dict(event.data)
    if data.get("raised_at") is None and event.time is not None:
        data["raised_at"] = event.time
    raise_complaint(uow=uow, organization=event.organization, data=data, actor=SYSTEM)
