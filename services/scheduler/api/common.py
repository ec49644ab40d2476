"""What the scheduler's routes share: who may do what, the service, customers' contacts.

Routes reach the service and the settings the app serves through `service()` and `settings()`
(shared/web/pages.py), as the pages do.
"""
from __future__ import annotations

from shared.web.apidocs import path_parameter
from shared.core.privacy import SEES_PHONES
from shared.web.api import organization_of_request, principal
from shared.web.branches import check_my_branch
from shared.web.pages import service, settings

from ..handlers.common import contacts_of
from ..handlers.outcomes import get_callback_or_raise
from ..models import CallbackTask

__all__ = ["AGENT_LOGIN", "CALLBACK_ID", "CALLERS", "CUSTOMER_ID", "LEDGER_KEEPERS", "READERS", "TEAM_LEADS", "service",
           "record_phones_read", "settings", "shows_phones", "visible_callback", "with_customers"]

#: Everyone who works with callbacks may read them.
READERS = ("agent", "advisor", "supervisor", "manager", "admin", "integration")
#: Who makes callbacks and records their outcome.
CALLERS = ("agent", "supervisor", "manager", "admin")
#: Who keeps the ledger (seed 000 5.1.1: the service centre's agents build it).
LEDGER_KEEPERS = ("agent", "supervisor", "manager", "admin", "integration")
#: Who may read another agent's task list.
TEAM_LEADS = ("supervisor", "manager", "admin")

#: Path parameters of the routes, documented with an example.
CALLBACK_ID = path_parameter("callback_id", "3f6c2a9e-8b1d-5c4e-9a7f-2d1e0b6c4a18",
                             "the callback task's id (GET /api/v1/callbacks lists them)")
AGENT_LOGIN = path_parameter("login", "li", "the agent's login (the user directory)")
CUSTOMER_ID = path_parameter("customer_id", "C-2002", "the customer's id, as the ERP sends it")


def visible_callback(organization: str, callback_id: str) -> CallbackTask:
    """Gives the callback task the caller may see: of their organisation, and of their branch when
    they manage one (shared/web/branches.py); 404 otherwise, for the routes and the pages alike."""
    task = get_callback_or_raise(organization=organization, callback_id=callback_id)
    check_my_branch(task.branch, f"callback {callback_id}")
    return task


def shows_phones() -> bool:
    """Gives True when the caller's role may see phone numbers unmasked."""
    return principal().role in SEES_PHONES


def record_phones_read(subject: str, records: int) -> None:
    """Records in the audit log (`phones.revealed`) that the caller read `records` records with full
    phone numbers (RULES 1.4): a JSON read shows them as the callback page's reveal does, and is
    recorded alike; a role that sees them masked, or an empty read, is not."""
    if records and shows_phones():
        with service().command() as uow:
            uow.audit(principal(), organization=organization_of_request(), action="phones.revealed",
                      subject=subject, detail={"records": records})


def with_customers(organization: str, tasks: list[CallbackTask]) -> list[dict]:
    """Gives the tasks as dicts, each with its customer's contact details (phones masked for roles that
    need not see them; full ones recorded in the audit log)."""
    contacts = contacts_of(organization, [t.customer_id for t in tasks], role=principal().role)
    record_phones_read(tasks[0].id if len(tasks) == 1 else "callbacks", len(tasks))
    return [{**t.__data__, "customer": contacts.get(t.customer_id)} for t in tasks]
