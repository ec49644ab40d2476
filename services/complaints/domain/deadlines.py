"""Deadlines of a complaint and the sweep that acts on the missed ones (RULES 2).

`pending_deadlines` lists what is still to be met; `sweep` decides what a missed deadline
does (one level up, or the managers told at the top level) and flags the customer;
`next_sweep_at` is when a sweep could next change the complaint. All pure.
"""
from __future__ import annotations

from datetime import datetime

from .chain import Chain
from .complaint import (ANSWER, CUSTOMER_FLAGGED, DEADLINE_LABELS, ESCALATED, FIRST_REPLY, FLAG_CUSTOMER, HANDOVER,
                        INVESTIGATE, MANAGERS_NOTIFIED, NOTIFY_MANAGERS, OPEN, RESOLVED, SYSTEM, VERIFY, Action,
                        Complaint, HistoryEntry, Outcome, investigation_pending, iso, require_aware, with_entry)
from .policy import ComplaintPolicy


def escalated_event(complaint: Complaint, chain: Chain, entry: HistoryEntry, *, automatic: bool) -> tuple[str, dict]:
    """Gives the complaint.escalated event of the step `entry` (by a person, or `automatic`)."""
    return (
        "complaint.escalated",
        {
            "complaint_id": complaint.id,
            "customer_id": complaint.customer_id,
            "from_level": entry.from_level,
            "to_level": entry.to_level,
            "from_role": chain.role_at(entry.from_level),
            "to_role": chain.role_at(entry.to_level),
            "reason": entry.reason,
            "actor": entry.actor,
            "escalated_at": entry.at.isoformat(),
            "investigate_due_at": iso(complaint.investigate_due_at),
            "automatic": automatic,
        },
    )


def to_investigate(complaint: Complaint, entry: HistoryEntry, *, policy: ComplaintPolicy, calendar,
                   **changes) -> Complaint:
    """Gives the complaint at `entry.to_level` with `entry` recorded, its superior's
    investigation due `policy.investigate` of service time after `entry.at`."""
    investigate_due_at = policy.investigate.after(entry.at, calendar=calendar, service_hours=policy.service_hours)
    return with_entry(complaint, entry, level=entry.to_level, investigate_due_at=investigate_due_at,
                      investigated_at=None, **changes)


def step_up(complaint: Complaint, *, actor: str, reason: str, at: datetime, policy: ComplaintPolicy,
            extra_breaches=(), calendar) -> tuple[Complaint, HistoryEntry]:
    """Gives the complaint one level up and its history entry (see `to_investigate`);
    `extra_breaches` count as acted upon."""
    entry = HistoryEntry(at=at, actor=actor, action=ESCALATED, from_level=complaint.level,
                         to_level=complaint.level + 1, reason=reason)
    new = to_investigate(complaint, entry, policy=policy, calendar=calendar,
                         handled_breaches=complaint.handled_breaches + tuple(extra_breaches))
    return new, entry


def breach_key(name: str, due_at: datetime) -> str:
    """Gives a stable key for one deadline of a complaint (deadline name and due time)."""
    return f"{name}@{due_at.isoformat()}"


def pending_deadlines(complaint: Complaint) -> list[tuple[str, datetime]]:
    """Gives (name, due_at) of the deadlines still to be met, earliest first: first reply,
    answer and investigation while open; the verification callback while resolved."""
    out = []
    if complaint.state == OPEN:
        if complaint.handover_due_at is not None and complaint.handed_over_at is None:
            out.append((HANDOVER, complaint.handover_due_at))
        if complaint.first_reply_at is None:
            out.append((FIRST_REPLY, complaint.first_reply_due_at))
        if complaint.answered_at is None:
            out.append((ANSWER, complaint.answer_due_at))
        if investigation_pending(complaint):
            out.append((INVESTIGATE, complaint.investigate_due_at))
    elif complaint.state == RESOLVED and complaint.verify_due_at is not None:
        out.append((VERIFY, complaint.verify_due_at))
    return sorted(out, key=lambda item: item[1])


