"""Who owns a complaint and how it may end besides a satisfied callback, pure.

- **Assignment** (seed 000 part 5 「传递至相关部门」, seed 003 「明确责任人和处理期限」): the
  ownership policy maps a complaint's category to a department (责任部门) and, optionally, a
  named person (处理人); a category the policy does not name goes to its `default`.
- **Acceptance** (seed 004's record: 處理人, 接單時間): a person who may act at the complaint's
  level accepts it; they are its owner from then on, with the moment (`accepted_at`).
- **First-contact accountability** (seed 002 「首问责任制」): the first person who took the
  complaint (who took it down, or else who first accepted it) is its `first_taker`, stays
  accountable until it closes and is told of every step. The 2-1-1 clocks are not touched.
- **Closure reasons** (seed 002: anonymous complaints and those asking only for a written reply
  need no callback; 「确定是否为有效投诉」): a complaint that is open or resolved may be closed
  with one of the policy's reasons, by the roles the policy names for it, with a comment.

The policy is data (``data/ownership.yaml``), validated by `load_ownership`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Mapping

from marshmallow import Schema, ValidationError, fields, validate

from shared.core.event_fields import COMPLAINT_CATEGORIES, USER_ROLES

from .chain import Chain, _first_field
from .complaint import (CLOSED, OPEN, RESOLVED, Complaint, HistoryEntry, Outcome, check_role, check_state, iso,
                        require_aware, require_text, with_entry)
from ..errors import Forbidden, InvalidData, InvalidInput, InvalidTransition
from .corrective import DEFAULT_DIMENSIONS, DIMENSIONS, RecurrenceRule
from .promises import PromiseRules

#: The closure reasons of seed 002 (besides the satisfied verification callback).
ANONYMOUS, WRITTEN_REPLY, NO_OBJECTION, NOT_VALID = "anonymous", "written_reply", "no_objection", "not_valid"
#: A verification callback that found nobody after every attempt.
UNREACHABLE = "unreachable"
CLOSURE_REASONS = (ANONYMOUS, WRITTEN_REPLY, NO_OBJECTION, NOT_VALID, UNREACHABLE)

#: History actions of this module.
ACCEPTED = "accepted"
CLOSED_WITH_REASON = "closed_with_reason"


@dataclass(frozen=True)
class Assignment:
    """Where a complaint of a category goes: a department and, when the policy names one, a person (login)."""

    department: str
    person: str | None = None


@dataclass(frozen=True)
class OwnershipPolicy:
    """The organisation's assignment by category and who may close a complaint with which reason."""

    default: Assignment
    by_category: Mapping[str, Assignment]
    #: reason -> the roles that may close a complaint with it
    closure_roles: Mapping[str, tuple[str, ...]]
    #: tell the first taker (首问责任人) of every step
    tell_first_taker: bool = True
    #: whose queue a complaint with an unreachable verification goes to (mail to its holders)
    unreachable_queue_role: str = "supervisor"
    #: who approves a compensation before it is promised (seed 004: 请示销售服务大区同意)
    compensation_approvers: tuple[str, ...] = ("manager", "admin")
    #: promised follow-ups (domain/promises.py): reminder before, follow-up callback kind
    promises: PromiseRules = PromiseRules(remind_before=timedelta(hours=2), followup_kind="promise_followup")
    #: recurring problems (domain/corrective.py): window, threshold, due date of the action opened, its owner
    recurrence: RecurrenceRule = RecurrenceRule(window=timedelta(days=30), threshold=3, due_in=timedelta(days=14))
    recurrence_owner: str = "manager"
    #: who opens and checks corrective actions (their owner updates their status too)
    corrective_roles: tuple[str, ...] = ("supervisor", "manager", "admin")
    #: an overdue corrective action's owner is reminded by mail, again after this long while it stays overdue
    overdue_remind_every: timedelta = timedelta(days=7)

    def assignment_for(self, category: str | None) -> Assignment:
        """Gives the department (and person) a complaint of `category` goes to."""
        return self.by_category.get(category or "other", self.default)

    def reasons_for(self, role: str) -> tuple[str, ...]:
        """Gives the closure reasons `role` may use, in the policy's order."""
        return tuple(reason for reason, roles in self.closure_roles.items() if role in roles)


