"""A complaint resolved at its level (root cause and corrective action; the verification callback and
the key-customer flag planned) and the verification callback's result (处理结果回访) that closes or
reopens it.

Each is pure: it gives an `Outcome` (the input is never mutated); a refusal raises a
`ComplaintsError` (Forbidden, InvalidTransition, InvalidInput).
"""
from __future__ import annotations

from datetime import datetime

from shared.core.service_time import service_hours_between

from .chain import Chain
from .complaint import (CLOSED, CLOSED_ACTION, OPEN, REOPENED, RESOLVED, RESOLVED_ACTION, SYSTEM, Complaint,
                        HistoryEntry, Outcome, check_role, check_state, investigation_pending, iso, require_aware,
                        require_text, with_entry)
from ..errors import InvalidTransition
from .deadlines import to_investigate
from .policy import ComplaintPolicy


def resolve(
    complaint: Complaint,
    *,
    actor: str,
    role: str,
    root_cause: str,
    corrective_action: str,
    at: datetime,
    policy: ComplaintPolicy,
    chain: Chain,
    calendar,
    special_remark: str | None = None,
) -> Outcome:
    """Gives the complaint resolved at its current level, waiting for the verification callback.

    Sets `verify_due_at` (`policy.verify` after `at`) and `flag_due_at` (`policy.flag_delay`
    after `at`: the day after, the customer becomes a key customer). A resolution is also
    the handler's answer and ends a pending investigation, and does the rework of a repeat
    complaint when it was not recorded before. `special_remark` (特别备注, seed 000) is the text
    the customer's special mark will carry (default: the root cause).
    Emits ``complaint.resolved``.

    Raises:
      InvalidInput: root_cause or corrective_action missing (field names it).
      InvalidTransition: not open, or at a level the chain marks as passing complaints on.
      Forbidden: as for `escalate`.
    """
    check_state(complaint, OPEN, "resolve")
    check_role(chain, role, complaint)
    if not chain.resolves_at(complaint.level):
        level = chain.level(complaint.level)
        raise InvalidTransition(f"complaint {complaint.id} is at level {complaint.level} ({level.label}), which "
                                f"passes complaints on in the {chain.name!r} chain: escalate it to be resolved.")
    cause = require_text(root_cause, "root_cause", "say why the customer was dissatisfied")
    action = require_text(corrective_action, "corrective_action", "say what was done so it does not happen again")
    require_aware(at, "at")
    hours = policy.service_hours
    verify_due_at = policy.verify.after(at, calendar=calendar, service_hours=hours)
    flag_due_at = complaint.flag_due_at
    if complaint.customer_flagged_at is None and flag_due_at is None:
        flag_due_at = policy.flag_delay.after(at, calendar=calendar, service_hours=hours)
    entry = HistoryEntry(at=at, actor=actor, action=RESOLVED_ACTION, from_level=complaint.level, to_level=complaint.level, reason=f"root cause: {cause}; corrective action: {action}")
    new = with_entry(
        complaint,
        entry,
        state=RESOLVED,
        resolved_at=at,
        resolved_by=actor,
        resolved_level=complaint.level,
        root_cause=cause,
        corrective_action=action,
        verify_due_at=verify_due_at,
        flag_due_at=flag_due_at,
        answered_at=complaint.answered_at or at,
        first_reply_at=complaint.first_reply_at or at,
        investigated_at=at if investigation_pending(complaint) else complaint.investigated_at,
        # a resolved ticket needs no engineer any more (nor after a reopening)
        handed_over_at=(complaint.handed_over_at or at) if complaint.handover_due_at else complaint.handed_over_at,
        reworked_at=(complaint.reworked_at or at) if complaint.rework_due_at else complaint.reworked_at,
        special_remark=(special_remark or "").strip() or cause,
    )
    event = (
        "complaint.resolved",
        {
            "complaint_id": new.id,
            "customer_id": new.customer_id,
            "order_id": new.order_id,
            "level": new.level,
            "level_role": chain.role_at(new.level),
            "resolved_at": at.isoformat(),
            "resolved_by": actor,
            "root_cause": cause,
            "corrective_action": action,
            "verify_due_at": verify_due_at.isoformat(),
            "verifier_role": chain.verifier_role,
            "flag_due_at": iso(flag_due_at),
            # The 2-1-1 record, so the monthly report can say which deadlines were met.
            "raised_at": iso(new.raised_at),
            "first_reply_due_at": iso(new.first_reply_due_at),
            "first_reply_at": iso(new.first_reply_at),
            "answer_due_at": iso(new.answer_due_at),
            "answered_at": iso(new.answered_at),
            "churn_reason": new.churn_reason,
            "repeat": new.repeat,
            "rework_due_at": iso(new.rework_due_at),
            "reworked_at": iso(new.reworked_at),
            "special_remark": new.special_remark,
            # Service hours from raised to resolved on the organisation's own calendar and
            # service hours, so the report need not recompute them with a default calendar.
            "service_hours_to_resolve": round(service_hours_between(
                new.raised_at, at, calendar=calendar, service_hours=hours), 2),
        },
    )
    return Outcome(new, (event,))


def verification_result(
    complaint: Complaint,
    *,
    satisfied: bool,
    at: datetime,
    actor: str = SYSTEM,
    reason: str = "",
    policy: ComplaintPolicy,
    chain: Chain,
    calendar,
) -> Outcome:
    """Gives the complaint after the verification callback (处理结果回访).

    `satisfied`: the customer raised no objection (seed 002: 满意或没有提出异议的,可认为投诉处理
    已闭合; a neutral answer is no objection). Then closed (the only way a complaint closes);
    emits ``complaint.closed``, with the answers in `reason`.
    Otherwise (dissatisfied): reopened at the level that resolved it, with a new investigation clock
    (`policy.investigate` after `at`) so it cannot sit unseen; emits ``complaint.reopened``.
    No role check: the result comes from the callback outcome (scheduler).

    Raises:
      InvalidTransition: the complaint is not resolved.
    """
    check_state(complaint, RESOLVED, "record a verification result for")
    require_aware(at, "at")
    level = complaint.resolved_level
    if satisfied:
        entry = HistoryEntry(at=at, actor=actor, action=CLOSED_ACTION, from_level=complaint.level, to_level=complaint.level, reason=reason.strip() or "no objection at the verification callback")
        new = with_entry(complaint, entry, state=CLOSED, closed_at=at)
        event = (
            "complaint.closed",
            {
                "complaint_id": new.id,
                "customer_id": new.customer_id,
                "level": new.level,
                "level_role": chain.role_at(new.level),
                "closed_at": at.isoformat(),
                "raised_at": new.raised_at.isoformat(),
                "resolved_at": iso(new.resolved_at),
                "churn_reason": new.churn_reason,
                "verification": entry.reason,
            },
        )
        return Outcome(new, (event,))
    why = reason.strip() or "customer dissatisfied at the verification callback"
    entry = HistoryEntry(at=at, actor=actor, action=REOPENED, from_level=complaint.level, to_level=level, reason=why)
    new = to_investigate(complaint, entry, policy=policy, calendar=calendar, state=OPEN, verify_due_at=None,
                         resolved_at=None, resolved_by=None)
    event = (
        "complaint.reopened",
        {
            "complaint_id": new.id,
            "customer_id": new.customer_id,
            "level": level,
            "level_role": chain.role_at(level),
            "reopened_at": at.isoformat(),
            "reason": why,
            "investigate_due_at": new.investigate_due_at.isoformat(),
        },
    )
    return Outcome(new, (event,))
