"""What the scheduler's routes share: who may do what, the service, customers' contacts.

Routes reach the service and the settings the app serves through `service()` and `settings()`
(shared/web/pages.py), as the pages do.
"""
from __future__ import annotations

from shared.web.apidocs import path_parameter
from shared.core.privacy import SEES_PHONES
from shared.web.api import principal
from shared.web.pages import service, settings

from ..handlers.common import contacts_of
from ..models import CallbackTask

__all__ = ["AGENT_LOGIN", "CALLBACK_ID", "CALLERS", "CUSTOMER_ID", "LEDGER_KEEPERS", "READERS", "TEAM_LEADS", "service",
           "settings", "shows_phones", "with_customers"]

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


def shows_phones() -> bool:
    """Gives True when the caller's role may see phone numbers unmasked."""
    return principal().role in SEES_PHONES


def with_customers(organization: str, tasks: list[CallbackTask]) -> list[dict]:
    """Gives the tasks as dicts, each with its customer's contact details (phones masked for roles that need not see them)."""
    contacts = contacts_of(organization, [t.customer_id for t in tasks], role=principal().role)
    return [{**t.__data__, "customer": contacts.get(t.customer_id)} for t in tasks]
