"""The scheduler's mail: the weekly mail of missing ledger data to the ledger keepers, and the
leads' mail to their owner (a new lead; a reminder once it is overdue), sent after commit under a
lease with the service's mailer, as the other services' mail.

`send_ledger_gap_mails` (the periodic job's sequence) sends each organisation's mail of the week
in three steps: `claim_gap_mail` leases it (committed before the send), the service's mailer sends
it, `record_gap_mail` records how it went (committed). Two workers never send the same week's mail
at once; a failed send gives the lease back (tried again next pass, up to MAX_GAP_MAIL_ATTEMPTS);
a worker that dies between the claim and the record leaves a lease that runs out, and the mail is
sent again then: at least once, never lost.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from shared.core.db import distinct_values
from shared.core.lease import Lease
from shared.core.mail import MailError, build_message
from shared.mesh.service import UnitOfWork

from .domain.ledger_gaps import INSTALLATION, mail_week
from .handlers.common import today
from .handlers.ledger_gaps import ledger_gaps
from .domain.leads import WAITING
from .models import Delivery, Lead, LedgerGapMail, OpenQuestion
from .rules import ledger_watch

log = logging.getLogger(__name__)

#: How long a worker holds the week's mail it claimed; a claim older than this is sent again.
GAP_MAIL_LEASE = Lease(LedgerGapMail.claimed_at, timedelta(minutes=5))
#: A week's mail that failed this many times is left for a person to look at.
MAX_GAP_MAIL_ATTEMPTS = 5


@dataclass(frozen=True)
class GapMailClaim:
    organization: str
    week: str
    claimed_at: object
    to: tuple[str, ...]
    rows: int
    message: object


def claim_gap_mail(*, uow: UnitOfWork, organization: str, week: str) -> GapMailClaim | None:
    """Gives the week's mail of missing ledger data once claimed (None: sent already, held by another
    worker, given up, nobody to send it to, or no date missing: the week is then done unsent)."""
    watch = ledger_watch(uow.settings, organization)
    LedgerGapMail.insert(organization=organization, week=week).on_conflict_ignore().execute()
    where = ((LedgerGapMail.organization == organization) & (LedgerGapMail.week == week)
             & LedgerGapMail.sent_at.is_null() & (LedgerGapMail.attempts < MAX_GAP_MAIL_ATTEMPTS))
    if not GAP_MAIL_LEASE.claim(where, now=uow.now):
        return None
    to = tuple(sorted({email for role in watch.recipient_roles for email in uow.users.emails_of_role(organization, role)}))
    rows = ledger_gaps(settings=uow.settings, organization=organization, on=today(uow))
    if not to or not rows:
        # nothing to send: the week is done (no mail saying "none" to the ledger keepers)
        LedgerGapMail.update(sent_at=uow.now, rows=len(rows),
                             error=None if not rows else "no ledger keeper with an e-mail address").where(
            (LedgerGapMail.organization == organization) & (LedgerGapMail.week == week)).execute()
        return None
    lines = [f"{r['delivery_id']}  {r['project'] or ''}  发货 shipped {r['shipped_on']}  "
             f"{'缺安装日期 no installation date' if r['missing'] == INSTALLATION else '缺送电日期 no commissioning date'}"
             f"  (应于 expected by {r['expected_by']})" for r in rows]
    body = (f"台帐缺失数据 / Missing ledger data, {week}\n\n"
            f"以下发货尚无安装或送电日期，其试运行期、质保期回访无法安排。请补录台帐。\n"
            f"These deliveries have no installation or commissioning date yet: their later callbacks cannot be "
            f"planned until it is entered in the ledger.\n\n" + "\n".join(lines) + "\n")
    message = build_message(sender=uow.settings.mail_from, to=list(to),
                            subject=f"[台帐] 缺失安装/送电日期 {len(rows)} 条 / missing ledger dates: {week}",
                            body_text=body)
    return GapMailClaim(organization, week, uow.now, to, len(rows), message)


def record_gap_mail(*, uow: UnitOfWork, claim: GapMailClaim, error: str | None = None) -> None:
    """Records how the week's mail went: sent, or given back to be tried again (counted)."""
    where = GAP_MAIL_LEASE.held((LedgerGapMail.organization == claim.organization)
                                & (LedgerGapMail.week == claim.week), since=claim.claimed_at)
    if error is None:
        LedgerGapMail.update(sent_at=uow.now, rows=claim.rows, error=None).where(where).execute()
    else:
        GAP_MAIL_LEASE.give_back(where, attempts=LedgerGapMail.attempts + 1, error=error[:2000])


