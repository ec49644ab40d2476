"""The verification callback of a resolved complaint (callback.completed): no objection closes it
(satisfied or neutral: seed 002 满意或没有提出异议的,可认为投诉处理已闭合); a dissatisfied answer
(or a dissatisfied reason) reopens it at the level that resolved it (RULES 2)."""
from __future__ import annotations

import logging

from shared.core.answers import DISSATISFIED_ANSWERS
from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from .. import domain
from ..domain.complaint import RESOLVED
from ..models import Complaint
from ..rules import rules_for
from .customers import update_customer
from .store import store_outcome

log = logging.getLogger(__name__)


def on_callback_completed(*, uow: UnitOfWork, event: Event) -> None:
    """Closes or reopens the complaint a verification callback (callback.completed) verified: a
    dissatisfied or very dissatisfied answer (or a dissatisfied reason) reopens it, any other
    answer (neutral included) closes it, the answers recorded in its history. A callback of the
    complaint that is not its verification (`verification: false`, e.g. a repeat's special
    callback) decides nothing."""
    data = event.data
    complaint_id = data.get("complaint_id")
    if data.get("customer"):
        update_customer(uow=uow, organization=event.organization, customer=data["customer"])
    if not complaint_id or data.get("verification") is False:
        return
    row = Complaint.get_or_none(Complaint.organization == event.organization, Complaint.complaint_id == complaint_id)
    if row is None:
        log.warning("event %s: callback %s verifies complaint %s unknown in %s; ignored", event.id,
                    data.get("callback_id"), complaint_id, event.organization)
        return
    if not data.get("reached"):
        log.info("event %s: verification callback of %s not reached; complaint stays %s", event.id, complaint_id,
                 row.state)
        return
    answers = [a for a in (data.get("product_satisfaction"), data.get("service_satisfaction")) if a]
    if not answers:
        log.info("event %s: verification callback of %s carries no answer; nothing decided", event.id, complaint_id)
        return
    if row.state != RESOLVED:
        log.info("event %s: complaint %s is %s, not waiting for a verification; ignored", event.id, complaint_id,
                 row.state)
        return
    objection = (any(answer in DISSATISFIED_ANSWERS for answer in answers) or bool(data.get("dissatisfied_answers"))
                 or bool((data.get("dissatisfied_reason") or "").strip()))
    reason = f"verification callback {data.get('callback_id')}: {', '.join(answers)}"
    if data.get("dissatisfied_reason"):
        reason += f"; {data['dissatisfied_reason']}"
    rules = rules_for(uow.settings, organization=event.organization, chain_name=row.chain_name,
                      policy_name=row.policy_name)
    tz = uow.settings.tz
    before = row.to_domain(tz)
    at = (event.time or uow.now).astimezone(tz)
    outcome = domain.verification_result(before, satisfied=not objection, at=at,
                                         actor=f"callback:{data.get('callback_id')}", reason=reason,
                                         policy=rules.policy, chain=rules.chain, calendar=rules.calendar)
    store_outcome(uow=uow, row=row, before=before, outcome=outcome, rules=rules)
