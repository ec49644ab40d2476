"""Hotline tickets that are not complaints (seed 001): record one, hand it to the hotline engineer, pass a
service request on to the repair coordinator, turn a ticket into a complaint, and the sweep of their
deadlines (a delayed wake-up through the outbox at each deadline, like a complaint's, and the periodic
sweep behind it). Tickets never count as complaints: they are rows of their own table."""
from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime

from shared.core.db import bulk_insert
from shared.mesh.service import UnitOfWork

from .. import notify
from ..domain import tickets as domain
from ..domain.complaint import require_text
from ..errors import InvalidInput, NotFound
from ..models import Notification, Ticket
from ..rules import rules_for, tickets_for
from .raising import raise_complaint

log = logging.getLogger(__name__)

#: Queue and actor of a ticket's wake-up at its deadline (actors.py `ticket_deadline`).
TICKET_WAKEUP_QUEUE, TICKET_WAKEUP_ACTOR = "complaints", "ticket_deadline"


def to_domain(row: Ticket, tz) -> domain.Ticket:
    """Gives the domain Ticket of a row, in `tz`."""
    def local(value):
        return value.astimezone(tz) if value is not None else None

    return domain.Ticket(id=row.ticket_id, kind=row.kind, customer_id=row.customer_id,
                         product_model=row.product_model, recorded_at=local(row.recorded_at),
                         handover_due_at=local(row.handover_due_at), handed_over_at=local(row.handed_over_at),
                         dispatch_due_at=local(row.dispatch_due_at), dispatched_at=local(row.dispatched_at),
                         complaint_id=row.complaint_id, breaches=tuple(row.breaches))


def get_ticket_or_raise(*, organization: str, ticket_id: str) -> Ticket:
    """Gives the organisation's ticket `ticket_id`.

    Raises:
      NotFound: no such ticket in the organisation.
    """
    row = Ticket.get_or_none(Ticket.organization == organization, Ticket.ticket_id == ticket_id)
    if row is None:
        raise NotFound(f"no ticket {ticket_id!r} in {organization}.")
    return row


def _wake(uow: UnitOfWork, row: Ticket) -> None:
    if row.next_sweep_at is not None:
        uow.send(TICKET_WAKEUP_ACTOR, row.organization, row.ticket_id, queue_name=TICKET_WAKEUP_QUEUE,
                 at=row.next_sweep_at)


def _announce(uow: UnitOfWork, event_type: str, row: Ticket, **data) -> None:
    """Emits a ticket event (shared/core/ticket_events.py) in the unit of work of the change: reporting
    counts tickets in figures of their own, never as complaints."""
    tz = uow.settings.tz
    data = {name: value.astimezone(tz).isoformat() if isinstance(value, datetime) else value
            for name, value in data.items()}
    uow.emit(event_type, {"ticket_id": row.ticket_id, "kind": row.kind, **data}, organization=row.organization)