def send_ledger_gap_mails(service) -> list[tuple[str, str, str]]:
    """Gives (organisation, week, where it went or why not) of each weekly mail of missing ledger
    data sent now: for each organisation with deliveries, once its mail day and time of
    the week has come (data/ledger_watch.yaml), and only when some date is missing (an empty list
    is not mailed). Claim (committed) -> send -> record."""
    sent = []
    with service.connection():
        # an index lookup per organisation, not a scan of every delivery every 15 minutes
        organizations = distinct_values(Delivery.organization)
    local = service.clock().astimezone(service.settings.tz)
    for organization in organizations:
        week = mail_week(local.replace(tzinfo=None), ledger_watch(service.settings, organization))
        if week is None:
            continue
        claim = service.run(claim_gap_mail, organization=organization, week=week)
        if claim is None:
            continue
        try:
            where = service.mailer.send(claim.message)
        except MailError as exc:
            service.run(record_gap_mail, claim=claim, error=str(exc))
            log.warning("missing ledger data mail of %s for %s failed: %s", organization, week, exc)
            continue
        service.run(record_gap_mail, claim=claim)
        sent.append((organization, week, where))
    return sent


# --- leads: their owner is told of a new one, and reminded once it is overdue -----------------

#: How long a worker holds a lead's mail it claimed; a lead's mail that failed this often is left.
LEAD_MAIL_LEASE = Lease(Lead.mail_claimed_at, timedelta(minutes=5))
MAX_LEAD_MAIL_ATTEMPTS = 5
#: The two mails of a lead: which column says it went.
NEW_LEAD, OVERDUE_LEAD = "new", "overdue"


@dataclass(frozen=True)
class LeadMailClaim:
    lead_id: str
    kind: str
    claimed_at: object
    message: object


def leads_to_mail(*, uow: UnitOfWork, limit: int = 200) -> list[tuple[str, str]]:
    """Gives (lead id, mail kind) of the leads whose owner is owed a mail now: a new lead not yet
    mailed, or a lead still waiting (open or contacted) past its due date and not yet reminded."""
    due = [(lead_id, NEW_LEAD) for (lead_id,) in Lead.select(Lead.id).where(
        Lead.mailed_at.is_null(), Lead.owner.is_null(False), Lead.mail_attempts < MAX_LEAD_MAIL_ATTEMPTS)
        .order_by(Lead.raised_at).limit(limit).tuples()]
    due += [(lead_id, OVERDUE_LEAD) for (lead_id,) in Lead.select(Lead.id).where(
        Lead.overdue_mailed_at.is_null(), Lead.owner.is_null(False), Lead.status.in_(WAITING),
        Lead.due_on < today(uow), Lead.mail_attempts < MAX_LEAD_MAIL_ATTEMPTS)
        .order_by(Lead.due_on).limit(limit).tuples()]
    return due


def claim_lead_mail(*, uow: UnitOfWork, lead_id: str, kind: str) -> LeadMailClaim | None:
    """Gives the lead's mail once claimed (None: sent already, held by another worker, or nobody to
    send it to: an owner without an e-mail address is marked as told, nothing is sent)."""
    sent_column = Lead.mailed_at if kind == NEW_LEAD else Lead.overdue_mailed_at
    if not LEAD_MAIL_LEASE.claim((Lead.id == lead_id) & sent_column.is_null()
                                 & (Lead.mail_attempts < MAX_LEAD_MAIL_ATTEMPTS), now=uow.now):
        return None
    lead = Lead.get_by_id(lead_id)
    person = uow.users.get(lead.organization, lead.owner) if lead.owner else None
    if person is None or not person.email:
        Lead.update({sent_column: uow.now, Lead.mail_claimed_at: None}).where(Lead.id == lead_id).execute()
        log.info("lead %s of %s: its owner %s has no e-mail address; no mail", lead_id, lead.organization, lead.owner)
        return None
    what = {"maintenance": "维修需求 maintenance", "retrofit": "改造需求 retrofit",
            "maintenance_or_retrofit": "维修或改造需求 maintenance or retrofit",
            "purchase": "采购需求 purchase"}.get(lead.kind, lead.kind)
    if kind == NEW_LEAD:
        subject = f"[商机 lead] {what}: {lead.customer_id}, 请于 {lead.due_on.isoformat()} 前跟进"
        opening = "回访中客户提出了新的需求，请您跟进。\nA callback raised a lead for you to follow up."
    else:
        subject = f"[商机逾期 overdue lead] {what}: {lead.customer_id}, 应于 {lead.due_on.isoformat()} 前跟进"
        opening = ("这条商机已过跟进期限，请尽快联系客户并记录结果（已联系、成交或未成交）。\n"
                   "This lead is past its due date: contact the customer and record how it ended.")
    base = uow.settings.public_url("scheduler").rstrip("/")
    body = (f"{opening}\n\n客户 Customer: {lead.customer_id}\n需求 Kind: {what}\n"
            f"期限 Due: {lead.due_on.isoformat()}\n状态 Status: {lead.status}\n"
            f"备注 Note: {lead.note or ''}\n\n{base}/leads\n")
    message = build_message(sender=uow.settings.mail_from, to=[person.email], subject=subject, body_text=body)
    return LeadMailClaim(lead_id, kind, uow.now, message)


