"""A complaint (客户投诉) and the only ways it changes: recorded transitions.

Every function here is pure: it takes the current `Complaint` and returns an `Outcome`
holding the new `Complaint` (the input is never mutated), the events to emit and, for
`sweep`, the actions to take. Each transition appends one `HistoryEntry` or more: who,
when, from which level to which, and why (RULES 2). A refusal raises a `ComplaintError`.

Events are ``(type, data)`` with JSON-ready data (datetimes as ISO 8601 with offset).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.calendar import service_hours_between

from .chain import Chain, can_act
from .errors import Forbidden, InvalidInput, InvalidTransition
from .policy import ComplaintPolicy
from .repeat import is_repeat

#: Complaint states (CONTRACT: `state`).
OPEN, RESOLVED, CLOSED = "open", "resolved", "closed"
STATES = (OPEN, RESOLVED, CLOSED)
#: Where a complaint comes from (CONTRACT: complaint.raised `source`).
SOURCES = ("callback", "hotline", "manufacturer", "walk_in", "web")
#: A complaint forwarded by the manufacturer starts at the top level (seed 004:
#: 由长安汽车转来的客户投诉必须由经销商总经理安排进行处理).
TOP_LEVEL_SOURCES = frozenset({"manufacturer"})
#: The actor of automatic steps (sweeps).
SYSTEM = "system"

#: Deadline names, as used in reminders, breaches and history reasons.
FIRST_REPLY, ANSWER, INVESTIGATE, VERIFY = "first_reply", "answer", "investigate", "verify"
HANDOVER = "handover"
DEADLINE_LABELS = {
    HANDOVER: "handover to an engineer (转交工程师)",
    FIRST_REPLY: "first reply (首次回复)",
    ANSWER: "handler's answer (处理答复)",
    INVESTIGATE: "investigation (上级调查)",
    VERIFY: "verification callback (处理结果回访)",
}

#: History actions.
RAISED = "raised"
REPLIED = "replied"
INVESTIGATED = "investigated"
ESCALATED = "escalated"
MANAGERS_NOTIFIED = "managers_notified"
RESOLVED_ACTION = "resolved"
CLOSED_ACTION = "closed"
REOPENED = "reopened"
CUSTOMER_FLAGGED = "customer_flagged"
HANDED_OVER = "handed_over"
CHURN_RECORDED = "churn_recorded"

#: Actions a sweep asks the caller to carry out (besides emitting its events).
NOTIFY_MANAGERS = "notify_managers"
FLAG_CUSTOMER = "flag_customer"


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded step: who (`actor`), when (`at`), what (`action`), from which level
    to which, and why (`reason`). `from_level` is None for the raising step."""

    at: datetime
    actor: str
    action: str
    from_level: int | None
    to_level: int | None
    reason: str = ""

    def to_dict(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "from_level": self.from_level,
            "to_level": self.to_level,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Complaint:
    """The state of one complaint (客户投诉处理追踪表, the parts the rules need).

    `first_reply_due_at` and `answer_due_at` are computed from `raised_at` once and never
    moved. `investigate_due_at` is set by an escalation (or a reopening) and met by
    `investigated_at`. `handover_due_at` (a hotline ticket under a policy with a handover
    rule) is computed from `raised_at` too and met by `handed_over_at`. `churn_reason`
    (客户流失原因) says why the customer left, when they did. `handled_breaches` holds the keys of missed deadlines already
    acted upon, so each missed deadline escalates (or notifies) once.
    """

    id: str
    customer_id: str
    source: str
    state: str
    level: int
    raised_at: datetime
    first_reply_due_at: datetime
    answer_due_at: datetime
    order_id: str | None = None
    repeat: bool = False
    first_reply_at: datetime | None = None
    answered_at: datetime | None = None
    investigate_due_at: datetime | None = None
    investigated_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolved_level: int | None = None
    root_cause: str | None = None
    corrective_action: str | None = None
    verify_due_at: datetime | None = None
    flag_due_at: datetime | None = None
    customer_flagged_at: datetime | None = None
    closed_at: datetime | None = None
    handover_due_at: datetime | None = None
    handed_over_at: datetime | None = None
    handed_over_to: str | None = None
    churn_reason: str | None = None
    handled_breaches: tuple[str, ...] = ()
    history: tuple[HistoryEntry, ...] = ()

    def to_dict(self, chain: Chain | None = None) -> dict:
        """JSON-ready fields (CONTRACT: GET /complaints/<id>); `level_role` needs `chain`."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif name == "history":
                value = [entry.to_dict() for entry in value]
            elif name == "handled_breaches":
                value = list(value)
            out[name] = value
        if chain is not None:
            out["level_role"] = chain.role_at(self.level)
        return out


@dataclass(frozen=True)
class Action:
    """Something a sweep asks the caller to do beyond emitting events.

    `kind` is NOTIFY_MANAGERS (a deadline missed at the top level: mail/notify the
    organisation's managers) or FLAG_CUSTOMER (mark the customer as a key customer).
    """

    kind: str
    complaint_id: str
    deadline: str | None = None
    due_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Outcome:
    """What a transition decided: the new complaint, events to emit, actions to take.

    A sweep with nothing due returns the very same complaint object
    (``outcome.complaint is complaint``): nothing to store.
    """

    complaint: Complaint
    events: tuple[tuple[str, dict], ...] = ()
    actions: tuple[Action, ...] = ()


# -- helpers ---------------------------------------------------------------------------

def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise InvalidInput(f"{name} must be a date and time, e.g. 2026-11-20T17:00:00+08:00.", field=name)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{name} needs a UTC offset, e.g. 2026-11-20T17:00:00+08:00.", field=name
        )


def _require_text(value: str | None, name: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{name} is required: {what}.", field=name)
    return text


def _check_role(chain: Chain, role: str, complaint: Complaint) -> None:
    allowed, reason = can_act(chain, role, complaint.level)
    if not allowed:
        raise Forbidden(reason)


def _check_state(complaint: Complaint, wanted: str, doing: str) -> None:
    if complaint.state != wanted:
        hints = {
            RESOLVED: "it was resolved and waits for the verification callback",
            CLOSED: "it is closed",
            OPEN: "it is still open",
        }
        raise InvalidTransition(
            f"cannot {doing} complaint {complaint.id}: {hints[complaint.state]}."
        )


def _with_entry(complaint: Complaint, entry: HistoryEntry, **changes) -> Complaint:
    return replace(complaint, history=complaint.history + (entry,), **changes)


def _escalated_event(complaint: Complaint, chain: Chain, entry: HistoryEntry, *, automatic: bool) -> tuple[str, dict]:
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
            "investigate_due_at": _iso(complaint.investigate_due_at),
            "automatic": automatic,
        },
    )


# -- transitions -----------------------------------------------------------------------

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
    """A new open complaint: level 0, or the top level when the manufacturer forwarded it.

    The 2-1-1 deadlines are computed here from `raised_at` and never moved: first reply
    `policy.first_reply` and the handler's answer `policy.answer` after `raised_at`, in
    service time. `earlier` (complaints of the same customer or order) decides `repeat`.
    No event: the complaint.raised that brought it in is the event.

    Raises:
      InvalidInput: a missing id or customer, an unknown source, a naive `raised_at`.
    """
    _require_text(complaint_id, "complaint_id", "give the complaint's id")
    _require_text(customer_id, "customer_id", "give the customer's id")
    _require_aware(raised_at, "raised_at")
    if source not in SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(SOURCES)}; got {source!r}.", field="source")
    level = chain.top if source in TOP_LEVEL_SOURCES else 0
    hours = policy.service_hours
    first_reply_due_at = policy.first_reply.after(raised_at, calendar=calendar, service_hours=hours)
    answer_due_at = policy.answer.after(raised_at, calendar=calendar, service_hours=hours)
    repeat = is_repeat(order_id, raised_at, earlier, policy.repeat_window)
    handover_due_at = None
    if policy.handover is not None and source in policy.handover.sources:
        handover_due_at = policy.handover.within.after(raised_at, calendar=calendar, service_hours=hours)
    reason = f"raised via {source}"
    if level:
        reason = f"forwarded by the manufacturer: starts at the top level ({chain.level(level).label})"
    if repeat:
        reason += f"; repeat complaint about order {order_id}"
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
        history=(entry,),
    )
    return Outcome(complaint)


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
    """The complaint after a reply to the customer (答复: how, how far, or the result).

    The first reply meets the first-reply deadline; the next one (or the first, when
    `answer` is True) is the handler's answer and meets the answer deadline. `answer=False`
    records a reply that is neither (a progress note after both). A reply while an
    investigation is pending also records the investigation as done.

    Raises:
      Forbidden: `role` does not hold the complaint's level or a higher one.
      InvalidTransition: the complaint is not open.
      InvalidInput: empty message or naive `at`.
    """
    _check_state(complaint, OPEN, "reply to")
    _check_role(chain, role, complaint)
    text = _require_text(message, "message", "write what the customer was told")
    _require_aware(at, "at")
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
    if _investigation_pending(complaint):
        changes["investigated_at"] = at
        kinds.append("investigation")
    reason = f"{' + '.join(kinds) or 'reply'}: {text}"
    entry = HistoryEntry(at=at, actor=actor, action=REPLIED, from_level=complaint.level, to_level=complaint.level, reason=reason)
    return Outcome(_with_entry(complaint, entry, **changes))


def record_handover(
    complaint: Complaint, *, actor: str, role: str, engineer: str, at: datetime, chain: Chain
) -> Outcome:
    """The complaint after its ticket was handed to an engineer (转交工程师; meets the
    handover deadline of a hotline ticket, RULES 2 seed 001).

    Raises:
      InvalidTransition: not open, or already handed over.
      Forbidden: `role` does not hold the complaint's level or a higher one.
      InvalidInput: no engineer named, or naive `at`.
    """
    _check_state(complaint, OPEN, "hand over")
    _check_role(chain, role, complaint)
    name = _require_text(engineer, "engineer", "name the engineer the ticket goes to")
    _require_aware(at, "at")
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
    return Outcome(_with_entry(complaint, entry, handed_over_at=at, handed_over_to=name))


def record_churn(complaint: Complaint, *, actor: str, role: str, reason: str, at: datetime, chain: Chain) -> Outcome:
    """The complaint with the reason the customer left (客户流失原因), in any state; a later
    record replaces the reason, and each one is in the history.

    Raises:
      Forbidden: `role` does not hold the complaint's level or a higher one (as for every action).
      InvalidInput: empty reason or naive `at`.
    """
    _check_role(chain, role, complaint)
    text = _require_text(reason, "reason", "say why the customer left")
    _require_aware(at, "at")
    entry = HistoryEntry(at=at, actor=actor, action=CHURN_RECORDED, from_level=complaint.level,
                         to_level=complaint.level, reason=text)
    return Outcome(_with_entry(complaint, entry, churn_reason=text))


def record_first_reply(complaint: Complaint, **kwargs) -> Outcome:
    """Same as `record_reply` (the first reply of a complaint is its first reply)."""
    return record_reply(complaint, **kwargs)


def record_investigation(
    complaint: Complaint, *, actor: str, role: str, findings: str, at: datetime, chain: Chain
) -> Outcome:
    """The complaint after the superior's investigation (彻底调查, 找出客户不满意的原因).

    Raises:
      InvalidTransition: no investigation is pending, or the complaint is not open.
      Forbidden, InvalidInput: as for `record_reply`.
    """
    _check_state(complaint, OPEN, "record an investigation for")
    _check_role(chain, role, complaint)
    if not _investigation_pending(complaint):
        raise InvalidTransition(
            f"complaint {complaint.id} has no pending investigation; reply or resolve it instead."
        )
    text = _require_text(findings, "findings", "say what the investigation found")
    _require_aware(at, "at")
    entry = HistoryEntry(at=at, actor=actor, action=INVESTIGATED, from_level=complaint.level, to_level=complaint.level, reason=text)
    return Outcome(_with_entry(complaint, entry, investigated_at=at))


def _investigation_pending(complaint: Complaint) -> bool:
    return complaint.investigate_due_at is not None and complaint.investigated_at is None


def _escalate(complaint: Complaint, *, actor: str, reason: str, at: datetime, policy: ComplaintPolicy, chain: Chain, calendar, extra_breaches=()) -> tuple[Complaint, HistoryEntry]:
    to_level = complaint.level + 1
    investigate_due_at = policy.investigate.after(at, calendar=calendar, service_hours=policy.service_hours)
    entry = HistoryEntry(at=at, actor=actor, action=ESCALATED, from_level=complaint.level, to_level=to_level, reason=reason)
    new = _with_entry(
        complaint,
        entry,
        level=to_level,
        investigate_due_at=investigate_due_at,
        investigated_at=None,
        handled_breaches=complaint.handled_breaches + tuple(extra_breaches),
    )
    return new, entry


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
    """The complaint one level up (beyond this level's authority), never skipping a level.

    The superior's investigation clock starts: `investigate_due_at` is
    `policy.investigate` of service time after `at`.
    Emits ``complaint.escalated``.

    Raises:
      InvalidTransition: already at the top level, or not open.
      Forbidden: `role` does not hold the complaint's level or a higher one.
      InvalidInput: empty reason or naive `at`.
    """
    _check_state(complaint, OPEN, "escalate")
    _check_role(chain, role, complaint)
    text = _require_text(reason, "reason", "say why this level cannot handle the complaint")
    _require_aware(at, "at")
    if complaint.level >= chain.top:
        top = chain.level(chain.top)
        raise InvalidTransition(
            f"complaint {complaint.id} is already at the top level ({top.role}, {top.label}); "
            "it cannot go higher: resolve it at this level."
        )
    new, entry = _escalate(complaint, actor=actor, reason=text, at=at, policy=policy, chain=chain, calendar=calendar)
    return Outcome(new, (_escalated_event(new, chain, entry, automatic=False),))


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
) -> Outcome:
    """The complaint resolved at its current level, waiting for the verification callback.

    Sets `verify_due_at` (`policy.verify` after `at`) and `flag_due_at` (`policy.flag_delay`
    after `at`: the day after, the customer becomes a key customer). A resolution is also
    the handler's answer and ends a pending investigation.
    Emits ``complaint.resolved``.

    Raises:
      InvalidInput: root_cause or corrective_action missing (field names it).
      InvalidTransition: not open. Forbidden: as for `escalate`.
    """
    _check_state(complaint, OPEN, "resolve")
    _check_role(chain, role, complaint)
    cause = _require_text(root_cause, "root_cause", "say why the customer was dissatisfied")
    action = _require_text(corrective_action, "corrective_action", "say what was done so it does not happen again")
    _require_aware(at, "at")
    hours = policy.service_hours
    verify_due_at = policy.verify.after(at, calendar=calendar, service_hours=hours)
    flag_due_at = complaint.flag_due_at
    if complaint.customer_flagged_at is None and flag_due_at is None:
        flag_due_at = policy.flag_delay.after(at, calendar=calendar, service_hours=hours)
    entry = HistoryEntry(at=at, actor=actor, action=RESOLVED_ACTION, from_level=complaint.level, to_level=complaint.level, reason=f"root cause: {cause}; corrective action: {action}")
    new = _with_entry(
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
        investigated_at=at if _investigation_pending(complaint) else complaint.investigated_at,
        # a resolved ticket needs no engineer any more (nor after a reopening)
        handed_over_at=(complaint.handed_over_at or at) if complaint.handover_due_at else complaint.handed_over_at,
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
            "flag_due_at": _iso(flag_due_at),
            # The 2-1-1 record, so the monthly report can say which deadlines were met.
            "raised_at": _iso(new.raised_at),
            "first_reply_due_at": _iso(new.first_reply_due_at),
            "first_reply_at": _iso(new.first_reply_at),
            "answer_due_at": _iso(new.answer_due_at),
            "answered_at": _iso(new.answered_at),
            "churn_reason": new.churn_reason,
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
    """The complaint after the verification callback (处理结果回访).

    Satisfied: closed (the only way a complaint closes); emits ``complaint.closed``.
    Dissatisfied: reopened at the level that resolved it, with a new investigation clock
    (`policy.investigate` after `at`) so it cannot sit unseen; emits ``complaint.reopened``.
    No role check: the result comes from the callback outcome (scheduler).

    Raises:
      InvalidTransition: the complaint is not resolved.
    """
    _check_state(complaint, RESOLVED, "record a verification result for")
    _require_aware(at, "at")
    level = complaint.resolved_level
    if satisfied:
        entry = HistoryEntry(at=at, actor=actor, action=CLOSED_ACTION, from_level=complaint.level, to_level=complaint.level, reason=reason.strip() or "customer satisfied at the verification callback")
        new = _with_entry(complaint, entry, state=CLOSED, closed_at=at)
        event = (
            "complaint.closed",
            {
                "complaint_id": new.id,
                "customer_id": new.customer_id,
                "level": new.level,
                "level_role": chain.role_at(new.level),
                "closed_at": at.isoformat(),
                "raised_at": new.raised_at.isoformat(),
                "resolved_at": _iso(new.resolved_at),
                "churn_reason": new.churn_reason,
            },
        )
        return Outcome(new, (event,))
    why = reason.strip() or "customer dissatisfied at the verification callback"
    investigate_due_at = policy.investigate.after(at, calendar=calendar, service_hours=policy.service_hours)
    entry = HistoryEntry(at=at, actor=actor, action=REOPENED, from_level=complaint.level, to_level=level, reason=why)
    new = _with_entry(
        complaint,
        entry,
        state=OPEN,
        level=level,
        verify_due_at=None,
        resolved_at=None,
        resolved_by=None,
        investigate_due_at=investigate_due_at,
        investigated_at=None,
    )
    event = (
        "complaint.reopened",
        {
            "complaint_id": new.id,
            "customer_id": new.customer_id,
            "level": level,
            "level_role": chain.role_at(level),
            "reopened_at": at.isoformat(),
            "reason": why,
            "investigate_due_at": investigate_due_at.isoformat(),
        },
    )
    return Outcome(new, (event,))


# -- the periodic sweep ----------------------------------------------------------------

def breach_key(name: str, due_at: datetime) -> str:
    """A stable key for one deadline of a complaint (deadline name and due time)."""
    return f"{name}@{due_at.isoformat()}"


def pending_deadlines(complaint: Complaint) -> list[tuple[str, datetime]]:
    """(name, due_at) of the deadlines still to be met, earliest first: first reply,
    answer and investigation while open; the verification callback while resolved."""
    out = []
    if complaint.state == OPEN:
        if complaint.handover_due_at is not None and complaint.handed_over_at is None:
            out.append((HANDOVER, complaint.handover_due_at))
        if complaint.first_reply_at is None:
            out.append((FIRST_REPLY, complaint.first_reply_due_at))
        if complaint.answered_at is None:
            out.append((ANSWER, complaint.answer_due_at))
        if _investigation_pending(complaint):
            out.append((INVESTIGATE, complaint.investigate_due_at))
    elif complaint.state == RESOLVED and complaint.verify_due_at is not None:
        out.append((VERIFY, complaint.verify_due_at))
    return sorted(out, key=lambda item: item[1])


def _escalating_deadlines(complaint: Complaint) -> list[tuple[str, datetime]]:
    """Pending deadlines a sweep acts upon (not the verification callback: that is the
    scheduler's task) and has not acted upon yet."""
    return [
        (name, due) for name, due in pending_deadlines(complaint)
        if name != VERIFY and breach_key(name, due) not in complaint.handled_breaches
    ]


def missed_deadlines(complaint: Complaint, now: datetime) -> list[tuple[str, datetime]]:
    """(name, due_at) of each deadline of an open complaint passed at `now`, unmet and
    not yet acted upon, earliest first."""
    return [(name, due) for name, due in _escalating_deadlines(complaint) if due <= now]


def sweep(complaint: Complaint, now: datetime, policy: ComplaintPolicy, chain: Chain, calendar) -> Outcome:
    """What the periodic tick decides for one complaint at `now`.

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
    _require_aware(now, "now")
    current = complaint
    events: list[tuple[str, dict]] = []
    actions: list[Action] = []

    missed = missed_deadlines(current, now)
    if missed:
        keys = tuple(breach_key(name, due) for name, due in missed)
        what = "; ".join(f"{DEADLINE_LABELS[name]} was due {due.isoformat()}" for name, due in missed)
        if current.level < chain.top:
            reason = f"deadline missed: {what}"
            current, entry = _escalate(current, actor=SYSTEM, reason=reason, at=now, policy=policy, chain=chain, calendar=calendar, extra_breaches=keys)
            events.append(_escalated_event(current, chain, entry, automatic=True))
        else:
            top = chain.level(chain.top)
            reason = f"deadline missed at the top level ({top.label}): {what}; managers notified"
            entry = HistoryEntry(at=now, actor=SYSTEM, action=MANAGERS_NOTIFIED, from_level=current.level, to_level=current.level, reason=reason)
            current = _with_entry(current, entry, handled_breaches=current.handled_breaches + keys)
            for name, due in missed:
                actions.append(Action(kind=NOTIFY_MANAGERS, complaint_id=current.id, deadline=name, due_at=due, reason=f"{DEADLINE_LABELS[name]} was due {due.isoformat()}"))

    if current.flag_due_at is not None and current.customer_flagged_at is None and current.flag_due_at <= now:
        reason = "key customer after a resolved complaint (重点关注对象)"
        entry = HistoryEntry(at=now, actor=SYSTEM, action=CUSTOMER_FLAGGED, from_level=current.level, to_level=current.level, reason=reason)
        current = _with_entry(current, entry, customer_flagged_at=now)
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
    """The earliest moment a sweep could change this complaint (store it, index it, and
    let the periodic tick pick up rows whose moment has come)."""
    moments = [due for _, due in _escalating_deadlines(complaint)]
    if complaint.flag_due_at is not None and complaint.customer_flagged_at is None:
        moments.append(complaint.flag_due_at)
    return min(moments) if moments else None