def _escalating_deadlines(complaint: Complaint) -> list[tuple[str, datetime]]:
    """Gives the pending deadlines a sweep acts upon (not the verification callback: that is the
    scheduler's task) and has not acted upon yet."""
    return [
        (name, due) for name, due in pending_deadlines(complaint)
        if name != VERIFY and breach_key(name, due) not in complaint.handled_breaches
    ]


def missed_deadlines(complaint: Complaint, now: datetime) -> list[tuple[str, datetime]]:
    """Gives (name, due_at) of each deadline of an open complaint passed at `now`, unmet and
    not yet acted upon, earliest first."""
    return [(name, due) for name, due in _escalating_deadlines(complaint) if due <= now]


def sweep(complaint: Complaint, now: datetime, policy: ComplaintPolicy, chain: Chain, calendar) -> Outcome:
    """Gives what the periodic tick decides for one complaint at `now`.

    - Missed deadlines (handover, first reply, answer, investigation) not yet acted upon escalate
      the complaint ONE level, however many were missed at once (a complaint arriving
      already late escalates once, then runs on the new level's clock); the reason names
      them; the investigation clock restarts at the new level from `now`.
      Emits ``complaint.escalated`` (automatic: true).
    - At the top level a missed deadline cannot escalate: it yields a NOTIFY_MANAGERS
      action, once per deadline, and a ``managers_notified`` history entry.
    - When `flag_due_at` has come and the customer is not flagged yet (any state): a
      FLAG_CUSTOMER action and ``customer.flagged``.

    Nothing due: an Outcome with the same complaint, no events, no actions.
    """
    require_aware(now, "now")
    current = complaint
    events: list[tuple[str, dict]] = []
    actions: list[Action] = []

    missed = missed_deadlines(current, now)
    if missed:
        keys = tuple(breach_key(name, due) for name, due in missed)
        what = "; ".join(f"{DEADLINE_LABELS[name]} was due {due.isoformat()}" for name, due in missed)
        if current.level < chain.top:
            reason = f"deadline missed: {what}"
            current, entry = step_up(current, actor=SYSTEM, reason=reason, at=now, policy=policy, calendar=calendar,
                                     extra_breaches=keys)
            events.append(escalated_event(current, chain, entry, automatic=True))
        else:
            top = chain.level(chain.top)
            reason = f"deadline missed at the top level ({top.label}): {what}; managers notified"
            entry = HistoryEntry(at=now, actor=SYSTEM, action=MANAGERS_NOTIFIED, from_level=current.level, to_level=current.level, reason=reason)
            current = with_entry(current, entry, handled_breaches=current.handled_breaches + keys)
            for name, due in missed:
                actions.append(Action(kind=NOTIFY_MANAGERS, complaint_id=current.id, deadline=name, due_at=due, reason=f"{DEADLINE_LABELS[name]} was due {due.isoformat()}"))

    if current.flag_due_at is not None and current.customer_flagged_at is None and current.flag_due_at <= now:
        reason = "key customer after a resolved complaint (重点关注对象)"
        entry = HistoryEntry(at=now, actor=SYSTEM, action=CUSTOMER_FLAGGED, from_level=current.level, to_level=current.level, reason=reason)
        current = with_entry(current, entry, customer_flagged_at=now)
        actions.append(Action(kind=FLAG_CUSTOMER, complaint_id=current.id, due_at=current.flag_due_at, reason=reason))
        events.append((
            "customer.flagged",
            {
                "customer_id": current.customer_id,
                "complaint_id": current.id,
                "flagged_at": now.isoformat(),
                "reason": "complaint_resolved",
            },
        ))
    return Outcome(current, tuple(events), tuple(actions))


def next_sweep_at(complaint: Complaint) -> datetime | None:
    """Gives the earliest moment a sweep could change this complaint (store it, index it, and
    let the periodic tick pick up rows whose moment has come)."""
    moments = [due for _, due in _escalating_deadlines(complaint)]
    if complaint.flag_due_at is not None and complaint.customer_flagged_at is None:
        moments.append(complaint.flag_due_at)
    return min(moments) if moments else None
