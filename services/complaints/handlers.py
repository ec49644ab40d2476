"""Handlers and commands of the complaints service: load, decide (domain), store, emit.

Event handlers (`HANDLERS`) and HTTP commands (`raise_complaint`, `reply`, `escalate`,
`resolve`, `hand_over`, `record_churn`) and the periodic jobs (`sweep_due_complaints`,
`send_notifications`) and the deadline wake-up (`sweep_complaint`) all run
inside a unit of work the caller opened (`SERVICE.unit_of_work()` or `Service.handle`):
none of them commits. Every write of a complaint is a compare-and-set on its `version`, so
two workers (or a worker and a request) never apply two transitions on the same state.
A transition's rows (history, mail, wake-ups) are collected and written in bulk, so a
sweep of a thousand complaints costs a handful of statements, not thousands. A wake-up is a
delayed `complaint_deadline` message sent through the outbox (`uow.send(..., at=)`): stored
with the state it follows from, handed to the broker after commit.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import peewee
from marshmallow import Schema, ValidationError, fields

from shared.calendar import WorkingCalendar
from shared.db import bulk_insert, first, is_postgres
from shared.events import Event
from shared.orgdata import load_org_data
from shared.privacy import phone_for
from shared.service import UnitOfWork

from . import domain
from .domain.chain import Chain, load_chain
from .domain.complaint import (DEADLINE_LABELS, FLAG_CUSTOMER, NOTIFY_MANAGERS, REOPENED, RESOLVED, SYSTEM, VERIFY,
                               Complaint as DomainComplaint, HistoryEntry, Outcome, breach_key, pending_deadlines)
from .domain.errors import ComplaintError, InvalidData, InvalidTransition
from .domain.policy import ComplaintPolicy, load_policy
from .domain.reminders import Reminder
from .models import (GROUP_SEGMENTS, WAKEUP_ACTOR, WAKEUP_QUEUE, Complaint, ComplaintHistory, Notification,
                     domain_changes)

log = logging.getLogger(__name__)

SERVICE_NAME = "complaints"
#: Verification answers that record the customer as satisfied (CONTRACT satisfaction scale);
#: any other answer (neutral included) is not "satisfied", so the complaint reopens.
SATISFIED_ANSWERS = frozenset({"very_satisfied", "satisfied"})
#: How many due complaints one sweep transaction takes.
SWEEP_BATCH = 200
#: A notification that failed this many times is left for a person to look at.
MAX_MAIL_ATTEMPTS = 5
#: How long a worker holds a mail it claimed (far above the SMTP timeout); a claim older
#: than this was left by a worker that died before marking the mail sent: it is sent again.
MAIL_LEASE = timedelta(minutes=5)


class NotFound(ComplaintError):
    """No complaint with this id in the caller's organisation (HTTP 404)."""


class ConcurrentUpdate(InvalidTransition):
    """The complaint changed between reading and writing it (HTTP 409: read it again)."""


class Duplicate(InvalidTransition):
    """A complaint with this id already exists in the organisation (HTTP 409)."""


# -- rules as data ---------------------------------------------------------------------

@dataclass(frozen=True)
class Rules:
    """The chain, policy and calendar a complaint of one organisation is handled by."""

    chain: Chain
    policy: ComplaintPolicy
    calendar: WorkingCalendar


_parsed: dict[tuple[str, int], tuple[object, object]] = {}
_parsed_lock = threading.Lock()


def _parse_once(kind: str, raw, parse):
    """Gives parse(raw), parsing a data file's content once (orgdata caches the raw object)."""
    with _parsed_lock:
        hit = _parsed.get((kind, id(raw)))
        if hit is not None and hit[0] is raw:
            return hit[1]
    value = parse(raw)
    with _parsed_lock:
        _parsed[(kind, id(raw))] = (raw, value)
    return value


def _org_file(settings, organization: str, relative: str):
    return load_org_data(settings, service=SERVICE_NAME, relative=relative, organization=organization)


