"""Leads from callbacks (seed 000 part 5): an answer that wants maintenance, a retrofit or a new
purchase raises a lead with an owner and a due date (data/leads.yaml), emitted as `lead.raised` for
an ERP to take (and the organisation's webhooks)."""
from __future__ import annotations

from shared.mesh.service import UnitOfWork

from ..domain.leads import leads_wanted
from ..models import CallbackTask, Lead
from ..rules import lead_policy
from .common import customer_payload, iso, today
from .tasks import task_id


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


def list_leads(*, organization: str, status: str | None = None) -> list[Lead]:
    """Gives the organisation's leads by due date."""
    query = Lead.select().where(Lead.organization == organization)
    if status:
        query = query.where(Lead.status == status)
    return list(query.order_by(Lead.due_on, Lead.id))
