"""Missing ledger data (issue 17 item 6): the deliveries whose installation or commissioning date has
not come past the usual time (data/ledger_watch.yaml), listed on a page and by the API, and mailed to
the ledger keepers once a week: claim (committed) -> send -> record, like the complaints' mail."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shared.core.lease import Lease
from shared.core.mail import build_message
from shared.mesh.service import UnitOfWork

from ..domain.ledger_gaps import INSTALLATION, missing_dates
from ..models import Delivery, LedgerGapMail
from ..rules import ledger_watch
from .common import today

#: How long a worker holds the week's mail it claimed; a claim older than this is sent again.
GAP_MAIL_LEASE = Lease(LedgerGapMail.claimed_at, timedelta(minutes=5))
#: A week's mail that failed this many times is left for a person to look at.
MAX_GAP_MAIL_ATTEMPTS = 5


def ledger_gaps(*, settings, organization: str, on: date) -> list[dict]:
    """Gives the deliveries missing a date on day `on`, by ship date: each with `missing` (the field)
    and `expected_by` (the day it usually comes by), one row per missing date."""
    watch = ledger_watch(settings, organization)
    earliest = on - timedelta(days=min(watch.installation_within_days, watch.commissioning_within_days))
    rows = []
    for delivery in (Delivery.select().where(
            Delivery.organization == organization, Delivery.cancelled == False,  # noqa: E712 (SQL)
            Delivery.shipped_on.is_null(False), Delivery.shipped_on < earliest,
            Delivery.commissioned_on.is_null(True)).order_by(Delivery.shipped_on, Delivery.delivery_id).dicts()):
        for field, expected in missing_dates(shipped_on=delivery["shipped_on"], installed_on=delivery["installed_on"],
                                             commissioned_on=delivery["commissioned_on"], today=on, watch=watch):
            rows.append({"delivery_id": delivery["delivery_id"], "customer_id": delivery["customer_id"],
                         "project": delivery["project"], "product_model": delivery["product_model"],
                         "shipped_on": delivery["shipped_on"], "missing": field, "expected_by": expected})
    return rows


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
