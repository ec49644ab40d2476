"""The scheduler's mail: the weekly mail of missing ledger data to the ledger keepers,
sent after commit under a lease with the service's mailer, as the other services' mail.

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
from .models import Delivery, LedgerGapMail
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
