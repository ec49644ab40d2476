"""Background work of the complaints service: the deadline sweep and a complaint's wake-up.

`sweep_due` (one batch of due complaints) and `sweep_complaint` (the wake-up of one) are
handlers `(*, uow, ...)` like the others; actors.py runs them, the periodic sweep batch after
batch through `sweep_due_complaints`. A sweep decides every row (pure), then writes them all
at once (`store_changes`): one query reads the due rows, one statement writes them
(compare-and-set on `version`), one bulk insert each for history, mail, wake-ups and the
outbox. Safe with several workers sweeping at once (PostgreSQL: `FOR UPDATE SKIP LOCKED`;
SQLite: one writer at a time; both: compare-and-set).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime

import peewee

from shared.core.db import is_postgres
from shared.mesh.service import Service, UnitOfWork

from . import domain
from .errors import ComplaintsError
from .handlers.store import Change, store_changes
from .domain.complaint import CLOSED, ESCALATED, REOPENED
from .models import Complaint, ComplaintHistory
from .rules import Rules, rules_for

log = logging.getLogger(__name__)

#: How many due complaints one sweep transaction takes.
SWEEP_BATCH = 200


@dataclass
class SweepResult:
    """What one sweep did."""

    examined: int = 0
    changed: int = 0
    escalated: int = 0
    reminders: int = 0
    skipped: int = 0

    def add(self, other: "SweepResult") -> None:
        """Counts what `other` did too."""
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def due_query(now: datetime, limit: int) -> peewee.ModelSelect:
    """Gives the query of complaints whose `next_sweep_at` has come, earliest first (by index)."""
    query = (Complaint.select().where(Complaint.next_sweep_at <= now)
             .order_by(Complaint.next_sweep_at).limit(limit))
    if is_postgres(Complaint._meta.database):
        # Two workers sweeping at once take disjoint rows; the version check is the backstop.
        query = query.for_update("FOR UPDATE SKIP LOCKED")
    return query


def _decide(uow: UnitOfWork, row: Complaint, now: datetime, rules: Rules) -> Change:
    """Gives the sweep's decision for one complaint at `now` (domain sweep and due reminders)."""
    before = row.to_domain(uow.settings.tz)
    outcome = domain.sweep(before, now, rules.policy, rules.chain, rules.calendar)
    sent = tuple(row.reminders_sent)
    reminders = tuple(r for r in domain.reminders_due(outcome.complaint, now, rules.policy) if r.key not in sent)
    return Change(row=row, before=before, outcome=outcome, rules=rules, reminders=reminders,
                  reminders_sent=sent + tuple(r.key for r in reminders))


def sweep_rows(*, uow: UnitOfWork, rows: list[Complaint], now: datetime) -> SweepResult:
    """Gives what sweeping `rows` at `now` did: missed deadlines escalate one level, key
    customers are flagged, reminders are queued. A row changed by someone else since it was
    read is skipped (the next sweep looks again), as is one whose organisation's rules are bad."""
    result = SweepResult()
    now = now.astimezone(uow.settings.tz)
    rules_of: dict[tuple[str, str, str], Rules] = {}
    changes = []
    for row in rows:
        result.examined += 1
        try:
            key = (row.organization, row.chain_name, row.policy_name)
            rules = rules_of.get(key)
            if rules is None:
                rules = rules_of[key] = rules_for(uow.settings, organization=row.organization,
                                                  chain_name=row.chain_name, policy_name=row.policy_name)
            changes.append(_decide(uow, row, now, rules))
        except ComplaintsError as exc:
            # bad rules data for one organisation must not stop the others' sweep
            result.skipped += 1
            log.error("complaint %s of %s not swept: %s", row.complaint_id, row.organization, exc)
    stored = store_changes(uow=uow, changes=changes)
    result.skipped += len(changes) - len(stored)
    if len(stored) < len(changes):
        log.info("%s complaints changed meanwhile; the next sweep looks again", len(changes) - len(stored))
    for change in stored:
        result.changed += change.outcome.complaint is not change.before
        result.escalated += sum(1 for type_, _ in change.outcome.events if type_ == "complaint.escalated")
        result.reminders += len(change.reminders)
    return result


