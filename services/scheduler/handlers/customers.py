"""Customers as the ERP and the complaints service describe them (customer.updated, customer.flagged)."""
from __future__ import annotations

from shared.events import Event
from shared.service import UnitOfWork

from ..models import Customer
from .common import upsert_customers


def on_customer_updated(*, uow: UnitOfWork, event: Event) -> None:
    """Stores the customer as the event describes them."""
    upsert_customers(organization=event.organization, customers=[event.data["customer"]])


def on_customer_flagged(*, uow: UnitOfWork, event: Event) -> None:
    """Marks a key customer from then on (RULES 2): their future orders are all called back."""
    org, data = event.organization, event.data
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {"id": data["customer_id"]}
    if not Customer.select().where(Customer.organization == org, Customer.customer_id == data["customer_id"]).exists():
        upsert_customers(organization=org, customers=[{**customer, "id": data["customer_id"]}])
    Customer.update(flagged_key=True, flagged_at=uow.now).where(
        Customer.organization == org, Customer.customer_id == data["customer_id"]).execute()
