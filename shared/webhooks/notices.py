"""The mail to an organisation's admins about an endpoint this service disabled (under a lease:
at least once)."""
from __future__ import annotations

import logging
from datetime import timedelta

from shared.core.lease import Lease
from shared.core.mail import MailError, build_message

log = logging.getLogger(__name__)

#: How long a worker holds the notice mail of a disabled endpoint while sending it.
NOTICE_LEASE = timedelta(minutes=5)


def send_notices(service) -> int:
    """Gives how many "your endpoint was disabled" mails went out to the organisations' admins."""
    E = service.webhooks.Endpoint
    lease = Lease(E.notice_claimed_at, NOTICE_LEASE)
    sent = 0
    with service.connection():
        due = [row.id for row in E.select(E.id).where(E.notice_due == True)]  # noqa: E712
    for row_id in due:
        now = service.clock()
        with service.connection(), service.database.atomic():
            if not lease.claim((E.id == row_id) & (E.notice_due == True), now=now):  # noqa: E712
                continue
            row = E.get_by_id(row_id)
            recipients = service.users.emails_of_role(row.organization, "admin")
        if not recipients:
            log.warning("webhook endpoint %s of %s disabled; no admin with an e-mail address to tell",
                        row.endpoint_id, row.organization)
            with service.connection():
                E.update(notice_due=False, notice_claimed_at=None).where(E.id == row_id).execute()
            continue
        message = build_message(
            sender=service.settings.mail_from, to=recipients,
            subject=f"Huifang: webhook endpoint {row.url} was disabled",
            body_text=(f"The webhook endpoint {row.endpoint_id} of {row.organization} ({row.url}) kept failing and "
                       f"was disabled.\n\nWhy: {row.disabled_reason}\n\nIts deliveries wait; after fixing the "
                       f"receiver, enable it again (PATCH /api/v1/webhooks/{row.endpoint_id} with "
                       f'{{"enabled": true}}) and send the dead ones again from its delivery log '
                       f"(GET /api/v1/webhooks/{row.endpoint_id}/deliveries).\n"))
        try:
            service.mailer.send(message)
        except (MailError, OSError) as exc:
            log.warning("mail about disabled webhook endpoint %s failed (%s); tried again later", row.endpoint_id,
                        type(exc).__name__)
            with service.connection():
                lease.give_back(E.id == row_id)
            continue
        with service.connection():
            E.update(notice_due=False).where(lease.held(E.id == row_id, since=now)).execute()
        sent += 1
    return sent