def record_lead_mail(*, uow: UnitOfWork, claim: LeadMailClaim, error: str | None = None) -> None:
    """Records how the lead's mail went: sent, or given back to be tried again (counted)."""
    where = LEAD_MAIL_LEASE.held(Lead.id == claim.lead_id, since=claim.claimed_at)
    if error is None:
        column = Lead.mailed_at if claim.kind == NEW_LEAD else Lead.overdue_mailed_at
        Lead.update({column: uow.now, Lead.mail_claimed_at: None}).where(where).execute()
    else:
        LEAD_MAIL_LEASE.give_back(where, mail_attempts=Lead.mail_attempts + 1)
        log.warning("lead %s: %s mail failed: %s", claim.lead_id, claim.kind, error)


def send_lead_mails(service) -> list[tuple[str, str, str]]:
    """Gives (lead id, mail kind, where it went) of each lead mail sent now: claim (committed) ->
    send -> record (committed), one lead at a time."""
    sent = []
    for lead_id, kind in service.run(leads_to_mail):
        claim = service.run(claim_lead_mail, lead_id=lead_id, kind=kind)
        if claim is None:
            continue
        try:
            where = service.mailer.send(claim.message)
        except MailError as exc:
            service.run(record_lead_mail, claim=claim, error=str(exc))
            continue
        service.run(record_lead_mail, claim=claim)
        sent.append((lead_id, kind, where))
    return sent


# --- open questions: the owner of a customer's question is told what to answer, and by when -------

QUESTION_MAIL_LEASE = Lease(OpenQuestion.mail_claimed_at, timedelta(minutes=5))
MAX_QUESTION_MAIL_ATTEMPTS = 5


@dataclass(frozen=True)
class QuestionMailClaim:
    question_id: str
    claimed_at: object
    message: object


def questions_to_mail(*, uow: UnitOfWork, limit: int = 200) -> list[str]:
    """Gives the ids of the open questions whose owner has not been mailed yet."""
    return [question_id for (question_id,) in OpenQuestion.select(OpenQuestion.id).where(
        OpenQuestion.mailed_at.is_null(), OpenQuestion.mail_attempts < MAX_QUESTION_MAIL_ATTEMPTS)
        .order_by(OpenQuestion.asked_at).limit(limit).tuples()]


def claim_question_mail(*, uow: UnitOfWork, question_id: str) -> QuestionMailClaim | None:
    """Gives the question's mail to its owner once claimed (None: sent already, held by another worker,
    or an owner without an e-mail address, marked as told)."""
    if not QUESTION_MAIL_LEASE.claim((OpenQuestion.id == question_id) & OpenQuestion.mailed_at.is_null()
                                     & (OpenQuestion.mail_attempts < MAX_QUESTION_MAIL_ATTEMPTS), now=uow.now):
        return None
    question = OpenQuestion.get_by_id(question_id)
    person = uow.users.get(question.organization, question.owner)
    if person is None or not person.email:
        OpenQuestion.update(mailed_at=uow.now, mail_claimed_at=None).where(OpenQuestion.id == question_id).execute()
        log.info("question %s of %s: its owner %s has no e-mail address; no mail", question_id,
                 question.organization, question.owner)
        return None
    due = question.answer_due_at.astimezone(uow.settings.tz).strftime("%Y-%m-%d %H:%M")
    base = uow.settings.public_url("scheduler").rstrip("/")
    body = ("回访中客户提出了一个问题，回访员未擅自承诺，请您答复；已答应客户在以下时间前回复，届时将安排回访告知客户。\n"
            "A customer asked a question on a callback that the agent may not answer alone: please answer it. "
            "The customer was promised an answer by the time below; a follow-up callback is planned then.\n\n"
            f"问题 Question: {question.question}\n客户 Customer: {question.customer_id}\n"
            f"答复期限 Answer by: {due}\n记录人 Asked by: {question.asked_by or ''}\n\n"
            f"{base}/callbacks/{question.callback_id}\n")
    message = build_message(sender=uow.settings.mail_from, to=[person.email],
                            subject=f"[客户问题 question] 请于 {due} 前答复 / answer by {due}: {question.customer_id}",
                            body_text=body)
    return QuestionMailClaim(question_id, uow.now, message)


def record_question_mail(*, uow: UnitOfWork, claim: QuestionMailClaim, error: str | None = None) -> None:
    """Records how the question's mail went: sent, or given back to be tried again (counted)."""
    where = QUESTION_MAIL_LEASE.held(OpenQuestion.id == claim.question_id, since=claim.claimed_at)
    if error is None:
        OpenQuestion.update(mailed_at=uow.now, mail_claimed_at=None).where(where).execute()
    else:
        QUESTION_MAIL_LEASE.give_back(where, mail_attempts=OpenQuestion.mail_attempts + 1)
        log.warning("question %s: mail failed: %s", claim.question_id, error)


def send_question_mails(service) -> list[tuple[str, str]]:
    """Gives (question id, where it went) of each owner's mail sent now: claim (committed) -> send ->
    record (committed), one question at a time."""
    sent = []
    for question_id in service.run(questions_to_mail):
        claim = service.run(claim_question_mail, question_id=question_id)
        if claim is None:
            continue
        try:
            where = service.mailer.send(claim.message)
        except MailError as exc:
            service.run(record_question_mail, claim=claim, error=str(exc))
            continue
        service.run(record_question_mail, claim=claim)
        sent.append((question_id, where))
    return sent
