"""Leads from callbacks (seed 000 part 5): an answer that wants maintenance, a retrofit or a new
purchase raises a lead with an owner and a due date (data/leads.yaml), emitted as `lead.raised` for
an ERP to take (and the organisation's webhooks). A lead has an end: its owner (or a team lead) moves it
open -> contacted -> won or lost (`lead.updated`, which the month's report counts); the owner is mailed
the new lead and reminded once it is overdue (notify.py)."""
from __future__ import annotations

from shared.core.db import first
from shared.mesh.service import UnitOfWork

from ..domain.leads import CONTACTED, LEAD_STATES, WAITING, WON, LOST, is_overdue, leads_wanted, may_move
from ..errors import LeadClosed, LeadNotFound, NotYourLead, SchedulerDomainError
from ..models import CallbackTask, Lead
from ..rules import lead_policy
from .common import customer_payload, iso, today
from .tasks import task_id

#: Who moves any lead on besides its owner (and reads every lead).
LEAD_LEADS = ("supervisor", "manager", "admin")


def raise_leads(*, uow: UnitOfWork, organization: str, task: CallbackTask, calendar, customer) -> list[Lead]:
    """Gives the leads the task's answers raised (none twice for one callback and kind); each emitted
    as `lead.raised`."""
    policy = lead_policy(uow.settings, organization)
    wanted = leads_wanted(task.answers, policy)
    if not wanted:
        return []
    owner = policy.owner_login
    if owner is None:
        people = sorted(p.login for p in uow.users.of_role(organization, policy.owner_role))
        owner = people[0] if people else None
    due_on = calendar.add_working_days(today(uow), policy.due_in_working_days)
    raised = []
    for rule in wanted:
        lead = Lead.create(id=task_id(organization, f"lead:{task.id}:{rule.kind}"), organization=organization,
                           callback_id=task.id, customer_id=task.customer_id, kind=rule.kind,
                           question=rule.question, owner=owner, due_on=due_on, delivery_id=task.delivery_id,
                           order_id=task.order_id, note=task.suggestions, raised_at=uow.now)
        uow.emit("lead.raised", {
            "lead_id": lead.id, "kind": lead.kind, "question": lead.question, "owner": owner,
            "owner_role": policy.owner_role, "due_on": iso(due_on), "callback_id": task.id,
            "record_no": task.record_no, "customer": customer_payload(customer, task.customer_id),
            "delivery_id": task.delivery_id, "order_id": task.order_id, "note": task.suggestions,
            "raised_at": uow.now.isoformat(),
        }, organization=organization)
        raised.append(lead)
    return raised


def list_leads(*, organization: str, status: str | None = None, overdue_on=None,
               owner: str | None = None) -> list[Lead]:
    """Gives the organisation's leads by due date: of one status, or (`overdue_on`, a date) only those
    still waiting (open or contacted) past their due date on that day, or of one owner."""
    query = Lead.select().where(Lead.organization == organization)
    if status:
        query = query.where(Lead.status == status)
    if overdue_on is not None:
        query = query.where(Lead.status.in_(WAITING), Lead.due_on < overdue_on)
    if owner:
        query = query.where(Lead.owner == owner)
    return list(query.order_by(Lead.due_on, Lead.id))


def get_lead_or_raise(*, organization: str, lead_id: str, lock: bool = False) -> Lead:
    """Gives the organisation's lead. Raises LeadNotFound."""
    lead = first(Lead.select().where(Lead.organization == organization, Lead.id == lead_id), lock=lock)
    if lead is None:
        raise LeadNotFound(f"There is no lead {lead_id} in your organisation.")
    return lead


def update_lead(*, uow: UnitOfWork, organization: str, lead_id: str, actor: str, role: str, status: str,
                note: str | None = None) -> Lead:
    """Gives the lead moved on by its owner (or a supervisor, manager, admin): contacted, won or lost,
    with a note; emitted as `lead.updated` (the month's report counts the leads won).

    Raises:
      LeadNotFound; NotYourLead (403); SchedulerDomainError (422: an unknown state);
      LeadClosed (409: won and lost are ends, a lead is contacted once).
    """
    if status not in LEAD_STATES:
        raise SchedulerDomainError(f"status must be one of {', '.join(LEAD_STATES[1:])}.", field="status")
    lead = get_lead_or_raise(organization=organization, lead_id=lead_id, lock=True)
    if lead.owner != actor and role not in LEAD_LEADS:
        raise NotYourLead(f"Lead {lead_id} is {lead.owner or 'nobody'}'s: only they, or a supervisor, "
                          "manager or admin, move it on.")
    if not may_move(lead.status, status):
        raise LeadClosed(f"Lead {lead_id} is {lead.status}: it cannot become {status}.")
    lead.status, lead.updated_by = status, actor
    lead.outcome_note = (note or "").strip() or lead.outcome_note
    if status == CONTACTED:
        lead.contacted_at = uow.now
    if status in (WON, LOST):
        lead.closed_at = uow.now
    lead.save()
    uow.emit("lead.updated", lead_event(lead, uow), organization=organization)
    return lead


def lead_event(lead: Lead, uow: UnitOfWork) -> dict:
    """Gives the data of `lead.updated`: the lead's state, whole."""
    return {"lead_id": lead.id, "kind": lead.kind, "status": lead.status, "owner": lead.owner,
            "due_on": iso(lead.due_on), "callback_id": lead.callback_id, "customer_id": lead.customer_id,
            "raised_at": lead.raised_at.isoformat(), "updated_by": lead.updated_by, "note": lead.outcome_note,
            "updated_at": uow.now.isoformat(),
            "closed_at": lead.closed_at.isoformat() if lead.closed_at else None}


def lead_row(lead: Lead, on) -> dict:
    """Gives a lead as the API and the page show it, with whether it is overdue on the day `on`."""
    return {**lead.__data__, "overdue": is_overdue(lead.status, lead.due_on, on)}