def rules_for(settings, *, organization: str, chain_name: str | None = None,
              policy_name: str | None = None) -> Rules:
    """Gives the organisation's rules; a complaint keeps the chain and policy it started with
    (`chain_name`, `policy_name`) when the organisation has switched its default since.

    Raises:
      InvalidData: a data file is invalid (naming the field).
    """

    def pick(kind: str, wanted: str | None, parse):
        value = _parse_once(kind, _org_file(settings, organization, f"{kind}/default.yaml"), parse)
        if wanted and value.name != wanted:
            try:
                value = _parse_once(kind, _org_file(settings, organization, f"{kind}/{wanted}.yaml"), parse)
            except Exception:
                log.warning("%s %r of organisation %s is gone; using its default %r", kind, wanted,
                            organization, value.name)
        return value

    chain = pick("chains", chain_name, load_chain)
    policy = pick("policies", policy_name, load_policy)
    calendar = _parse_once("calendar", _org_file(settings, organization, "calendar.yaml"),
                           lambda raw: WorkingCalendar.from_data(raw or {}))
    return Rules(chain=chain, policy=policy, calendar=calendar)


class _UserSchema(Schema):
    login = fields.String(required=True)
    role = fields.String(required=True)
    email = fields.Email(required=True)


class _UsersSchema(Schema):
    users = fields.List(fields.Nested(_UserSchema), load_default=list)


def recipients_for(settings, *, organization: str, role: str) -> list[str]:
    """Gives the e-mail addresses of the organisation's users holding `role` (data/users.yaml).

    Raises:
      InvalidData: the users file is invalid.
    """

    def parse(raw):
        try:
            return _UsersSchema().load(raw or {})["users"]
        except ValidationError as exc:
            raise InvalidData(f"invalid users file: {exc.messages}", field="users", errors=exc.messages) from None

    users = _parse_once("users", _org_file(settings, organization, "users.yaml"), parse)
    return [user["email"] for user in users if user["role"] == role]


# -- reading ---------------------------------------------------------------------------

def get_by_id_or_raise(*, organization: str, complaint_id: str, for_update: bool = False) -> Complaint:
    """Gives the complaint row of one organisation.

    Raises:
      NotFound: no such complaint in this organisation (other organisations' are invisible).
    """
    row = first(Complaint.select().where(Complaint.organization == organization,
                                         Complaint.complaint_id == complaint_id), lock=for_update)
    if row is None:
        raise NotFound(f"no complaint {complaint_id!r} in organisation {organization!r}.", field="id")
    return row


def history_of(rows: list[Complaint]) -> dict[int, list[ComplaintHistory]]:
    """Gives each complaint's history rows, oldest first, in one query."""
    out: dict[int, list[ComplaintHistory]] = {row.id: [] for row in rows}
    if not rows:
        return out
    query = ComplaintHistory.select().where(ComplaintHistory.complaint.in_(list(out))).order_by(ComplaintHistory.id)
    for entry in query:
        out[entry.complaint_id].append(entry)
    return out


# -- writing ---------------------------------------------------------------------------

def _customer_columns(customer: dict) -> dict:
    segment = customer.get("segment") or "ordinary"
    return {
        "customer_id": customer["id"],
        "customer_name": customer["name"],
        "customer_segment": segment,
        "customer_class": "group" if segment in GROUP_SEGMENTS else "private",
        "customer_phone": customer.get("phone"),
        "contact_person": customer.get("contact_person"),
        "site_contact": customer.get("site_contact"),
        "site_phone": customer.get("site_phone"),
    }


def customer_of(row: Complaint, *, role: str | None = None) -> dict:
    """Gives the CONTRACT customer object of a complaint row: for a user of `role`, with the
    phone numbers as that role may see them (RULES 1.4, `shared.privacy`); without a role,
    whole, for the events between services."""
    phone, site_phone = row.customer_phone, row.site_phone
    if role is not None:
        phone, site_phone = phone_for(role, phone), phone_for(role, site_phone)
    return {"id": row.customer_id, "name": row.customer_name, "segment": row.customer_segment,
            "phone": phone, "contact_person": row.contact_person,
            "site_contact": row.site_contact, "site_phone": site_phone}


