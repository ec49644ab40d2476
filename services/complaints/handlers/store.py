"""Writes of decided transitions, shared by the commands, the event handlers and the sweep.

Every write of a complaint is a compare-and-set on its `version`, so two workers (or a
worker and a request) never apply two transitions on the same state. A transition's rows
(history, mail, wake-ups) are collected and written in bulk, so a sweep of a thousand
complaints costs a handful of statements, not thousands. A wake-up is a delayed
`complaint_deadline` message sent through the outbox (`uow.send(..., at=)`): stored with the
state it follows from, handed to the broker after commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.core.db import bulk_insert
from shared.mesh.service import UnitOfWork

from .. import notify
from ..domain import next_sweep_at, pending_deadlines, provisional_deadlines
from ..domain.complaint import Complaint as DomainComplaint
from ..domain.complaint import Outcome
from ..domain.policy import ComplaintPolicy
from ..domain.reminders import Reminder, reminder_key
from ..errors import ConcurrentUpdate
from ..models import WAKEUP_ACTOR, WAKEUP_QUEUE, Complaint, ComplaintHistory, Notification, domain_changes
from ..rules import Rules, ownership_for
from .customers import customer_of


def wake_at(complaint: DomainComplaint, *, reminders_sent, policy: ComplaintPolicy, now: datetime) -> datetime | None:
    """Gives when the sweep must look at this complaint next: a deadline to act upon, the
    customer flag, or a reminder not sent yet whose deadline has not passed."""
    moments = []
    due = next_sweep_at(complaint)
    if due is not None:
        moments.append(due)
    for name, deadline in pending_deadlines(complaint):
        if deadline > now and reminder_key(complaint.id, name, deadline) not in reminders_sent:
            moments.append(deadline - policy.notify_before)
    return min(moments) if moments else None


class Writes:
    """The rows a batch of transitions adds (history, mail, wake-ups), written in bulk by `flush`."""

    def __init__(self, uow: UnitOfWork):
        self.uow = uow
        self.history: list[dict] = []
        self.notes: list[dict] = []

    def wake(self, row: Complaint, wake_at: datetime | None) -> None:
        """Asks for a delayed `complaint_deadline` message at `wake_at`, through the outbox
        (stored with this unit of work, sent after its commit; one bulk insert per batch)."""
        if wake_at is not None:
            self.uow.send(WAKEUP_ACTOR, row.organization, row.complaint_id, queue_name=WAKEUP_QUEUE, at=wake_at)

    def flush(self) -> None:
        """Writes the collected history entries and mail."""
        bulk_insert(ComplaintHistory, self.history)
        bulk_insert(Notification, self.notes, ignore_conflicts=True)
        self.history, self.notes = [], []


def event_data(row: Complaint, data: dict) -> dict:
    """Gives the domain's event data plus what subscribers need without asking back (customer, order)."""
    return {**data, "customer": customer_of(row), "order_id": row.order_id, "delivery_id": row.delivery_id,
            "category": row.category}


def _tell_first_taker(uow: UnitOfWork, row: Complaint) -> bool:
    return bool(row.first_taker) and ownership_for(uow.settings, organization=row.organization).tell_first_taker


@dataclass
class Change:
    """One decided transition waiting to be written: the row as read, the domain state
    before, the outcome, the rules, the reminders to queue and the reminder keys sent."""

    row: Complaint
    before: DomainComplaint
    outcome: Outcome
    rules: Rules
    reminders: tuple[Reminder, ...] = ()
    reminders_sent: tuple[str, ...] | None = None
    values: dict | None = None


def store_changes(*, uow: UnitOfWork, changes: list[Change]) -> list[Change]:
    """Gives the changes written: every row in one compare-and-set on `version`, then their
    history entries, mail and wake-ups in bulk and their events (outbox). A row changed by
    someone else since it was read is left out, with nothing of its transition written (its
    caller decides: a sweep looks again later, a command says 409).
    """
    if not changes:
        return []
    for change in changes:
        after = change.outcome.complaint
        sent = tuple(change.reminders_sent if change.reminders_sent is not None else change.row.reminders_sent)
        values = domain_changes(after)
        values.update(reminders_sent=sent, version=change.row.version + 1, updated_at=uow.now,
                      next_sweep_at=wake_at(after, reminders_sent=sent, policy=change.rules.policy, now=uow.now),
                      provisional_deadlines=provisional_deadlines(after, change.rules.calendar))
        change.values = values
    won = Complaint.compare_and_set_many(
        [{"id": c.row.id, "expected_version": c.row.version, **c.values} for c in changes])
    writes = Writes(uow)
    stored = []
    for change in changes:
        row = change.row
        if row.id not in won:
            continue
        previous_wake = row.next_sweep_at
        new_entries = change.outcome.complaint.history[len(change.before.history):]
        writes.history.extend(ComplaintHistory.rows_for(row.id, new_entries))
        for type_, data in change.outcome.events:
            uow.emit(type_, event_data(row, data), organization=row.organization)
        for name, value in change.values.items():
            setattr(row, name, value)
        writes.notes.extend(notify.change_notes(uow, row, change.outcome, new_entries, change.rules))
        writes.notes.extend(notify.reminder_note(uow, row, reminder, change.rules) for reminder in change.reminders)
        writes.notes.extend(notify.first_taker_notes(uow, row, new_entries, tell=_tell_first_taker(uow, row)))
        if row.next_sweep_at != previous_wake:
            writes.wake(row, row.next_sweep_at)
        stored.append(change)
    writes.flush()
    return stored


def store_outcome(*, uow: UnitOfWork, row: Complaint, before: DomainComplaint, outcome: Outcome,
                  rules: Rules) -> Complaint:
    """Gives the updated row after writing a transition: the row (compare-and-set on
    `version`), its new history entries, its events (outbox), its mail and its next wake-up.

    Raises:
      ConcurrentUpdate: someone else changed the complaint since `row` was read.
    """
    if not store_changes(uow=uow, changes=[Change(row=row, before=before, outcome=outcome, rules=rules)]):
        raise ConcurrentUpdate(f"complaint {row.complaint_id} was changed by someone else meanwhile; "
                               "read it again and retry.")
    return row
