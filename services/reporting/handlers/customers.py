"""customer.updated and customer.flagged: the customers the report names and counts as key."""
from __future__ import annotations

from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from shared.core.db import bulk_insert

from ..models import Customer


def save_customer(organization: str, customer: dict | None) -> None:
    """Stores what an event says of a customer (name, phone, segment), keeping what it leaves out."""
    if not customer or not customer.get("id"):
        return
    said = {name: customer[name] for name in ("name", "phone", "segment") if customer.get(name)}
    # one statement: insert the customer, or update only what the event says of it
    row = {"organization": organization, "customer_id": customer["id"], **said}
    if said:
        bulk_insert(Customer, [row], conflict_target=("organization", "customer_id"), preserve=tuple(said))
    else:
        bulk_insert(Customer, [row], ignore_conflicts=True)


def on_customer_updated(*, uow: UnitOfWork, event: Event) -> None:
    save_customer(event.organization, event.data["customer"])


def _set_flag(organization: str, customer_id: str, flagged: bool) -> None:
    # one statement writing only the flag: a customer.updated at the same moment keeps its name
    bulk_insert(Customer, [{"organization": organization, "customer_id": customer_id, "flagged": flagged}],
                conflict_target=("organization", "customer_id"), preserve=("flagged",))


def on_customer_flagged(*, uow: UnitOfWork, event: Event) -> None:
    """Marks the customer flagged after a complaint (特殊标记): a key customer from then on."""
    _set_flag(event.organization, event.data["customer_id"], True)


def on_customer_unflagged(*, uow: UnitOfWork, event: Event) -> None:
    """Lifts the customer's special mark: their callbacks planned from now on are ordinary ones
    (those planned before keep the class they were planned with)."""
    _set_flag(event.organization, event.data["customer_id"], False)
