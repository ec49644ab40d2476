"""Erasing a customer (PIPL, `make erase-customer`) where complaints keep
their words in tables without a customer id column: the promises made to
them (what, to whom), the history steps whose reason is text people typed (replies, root causes,
closure comments, compensation offers, promises ...), and the mail about their complaints. Steps the
service words itself (raised via ..., deadline missed ..., accepted ...) stay, as do ids, dates, levels
and states: every figure is as before."""
from __future__ import annotations

from shared.mesh.retention import ERASED, erase_mail_files
from shared.mesh.service import UnitOfWork

from ..domain.complaint import (CUSTOMER_FLAGGED, DEADLINES_REPLANNED, ESCALATED, HANDED_OVER, MANAGERS_NOTIFIED,
                                RAISED, RESOLVED_ACTION)
from ..domain.ownership import ACCEPTED, VERIFICATION_UNREACHABLE
from ..models import Complaint, ComplaintHistory, ComplaintPromise, Notification, Ticket
from ..notify import MAX_MAIL_ATTEMPTS

#: History steps whose reason the service words itself or names no customer (the engineer handed to;
#: the root cause and corrective action, kept on the complaint too): kept. Any other step's reason
#: (a new kind too) is blanked.
WORDED_BY_THE_SERVICE = (RAISED, MANAGERS_NOTIFIED, CUSTOMER_FLAGGED, DEADLINES_REPLANNED, ACCEPTED,
                         VERIFICATION_UNREACHABLE, HANDED_OVER, RESOLVED_ACTION)
#: A mail about a product's recurring problem names complaint ids and a model, no customer: kept.
NOT_ABOUT_THE_CUSTOMER = ("recurring",)


def erase_customer_texts(*, uow: UnitOfWork, organization: str, customer_id: str) -> dict[str, int]:
    """Gives {table: rows changed} after blanking the customer's words in promises, history and mail.
    A mail not sent yet is not sent any more (its text is gone): recorded on it; a mail written to the
    file outbox naming the customer is removed."""
    complaints = list(Complaint.select(Complaint.id, Complaint.complaint_id).where(
        Complaint.organization == organization, Complaint.customer_id == customer_id).tuples())
    ids, keys = [c[0] for c in complaints], [c[1] for c in complaints]
    done = {"complaint_promise": 0, "complaint_history": 0, "complaint_notification": 0,
            "mail_files": erase_mail_files(uow.settings, _known_texts(organization, customer_id))}
    if not ids:
        return done
    done["complaint_promise"] = ComplaintPromise.update(what=ERASED, to_whom=ERASED).where(
        ComplaintPromise.complaint.in_(ids)).execute()
    typed = ComplaintHistory.action.not_in(WORDED_BY_THE_SERVICE) & ~(
        (ComplaintHistory.action == ESCALATED) & ComplaintHistory.reason.startswith("deadline missed"))
    done["complaint_history"] = ComplaintHistory.update(reason=ERASED).where(
        ComplaintHistory.complaint.in_(ids), ComplaintHistory.reason != "", typed).execute()
    mail = ((Notification.organization == organization) & Notification.complaint_id.in_(keys)
            & Notification.kind.not_in(NOT_ABOUT_THE_CUSTOMER))
    done["complaint_notification"] = Notification.update(subject=ERASED, body=ERASED).where(mail).execute()
    Notification.update(attempts=MAX_MAIL_ATTEMPTS, last_error="not sent: the customer's data was erased").where(
        mail & Notification.sent_at.is_null()).execute()
    return done


def _known_texts(organization: str, customer_id: str) -> set[str]:
    """Gives the customer's names and phones as complaints know them (before they are blanked)."""
    texts = set()
    for row in Complaint.select().where(Complaint.organization == organization, Complaint.customer_id == customer_id):
        texts |= {row.customer_name, row.customer_phone, row.contact_person, row.site_contact, row.site_phone}
    for row in Ticket.select().where(Ticket.organization == organization, Ticket.customer_id == customer_id):
        texts |= {row.customer_name, row.customer_phone}
    return {t for t in texts if t and t != ERASED}
