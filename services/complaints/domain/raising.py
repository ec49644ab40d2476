"""A complaint comes in: raised (its level, deadlines and owner from the chain and the policy), and
found a repeat of an earlier complaint about the same order (RULES 1.3), whichever arrived first.

Each is pure: it gives an `Outcome` (the input is never mutated); a refusal raises a
`ComplaintsError` (Forbidden, InvalidTransition, InvalidInput).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


from .chain import Chain
from .complaint import (CLOSED, OPEN, RAISED, REPEAT_FOUND, SOURCES, SYSTEM, Complaint, HistoryEntry, Outcome,
                        require_aware, require_text, with_entry)
from ..errors import InvalidInput
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