def _reminder_key(complaint_id: str, name: str, due: datetime) -> str:
    # the same key as domain.reminders.Reminder.key
    return f"complaint-reminder:{complaint_id}:{breach_key(name, due)}"


def wake_at(complaint: DomainComplaint, *, reminders_sent, policy: ComplaintPolicy, now: datetime) -> datetime | None:
    """Gives when the sweep must look at this complaint next: a deadline to act upon, the
    customer flag, or a reminder not sent yet whose deadline has not passed."""
    moments = []
    due = domain.next_sweep_at(complaint)
    if due is not None:
        moments.append(due)
    for name, deadline in pending_deadlines(complaint):
        if deadline > now and _reminder_key(complaint.id, name, deadline) not in reminders_sent:
            moments.append(deadline - policy.notify_before)
    return min(moments) if moments else None


class _Writes:
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
        bulk_insert(ComplaintHistory, self.history)
        bulk_insert(Notification, self.notes, ignore_conflicts=True)
        self.history, self.notes = [], []


def _notify(writes: _Writes, *, organization: str, key: str, complaint_id: str, kind: str, role: str,
            subject: str, body: str) -> None:
    """Queues a mail to the holders of `role`; sent by the worker after commit, once per key."""
    writes.notes.append({"organization": organization, "key": f"{organization}:{key}"[:300],
                         "complaint_id": complaint_id, "kind": kind, "role": role, "subject": subject[:300],
                         "body": body, "created_at": writes.uow.now})


def _local(value: datetime | None, tz) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else "-"


def _notify_level_reached(writes: _Writes, row: Complaint, complaint: DomainComplaint, entry: HistoryEntry,
                          rules: Rules) -> None:
    tz = writes.uow.settings.tz
    level = rules.chain.level(complaint.level)
    deadlines = "\n".join(f"  {name}: {_local(due, tz)}" for name, due in pending_deadlines(complaint))
    _notify(writes, organization=row.organization, complaint_id=row.complaint_id, kind="assigned", role=level.role,
            key=f"assigned:{row.complaint_id}:{complaint.level}:{entry.at.isoformat()}",
            subject=f"[投诉 {row.complaint_id}] 转到您的层级 / now at your level: {level.label}",
            body=(f"Complaint {row.complaint_id} of {row.customer_name} is now at level {complaint.level} "
                  f"({level.role}, {level.label}).\n\nWhy: {entry.reason}\n\nWhat the customer said:\n"
                  f"{row.description}\n\nDeadlines:\n{deadlines or '  -'}\n"))


def _notify_changes(writes: _Writes, row: Complaint, outcome: Outcome, new_entries, rules: Rules) -> None:
    after = outcome.complaint
    for entry in new_entries:
        if entry.to_level is not None and (entry.from_level is None or entry.to_level != entry.from_level
                                           or entry.action == REOPENED):
            _notify_level_reached(writes, row, after, entry, rules)
    top_role = rules.chain.role_at(rules.chain.top)
    for action in outcome.actions:
        if action.kind == NOTIFY_MANAGERS:
            _notify(writes, organization=row.organization, complaint_id=row.complaint_id, kind="deadline_missed",
                    role=top_role, key=f"missed:{row.complaint_id}:{breach_key(action.deadline, action.due_at)}",
                    subject=f"[投诉 {row.complaint_id}] 期限已过 / deadline missed at the top level",
                    body=f"Complaint {row.complaint_id} of {row.customer_name}: {action.reason}.\n")
        elif action.kind == FLAG_CUSTOMER:
            log.info("customer %s of %s flagged as a key customer after complaint %s", row.customer_id,
                     row.organization, row.complaint_id)


def _event_data(row: Complaint, data: dict) -> dict:
    """The domain's event data plus what subscribers need without asking back (customer, order)."""
    return {**data, "customer": customer_of(row), "order_id": row.order_id, "delivery_id": row.delivery_id,
            "category": row.category}


