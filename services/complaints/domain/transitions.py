"""The transitions a person or a callback makes: raise, reply, hand over, record the churn
reason, investigate, escalate, resolve, and the verification result.

Each is pure: it takes the current `Complaint` and gives an `Outcome` (the input is never
mutated); a refusal raises a `ComplaintError` (Forbidden, InvalidTransition, InvalidInput).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.core.calendar import service_hours_between

from .chain import Chain
from .complaint import (CHURN_RECORDED, CLOSED, CLOSED_ACTION, HANDED_OVER, INVESTIGATED, OPEN, RAISED, REOPENED,
                        REPEAT_FOUND, REPLIED, RESOLVED, RESOLVED_ACTION, REWORKED, SOURCES, SYSTEM, Complaint, HistoryEntry, Outcome,
                        check_role, check_state, investigation_pending, iso, require_aware, require_text,
                        with_entry)
from .deadlines import escalated_event, step_up, to_investigate
from .errors import InvalidInput, InvalidTransition
from .policy import ComplaintPolicy
from .repeat import is_repeat


def raise_complaint(
    *,
    complaint_id: str,
    customer_id: str,
    raised_at: datetime,
    source: str = "callback",
    actor: str = SYSTEM,
    order_id: str | None = None,
    earlier: tuple = (),
    policy: ComplaintPolicy,
    chain: Chain,
    calendar,
) -> Outcome:
    """Gives a new open complaint: level 0, or the top level when its source is one of the
    chain's `straight_to_top_sources` (the manufacturer, by default).

    The 2-1-1 deadlines are computed here from `raised_at` and never moved: first reply
    `policy.first_reply` and the handler's answer `policy.answer` after `raised_at`, in
    service time. `earlier` (complaints of the same customer or order) decides `repeat`; a
    repeat under a policy with `repeat_followup` gets a rework deadline (`rework_due_at`, wall
    clock) and emits ``complaint.repeated`` (the scheduler plans the special callback, RULES 1.3).
    Otherwise no event: the complaint.raised that brought it in is the event.

    Raises:
      InvalidInput: a missing id or customer, an unknown source, a naive `raised_at`.
    """
    require_text(complaint_id, "complaint_id", "give the complaint's id")
    require_text(customer_id, "customer_id", "give the customer's id")
    require_aware(raised_at, "raised_at")
    if source not in SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(SOURCES)}; got {source!r}.", field="source")
    level = chain.top if source in chain.straight_to_top_sources else 0
    hours = policy.service_hours
    first_reply_due_at = policy.first_reply.after(raised_at, calendar=calendar, service_hours=hours)
    answer_due_at = policy.answer.after(raised_at, calendar=calendar, service_hours=hours)
    repeat = is_repeat(order_id, raised_at, earlier, policy.repeat_window)
    handover_due_at = None
    if policy.handover is not None and source in policy.handover.sources:
        handover_due_at = policy.handover.within.after(raised_at, calendar=calendar, service_hours=hours)
    reason = f"raised via {source}"
    if level:
        reason = f"forwarded by the {source}: starts at the top level ({chain.level(level).label})"
    rework_due_at = None
    if repeat:
        reason += f"; repeat complaint about order {order_id}"
        if policy.repeat_followup is not None:
            rework_due_at = raised_at + policy.repeat_followup
            reason += f": special callback and rework by {rework_due_at.isoformat()}"
    entry = HistoryEntry(at=raised_at, actor=actor, action=RAISED, from_level=None, to_level=level, reason=reason)
    complaint = Complaint(
        id=complaint_id,
        customer_id=customer_id,
        source=source,
        state=OPEN,
        level=level,
        raised_at=raised_at,
        first_reply_due_at=first_reply_due_at,
        answer_due_at=answer_due_at,
        order_id=order_id,
        repeat=repeat,
        handover_due_at=handover_due_at,
        rework_due_at=rework_due_at,
        history=(entry,),
    )
    if rework_due_at is None:
        return Outcome(complaint)
    return Outcome(complaint, (_repeated_event(complaint),))


def _repeated_event(complaint: Complaint) -> tuple[str, dict]:
    return ("complaint.repeated", {
        "complaint_id": complaint.id, "customer_id": complaint.customer_id, "order_id": complaint.order_id,
        "raised_at": complaint.raised_at.isoformat(), "rework_due_at": complaint.rework_due_at.isoformat(),
        "level": complaint.level,
    })


def found_repeat(complaint: Complaint, *, earlier_id: str, earlier_raised_at: datetime,
                 policy: ComplaintPolicy, now: datetime) -> Outcome:
    """Gives the complaint marked repeat because an earlier complaint about its order (`earlier_id`,
    raised `earlier_raised_at`) arrived after it: events are handled in the order they come, not
    the order they were raised in (RULES 1.3). As at raising: a rework deadline from its own
    `raised_at` under a policy with `repeat_followup`, and ``complaint.repeated`` (the special
    callback). Nothing changes when it is a repeat already, closed, or outside the window.
    """
    require_aware(now, "now")
    if complaint.repeat or complaint.state == CLOSED or not is_repeat(
            complaint.order_id, complaint.raised_at,
            (_Earlier(complaint.order_id, earlier_raised_at),), policy.repeat_window):
        return Outcome(complaint)
    reason = f"repeat complaint about order {complaint.order_id}: {earlier_id} was raised earlier and arrived later"
    rework_due_at = None
    if policy.repeat_followup is not None:
        rework_due_at = complaint.raised_at + policy.repeat_followup
        reason += f"; special callback and rework by {rework_due_at.isoformat()}"
    entry = HistoryEntry(at=now, actor=SYSTEM, action=REPEAT_FOUND, from_level=complaint.level,
                         to_level=complaint.level, reason=reason)
    after = with_entry(complaint, entry, repeat=True, rework_due_at=rework_due_at)
    return Outcome(after, (_repeated_event(after),) if rework_due_at is not None else ())


@dataclass(frozen=True)
class _Earlier:
    order_id: str | None
    raised_at: datetime


def record_reply(
    complaint: Complaint,
    *,
    actor: str,
    role: str,
    message: str,
    at: datetime,
    chain: Chain,
    answer: bool | None = None,
) -> Outcome:
    """Gives the complaint after a reply to the customer (答复: how, how far, or the result).

    The first reply meets the first-reply deadline; the next one (or the first, when
    `answer` is True) is the handler's answer and meets the answer deadline. `answer=False`
    records a reply that is neither (a progress note after both). A reply while an
    investigation is pending also records the investigation as done.

    Raises:
      Forbidden: `role` does not hold the complaint's level or a higher one.
      InvalidTransition: the complaint is not open.
      InvalidInput: empty message or naive `at`.
    """
    check_state(complaint, OPEN, "reply to")
    check_role(chain, role, complaint)
    text = require_text(message, "message", "write what the customer was told")
    require_aware(at, "at")
    changes: dict[str, Any] = {}
    kinds = []
    if complaint.first_reply_at is None:
        changes["first_reply_at"] = at
        kinds.append("first reply")
        if answer:
            changes["answered_at"] = at
            kinds.append("answer")
    elif complaint.answered_at is None and answer is not False:
        changes["answered_at"] = at
        kinds.append("answer")
    if investigation_pending(complaint):
        changes["investigated_at"] = at
        kinds.append("investigation")
    reason = f"{' + '.join(kinds) or 'reply'}: {text}"
    entry = HistoryEntry(at=at, actor=actor, action=REPLIED, from_level=complaint.level, to_level=complaint.level, reason=reason)
    return Outcome(with_entry(complaint, entry, **changes))


def record_handover(
    complaint: Complaint, *, actor: str, role: str, engineer: str, at: datetime, chain: Chain
) -> Outcome:
    """Gives the complaint after its ticket was handed to an engineer (转交工程师; meets the
    handover deadline of a hotline ticket, RULES 2 seed 001).

    Raises:
      InvalidTransition: not open, or already handed over.
      Forbidden: `role` does not hold the complaint's level or a higher one.
      InvalidInput: no engineer named, or naive `at`.
    """
    check_state(complaint, OPEN, "hand over")
    check_role(chain, role, complaint)
    name = require_text(engineer, "engineer", "name the engineer the ticket goes to")
    require_aware(at, "at")
    if complaint.handed_over_at is not None:
        raise InvalidTransition(
            f"complaint {complaint.id} was handed to {complaint.handed_over_to} already at "
            f"{complaint.handed_over_at.isoformat()}."
        )
    reason = f"handed to engineer {name}"
    if complaint.handover_due_at is not None:
        reason += f" (due {complaint.handover_due_at.isoformat()})"
    entry = HistoryEntry(at=at, actor=actor, action=HANDED_OVER, from_level=complaint.level,
                         to_level=complaint.level, reason=reason)
    return Outcome(with_entry(complaint, entry, handed_over_at=at, handed_over_to=name))


def record_rework(complaint: Complaint, *, actor: str, role: str, note: str, at: datetime, chain: Chain) -> Outcome:
    """Gives the complaint after the repair was done again (返修) for a repeat complaint: meets its
    rework deadline (RULES 1.3).

    Raises:
      InvalidTransition: not open, no rework deadline, or reworked already.
      Forbidden: `role` does not hold the complaint's level or a higher one.
      InvalidInput: an empty note or naive `at`.
    """
    check_state(complaint, OPEN, "record the rework of")
    check_role(chain, role, complaint)
    text = require_text(note, "note", "say what was repaired again")
    require_aware(at, "at")
    if complaint.rework_due_at is None:
        raise InvalidTransition(f"complaint {complaint.id} is not a repeat complaint: it has no rework to record.")
    if complaint.reworked_at is not None:
        raise InvalidTransition(f"the rework of complaint {complaint.id} was recorded at "
                                f"{complaint.reworked_at.isoformat()} already.")
    late = "" if at <= complaint.rework_due_at else f" (late: due {complaint.rework_due_at.isoformat()})"
    entry = HistoryEntry(at=at, actor=actor, action=REWORKED, from_level=complaint.level, to_level=complaint.level,
                         reason=f"rework: {text}{late}")
    return Outcome(with_entry(complaint, entry, reworked_at=at))


def record_churn(complaint: Complaint, *, actor: str, role: str, reason: str, at: datetime, chain: Chain) -> Outcome:
    """Gives the complaint with the reason the customer left (客户流失原因), in any state; a later
    record replaces the reason, and each one is in the history.

    Raises:
      Forbidden: `role` does not hold the complaint's level or a higher one (as for every action).
      InvalidInput: empty reason or naive `at`.
    """
    check_role(chain, role, complaint)
    text = require_text(reason, "reason", "say why the customer left")
    require_aware(at, "at")
    entry = HistoryEntry(at=at, actor=actor, action=CHURN_RECORDED, from_level=complaint.level,
                         to_level=complaint.level, reason=text)
    return Outcome(with_entry(complaint, entry, churn_reason=text))


def record_investigation(
    complaint: Complaint, *, actor: str, role: str, findings: str, at: datetime, chain: Chain
) -> Outcome:
    """Gives the complaint after the superior's investigation (彻底调查, 找出客户不满意的原因).

    Raises:
      InvalidTransition: no investigation is pending, or the complaint is not open.
      Forbidden, InvalidInput: as for `record_reply`.
    """
    check_state(complaint, OPEN, "record an investigation for")
    check_role(chain, role, complaint)
    if not investigation_pending(complaint):
        raise InvalidTransition(
            f"complaint {complaint.id} has no pending investigation; reply or resolve it instead."
        )
    text = require_text(findings, "findings", "say what the investigation found")
    require_aware(at, "at")
    entry = HistoryEntry(at=at, actor=actor, action=INVESTIGATED, from_level=complaint.level, to_level=complaint.level, reason=text)
    return Outcome(with_entry(complaint, entry, investigated_at=at))



def escalate(
    complaint: Complaint,
    *,
    actor: str,
    role: str,
    reason: str,
    at: datetime,
    policy: ComplaintPolicy,
    chain: Chain,
    calendar,
) -> Outcome:
    """Gives the complaint one level up (beyond this level's authority), never skipping a level.

    The superior's investigation clock starts: `investigate_due_at` is
    `policy.investigate` of service time after `at`.
    Emits ``complaint.escalated``.

    Raises:
      InvalidTransition: already at the top level, or not open.
      Forbidden: `role` does not hold the complaint's level or a higher one.
      InvalidInput: empty reason or naive `at`.
    """
    check_state(complaint, OPEN, "escalate")
    check_role(chain, role, complaint)
    text = require_text(reason, "reason", "say why this level cannot handle the complaint")
    require_aware(at, "at")
    if complaint.level >= chain.top:
        top = chain.level(chain.top)
        raise InvalidTransition(
            f"complaint {complaint.id} is already at the top level ({top.role}, {top.label}); "
            "it cannot go higher: resolve it at this level."
        )
    new, entry = step_up(complaint, actor=actor, reason=text, at=at, policy=policy, calendar=calendar)
    return Outcome(new, (escalated_event(new, chain, entry, automatic=False),))


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
      InvalidTransition: not open. Forbidden: as for `escalate`.
    """
    check_state(complaint, OPEN, "resolve")
    check_role(chain, role, complaint)
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

