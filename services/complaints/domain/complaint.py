"""A complaint (客户投诉): its state, its history, and what a transition decides.

`Complaint` is immutable; the transitions (`raising.py`, `transitions.py`, `resolution.py`) and the
sweep (`deadlines.py`) each take one and return an `Outcome` holding the new `Complaint`, the events to emit and,
for the sweep, the actions to take. Each transition appends one `HistoryEntry` or more: who,
when, from which level to which, and why (RULES 2). A refusal raises a `ComplaintsError`.

Events are ``(type, data)`` with JSON-ready data (datetimes as ISO 8601 with offset).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.core.event_fields import COMPLAINT_SOURCES

from .chain import Chain, can_act
from ..errors import Forbidden, InvalidInput, InvalidTransition

#: Complaint states (CONTRACT: `state`).
OPEN, RESOLVED, CLOSED = "open", "resolved", "closed"
STATES = (OPEN, RESOLVED, CLOSED)
#: Where a complaint comes from (CONTRACT: complaint.raised `source`); the chain says which
#: of them start at the top level (`Chain.straight_to_top_sources`).
SOURCES = COMPLAINT_SOURCES
#: The actor of automatic steps (sweeps).
SYSTEM = "system"

#: Deadline names, as used in reminders, breaches and history reasons.
FIRST_REPLY, ANSWER, INVESTIGATE, VERIFY = "first_reply", "answer", "investigate", "verify"
HANDOVER = "handover"
#: A repeat complaint about the same repair: rework within 24 hours (RULES 1.3, 返修).
REWORK = "rework"
DEADLINE_LABELS = {
    HANDOVER: "handover to an engineer (转交工程师)",
    REWORK: "rework of a repeat complaint (返修)",
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
REWORKED = "reworked"
DEADLINES_REPLANNED = "deadlines_replanned"
#: An earlier complaint about the same order arrived after this one (RULES 1.3): it is a repeat.
REPEAT_FOUND = "repeat_found"

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
    rule) is computed from `raised_at` too and met by `handed_over_at`; `rework_due_at` (a
    repeat complaint, RULES 1.3) likewise, met by `reworked_at`. `special_remark` (特别备注) is
    the text the customer's special mark carries after the resolution. `churn_reason`
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
    rework_due_at: datetime | None = None
    reworked_at: datetime | None = None
    special_remark: str | None = None
    #: Deadlines computed over a provisional day of the calendar (RULES 1.6), by name.
    provisional_deadlines: tuple[str, ...] = ()
    #: Ownership (domain/ownership.py): the department and person (處理人) it is assigned to,
    #: when the person accepted it (接單時間), and the first taker accountable until it closes (首问责任制).
    department: str | None = None
    owner: str | None = None
    accepted_at: datetime | None = None
    first_taker: str | None = None
    first_taken_at: datetime | None = None
    #: Why it closed when not by a satisfied verification callback (ownership.CLOSURE_REASONS).
    closure_reason: str | None = None
    #: When its verification callback ran out of attempts (the supervisor's queue), until closed or retried.
    unreachable_at: datetime | None = None
    #: A compensation offered (seed 004): proposed, approved or rejected; what, how much (CNY), decided by.
    compensation_state: str | None = None
    compensation_offer: str | None = None
    compensation_amount: str | None = None
    compensation_decided_by: str | None = None
    history: tuple[HistoryEntry, ...] = ()

    def to_dict(self, chain: Chain | None = None) -> dict:
        """Gives the JSON-ready fields (CONTRACT: GET /complaints/<id>); `level_role` needs `chain`."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif name == "history":
                value = [entry.to_dict() for entry in value]
            elif name in ("handled_breaches", "provisional_deadlines"):
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


# -- checks and helpers shared by the transitions and the sweep ---------------------

def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise InvalidInput(f"{name} must be a date and time, e.g. 2026-11-20T17:00:00+08:00.", field=name)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{name} needs a UTC offset, e.g. 2026-11-20T17:00:00+08:00.", field=name
        )


def require_text(value: str | None, name: str, what: str, *, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{name} is required: {what}.", field=name)
    if max_length is not None and len(text) > max_length:
        # the pages run the commands without the API's schemas: the column's width is checked here too
        raise InvalidInput(f"{name} must be at most {max_length} characters.", field=name)
    return text


def check_role(chain: Chain, role: str, complaint: Complaint) -> None:
    allowed, reason = can_act(chain, role, complaint.level)
    if not allowed:
        raise Forbidden(f"You may not act on this complaint: {reason}")


def check_state(complaint: Complaint, wanted: str, doing: str) -> None:
    if complaint.state != wanted:
        hints = {
            RESOLVED: "it was resolved and waits for the verification callback",
            CLOSED: "it is closed",
            OPEN: "it is still open",
        }
        raise InvalidTransition(
            f"cannot {doing} complaint {complaint.id}: {hints[complaint.state]}."
        )


def with_entry(complaint: Complaint, entry: HistoryEntry, **changes) -> Complaint:
    return replace(complaint, history=complaint.history + (entry,), **changes)


def investigation_pending(complaint: Complaint) -> bool:
    return complaint.investigate_due_at is not None and complaint.investigated_at is None