@dataclass
class _Change:
    """One decided transition waiting to be written: the row as read, the domain state
    before, the outcome, the rules, the reminders to queue and the reminder keys sent."""

    row: Complaint
    before: DomainComplaint
    outcome: Outcome
    rules: Rules
    reminders: tuple[Reminder, ...] = ()
    reminders_sent: tuple[str, ...] | None = None
    values: dict | None = None


def _store_changes(uow: UnitOfWork, changes: list[_Change]) -> list[_Change]:
    """Writes decided transitions: every row in one compare-and-set on `version`, then their
    history entries, mail and wake-ups in bulk and their events (outbox); gives the changes
    written. A row changed by someone else since it was read is left out, with nothing of
    its transition written (its caller decides: a sweep looks again later, a command says 409).
    """
    if not changes:
        return []
    for change in changes:
        after = change.outcome.complaint
        sent = tuple(change.reminders_sent if change.reminders_sent is not None else change.row.reminders_sent)
        values = domain_changes(after)
        values.update(reminders_sent=sent, version=change.row.version + 1, updated_at=uow.now,
                      next_sweep_at=wake_at(after, reminders_sent=sent, policy=change.rules.policy, now=uow.now))
        change.values = values
    won = Complaint.compare_and_set_many(
        [{"id": c.row.id, "expected_version": c.row.version, **c.values} for c in changes])
    writes = _Writes(uow)
    stored = []
    tz = uow.settings.tz
    for change in changes:
        row = change.row
        if row.id not in won:
            continue
        previous_wake = row.next_sweep_at
        new_entries = change.outcome.complaint.history[len(change.before.history):]
        writes.history.extend(ComplaintHistory.rows_for(row.id, new_entries))
        for type_, data in change.outcome.events:
            uow.emit(type_, _event_data(row, data), organization=row.organization)
        for name, value in change.values.items():
            setattr(row, name, value)
        _notify_changes(writes, row, change.outcome, new_entries, change.rules)
        for reminder in change.reminders:
            chain = change.rules.chain
            role = chain.verifier_role if reminder.deadline == VERIFY else chain.role_at(reminder.level)
            label = DEADLINE_LABELS[reminder.deadline]
            _notify(writes, organization=row.organization, complaint_id=row.complaint_id, kind="reminder",
                    role=role, key=reminder.key,
                    subject=f"[投诉 {row.complaint_id}] 即将到期 / due {_local(reminder.due_at, tz)}: {label}",
                    body=(f"Complaint {row.complaint_id} of {row.customer_name}: the {label} is due at "
                          f"{_local(reminder.due_at, tz)}.\n\nWhat the customer said:\n{row.description}\n"))
        if row.next_sweep_at != previous_wake:
            writes.wake(row, row.next_sweep_at)
        stored.append(change)
    writes.flush()
    return stored


def store_outcome(uow: UnitOfWork, row: Complaint, before: DomainComplaint, outcome: Outcome, rules: Rules, *,
                  reminders_sent=None, reminders=()) -> Complaint:
    """Writes a transition: the row (compare-and-set on `version`), its new history entries,
    its events (outbox), its mail and its next wake-up; gives the updated row.

    Raises:
      ConcurrentUpdate: someone else changed the complaint since `row` was read.
    """
    change = _Change(row=row, before=before, outcome=outcome, rules=rules, reminders=tuple(reminders),
                     reminders_sent=reminders_sent)
    if not _store_changes(uow, [change]):
        raise ConcurrentUpdate(f"complaint {row.complaint_id} was changed by someone else meanwhile; "
                               "read it again and retry.")
    return row


# -- commands --------------------------------------------------------------------------