class _AssignmentSchema(Schema):
    department = fields.String(required=True, validate=validate.Length(min=1, max=200))
    person = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))


class _PromisesSchema(Schema):
    remind_before_hours = fields.Float(load_default=2, validate=validate.Range(min=0))
    followup_kind = fields.String(load_default="promise_followup", validate=validate.Length(min=1, max=32))


class _RecurringSchema(Schema):
    window_days = fields.Integer(load_default=30, validate=validate.Range(min=1))
    threshold = fields.Integer(load_default=3, validate=validate.Range(min=2))
    due_in_days = fields.Integer(load_default=14, validate=validate.Range(min=1))
    owner = fields.String(load_default="manager", validate=validate.Length(min=1, max=64))
    dimensions = fields.List(fields.String(validate=validate.OneOf(DIMENSIONS)), load_default=list(DEFAULT_DIMENSIONS),
                             validate=validate.Length(min=1, max=len(DIMENSIONS)))


class _OverdueSchema(Schema):
    remind_every_days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=365))


class _OwnershipSchema(Schema):
    default = fields.Nested(_AssignmentSchema, required=True)
    by_category = fields.Dict(keys=fields.String(validate=validate.OneOf(COMPLAINT_CATEGORIES)),
                              values=fields.Nested(_AssignmentSchema), load_default=dict)
    closure_reasons = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CLOSURE_REASONS)),
        values=fields.List(fields.String(validate=validate.OneOf(USER_ROLES)), validate=validate.Length(min=1)),
        required=True)
    tell_first_taker = fields.Boolean(load_default=True)
    promises = fields.Nested(_PromisesSchema, load_default=lambda: _PromisesSchema().load({}))
    recurring = fields.Nested(_RecurringSchema, load_default=lambda: _RecurringSchema().load({}))
    corrective_overdue = fields.Nested(_OverdueSchema, load_default=lambda: _OverdueSchema().load({}))
    corrective_roles = fields.List(fields.String(validate=validate.OneOf(USER_ROLES)),
                                   load_default=["supervisor", "manager", "admin"], validate=validate.Length(min=1))
    unreachable_queue_role = fields.String(load_default="supervisor", validate=validate.OneOf(USER_ROLES))
    compensation_approvers = fields.List(fields.String(validate=validate.OneOf(USER_ROLES)),
                                         load_default=["manager", "admin"], validate=validate.Length(min=1))


def load_ownership(data: Mapping) -> OwnershipPolicy:
    """Gives the OwnershipPolicy of a mapping (a parsed ``data/ownership.yaml``).

    Raises:
      InvalidData: naming the first bad field (``closure_reasons.bogus``) and its problem.
    """
    try:
        loaded = _OwnershipSchema().load(dict(data or {}))
    except ValidationError as exc:
        field, message = _first_field(exc.messages)
        raise InvalidData(f"invalid ownership policy: {message}", field=field, errors=exc.messages) from None

    def assignment(raw: Mapping) -> Assignment:
        return Assignment(department=raw["department"], person=raw.get("person"))

    return OwnershipPolicy(
        default=assignment(loaded["default"]),
        by_category={category: assignment(raw) for category, raw in loaded["by_category"].items()},
        closure_roles={reason: tuple(roles) for reason, roles in loaded["closure_reasons"].items()},
        tell_first_taker=loaded["tell_first_taker"], unreachable_queue_role=loaded["unreachable_queue_role"],
        compensation_approvers=tuple(loaded["compensation_approvers"]),
        promises=PromiseRules(remind_before=timedelta(hours=loaded["promises"]["remind_before_hours"]),
                              followup_kind=loaded["promises"]["followup_kind"]),
        recurrence=RecurrenceRule(window=timedelta(days=loaded["recurring"]["window_days"]),
                                  threshold=loaded["recurring"]["threshold"],
                                  due_in=timedelta(days=loaded["recurring"]["due_in_days"]),
                                  dimensions=tuple(dict.fromkeys(loaded["recurring"]["dimensions"]))),
        recurrence_owner=loaded["recurring"]["owner"], corrective_roles=tuple(loaded["corrective_roles"]),
        overdue_remind_every=timedelta(days=loaded["corrective_overdue"]["remind_every_days"]))


