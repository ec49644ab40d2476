"""Leads in the read model (lead.raised, lead.updated): the month's report counts the leads callbacks
raised in it and those won in it (seed 000 part 5 「寻求新的商务机会」)."""
from __future__ import annotations

from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from ..models import LeadRecord
from .rows import by_key, utc_moment


def on_lead_raised(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps the lead and the day it was raised (its state stays as a later lead.updated left it)."""
    data = event.data
    lead = by_key(LeadRecord, organization=event.organization, lead_id=data["lead_id"])
    lead.kind = data.get("kind") or lead.kind
    raised = utc_moment(data.get("raised_at") or event.time or uow.now, uow.settings.tz)
    lead.raised_on = raised.astimezone(uow.settings.tz).date()
    lead.save()


def on_lead_updated(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps the lead's state, whole; an older `updated_at` than the one kept changes nothing. A won
    lead counts in the month of the day it was closed."""
    data = event.data
    lead = by_key(LeadRecord, organization=event.organization, lead_id=data["lead_id"])
    updated_at = utc_moment(data["updated_at"], uow.settings.tz)
    if lead.updated_at is not None and lead.updated_at > updated_at:
        return
    lead.kind, lead.status, lead.updated_at = data.get("kind") or lead.kind, data["status"], updated_at
    lead.raised_on = utc_moment(data["raised_at"], uow.settings.tz).astimezone(uow.settings.tz).date()
    closed = utc_moment(data.get("closed_at"), uow.settings.tz)
    lead.won_on = closed.astimezone(uow.settings.tz).date() if data["status"] == "won" and closed else None
    lead.save()
