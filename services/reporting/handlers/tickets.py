"""Hotline tickets in the read model (ticket.recorded, ticket.handed_over, ticket.dispatched,
ticket.converted; seed 001): kept in `desk_ticket`, apart from the complaints, so the month's
desk figures count them and no complaint figure does. Each event sets only its own fields, by the
ticket's id: applied twice, or out of order, they leave the same row."""
from __future__ import annotations

from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from ..models import DeskTicket
from .rows import by_key, local_date, utc_moment


def _ticket(event: Event) -> DeskTicket:
    row = by_key(DeskTicket, organization=event.organization, ticket_id=event.data["ticket_id"])
    row.kind = event.data.get("kind") or row.kind
    return row


def on_ticket_recorded(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps the day the ticket was recorded, its hand-over deadline and the ticket it may repeat."""
    data, tz = event.data, uow.settings.tz
    row = _ticket(event)
    row.recorded_on = local_date(data["recorded_at"], tz)
    row.handover_due_at = utc_moment(data.get("handover_due_at"), tz) or row.handover_due_at
    row.duplicate_of = data.get("duplicate_of")
    row.save()


def on_ticket_handed_over(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps when the ticket went to the hotline engineer, and a service request's next deadline."""
    data, tz = event.data, uow.settings.tz
    row = _ticket(event)
    row.handed_over_at = utc_moment(data["handed_over_at"], tz)
    row.handover_due_at = utc_moment(data.get("handover_due_at"), tz) or row.handover_due_at
    row.dispatch_due_at = utc_moment(data.get("dispatch_due_at"), tz) or row.dispatch_due_at
    row.save()


def on_ticket_dispatched(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps when the service request was passed on to the repair coordinator."""
    data, tz = event.data, uow.settings.tz
    row = _ticket(event)
    row.dispatched_at = utc_moment(data["dispatched_at"], tz)
    row.dispatch_due_at = utc_moment(data.get("dispatch_due_at"), tz) or row.dispatch_due_at
    row.save()


def on_ticket_converted(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps the complaint the ticket was turned into (that complaint counts through its complaint.raised)."""
    row = _ticket(event)
    row.complaint_id = event.data["complaint_id"]
    row.save()