def assign(complaint: Complaint, *, policy: OwnershipPolicy, category: str | None,
           taken_by: str | None) -> Complaint:
    """Gives the new complaint with its department and owner from the policy (by `category`),
    and its first taker: `taken_by`, the person who took it down (None: raised by the system,
    the first to accept it becomes the first taker). The 2-1-1 deadlines are not touched."""
    assignment = policy.assignment_for(category)
    return replace(complaint, department=assignment.department, owner=assignment.person,
                    first_taker=taken_by, first_taken_at=complaint.raised_at if taken_by else None)


def accept(complaint: Complaint, *, actor: str, role: str, at: datetime, chain: Chain) -> Outcome:
    """Gives the complaint accepted by `actor` (接单): its owner (处理人) from `at` (接单时间); the
    first person to take it is its first taker (首问责任人) until it closes. Emits
    ``complaint.accepted``. The 2-1-1 deadlines are not touched.

    Raises:
      InvalidTransition: the complaint is not open, or `actor` owns it already.
      Forbidden: `role` does not hold the complaint's level or a higher one.
      InvalidInput: naive `at`.
    """
    check_state(complaint, OPEN, "accept")
    check_role(chain, role, complaint)
    require_aware(at, "at")
    if complaint.owner == actor and complaint.accepted_at is not None:
        raise InvalidTransition(f"complaint {complaint.id} is yours already (accepted {complaint.accepted_at.isoformat()}).")
    first_taker = complaint.first_taker or actor
    first_taken_at = complaint.first_taken_at or at
    reason = f"accepted by {actor}"
    if complaint.owner and complaint.owner != actor:
        reason += f" (was {complaint.owner})"
    entry = HistoryEntry(at=at, actor=actor, action=ACCEPTED, from_level=complaint.level, to_level=complaint.level,
                         reason=reason)
    new = with_entry(complaint, entry, owner=actor, accepted_at=at, first_taker=first_taker,
                     first_taken_at=first_taken_at)
    return Outcome(new, (("complaint.accepted", {
        "complaint_id": new.id, "customer_id": new.customer_id, "owner": actor, "accepted_at": at.isoformat(),
        "department": new.department, "first_taker": first_taker, "level": new.level,
        "level_role": chain.role_at(new.level)}),))


def close_with_reason(complaint: Complaint, *, actor: str, role: str, reason: str, comment: str, at: datetime,
                      policy: OwnershipPolicy, chain: Chain) -> Outcome:
    """Gives the complaint closed with a closure reason (anonymous, answered in writing, no objection, not a
    valid complaint, unreachable), by a role the policy names for that reason, with a comment.
    Emits ``complaint.closed`` with `closure_reason` (reporting counts it).

    Raises:
      InvalidInput: an unknown reason, or no comment (the field names it).
      Forbidden: the policy does not let `role` close with this reason.
      InvalidTransition: the complaint is closed already, or a compensation waits for its approval
        (decide it first: closing would leave it proposed for good), or `unreachable` while no
        verification callback found nobody (field `reason`).
    """
    if reason not in CLOSURE_REASONS:
        raise InvalidInput(f"reason must be one of {', '.join(CLOSURE_REASONS)}; got {reason!r}.", field="reason")
    text = require_text(comment, "comment", "say why the complaint may be closed this way")
    require_aware(at, "at")
    if complaint.state not in (OPEN, RESOLVED):
        raise InvalidTransition(f"cannot close complaint {complaint.id}: it is closed already.")
    if complaint.compensation_state == COMPENSATION_PROPOSED:
        raise InvalidTransition(f"cannot close complaint {complaint.id}: a compensation waits for its approval; "
                                f"approve or reject it first.")
    if reason == UNREACHABLE and complaint.unreachable_at is None:
        # the body is right; the complaint is not (yet) in the state this reason needs: 409, not 422
        # (a schema-valid body is never answered as malformed)
        raise InvalidTransition(f"reason unreachable is for a complaint whose verification callback found nobody; "
                                f"complaint {complaint.id}'s did not.", field="reason")
    roles = policy.closure_roles.get(reason, ())
    if role not in roles:
        allowed = ", ".join(roles) or "nobody (the policy does not use this reason)"
        raise Forbidden(f"You may not close a complaint as {reason}: the policy lets {allowed} do it.")
    entry = HistoryEntry(at=at, actor=actor, action=CLOSED_WITH_REASON, from_level=complaint.level,
                         to_level=complaint.level, reason=f"{reason}: {text}")
    new = with_entry(complaint, entry, state=CLOSED, closed_at=at, closure_reason=reason)
    return Outcome(new, (("complaint.closed", {
        "complaint_id": new.id, "customer_id": new.customer_id, "level": new.level,
        "level_role": chain.role_at(new.level), "closed_at": at.isoformat(), "raised_at": iso(new.raised_at),
        "resolved_at": iso(new.resolved_at), "churn_reason": new.churn_reason, "closure_reason": reason,
        "closure_comment": text, "closed_by": actor}),))


