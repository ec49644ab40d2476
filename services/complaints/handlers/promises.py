"""Promised follow-ups: record a promise made to the customer, record it kept, and the
sweep that reminds its maker before its moment and marks it broken after (with the complaint's history,
events and mail in the same unit of work)."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from shared.core.db import bulk_insert
from shared.mesh.service import UnitOfWork

from .. import notify
from ..domain import promises
from ..errors import ConcurrentUpdate, NotFound
from ..models import Complaint, ComplaintPromise, Notification
from ..rules import ownership_for, rules_for
from .reading import get_by_id_or_raise
from .store import store_outcome
from .transitions import _transition

log = logging.getLogger(__name__)

#: Promises looked at per sweep.
PROMISE_BATCH = 200


def make_promise(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str, what: str,
                 to_whom: str, due_at: datetime) -> Complaint:
    """Gives the complaint after a promise to the customer was recorded (what, to whom, by when); emits
    complaint.promise_made (the scheduler plans the follow-up callback on its day).

    Raises:
      NotFound, Forbidden, InvalidTransition (closed), InvalidInput (naming what, to_whom or due_at).
    """
    rules = ownership_for(uow.settings, organization=organization).promises
    promise_id = f"P-{uuid.uuid4().hex[:12].upper()}"
    made = []

    def decide(complaint, r, now):
        outcome, promise = promises.make_promise(
            complaint, promise_id=promise_id, actor=actor, role=role, what=what, to_whom=to_whom,
            due_at=due_at.astimezone(uow.settings.tz) if due_at is not None and due_at.tzinfo else due_at, at=now,
            chain=r.chain, rules=rules)
        made.append(promise)
        return outcome

    row = _transition(uow, organization=organization, complaint_id=complaint_id, decide=decide)
    promise = made[-1]
    ComplaintPromise.create(organization=organization, promise_id=promise.id, complaint=row, what=promise.what,
                            to_whom=promise.to_whom, due_at=promise.due_at, made_by=promise.made_by,
                            made_at=promise.made_at)
    return row


def keep_promise(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str, promise_id: str,
                 note: str = "") -> Complaint:
    """Gives the complaint after one of its promises was kept (late, when after its moment); emits complaint.promise_kept.

    Raises:
      NotFound (complaint or promise), Forbidden, InvalidTransition (kept already).
    """
    complaint = get_by_id_or_raise(organization=organization, complaint_id=complaint_id)
    stored = ComplaintPromise.get_or_none(ComplaintPromise.organization == organization,
                                          ComplaintPromise.promise_id == promise_id,
                                          ComplaintPromise.complaint == complaint.id)
    if stored is None:
        raise NotFound(f"complaint {complaint_id} has no promise {promise_id}.")
    kept = []

    def decide(c, r, now):
        outcome, promise = promises.keep_promise(c, stored.to_domain(uow.settings.tz), actor=actor, role=role,
                                                 note=note, at=now, chain=r.chain)
        kept.append(promise)
        return outcome

    row = _transition(uow, organization=organization, complaint_id=complaint_id, decide=decide)
    stored.kept_at = kept[-1].kept_at
    stored.save()
    return row


def promises_of(rows: list[Complaint]) -> dict[int, list[ComplaintPromise]]:
    """Gives each complaint's promises (by the complaint row's id), in the order they were made."""
    out: dict[int, list[ComplaintPromise]] = {row.id: [] for row in rows}
    if rows:
        for promise in (ComplaintPromise.select().where(ComplaintPromise.complaint.in_([r.id for r in rows]))
                        .order_by(ComplaintPromise.id)):
            out[promise.complaint_id].append(promise)
    return out


def sweep_promises(*, uow: UnitOfWork, now: datetime | None = None, batch: int = PROMISE_BATCH) -> dict:
    """Gives {"reminded": n, "broken": n}: reminds the maker of each promise within its reminder span,
    and marks broken each promise whose moment passed unkept (history, complaint.promise_broken, mail)."""
    now = now or uow.now
    tz = uow.settings.tz
    local_now = now.astimezone(tz)
    reminded = broken = 0
    due = (ComplaintPromise.select(ComplaintPromise, Complaint).join(Complaint)
           .where(ComplaintPromise.kept_at.is_null(), ComplaintPromise.broken_at.is_null(),
                  Complaint.state != "closed")
           .order_by(ComplaintPromise.due_at).limit(batch))
    notes = []
    for stored in due:
        complaint = stored.complaint
        rules = ownership_for(uow.settings, organization=stored.organization).promises
        promise = stored.to_domain(tz)
        if promises.reminder_due(promise, now=local_now, rules=rules) and local_now <= promise.due_at:
            stored.reminded_at = now
            stored.save()
            notes.append(notify.promise_note(uow, complaint, stored, kind="reminder"))
            reminded += 1
            continue
        decided = promises.break_promise(complaint.to_domain(tz), promise, now=local_now)
        if decided is None:
            continue
        outcome, _ = decided
        complaint_rules = rules_for(uow.settings, organization=complaint.organization, chain_name=complaint.chain_name,
                                    policy_name=complaint.policy_name)
        try:
            store_outcome(uow=uow, row=complaint, before=complaint.to_domain(tz), outcome=outcome,
                          rules=complaint_rules)
        except ConcurrentUpdate:
            continue  # changed meanwhile: looked at again next sweep
        stored.broken_at = now
        stored.save()
        notes.append(notify.promise_note(uow, complaint, stored, kind="broken"))
        broken += 1
    bulk_insert(Notification, notes, ignore_conflicts=True)
    if reminded or broken:
        log.info("promises: %s reminded, %s broken", reminded, broken)
    return {"reminded": reminded, "broken": broken}
