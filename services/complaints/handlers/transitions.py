"""Commands on a complaint by a person (HTTP): reply, escalate, resolve, hand over, record
the churn reason. Each loads the row (locked), lets the domain decide, and stores the outcome."""
from __future__ import annotations

from shared.mesh.service import UnitOfWork

from .. import domain
from ..domain.ownership import check_compensation_settled
from ..models import Complaint
from ..rules import rules_for
from .reading import get_by_id_or_raise
from .store import store_outcome


def _transition(uow: UnitOfWork, *, organization: str, complaint_id: str, decide) -> Complaint:
    """Gives the complaint row after `decide(complaint, rules, now)`'s outcome was stored."""
    row = get_by_id_or_raise(organization=organization, complaint_id=complaint_id, for_update=True)
    rules = rules_for(uow.settings, organization=organization, chain_name=row.chain_name, policy_name=row.policy_name)
    before = row.to_domain(uow.settings.tz)
    outcome = decide(before, rules, uow.now.astimezone(uow.settings.tz))
    return store_outcome(uow=uow, row=row, before=before, outcome=outcome, rules=rules)


def reply(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str, message: str,
          answer: bool | None = None) -> Complaint:
    """Gives the complaint after a reply to the customer (first reply, then the answer).

    Raises:
      NotFound, Forbidden, InvalidTransition, InvalidInput (see the domain).
    """
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        domain.record_reply(c, actor=actor, role=role, message=message, at=now, chain=r.chain, answer=answer)))


def escalate(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str,
             reason: str) -> Complaint:
    """Gives the complaint one level up (beyond this level's authority); emits complaint.escalated."""
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        domain.escalate(c, actor=actor, role=role, reason=reason, at=now, policy=r.policy, chain=r.chain,
                        calendar=r.calendar)))


def resolve(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str, root_cause: str,
            corrective_action: str, special_remark: str | None = None) -> Complaint:
    """Gives the resolved complaint, waiting for its verification callback; emits complaint.resolved.
    `special_remark`: the text of the customer's special mark (特别备注; default the root cause).
    A compensation still waiting for its approval refuses it (409, seed 004)."""

    def decide(c, r, now):
        check_compensation_settled(c)  # no promise before the approval
        return domain.resolve(c, actor=actor, role=role, root_cause=root_cause, corrective_action=corrective_action,
                              at=now, policy=r.policy, chain=r.chain, calendar=r.calendar,
                              special_remark=special_remark)

    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=decide)


def rework(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str, note: str) -> Complaint:
    """Gives the repeat complaint after its repair was done again (返修; meets the rework deadline, RULES 1.3)."""
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        domain.record_rework(c, actor=actor, role=role, note=note, at=now, chain=r.chain)))


def hand_over(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str,
              engineer: str) -> Complaint:
    """Gives the complaint after its ticket went to an engineer (meets a hotline ticket's handover deadline)."""
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        domain.record_handover(c, actor=actor, role=role, engineer=engineer, at=now, chain=r.chain)))


def record_churn(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str,
                 reason: str) -> Complaint:
    """Gives the complaint with the reason the customer left (客户流失原因), recorded in its history;
    complaint.resolved and complaint.closed carry it from then on."""
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        domain.record_churn(c, actor=actor, role=role, reason=reason, at=now, chain=r.chain)))