def raise_complaint(*, uow: UnitOfWork, organization: str, data: dict, actor: str = SYSTEM,
                    announce: bool = False) -> tuple[Complaint, bool]:
    """Gives (the complaint row, created?) for complaint.raised data (loaded by its schema).

    Idempotent by complaint id: a complaint already known is given back unchanged. A
    complaint about an order complained about within the policy's repeat window is marked
    repeat. `announce` emits complaint.raised (a complaint created over HTTP: the other
    services learn of it the same way as of any other).
    """
    complaint_id = data["complaint_id"]
    # a narrow existence check first: building a select of every column costs more than running it
    known = Complaint.select(Complaint.id).where(Complaint.organization == organization,
                                                 Complaint.complaint_id == complaint_id).scalar()
    if known is not None:
        log.info("complaint %s of %s already known; nothing to do", complaint_id, organization)
        return Complaint.get_by_id(known), False
    tz = uow.settings.tz
    rules = rules_for(uow.settings, organization=organization)
    raised_at = (data.get("raised_at") or uow.now).astimezone(tz)
    order_id = data.get("order_id")
    earlier = []
    if order_id:
        earlier = list(Complaint.select(Complaint.order_id, Complaint.raised_at).where(
            Complaint.organization == organization, Complaint.order_id == order_id,
            Complaint.raised_at >= raised_at - rules.policy.repeat_window, Complaint.raised_at <= raised_at))
    outcome = domain.raise_complaint(
        complaint_id=complaint_id, customer_id=data["customer"]["id"], raised_at=raised_at,
        source=data.get("source") or "hotline", actor=actor, order_id=order_id, earlier=tuple(earlier),
        policy=rules.policy, chain=rules.chain, calendar=rules.calendar)
    complaint = outcome.complaint
    row = Complaint.create(
        organization=organization, complaint_id=complaint_id, **_customer_columns(data["customer"]),
        description=data["description"], category=data.get("category") or "other", source=complaint.source,
        order_id=order_id, delivery_id=data.get("delivery_id"), callback_id=data.get("callback_id"),
        chain_name=rules.chain.name, policy_name=rules.policy.name, raised_at=complaint.raised_at,
        first_reply_due_at=complaint.first_reply_due_at, answer_due_at=complaint.answer_due_at,
        **{k: v for k, v in domain_changes(complaint).items() if k not in ("raised_at",)},
        reminders_sent=(), next_sweep_at=wake_at(complaint, reminders_sent=(), policy=rules.policy, now=uow.now),
        version=1, created_at=uow.now, updated_at=uow.now)
    writes = _Writes(uow)
    writes.history.extend(ComplaintHistory.rows_for(row.id, complaint.history))
    _notify_level_reached(writes, row, complaint, complaint.history[-1], rules)
    writes.wake(row, row.next_sweep_at)
    writes.flush()
    if announce:
        uow.emit("complaint.raised", raised_event_data(row), organization=organization)
    log.info("complaint %s of %s raised via %s at level %s%s", complaint_id, organization, complaint.source,
             complaint.level, " (repeat)" if complaint.repeat else "")
    return row, True


def raised_event_data(row: Complaint) -> dict:
    """Gives complaint.raised data (CONTRACT) for a stored complaint."""
    return {"complaint_id": row.complaint_id, "customer": customer_of(row), "description": row.description,
            "category": row.category, "source": row.source, "raised_at": row.raised_at.isoformat(),
            "order_id": row.order_id, "delivery_id": row.delivery_id, "callback_id": row.callback_id,
            "repeat": row.repeat}


def _transition(uow: UnitOfWork, *, organization: str, complaint_id: str, decide) -> Complaint:
    row = get_by_id_or_raise(organization=organization, complaint_id=complaint_id, for_update=True)
    rules = rules_for(uow.settings, organization=organization, chain_name=row.chain_name, policy_name=row.policy_name)
    before = row.to_domain(uow.settings.tz)
    outcome = decide(before, rules, uow.now.astimezone(uow.settings.tz))
    return store_outcome(uow, row, before, outcome, rules)


def reply(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str, message: str,
          answer: bool | None = None) -> Complaint:
    """Gives the complaint after a reply to the customer (first reply, then the answer).

    Raises:
      NotFound, Forbidden, InvalidTransition, InvalidInput (see the domain).
    """
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        domain.record_reply(c, actor=actor, role=role, message=message, at=now, chain=r.chain, answer=answer)))


def escalate(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str,
             reason: str) -> Complaint:
    """Gives the complaint one level up (beyond this level's authority); emits complaint.escalated."""
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        domain.escalate(c, actor=actor, role=role, reason=reason, at=now, policy=r.policy, chain=r.chain,
                        calendar=r.calendar)))


