"""Promised follow-ups, pure: seed 000 part 3 「不能私自作出承诺…请示后再做回访」, seed 002
「告知预约时间回复」, seed 004 「在对客户承诺的时间内」.

An agent or handler records a promise made to the customer: what, to whom, by when. It is a
deadline: a reminder `remind_before` it (wall clock), a follow-up callback planned by the
scheduler on its day, and, when its moment passes unkept, a broken promise (on the board and in
the report). The numbers are the ownership policy's `promises` (data/ownership.yaml).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .chain import Chain
from .complaint import CLOSED, Complaint, HistoryEntry, Outcome, check_role, require_aware, require_text, with_entry
from ..errors import InvalidInput, InvalidTransition

PROMISE_MADE, PROMISE_KEPT, PROMISE_BROKEN = "promise_made", "promise_kept", "promise_broken"
#: A promise's states as shown: waiting, reminded (its reminder went out), kept, broken.
PENDING, KEPT, BROKEN = "pending", "kept", "broken"


@dataclass(frozen=True)
class PromiseRules:
    """When a promise's reminder goes out, and the kind of the follow-up callback the scheduler plans."""

    remind_before: timedelta
    followup_kind: str


@dataclass(frozen=True)
class Promise:
    """A promise to the customer: what, to whom, by when; kept or broken."""

    id: str
    what: str
    to_whom: str
    due_at: datetime
    made_by: str
    made_at: datetime
    kept_at: datetime | None = None
    broken_at: datetime | None = None
    reminded_at: datetime | None = None

    @property
    def state(self) -> str:
        if self.kept_at is not None:
            return KEPT
        return BROKEN if self.broken_at is not None else PENDING


def make_promise(complaint: Complaint, *, promise_id: str, actor: str, role: str, what: str, to_whom: str,
                 due_at: datetime, at: datetime, chain: Chain, rules: PromiseRules) -> tuple[Outcome, Promise]:
    """Gives the complaint with the promise in its history, and the promise. Emits
    ``complaint.promise_made`` (the scheduler plans the follow-up callback on its day).

    Raises:
      InvalidTransition: the complaint is closed.
      Forbidden: `role` does not hold the complaint's level or a higher one.
      InvalidInput: no what or to whom, a naive or past `due_at` (the field names it).
    """
    if complaint.state == CLOSED:
        raise InvalidTransition(f"cannot record a promise on complaint {complaint.id}: it is closed.")
    check_role(chain, role, complaint)
    text = require_text(what, "what", "say what was promised")
    whom = require_text(to_whom, "to_whom", "say to whom it was promised", max_length=200)
    require_aware(due_at, "due_at")
    require_aware(at, "at")
    if due_at <= at:
        raise InvalidInput("due_at must be later than now: a promise is kept by a moment to come.", field="due_at")
    promise = Promise(id=promise_id, what=text, to_whom=whom, due_at=due_at, made_by=actor, made_at=at)
    entry = HistoryEntry(at=at, actor=actor, action=PROMISE_MADE, from_level=complaint.level,
                         to_level=complaint.level, reason=f"{text} | {whom} | {due_at.isoformat()}")
    return Outcome(with_entry(complaint, entry), (("complaint.promise_made", {
        "complaint_id": complaint.id, "customer_id": complaint.customer_id, "promise_id": promise_id, "what": text,
        "to_whom": whom, "due_at": due_at.isoformat(), "made_by": actor, "followup_kind": rules.followup_kind}),)), \
        promise


def keep_promise(complaint: Complaint, promise: Promise, *, actor: str, role: str, note: str, at: datetime,
                 chain: Chain) -> tuple[Outcome, Promise]:
    """Gives the complaint with the promise kept (late when after its moment) in its history, and the promise.

    Raises:
      InvalidTransition: the complaint is closed, or the promise was kept already.
      Forbidden: as for `make_promise`.
    """
    if complaint.state == CLOSED:
        raise InvalidTransition(f"cannot keep a promise of complaint {complaint.id}: it is closed.")
    check_role(chain, role, complaint)
    require_aware(at, "at")
    if promise.kept_at is not None:
        raise InvalidTransition(f"promise {promise.id} was kept at {promise.kept_at.isoformat()} already.")
    late = " (late)" if at > promise.due_at else ""
    text = (note or "").strip()
    entry = HistoryEntry(at=at, actor=actor, action=PROMISE_KEPT, from_level=complaint.level,
                         to_level=complaint.level, reason=f"{promise.what}{late}" + (f": {text}" if text else ""))
    kept = Promise(**{**promise.__dict__, "kept_at": at})
    return Outcome(with_entry(complaint, entry), (("complaint.promise_kept", {
        "complaint_id": complaint.id, "promise_id": promise.id, "kept_at": at.isoformat(),
        "late": bool(late)}),)), kept


def reminder_due(promise: Promise, *, now: datetime, rules: PromiseRules) -> bool:
    """Gives whether the promise's reminder is due now (not kept, not reminded, within `remind_before`)."""
    return promise.kept_at is None and promise.reminded_at is None and now >= promise.due_at - rules.remind_before


def break_promise(complaint: Complaint, promise: Promise, *, now: datetime) -> tuple[Outcome, Promise] | None:
    """Gives the complaint with the promise broken (its moment passed unkept), or None when it is not.
    Emits ``complaint.promise_broken``."""
    if promise.kept_at is not None or promise.broken_at is not None or now <= promise.due_at:
        return None
    entry = HistoryEntry(at=now, actor="system", action=PROMISE_BROKEN, from_level=complaint.level,
                         to_level=complaint.level, reason=f"{promise.what} | {promise.due_at.isoformat()}")
    broken = Promise(**{**promise.__dict__, "broken_at": now})
    return Outcome(with_entry(complaint, entry), (("complaint.promise_broken", {
        "complaint_id": complaint.id, "customer_id": complaint.customer_id, "promise_id": promise.id,
        "what": promise.what, "due_at": promise.due_at.isoformat(), "made_by": promise.made_by}),)), broken