def sweep_due(*, uow: UnitOfWork, now: datetime | None = None, batch: int = SWEEP_BATCH) -> SweepResult:
    """Gives what sweeping the next `batch` complaints whose `next_sweep_at` has come did
    (`examined` < `batch`: none are left)."""
    moment = now or uow.now
    return sweep_rows(uow=uow, rows=list(due_query(moment, batch)), now=moment)


def sweep_complaint(*, uow: UnitOfWork, organization: str, complaint_id: str,
                    now: datetime | None = None) -> SweepResult:
    """Gives what the wake-up of one complaint did (its delayed message `complaint_deadline`
    arrived): the same sweep as the periodic one, for this complaint only, if its moment has
    come. A late, early or repeated wake-up is harmless: nothing due, nothing done; a deadline
    already acted upon is in `handled_breaches`, and the write is a compare-and-set."""
    moment = now or uow.now
    query = Complaint.select().where(Complaint.organization == organization,
                                     Complaint.complaint_id == complaint_id, Complaint.next_sweep_at <= moment)
    if is_postgres(Complaint._meta.database):
        query = query.for_update()
    result = sweep_rows(uow=uow, rows=list(query), now=moment)
    if result.examined:
        log.info("wake-up of complaint %s of %s: %s", complaint_id, organization, result)
    return result


def sweep_due_complaints(service: Service, /, *, now: datetime | None = None, batch: int = SWEEP_BATCH,
                         max_batches: int = 50) -> SweepResult:
    """Gives what the periodic sweep did to the complaints whose `next_sweep_at` has come.

    The entry point's sequence: `sweep_due` in one unit of work per batch (`service.run`),
    until a batch finds fewer than `batch` due complaints.
    """
    result = SweepResult()
    for _ in range(max_batches):
        done = service.run(sweep_due, now=now, batch=batch)
        result.add(done)
        if done.examined < batch:
            break
    if result.examined:
        log.info("sweep: %s", result)
    return result


def replan_provisional_deadlines(*, uow: UnitOfWork) -> list[tuple[str, str, tuple[str, ...]]]:
    """Gives (organization, complaint id, deadlines moved) of each complaint not closed whose
    pending deadlines were counted over provisional days and fall differently on the calendar now
    (its year published since, RULES 1.6): they are computed again from their starts, recorded in
    the history and announced (`complaint.deadlines_moved`, which moves the verification callback).
    A complaint whose deadlines stay only loses its provisional mark when they are not provisional any more.
    """
    now = uow.now.astimezone(uow.settings.tz)
    # the JSON text of a list with a name in it is longer than "[]"
    rows = list(Complaint.select().where(Complaint.state != CLOSED,
                                         peewee.fn.LENGTH(Complaint.provisional_deadlines) > 2))
    starts = {}
    for entry in (ComplaintHistory.select(ComplaintHistory.complaint, ComplaintHistory.at)
                  .where(ComplaintHistory.complaint.in_([r.id for r in rows]),
                         ComplaintHistory.action.in_([ESCALATED, REOPENED]))
                  .order_by(ComplaintHistory.id)):
        starts[entry.complaint_id] = entry.at.astimezone(uow.settings.tz)  # the latest one wins
    changes, rules_of = [], {}
    for row in rows:
        key = (row.organization, row.chain_name, row.policy_name)
        rules = rules_of.get(key) or rules_of.setdefault(key, rules_for(
            uow.settings, organization=row.organization, chain_name=row.chain_name, policy_name=row.policy_name))
        before = row.to_domain(uow.settings.tz)
        outcome = domain.replan_deadlines(before, at=now, investigate_from=starts.get(row.id), policy=rules.policy,
                                          calendar=rules.calendar)
        if outcome.complaint is before and domain.provisional_deadlines(before, rules.calendar) == tuple(
                row.provisional_deadlines):
            continue
        changes.append(Change(row=row, before=before, outcome=outcome, rules=rules))
    moved = []
    for change in store_changes(uow=uow, changes=changes):
        for type_, data in change.outcome.events:
            moved.append((change.row.organization, change.row.complaint_id, tuple(data["moved"])))
            log.info("complaint %s of %s: deadlines %s re-planned on the published calendar",
                     change.row.complaint_id, change.row.organization, ", ".join(data["moved"]))
    return moved