def resolve(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str, root_cause: str,
            corrective_action: str) -> Complaint:
    """Gives the resolved complaint, waiting for its verification callback; emits complaint.resolved."""
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        domain.resolve(c, actor=actor, role=role, root_cause=root_cause, corrective_action=corrective_action,
                       at=now, policy=r.policy, chain=r.chain, calendar=r.calendar)))


def hand_over(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str,
              engineer: str) -> Complaint:
    """Gives the complaint after its ticket went to an engineer (meets a hotline ticket's handover deadline)."""
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        domain.record_handover(c, actor=actor, role=role, engineer=engineer, at=now, chain=r.chain)))


def record_churn(*, uow: UnitOfWork, organization: str, complaint_id: str, actor: str, role: str,
                 reason: str) -> Complaint:
    """Gives the complaint with the reason the customer left (客户流失原因), recorded in its history;
    complaint.resolved and complaint.closed carry it from then on."""
    return _transition(uow, organization=organization, complaint_id=complaint_id, decide=lambda c, r, now: (
        domain.record_churn(c, actor=actor, role=role, reason=reason, at=now, chain=r.chain)))


def update_customer(*, organization: str, customer: dict) -> int:
    """Gives how many complaints now carry the customer's current name and contact data."""
    columns = _customer_columns(customer)
    columns.pop("customer_id")
    return Complaint.update(**columns).where(Complaint.organization == organization,
                                             Complaint.customer_id == customer["id"]).execute()


# -- the sweep -------------------------------------------------------------------------

@dataclass
class SweepResult:
    """What one sweep did."""

    examined: int = 0
    changed: int = 0
    escalated: int = 0
    reminders: int = 0
    skipped: int = 0


def due_query(now: datetime, limit: int) -> peewee.ModelSelect:
    """Gives the query of complaints whose `next_sweep_at` has come, earliest first (by index)."""
    query = (Complaint.select().where(Complaint.next_sweep_at <= now)
             .order_by(Complaint.next_sweep_at).limit(limit))
    if is_postgres(Complaint._meta.database):
        # Two workers sweeping at once take disjoint rows; the version check is the backstop.
        query = query.for_update("FOR UPDATE SKIP LOCKED")
    return query


def _decide_sweep(uow: UnitOfWork, row: Complaint, now: datetime, rules: Rules) -> _Change:
    """Gives the sweep's decision for one complaint at `now` (domain sweep and due reminders)."""
    before = row.to_domain(uow.settings.tz)
    outcome = domain.sweep(before, now, rules.policy, rules.chain, rules.calendar)
    sent = tuple(row.reminders_sent)
    reminders = tuple(r for r in domain.reminders_due(outcome.complaint, now, rules.policy) if r.key not in sent)
    return _Change(row=row, before=before, outcome=outcome, rules=rules, reminders=reminders,
                   reminders_sent=sent + tuple(r.key for r in reminders))


def _count(result: SweepResult, change: _Change) -> None:
    result.changed += change.outcome.complaint is not change.before
    result.escalated += sum(1 for type_, _ in change.outcome.events if type_ == "complaint.escalated")
    result.reminders += len(change.reminders)


def _sweep_rows(uow: UnitOfWork, rows: list[Complaint], now: datetime, result: SweepResult) -> None:
    """Decides every row (pure), then writes them all at once (`_store_changes`)."""
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
            changes.append(_decide_sweep(uow, row, now, rules))
        except ComplaintError as exc:
            # bad rules data for one organisation must not stop the others' sweep
            result.skipped += 1
            log.error("complaint %s of %s not swept: %s", row.complaint_id, row.organization, exc)
    stored = _store_changes(uow, changes)
    result.skipped += len(changes) - len(stored)
    if len(stored) < len(changes):
        log.info("%s complaints changed meanwhile; the next sweep looks again", len(changes) - len(stored))
    for change in stored:
        _count(result, change)


