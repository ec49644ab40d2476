"""Deadlines of a complaint and the sweep that acts on the missed ones (RULES 2).

`pending_deadlines` lists what is still to be met; `sweep` decides what a missed deadline
does (one level up, or the managers told at the top level) and flags the customer;
`next_sweep_at` is when a sweep could next change the complaint. All pure.
"""
from __future__ import annotations

from datetime import datetime

from .chain import Chain
from .complaint import (ANSWER, CUSTOMER_FLAGGED, DEADLINE_LABELS, DEADLINES_REPLANNED, ESCALATED, FIRST_REPLY,
                        FLAG_CUSTOMER, HANDOVER, INVESTIGATE, MANAGERS_NOTIFIED, NOTIFY_MANAGERS, OPEN, RESOLVED,
                        REWORK, SYSTEM, VERIFY, Action, Complaint, HistoryEntry, Outcome, investigation_pending, iso,
                        require_aware, with_entry)
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
    """Gives (name, due_at) of the deadlines still to be met, earliest first: handover, rework,
    first reply, answer and investigation while open; the verification callback while resolved."""
    out = []
    if complaint.state == OPEN:
        if complaint.handover_due_at is not None and complaint.handed_over_at is None:
            out.append((HANDOVER, complaint.handover_due_at))
        if complaint.rework_due_at is not None and complaint.reworked_at is None:
            out.append((REWORK, complaint.rework_due_at))
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
    """Gives the pending deadlines a sweep acts upon and has not acted upon yet. A missed verification
    callback escalates like the other deadlines (RULES 2, seed 004 2-1-1), except while the complaint
    waits in the supervisor's queue (its verification could not be made: a person decides there)."""
    return [
        (name, due) for name, due in pending_deadlines(complaint)
        if breach_key(name, due) not in complaint.handled_breaches
        and not (name == VERIFY and complaint.unreachable_at is not None)
    ]


def missed_deadlines(complaint: Complaint, now: datetime) -> list[tuple[str, datetime]]:
    """Gives (name, due_at) of each deadline of an open complaint passed at `now`, unmet and
    not yet acted upon, earliest first."""
    return [(name, due) for name, due in _escalating_deadlines(complaint) if due <= now]


def sweep(complaint: Complaint, now: datetime, policy: ComplaintPolicy, chain: Chain, calendar) -> Outcome:
    """Gives what the periodic tick decides for one complaint at `now`.

    - Missed deadlines (handover, first reply, answer, investigation, verification) not yet acted upon escalate
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
                # the special remark (特别备注, seed 000) and who entered it: the resolver
                "remark": current.special_remark,
                "flagged_by": current.resolved_by,
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


def deadline_starts(complaint: Complaint) -> dict[str, datetime]:
    """Gives the moment each pending deadline counts from: the raising (handover, rework, first
    reply, answer) or the resolution (verification); an investigation counts from the step that
    started it, which only the history knows (`replan_deadlines` takes it)."""
    starts = {}
    for name, _ in pending_deadlines(complaint):
        if name == VERIFY:
            starts[name] = complaint.resolved_at
        elif name != INVESTIGATE:
            starts[name] = complaint.raised_at
    return starts


def provisional_deadlines(complaint: Complaint, calendar) -> tuple[str, ...]:
    """Gives the names of the pending deadlines counted over a provisional day of the calendar
    (RULES 1.6: a year the official calendar has not published): any day from the deadline's
    start to its due day."""
    starts = deadline_starts(complaint)
    names = []
    for name, due in pending_deadlines(complaint):
        start = starts.get(name) or due
        if calendar.any_provisional(start.date(), due.date()):
            names.append(name)
    return tuple(names)


def replan_deadlines(complaint: Complaint, *, at: datetime, investigate_from: datetime | None, policy: ComplaintPolicy,
                     calendar) -> Outcome:
    """Gives the complaint with its pending deadlines computed again on `calendar` from their starts
    (a provisional year was published since: RULES 1.6). Changed deadlines are recorded in the
    history and announced (``complaint.deadlines_moved`` with every current deadline);
    nothing changed: the very same complaint.

    `investigate_from`: when the pending investigation started (its escalation or reopening).
    """
    require_aware(at, "at")
    hours = policy.service_hours
    spans = {FIRST_REPLY: policy.first_reply, ANSWER: policy.answer, VERIFY: policy.verify,
             INVESTIGATE: policy.investigate}
    if policy.handover is not None:
        spans[HANDOVER] = policy.handover.within
    starts = deadline_starts(complaint)
    if investigate_from is not None:
        starts[INVESTIGATE] = investigate_from
    fields_ = {HANDOVER: "handover_due_at", FIRST_REPLY: "first_reply_due_at", ANSWER: "answer_due_at",
               INVESTIGATE: "investigate_due_at", VERIFY: "verify_due_at"}
    changes, moved = {}, []
    for name, due in pending_deadlines(complaint):
        if name not in spans or name not in starts:
            continue  # the rework deadline is wall-clock time: no calendar in it
        new_due = spans[name].after(starts[name], calendar=calendar, service_hours=hours)
        if new_due != due:
            changes[fields_[name]] = new_due
            moved.append(f"{DEADLINE_LABELS[name]} {due.isoformat()} -> {new_due.isoformat()}")
    if not changes:
        return Outcome(complaint)
    entry = HistoryEntry(at=at, actor=SYSTEM, action=DEADLINES_REPLANNED, from_level=complaint.level,
                         to_level=complaint.level, reason="re-planned on the published calendar: " + "; ".join(moved))
    new = with_entry(complaint, entry, **changes)
    event = ("complaint.deadlines_moved", {
        "complaint_id": new.id, "customer_id": new.customer_id,
        "moved": [name for name, field in fields_.items() if field in changes],
        **{field: iso(getattr(new, field)) for field in fields_.values()},
    })
    return Outcome(new, (event,))