def record_ticket(*, uow: UnitOfWork, organization: str, data: dict, actor: str) -> Ticket:
    """Gives the ticket recorded by `actor` (the fields S001 names): its service level by the customer,
    its service mode by the warranty policy unless given, due with the hotline engineer by the policy's
    handover span, flagged as a possible duplicate of an earlier ticket of the same customer and product.

    Raises:
      InvalidInput: a purchase date in the future (field `purchased_on`), a blank fault (`fault`).
    """
    data = {**data, "fault": require_text(data.get("fault"), "fault", "what the customer reports (故障现象)",
                                          max_length=5000)}
    tz = uow.settings.tz
    policy = tickets_for(uow.settings, organization=organization)
    calendar = rules_for(uow.settings, organization=organization).calendar
    now = uow.now.astimezone(tz)
    if not domain.purchase_date_ok(data.get("purchased_on"), now.date()):
        raise InvalidInput("the purchase date is in the future.", field="purchased_on")
    customer = data["customer"]
    since = uow.now - policy.duplicate_window
    earlier = [(r.ticket_id, r.customer_id, r.product_model, r.recorded_at.astimezone(tz)) for r in Ticket.select(
        Ticket.ticket_id, Ticket.customer_id, Ticket.product_model, Ticket.recorded_at).where(
        Ticket.organization == organization, Ticket.customer_id == customer["id"],
        Ticket.recorded_at >= since)]
    kind, warranty = data["kind"], data.get("warranty") or "unknown"
    due = domain.handover_due(now, policy=policy, calendar=calendar)
    row = Ticket.create(
        organization=organization, ticket_id=f"TK-{uuid.uuid4().hex[:12].upper()}", kind=kind,
        customer_id=customer["id"], customer_name=customer["name"],
        customer_segment=customer.get("segment") or "ordinary", customer_phone=customer.get("phone"),
        product_model=data.get("product_model"), purchased_on=data.get("purchased_on"), fault=data["fault"],
        warranty=warranty,
        service_level=data.get("service_level") or policy.service_level(customer.get("segment")),
        service_mode=data.get("service_mode") or policy.service_mode(kind, warranty),
        recorded_by=actor, recorded_at=uow.now, handover_due_at=due,
        duplicate_of=domain.duplicate_of(customer_id=customer["id"], product_model=data.get("product_model"),
                                         recorded_at=now, earlier=earlier, policy=policy),
        breaches=(), next_sweep_at=due, created_at=uow.now, updated_at=uow.now)
    _wake(uow, row)
    _announce(uow, "ticket.recorded", row, recorded_at=row.recorded_at, handover_due_at=row.handover_due_at,
              duplicate_of=row.duplicate_of)
    log.info("ticket %s (%s) of %s recorded by %s, with the engineer by %s%s", row.ticket_id, kind, organization,
             actor, due.isoformat(), f", maybe a duplicate of {row.duplicate_of}" if row.duplicate_of else "")
    return row


def _store(uow: UnitOfWork, row: Ticket, ticket: domain.Ticket) -> Ticket:
    before = row.next_sweep_at
    row.handed_over_at, row.dispatch_due_at, row.dispatched_at = (ticket.handed_over_at, ticket.dispatch_due_at,
                                                                  ticket.dispatched_at)
    row.complaint_id, row.breaches = ticket.complaint_id, ticket.breaches
    row.next_sweep_at, row.updated_at = domain.next_sweep_at(ticket), uow.now
    row.save()
    if row.next_sweep_at is not None and row.next_sweep_at != before:
        _wake(uow, row)
    return row


def hand_over_ticket(*, uow: UnitOfWork, organization: str, ticket_id: str, to: str, actor: str) -> Ticket:
    """Gives the ticket handed to the hotline engineer `to` (信息协调员转交热线工程师).

    Raises:
      NotFound, InvalidTransition (handed over already).
    """
    row = get_ticket_or_raise(organization=organization, ticket_id=ticket_id)
    tz = uow.settings.tz
    policy = tickets_for(uow.settings, organization=organization)
    calendar = rules_for(uow.settings, organization=organization).calendar
    ticket = domain.hand_over(to_domain(row, tz), at=uow.now.astimezone(tz), policy=policy, calendar=calendar)
    row.handed_over_to = to
    _store(uow, row, ticket)
    _announce(uow, "ticket.handed_over", row, handed_over_at=row.handed_over_at,
              handover_due_at=row.handover_due_at, dispatch_due_at=row.dispatch_due_at)
    return row


def dispatch_ticket(*, uow: UnitOfWork, organization: str, ticket_id: str, to: str, actor: str) -> Ticket:
    """Gives the service request passed on to the repair coordinator `to` (转交维修协调员).

    Raises:
      NotFound, InvalidTransition (a consultation, not handed over yet, or passed on already).
    """
    row = get_ticket_or_raise(organization=organization, ticket_id=ticket_id)
    ticket = domain.dispatch(to_domain(row, uow.settings.tz), at=uow.now.astimezone(uow.settings.tz))
    row.dispatched_to = to
    _store(uow, row, ticket)
    _announce(uow, "ticket.dispatched", row, dispatched_at=row.dispatched_at, dispatch_due_at=row.dispatch_due_at)
    return row


