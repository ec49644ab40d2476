"""Complaint mail: what to tell whom, queued with the state change that calls for it, and
sent after commit under a lease with the service's mailer.

A transition queues `Notification` rows (`level_reached`, `change_notes`, `reminder_note`) in
its own transaction. `send_notifications` (the entry point's sequence) then sends each one in
three steps: `claim_notification` leases it (committed before the send), the service's mailer
sends it, `record_sent` or `record_failure` records how it went (committed). Two workers
never send a mail at once; a failed send gives the lease back (retried next pass, up to
MAX_MAIL_ATTEMPTS); a worker that dies between the claim and the record leaves a lease that
expires after MAIL_LEASE, and the mail is sent again then: at least once, never lost (a
duplicate mail beats a missed deadline notice).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from shared.core.lease import Lease
from shared.core.mail import MailError, build_message
from shared.mesh.service import Service, UnitOfWork
from shared.web.vocabulary import DEADLINES

from .domain.complaint import FLAG_CUSTOMER, NOTIFY_MANAGERS, REOPENED, VERIFY, HistoryEntry, Outcome
from .domain.complaint import Complaint as DomainComplaint
from .domain.deadlines import breach_key, pending_deadlines
from .domain.reminders import Reminder
from .errors import ComplaintsError
from .models import Complaint, Notification
from .rules import Rules, recipients_for
from .wording import HISTORY_STEPS, both_names

log = logging.getLogger(__name__)

#: A notification that failed this many times is left for a person to look at.
MAX_MAIL_ATTEMPTS = 5
#: How long a worker holds a mail it claimed (far above the SMTP timeout); a claim older
#: than this was left by a worker that died before marking the mail sent: it is sent again.
MAIL_LEASE = timedelta(minutes=5)
#: The lease of a mail being sent (`Notification.claimed_at`).
LEASE = Lease(Notification.claimed_at, MAIL_LEASE)


# -- what to tell whom -----------------------------------------------------------------

def _note(uow: UnitOfWork, row: Complaint, *, key: str, kind: str, role: str, subject: str, body: str,
          login: str | None = None) -> dict:
    """Gives the row of a mail about complaint `row` to the holders of `role`, or to the one
    person `login` when given (once per `key`)."""
    return {"organization": row.organization, "key": f"{row.organization}:{key}"[:300],
            "complaint_id": row.complaint_id, "kind": kind, "role": role, "subject": subject[:300], "body": body,
            "created_at": uow.now, "login": login}


def assigned_to_person(uow: UnitOfWork, row: Complaint, login: str) -> dict:
    """Gives the mail telling the person the ownership policy assigned a complaint to that it is theirs to accept."""
    return _note(uow, row, kind="assigned", role="person", login=login, key=f"owner:{row.complaint_id}:{login}",
                 subject=f"[投诉 {row.complaint_id}] 分配给您 / assigned to you",
                 body=(f"Complaint {row.complaint_id} of {row.customer_name} is assigned to you "
                       f"({row.department or '-'}). Accept it on its page.\n\nWhat the customer said:\n"
                       f"{row.description}\n"))


#: What the mail of a verification not made says (subject, why), by why (RULES 2).
_NOT_MADE = {"unreachable": ("回访无法联系 / verification unreachable", "found nobody after every attempt"),
             "declined": ("客户谢绝回访 / verification declined", "was declined by the customer"),
             "wrong_number": ("号码错误 / verification: wrong number",
                              "found a wrong number (it is made again once the number is corrected)")}


def unreachable_note(uow: UnitOfWork, row: Complaint, *, role: str, callback_id: str | None,
                     why: str = "unreachable") -> dict:
    """Gives the mail telling the holders of the queue's role that a complaint's verification callback
    could not be made (found nobody, declined, wrong number): close it with a reason or try again."""
    subject, what = _NOT_MADE[why]
    key = f"unreachable:{row.complaint_id}:{callback_id}" + ("" if why == "unreachable" else f":{why}")
    return _note(uow, row, kind="unreachable", role=role, key=key,
                 subject=f"[投诉 {row.complaint_id}] {subject}",
                 body=(f"The verification callback {callback_id or '-'} of complaint {row.complaint_id} "
                       f"({row.customer_name}) {what}. Close it with a reason, or try again, on its page.\n"))


def promise_note(uow: UnitOfWork, row: Complaint, promise, *, kind: str) -> dict:
    """Gives the mail to the maker of a promise: its reminder before its moment, or that it was broken."""
    due = _local(promise.due_at, uow.settings.tz)
    if kind == "reminder":
        subject = f"[投诉 {row.complaint_id}] 承诺即将到期 / promise due {due}"
    else:
        subject = f"[投诉 {row.complaint_id}] 承诺未兑现 / promise broken (due {due})"
    return _note(uow, row, kind=f"promise_{kind}", role="person", login=promise.made_by,
                 key=f"promise:{kind}:{promise.promise_id}",
                 subject=subject, body=(f"Complaint {row.complaint_id} of {row.customer_name}: you promised "
                                        f"{promise.to_whom}: {promise.what}, by {due}.\n"))


def first_taker_notes(uow: UnitOfWork, row: Complaint, new_entries, *, tell: bool) -> list[dict]:
    """Gives the mails telling the first taker of a complaint (首问责任人, seed 002 首问责任制) of each
    step someone else took on it, until it closes (the closing step included)."""
    taker = row.first_taker
    if not tell or not taker:
        return []
    tz = uow.settings.tz
    return [_note(uow, row, kind="step", role="person", login=taker,
                  key=f"step:{row.complaint_id}:{entry.action}:{entry.at.isoformat()}:{taker}",
                  subject=f"[投诉 {row.complaint_id}] 进展 / step: {both_names(HISTORY_STEPS, entry.action)}",
                  body=(f"Complaint {row.complaint_id} of {row.customer_name}, which you took first "
                        f"(首问责任人): {both_names(HISTORY_STEPS, entry.action)} by {entry.actor} at {_local(entry.at, tz)}.\n\n"
                        f"{entry.reason}\n"))
            for entry in new_entries if entry.actor != taker]


def department_notes(uow: UnitOfWork, row: Complaint) -> list[dict]:
    """Gives the mails telling the people of the department a complaint is assigned to (受投诉部门, the
    directory's `department`) that it concerns them; the owner has their own mail."""
    if not row.department:
        return []
    return [_note(uow, row, kind="department", role="person", login=person.login,
                  key=f"department:{row.complaint_id}:{row.department}:{person.login}",
                  subject=f"[投诉 {row.complaint_id}] 分配给{row.department} / assigned to your department",
                  body=(f"Complaint {row.complaint_id} of {row.customer_name} is assigned to your department "
                        f"({row.department}).\n\nWhat the customer said:\n{row.description}\n"))
            for person in uow.users.of_department(row.organization, row.department) if person.login != row.owner]


#: What a ticket's missed deadline mail names (seed 001).
_TICKET_DEADLINES = {"handover": "转交热线工程师 / handed to the hotline engineer",
                     "dispatch": "转交维修协调员 / passed on to the repair coordinator"}


def ticket_missed_note(uow: UnitOfWork, row, *, deadline: str, due_at: datetime, role: str) -> dict:
    """Gives the mail telling the holders of `role` that a hotline ticket (seed 001) missed a deadline."""
    what = _TICKET_DEADLINES[deadline]
    return {"organization": row.organization,
            "key": f"{row.organization}:ticket:{row.ticket_id}:{deadline}@{due_at.isoformat()}"[:300],
            "complaint_id": row.ticket_id, "kind": "ticket_missed", "role": role, "login": None,
            "subject": f"[工单 {row.ticket_id}] 期限已过 / deadline missed: {what}"[:300],
            "body": (f"Ticket {row.ticket_id} ({row.kind}) of {row.customer_name}: {what} was due "
                     f"{_local(due_at, uow.settings.tz)}.\n\nFault: {row.fault}\n"),
            "created_at": uow.now}


def _local(value: datetime | None, tz) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else "-"


def level_reached(uow: UnitOfWork, row: Complaint, complaint: DomainComplaint, entry: HistoryEntry,
                  rules: Rules) -> dict:
    """Gives the mail telling the holders of the complaint's level that it is theirs now."""
    tz = uow.settings.tz
    level = rules.chain.level(complaint.level)
    deadlines = "\n".join(f"  {both_names(DEADLINES, name)}: {_local(due, tz)}"
                          for name, due in pending_deadlines(complaint))
    return _note(uow, row, kind="assigned", role=level.role,
                 key=f"assigned:{row.complaint_id}:{complaint.level}:{entry.at.isoformat()}",
                 subject=f"[投诉 {row.complaint_id}] 转到您的层级 / now at your level: {level.label}",
                 body=(f"Complaint {row.complaint_id} of {row.customer_name} is now at level {complaint.level} "
                       f"({level.role}, {level.label}).\n\nWhy: {entry.reason}\n\nWhat the customer said:\n"
                       f"{row.description}\n\nDeadlines:\n{deadlines or '  -'}\n"))


def change_notes(uow: UnitOfWork, row: Complaint, outcome: Outcome, new_entries, rules: Rules) -> list[dict]:
    """Gives the mails a transition calls for: the new level told, the managers told of a
    deadline missed at the top level."""
    after = outcome.complaint
    notes = [level_reached(uow, row, after, entry, rules) for entry in new_entries
             if entry.to_level is not None and (entry.from_level is None or entry.to_level != entry.from_level
                                                or entry.action == REOPENED)]
    top_role = rules.chain.role_at(rules.chain.top)
    for action in outcome.actions:
        if action.kind == NOTIFY_MANAGERS:
            notes.append(_note(uow, row, kind="deadline_missed", role=top_role,
                               key=f"missed:{row.complaint_id}:{breach_key(action.deadline, action.due_at)}",
                               subject=f"[投诉 {row.complaint_id}] 期限已过 / deadline missed at the top level",
                               body=f"Complaint {row.complaint_id} of {row.customer_name}: {action.reason}.\n"))
        elif action.kind == FLAG_CUSTOMER:
            log.info("customer %s of %s flagged as a key customer after complaint %s", row.customer_id,
                     row.organization, row.complaint_id)
    return notes


def reminder_note(uow: UnitOfWork, row: Complaint, reminder: Reminder, rules: Rules) -> dict:
    """Gives the mail reminding the holders of the complaint's level (or the verifier) of a deadline."""
    chain = rules.chain
    role = chain.verifier_role if reminder.deadline == VERIFY else chain.role_at(reminder.level)
    label = both_names(DEADLINES, reminder.deadline)
    due = _local(reminder.due_at, uow.settings.tz)
    return _note(uow, row, kind="reminder", role=role, key=reminder.key,
                 subject=f"[投诉 {row.complaint_id}] 即将到期 / due {due}: {label}",
                 body=(f"Complaint {row.complaint_id} of {row.customer_name}: {label}, due at {due}.\n\n"
                       f"What the customer said:\n{row.description}\n"))


# -- sending ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """A mail this worker holds (its lease taken at `since`), ready to send."""

    note_id: int
    since: datetime
    key: str
    kind: str
    complaint_id: str
    to: tuple[str, ...]
    message: EmailMessage
    #: Whom it is for as the log says it: the person's login or the role (never an address).
    whom: str = ""


def _unsent(note_id: int):
    return (Notification.id == note_id) & Notification.sent_at.is_null()


def sendable_notifications(*, uow: UnitOfWork, limit: int) -> list[int]:
    """Gives the ids of the mails to send now, oldest first: not sent, not given up on, held by nobody."""
    query = (Notification.select(Notification.id)
             .where(Notification.sent_at.is_null(), Notification.attempts < MAX_MAIL_ATTEMPTS, LEASE.free(uow.now))
             .order_by(Notification.id).limit(limit))
    return [note.id for note in query]


def claim_notification(*, uow: UnitOfWork, note_id: int) -> Claim | None:
    """Gives the mail `note_id` leased to this worker with its message, or None: another worker
    holds it, or it cannot be addressed or built (recorded on the mail, lease given back)."""
    if not LEASE.claim(_unsent(note_id) & (Notification.attempts < MAX_MAIL_ATTEMPTS), now=uow.now,
                       attempts=Notification.attempts + 1):
        return None
    note = Notification.get_by_id(note_id)
    ours = LEASE.held(_unsent(note_id), since=uow.now)
    try:
        if note.login:  # one person (the first taker, the assigned owner), while they are active
            person = uow.users.get(note.organization, note.login)
            to = [person.email] if person is not None and person.active and person.email else []
        else:
            to = recipients_for(uow.settings, organization=note.organization, role=note.role, users=uow.users)
        if not to:
            whom = note.login or note.role
            log.warning("no active %s with an e-mail in the user directory of %s (make user): mail %s about complaint %s not sent; left for a person",
                        whom, note.organization, note.key, note.complaint_id)
            LEASE.give_back(ours, attempts=MAX_MAIL_ATTEMPTS, last_error=f"no active user {whom} with an e-mail")
            return None
        message = build_message(sender=uow.settings.mail_from, to=to, subject=note.subject, body_text=note.body)
    except (MailError, ComplaintsError, OSError) as exc:
        _failed(ours, note.key, note.complaint_id, exc)
        return None
    return Claim(note_id=note_id, since=uow.now, key=note.key, kind=note.kind, complaint_id=note.complaint_id,
                 to=tuple(to), message=message, whom=note.login or note.role)


def _failed(ours, key: str, complaint_id: str, error: Exception) -> None:
    log.warning("mail %s about complaint %s failed: %s", key, complaint_id, error)
    LEASE.give_back(ours, last_error=str(error)[:500])


def record_failure(*, uow: UnitOfWork, claim: Claim, error: Exception) -> None:
    """Releases the lease of a mail that could not be sent, with the error (tried again next pass)."""
    _failed(LEASE.held(_unsent(claim.note_id), since=claim.since), claim.key, claim.complaint_id, error)


def record_sent(*, uow: UnitOfWork, claim: Claim) -> None:
    """Marks a mail sent, even if its lease ran out meanwhile (another worker may send it again)."""
    Notification.update(sent_at=uow.now, recipients=", ".join(claim.to), last_error=None).where(
        _unsent(claim.note_id)).execute()


def send_notifications(service: Service, /, *, limit: int = 100) -> int:
    """Gives how many queued mails went out (by SMTP, or to .eml files).

    The entry point's sequence, outside any transaction of a complaint: for each mail, the
    claim is committed (`service.run(claim_notification)`), then `service.mailer` sends it,
    then how it went is committed (`record_sent` / `record_failure`).
    """
    sent = 0
    for note_id in service.run(sendable_notifications, limit=limit):
        claim = service.run(claim_notification, note_id=note_id)
        if claim is None:
            continue
        try:
            where = service.mailer.send(claim.message)
        except (MailError, OSError) as exc:
            service.run(record_failure, claim=claim, error=exc)
            continue
        service.run(record_sent, claim=claim)
        sent += 1
        # who and how many, never the addresses (personal data)
        log.info("mail %s about complaint %s to %s (%d recipient(s)): %s", claim.kind, claim.complaint_id,
                 claim.whom, len(claim.to), where)
    return sent