def may_close(policy: OwnershipPolicy, role: str, state: str) -> bool:
    """Gives whether `role` may close a complaint in `state` with some reason (the page's button)."""
    return state in (OPEN, RESOLVED) and bool(policy.reasons_for(role))


#: History actions of an unreachable verification.
VERIFICATION_UNREACHABLE = "verification_unreachable"
VERIFICATION_RETRIED = "verification_retried"


#: Why a verification callback could not be made (RULES 2): nobody after every attempt, the
#: customer declined the call, or the number was wrong (tried again once it is corrected).
VERIFICATION_NOT_MADE = {"unreachable": "unreachable", "declined": "declined by the customer",
                         "wrong_number": "wrong number, waiting for the right one"}


def verification_unreachable(complaint: Complaint, *, at: datetime, callback_id: str | None,
                             attempts: int | None = None, why: str = "unreachable") -> Outcome:
    """Gives the resolved complaint whose verification callback could not be made (`why`: found nobody
    after every attempt, declined, wrong number): it waits in the supervisor's queue (`unreachable_at`)
    to be closed with a reason or tried again. Emits ``complaint.verification_unreachable`` with `why`.
    A complaint not resolved, or already waiting, is given back unchanged (the same object: nothing to store).
    """
    require_aware(at, "at")
    if complaint.state != RESOLVED or complaint.unreachable_at is not None:
        return Outcome(complaint)
    tries = f" after {attempts} attempts" if attempts else ""
    entry = HistoryEntry(at=at, actor=f"callback:{callback_id}", action=VERIFICATION_UNREACHABLE,
                         from_level=complaint.level, to_level=complaint.level,
                         reason=f"verification callback {callback_id} {VERIFICATION_NOT_MADE[why]}{tries}")
    new = with_entry(complaint, entry, unreachable_at=at)
    return Outcome(new, (("complaint.verification_unreachable", {
        "complaint_id": new.id, "customer_id": new.customer_id, "callback_id": callback_id, "attempts": attempts,
        "unreachable_at": at.isoformat(), "level": new.level, "why": why}),))


def retry_verification(complaint: Complaint, *, actor: str, role: str, at: datetime, verify_due_at: datetime,
                       policy: OwnershipPolicy, comment: str = "") -> Outcome:
    """Gives the complaint of the supervisor's queue sent back for another verification callback, due
    by `verify_due_at` (the complaint policy's `verify` after `at`, computed by the caller). The roles
    that may close it as `unreachable` may retry it. Emits ``complaint.verification_retried`` (the
    scheduler plans a new verification callback).

    Raises:
      InvalidTransition: the complaint is not waiting after an unreachable verification.
      Forbidden: the policy does not let `role` handle unreachable verifications.
    """
    require_aware(at, "at")
    if complaint.state != RESOLVED or complaint.unreachable_at is None:
        raise InvalidTransition(f"complaint {complaint.id} is not waiting after an unreachable verification.")
    roles = policy.closure_roles.get(UNREACHABLE, ())
    if role not in roles:
        raise Forbidden(f"You may not send complaint {complaint.id} back to verification: the policy lets "
                        f"{', '.join(roles) or 'nobody'} do it.")
    note = (comment or "").strip()
    entry = HistoryEntry(at=at, actor=actor, action=VERIFICATION_RETRIED, from_level=complaint.level,
                         to_level=complaint.level,
                         reason=f"verification again by {verify_due_at.isoformat()}" + (f": {note}" if note else ""))
    new = with_entry(complaint, entry, unreachable_at=None, verify_due_at=verify_due_at)
    return Outcome(new, (("complaint.verification_retried", {
        "complaint_id": new.id, "customer_id": new.customer_id, "verify_due_at": verify_due_at.isoformat(),
        "level": new.level}),))


