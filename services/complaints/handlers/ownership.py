"""Ownership and closure of a complaint: accept it, close it with a reason, and the
verification callback that found nobody (callback.unreachable) with its retry."""
from __future__ import annotations

import logging

from shared.core.db import bulk_insert
from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from .. import notify
from ..domain import ownership
from ..models import Complaint, Notification
from ..rules import ownership_for, rules_for
from .store import store_outcome
from .transitions import _transition

log = logging.getLogger(__name__)


def accept(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str) -> Complaint:
    """Gives the complaint accepted by `actor` (接单): its owner from now; the first to take it stays
    accountable until it closes (首问责任制). Emits complaint.accepted.

    Raises:
      NotFound, Forbidden (a role not holding its level), InvalidTransition (closed, or yours already).
    """
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        ownership.accept(c, actor=actor, role=role, at=now, chain=r.chain)))


def close_with_reason(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str, reason: str,
                      comment: str) -> Complaint:
    """Gives the complaint closed with a closure reason and a comment, by a role the ownership policy
    names for that reason. Emits complaint.closed with `closure_reason`.

    Raises:
      NotFound, Forbidden (the policy does not name the role), InvalidInput (reason, comment), InvalidTransition.
    """
    policy = ownership_for(uow.settings, organization=organization)
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        ownership.close_with_reason(c, actor=actor, role=role, reason=reason, comment=comment, at=now, policy=policy,
                                    chain=r.chain)))


def retry_verification(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str,
                       comment: str = "") -> Complaint:
    """Gives the complaint of the supervisor's queue sent back for another verification callback, due
    `policy.verify` of service time from now. Emits complaint.verification_retried.

    Raises:
      NotFound, Forbidden, InvalidTransition (not waiting after an unreachable verification).
    """
    policy = ownership_for(uow.settings, organization=organization)

    def decide(complaint, rules, now):
        due = rules.policy.verify.after(now, calendar=rules.calendar, service_hours=rules.policy.service_hours)
        return ownership.retry_verification(complaint, actor=actor, role=role, at=now, verify_due_at=due,
                                            policy=policy, comment=comment)

    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=decide)


def propose_compensation(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str,
                         offer: str, amount: str | None = None) -> Complaint:
    """Gives the complaint with a compensation proposed, waiting for the approval the policy names (seed 004)."""
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        ownership.propose_compensation(c, actor=actor, role=role, offer=offer, amount=amount, at=now, chain=r.chain)))


def decide_compensation(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str,
                        approve: bool, note: str = "") -> Complaint:
    """Gives the complaint with its proposed compensation approved or rejected by a role the policy names."""
    policy = ownership_for(uow.settings, organization=organization)
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        ownership.decide_compensation(c, actor=actor, role=role, approve=approve, note=note, at=now, policy=policy)))


def on_callback_unreachable(*, uow: UnitOfWork, event: Event) -> None:
    """Puts a resolved complaint whose verification callback found nobody after every attempt
    (callback.unreachable with its `complaint_id`) in the supervisor's queue, with the reason, and
    tells the queue's role. A callback of no complaint, or of a complaint not waiting for its
    verification, changes nothing."""
    _verification_not_made(uow, event, why="unreachable")


def on_callback_declined(*, uow: UnitOfWork, event: Event) -> None:
    """Puts a resolved complaint whose verification callback the customer declined (callback.declined,
    `verification`) in the supervisor's queue like an unreachable one (RULES 2): closed with a reason or
    tried again. Declining a survey changes no complaint."""
    if event.data.get("verification"):
        _verification_not_made(uow, event, why="declined")


def on_callback_wrong_number(*, uow: UnitOfWork, event: Event) -> None:
    """Puts a resolved complaint whose verification callback found a wrong number (callback.wrong_number,
    `verification`, not corrected on the call) in the supervisor's queue (RULES 2); the callback is made
    again once the number is corrected, or the supervisor closes it with a reason."""
    if event.data.get("verification") and not event.data.get("corrected"):
        _verification_not_made(uow, event, why="wrong_number")


def _verification_not_made(uow: UnitOfWork, event: Event, *, why: str) -> None:
    data = event.data
    complaint_id = data.get("complaint_id")
    if not complaint_id:
        return
    row = Complaint.get_or_none(Complaint.organization == event.organization, Complaint.complaint_id == complaint_id)
    if row is None:
        log.warning("event %s: unreachable callback %s of complaint %s unknown in %s; ignored", event.id,
                    data.get("callback_id"), complaint_id, event.organization)
        return
    tz = uow.settings.tz
    before = row.to_domain(tz)
    at = (event.time or uow.now).astimezone(tz)
    outcome = ownership.verification_unreachable(before, at=at, callback_id=data.get("callback_id"),
                                                 attempts=data.get("attempts"), why=why)
    if outcome.complaint is before:
        log.info("event %s: complaint %s is %s; its unreachable callback changes nothing", event.id, complaint_id,
                 row.state)
        return
    rules = rules_for(uow.settings, organization=event.organization, chain_name=row.chain_name,
                      policy_name=row.policy_name)
    store_outcome(uow=uow, row=row, before=before, outcome=outcome, rules=rules)
    policy = ownership_for(uow.settings, organization=event.organization)
    bulk_insert(Notification, [notify.unreachable_note(uow, row, role=policy.unreachable_queue_role,
                                                       callback_id=data.get("callback_id"), why=why)],
                ignore_conflicts=True)
    log.info("event %s: verification of complaint %s not made (%s); to the %s queue", event.id, complaint_id, why,
             policy.unreachable_queue_role)