def ticket_to_complaint(*, uow: UnitOfWork, organization: str, ticket_id: str, actor: str, category: str = "other"):
    """Gives (ticket, complaint row) after turning a ticket into a complaint in one step: the customer,
    the product and the fault become the complaint's, raised on the hotline by `actor` (its first taker).

    Raises:
      NotFound, InvalidTransition (a complaint already).
    """
    row = get_ticket_or_raise(organization=organization, ticket_id=ticket_id)
    ticket = to_domain(row, uow.settings.tz)
    domain.check_convertible(ticket)
    complaint, _ = raise_complaint(uow=uow, organization=organization, actor=actor, announce=True, data={
        "complaint_id": f"CMP-{uuid.uuid4().hex[:12].upper()}",
        "customer": {"id": row.customer_id, "name": row.customer_name, "segment": row.customer_segment,
                     "phone": row.customer_phone},
        "description": row.fault, "category": category, "source": "hotline", "raised_at": uow.now,
        "product_model": row.product_model})
    _store(uow, row, replace(ticket, complaint_id=complaint.complaint_id))
    _announce(uow, "ticket.converted", row, complaint_id=complaint.complaint_id, converted_at=uow.now)
    return row, complaint


def list_tickets(*, organization: str, kind: str | None = None, limit: int = 100, offset: int = 0):
    """Gives (total, the organisation's tickets newest first) of `kind` when given."""
    query = Ticket.select().where(Ticket.organization == organization)
    if kind:
        query = query.where(Ticket.kind == kind)
    return query.count(), list(query.order_by(Ticket.recorded_at.desc(), Ticket.id.desc())
                                .limit(limit).offset(offset))


def sweep_ticket(*, uow: UnitOfWork, organization: str, ticket_id: str, now: datetime | None = None) -> int:
    """Gives how many deadlines of one ticket were found missed at `now` (its wake-up): each mails the
    policy's `escalate_to` role once and is kept on the ticket."""
    row = Ticket.get_or_none(Ticket.organization == organization, Ticket.ticket_id == ticket_id)
    return _sweep_rows(uow, [row] if row is not None else [], now)


def sweep_due_tickets(*, uow: UnitOfWork, now: datetime | None = None, batch: int = 200) -> int:
    """Gives how many ticket deadlines were found missed among the tickets whose moment has come."""
    moment = now or uow.now
    rows = list(Ticket.select().where(Ticket.next_sweep_at <= moment).order_by(Ticket.next_sweep_at)
                .limit(batch))
    return _sweep_rows(uow, rows, moment)


def _sweep_rows(uow: UnitOfWork, rows: list, now: datetime | None) -> int:
    tz = uow.settings.tz
    moment = (now or uow.now).astimezone(tz)
    notes, count = [], 0
    for row in rows:
        ticket = to_domain(row, tz)
        missed = domain.missed(ticket, moment)
        if missed:
            policy = tickets_for(uow.settings, organization=row.organization)
            for name, due in missed:
                notes.append(notify.ticket_missed_note(uow, row, deadline=name, due_at=due, role=policy.escalate_to))
            ticket = replace(ticket, breaches=ticket.breaches + tuple(f"{n}@{d.isoformat()}" for n, d in missed))
            count += len(missed)
            log.info("ticket %s of %s: %s missed; %s told", row.ticket_id, row.organization,
                     ", ".join(n for n, _ in missed), policy.escalate_to)
        if missed or row.next_sweep_at != domain.next_sweep_at(ticket):
            _store(uow, row, ticket)
    bulk_insert(Notification, notes, ignore_conflicts=True)
    return count