#: A compensation offered to a customer (seed 004 「涉及相关补偿问题,请示销售服务大区同意后,由经销商先行协商和支付」):
#: proposed, then approved or rejected by the roles the policy names; promised only once approved.
COMPENSATION_PROPOSED, COMPENSATION_APPROVED, COMPENSATION_REJECTED = "proposed", "approved", "rejected"
#: A compensation amount: yuan, and at most two places of fen.
_AMOUNT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?")
PROPOSED_COMPENSATION = "compensation_proposed"
APPROVED_COMPENSATION = "compensation_approved"
REJECTED_COMPENSATION = "compensation_rejected"


def propose_compensation(complaint: Complaint, *, actor: str, role: str, offer: str, amount: str | None,
                         at: datetime, chain: Chain) -> Outcome:
    """Gives the open complaint with a compensation proposed (not yet promised to the customer): it waits
    for the approval the ownership policy names (`approve_compensation`), and the complaint cannot be
    resolved meanwhile.

    Raises:
      InvalidTransition: not open, or a compensation already waits for its approval.
      Forbidden: `role` does not hold the complaint's level or a higher one.
      InvalidInput: no offer, or an amount that is not a non-negative number.
    """
    check_state(complaint, OPEN, "propose a compensation for")
    check_role(chain, role, complaint)
    text = require_text(offer, "offer", "say what is offered to the customer")
    require_aware(at, "at")
    money = (amount or "").strip() or None
    if money is not None and not _AMOUNT.fullmatch(money):
        # a plain sum of yuan and fen: not Infinity, NaN, 1e3 or a negative one (Decimal takes them all)
        raise InvalidInput("amount must be a number of CNY, e.g. 500.00.", field="amount")
    if complaint.compensation_state == COMPENSATION_PROPOSED:
        raise InvalidTransition(f"a compensation of complaint {complaint.id} already waits for its approval.")
    entry = HistoryEntry(at=at, actor=actor, action=PROPOSED_COMPENSATION, from_level=complaint.level,
                         to_level=complaint.level, reason=f"{text}" + (f" ({money} CNY)" if money else ""))
    return Outcome(with_entry(complaint, entry, compensation_state=COMPENSATION_PROPOSED, compensation_offer=text,
                              compensation_amount=money, compensation_decided_by=None))


def decide_compensation(complaint: Complaint, *, actor: str, role: str, approve: bool, note: str, at: datetime,
                        policy: OwnershipPolicy) -> Outcome:
    """Gives the complaint with its proposed compensation approved (it may now be promised) or rejected,
    by a role of the policy's `compensation_approvers`; the decision is in the history.

    Raises:
      InvalidTransition: the complaint is closed, or no compensation waits for approval.
      Forbidden: the policy does not let `role` approve compensations.
    """
    require_aware(at, "at")
    if complaint.state == CLOSED:
        raise InvalidTransition(f"cannot decide a compensation of complaint {complaint.id}: it is closed.")
    if complaint.compensation_state != COMPENSATION_PROPOSED:
        raise InvalidTransition(f"no compensation of complaint {complaint.id} waits for approval.")
    if role not in policy.compensation_approvers:
        raise Forbidden(f"You may not approve compensations: the policy lets "
                        f"{', '.join(policy.compensation_approvers) or 'nobody'} do it.")
    text = (note or "").strip()
    state = COMPENSATION_APPROVED if approve else COMPENSATION_REJECTED
    entry = HistoryEntry(at=at, actor=actor, action=APPROVED_COMPENSATION if approve else REJECTED_COMPENSATION,
                         from_level=complaint.level, to_level=complaint.level, reason=text)
    return Outcome(with_entry(complaint, entry, compensation_state=state, compensation_decided_by=actor))


def check_compensation_settled(complaint: Complaint) -> None:
    """Refuses to resolve a complaint whose compensation still waits for its approval (it cannot be promised yet).

    Raises:
      InvalidTransition: a compensation is proposed and not decided.
    """
    if complaint.compensation_state == COMPENSATION_PROPOSED:
        raise InvalidTransition(f"complaint {complaint.id} has a compensation waiting for its approval; it cannot "
                                "be promised (nor the complaint resolved) before it is approved or rejected.")
