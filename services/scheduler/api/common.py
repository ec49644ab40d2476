"""What the scheduler's routes share: who may do what, the service, customers' contacts."""
from __future__ import annotations

from flask import current_app

from shared.privacy import SEES_PHONES, mask_phone
from shared.web import principal

from ..handlers.common import chunks
from ..models import CallbackTask, Customer

#: Everyone who works with callbacks may read them.
READERS = ("agent", "advisor", "supervisor", "manager", "admin", "integration")
#: Who makes callbacks and records their outcome.
CALLERS = ("agent", "supervisor", "manager", "admin")
#: Who keeps the ledger (seed 000 5.1.1: the service centre's agents build it).
LEDGER_KEEPERS = ("agent", "supervisor", "manager", "admin", "integration")
#: Who may read another agent's task list.
TEAM_LEADS = ("supervisor", "manager", "admin")


def service():
    """Gives the scheduler service the app serves."""
    return current_app.extensions["huifang_service"]


def settings():
    """Gives the app's settings."""
    return current_app.config["HUIFANG_SETTINGS"]


def shows_phones() -> bool:
    """Gives True when the caller's role may see phone numbers unmasked."""
    return principal().role in SEES_PHONES


def with_customers(organization: str, tasks: list[CallbackTask]) -> list[dict]:
    """Gives the tasks as dicts, each with its customer's contact details (phones masked for roles that need not see them)."""
    contacts = _contacts(organization, [t.customer_id for t in tasks])
    return [{**t.__data__, "customer": contacts.get(t.customer_id)} for t in tasks]


def _contacts(organization: str, customer_ids) -> dict[str, dict]:
    shows = shows_phones()
    found = {}
    for chunk in chunks(sorted({c for c in customer_ids if c})):
        for c in Customer.select().where(Customer.organization == organization, Customer.customer_id.in_(chunk)):
            found[c.customer_id] = {
                "name": c.name, "segment": c.segment, "flagged_key": c.flagged_key,
                "phone": c.phone if shows else mask_phone(c.phone), "contact_person": c.contact_person,
                "site_contact": c.site_contact,
                "site_phone": c.site_phone if shows else mask_phone(c.site_phone),
            }
    return found
