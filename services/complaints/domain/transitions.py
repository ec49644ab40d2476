"""The steps a person takes on a complaint in progress: reply, hand over, rework, record the churn
reason, investigate, escalate. Raising is in raising.py, resolving and the verification result in
resolution.py.

Each is pure: it takes the current `Complaint` and gives an `Outcome` (the input is never
mutated); a refusal raises a `ComplaintsError` (Forbidden, InvalidTransition, InvalidInput).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any


from .chain import Chain
from .complaint import (CHURN_RECORDED, HANDED_OVER, INVESTIGATED, OPEN, REPLIED, REWORKED, Complaint, HistoryEntry,
                        Outcome, check_role, check_state, investigation_pending, require_aware, require_text,
                        with_entry)
from .deadlines import escalated_event, step_up
from ..errors import InvalidTransition
from .policy import ComplaintPolicy


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
    handed = {"complaint_id": complaint.id, "handed_over_at": at.isoformat(),
              "handover_due_at": complaint.handover_due_at.isoformat() if complaint.handover_due_at else None}
    return Outcome(with_entry(complaint, entry, handed_over_at=at, handed_over_to=name),
                   events=(("complaint.handed_over", handed),))


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