def sweep_one(uow: UnitOfWork, row: Complaint, now: datetime) -> tuple[bool, int, int]:
    """Applies the domain sweep and due reminders to one complaint; gives
    (changed, escalations, reminders queued).

    Raises:
      ConcurrentUpdate: the complaint changed since `row` was read.
    """
    rules = rules_for(uow.settings, organization=row.organization, chain_name=row.chain_name,
                      policy_name=row.policy_name)
    change = _decide_sweep(uow, row, now.astimezone(uow.settings.tz), rules)
    if not _store_changes(uow, [change]):
        raise ConcurrentUpdate(f"complaint {row.complaint_id} was changed by someone else meanwhile.")
    result = SweepResult()
    _count(result, change)
    return bool(result.changed), result.escalated, result.reminders


def sweep_due_complaints(*, service, now: datetime | None = None, batch: int = SWEEP_BATCH,
                         max_batches: int = 50) -> SweepResult:
    """Gives what a sweep did to the complaints whose `next_sweep_at` has come (by index):
    missed deadlines escalate one level, key customers are flagged, reminders are queued.

    One transaction per batch: one query reads the due rows, one statement writes them
    (compare-and-set on `version`), one bulk insert each for history, mail, wake-ups and
    the outbox. Safe with several workers sweeping at once (PostgreSQL: `FOR UPDATE SKIP
    LOCKED`; SQLite: one writer at a time; both: compare-and-set).
    """
    result = SweepResult()
    for _ in range(max_batches):
        with service.unit_of_work() as uow:
            moment = now or uow.now
            rows = list(due_query(moment, batch))
            _sweep_rows(uow, rows, moment, result)
        if len(rows) < batch:
            break
    if result.examined:
        log.info("sweep: %s", result)
    return result


def sweep_complaint(*, service, organization: str, complaint_id: str, now: datetime | None = None) -> SweepResult:
    """Gives what the wake-up of one complaint did (its delayed message `complaint_deadline`
    arrived): the same sweep as the periodic one, for this complaint only, if its moment has
    come. A late, early or repeated wake-up is harmless: nothing due, nothing done; a deadline
    already acted upon is in `handled_breaches`, and the write is a compare-and-set."""
    result = SweepResult()
    with service.unit_of_work() as uow:
        moment = now or uow.now
        query = Complaint.select().where(Complaint.organization == organization,
                                         Complaint.complaint_id == complaint_id, Complaint.next_sweep_at <= moment)
        if is_postgres(Complaint._meta.database):
            query = query.for_update()
        _sweep_rows(uow, list(query), moment, result)
    if result.examined:
        log.info("wake-up of complaint %s of %s: %s", complaint_id, organization, result)
    return result


# -- mail ------------------------------------------------------------------------------

def _sendable(now: datetime) -> peewee.Expression:
    """Mail not sent yet, not given up on, and held by nobody (never claimed, or its lease expired)."""
    return (Notification.sent_at.is_null() & (Notification.attempts < MAX_MAIL_ATTEMPTS)
            & (Notification.claimed_at.is_null() | (Notification.claimed_at <= now - MAIL_LEASE)))


