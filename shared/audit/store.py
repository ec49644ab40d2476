"""The audit log (审计日志) of every service: who did what, when, to which record.

Recorded: a callback outcome (scheduler), a ledger import (scheduler), an event an admin posted
(every service), a report sent (reporting), full phone numbers revealed (the callback page, a JSON
read) or exported (scheduler), a webhook endpoint added or changed (every service), a person of
the user directory changed and a customer's personal data erased (`make user`, `make erase-customer`).
Each service keeps the entries of what was done through it, in its own `audit_log` table;
managers and admins of an organisation read them at `GET /api/v1/audit`.

An entry names ids, never personal data: the callback, the import, the event's id and type,
the month, the customer's id.
"""
from __future__ import annotations

import json

import peewee

from shared.core.fields import ORG, UTCDateTimeField

#: What is recorded (`action`).
ACTIONS = ("callback.outcome_recorded", "ledger.imported", "event.posted", "report.sent", "phones.revealed",
           "phones.exported",
           # a supervisor's changes to callbacks, and a customer's question recorded on one
           "callback.reassigned", "callbacks.reassigned", "callback.channel_switched", "callback.question_asked",
           # a supervisor planned "why not back" callbacks of lapsed customers (seed 000 part 5)
           "lapsed.planned",
           # changes to an organisation's webhooks, people and customers' personal data
           "webhook.changed", "user.changed", "customer.erased")
#: Who reads an organisation's audit log.
READERS = ("manager", "admin")


def audit_model(database) -> type[peewee.Model]:
    """Gives the audit log table bound to one service's database."""

    class AuditEntry(peewee.Model):
        organization = peewee.CharField(**ORG)
        at = UTCDateTimeField()
        login = peewee.CharField(max_length=128)
        role = peewee.CharField(max_length=32)
        action = peewee.CharField(max_length=64)
        #: The record acted upon: a callback id, an import id, an event id, a month ...
        subject = peewee.CharField(max_length=200)
        #: A few more ids (JSON object), e.g. the event's type or how many rows.
        detail = peewee.TextField(null=True)

        class Meta:
            table_name = "audit_log"
            indexes = ((("organization", "at"), False),)

    AuditEntry._meta.set_database(database)
    return AuditEntry


def record_action(*, uow, organization: str, login: str, role: str, action: str, subject: str,
                  detail: dict | None = None) -> None:
    """Stores one audit entry in the caller's unit of work, so it commits with the command it
    records or not at all (an entry point calls `uow.audit(who, ...)`, shared/mesh/service.py)."""
    record(uow.service.audit, at=uow.now, organization=organization, login=login, role=role, action=action,
           subject=subject, detail=detail)


def record(Entry, *, at, organization: str, login: str, role: str, action: str, subject: str,
           detail: dict | None = None) -> None:
    """Stores one audit entry in the table `Entry` (of `audit_model`), in the transaction open on its database.

    Raises:
      ValueError: `action` is not one of ACTIONS.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    Entry.insert(organization=organization, at=at, login=login[:128], role=role, action=action,
                 subject=str(subject)[:200],
                 detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None).execute()