def send_notifications(*, service, limit: int = 100) -> int:
    """Gives how many queued mails went out (or to .eml files). Runs outside any transaction
    of a complaint.

    Each mail is leased (`claimed_at`, committed) before sending, so two workers never send
    it at once, and marked `sent_at` only after the send succeeded. A failed send gives the
    lease back (retried next pass, up to MAX_MAIL_ATTEMPTS); a worker that dies between the
    claim and the mark leaves a lease that expires after MAIL_LEASE, and the mail is sent
    again then: at least once, never lost (a duplicate mail beats a missed deadline notice).
    """
    from shared.mail import MailError, build_message, send_message

    settings = service.settings
    sent = 0
    with service.connection():
        pending = list(Notification.select().where(_sendable(service.clock())).order_by(Notification.id).limit(limit))
        for note in pending:
            now = service.clock()
            claimed = Notification.update(claimed_at=now, attempts=Notification.attempts + 1).where(
                Notification.id == note.id, _sendable(now)).execute()
            if claimed != 1:
                continue
            ours = (Notification.id == note.id) & (Notification.claimed_at == now) & Notification.sent_at.is_null()
            try:
                to = recipients_for(settings, organization=note.organization, role=note.role)
                if not to:
                    log.warning("no %s in users.yaml of %s: mail %s about complaint %s not sent; left for a person",
                                note.role, note.organization, note.key, note.complaint_id)
                    Notification.update(claimed_at=None, attempts=MAX_MAIL_ATTEMPTS,
                                        last_error=f"no user with role {note.role}").where(ours).execute()
                    continue
                message = build_message(sender=settings.mail_from, to=to, subject=note.subject, body_text=note.body)
                where = send_message(message, smtp_url=settings.smtp_url, outbox_dir=Path(settings.var_dir) / "outbox")
            except (MailError, ComplaintError, OSError) as exc:
                log.warning("mail %s about complaint %s failed: %s", note.key, note.complaint_id, exc)
                Notification.update(claimed_at=None, last_error=str(exc)[:500]).where(ours).execute()
                continue
            # sent: marked even if the lease ran out meanwhile (another worker may send it again)
            Notification.update(sent_at=service.clock(), recipients=", ".join(to), last_error=None).where(
                Notification.id == note.id, Notification.sent_at.is_null()).execute()
            sent += 1
            log.info("mail %s about complaint %s to %s: %s", note.kind, note.complaint_id, to, where)
    return sent


# -- event handlers --------------------------------------------------------------------

def on_complaint_raised(event: Event, uow: UnitOfWork) -> None:
    """complaint.raised (a dissatisfied callback, the hotline, the manufacturer...): a new complaint."""
    data = dict(event.data)
    if data.get("raised_at") is None and event.time is not None:
        data["raised_at"] = event.time
    raise_complaint(uow=uow, organization=event.organization, data=data, actor=SYSTEM)


def on_callback_completed(event: Event, uow: UnitOfWork) -> None:
    """callback.completed of a verification callback: satisfied closes, otherwise reopens."""
    data = event.data
    complaint_id = data.get("complaint_id")
    if data.get("customer"):
        update_customer(organization=event.organization, customer=data["customer"])
    if not complaint_id:
        return
    row = Complaint.get_or_none(Complaint.organization == event.organization, Complaint.complaint_id == complaint_id)
    if row is None:
        log.warning("event %s: callback %s verifies complaint %s unknown in %s; ignored", event.id,
                    data.get("callback_id"), complaint_id, event.organization)
        return
    if not data.get("reached"):
        log.info("event %s: verification callback of %s not reached; complaint stays %s", event.id, complaint_id,
                 row.state)
        return
    answers = [a for a in (data.get("product_satisfaction"), data.get("service_satisfaction")) if a]
    if not answers:
        log.info("event %s: verification callback of %s carries no answer; nothing decided", event.id, complaint_id)
        return
    if row.state != RESOLVED:
        log.info("event %s: complaint %s is %s, not waiting for a verification; ignored", event.id, complaint_id,
                 row.state)
        return
    satisfied = all(answer in SATISFIED_ANSWERS for answer in answers)
    reason = f"verification callback {data.get('callback_id')}: {', '.join(answers)}"
    if data.get("dissatisfied_reason"):
        reason += f"; {data['dissatisfied_reason']}"
    rules = rules_for(uow.settings, organization=event.organization, chain_name=row.chain_name,
                      policy_name=row.policy_name)
    tz = uow.settings.tz
    before = row.to_domain(tz)
    at = (event.time or uow.now).astimezone(tz)
    outcome = domain.verification_result(before, satisfied=satisfied, at=at, actor=f"callback:{data.get('callback_id')}",
                                         reason=reason, policy=rules.policy, chain=rules.chain,
                                         calendar=rules.calendar)
    store_outcome(uow, row, before, outcome, rules)


def on_customer_updated(event: Event, uow: UnitOfWork) -> None:
    """customer.updated: complaints keep the customer's current name and contact data."""
    update_customer(organization=event.organization, customer=event.data["customer"])


HANDLERS: dict = {
    "complaint.raised": on_complaint_raised,
    "callback.completed": on_callback_completed,
    "customer.updated": on_customer_updated,
}
