"""The customer on a complaint: its columns, its CONTRACT object, and customer.updated."""
from __future__ import annotations

from shared.core.db import update_where
from shared.core.events import Event
from shared.core.privacy import phone_for
from shared.mesh.service import UnitOfWork

from ..models import Complaint
from ..rules import rules_for


def customer_columns(customer: dict, *, policy) -> dict:
    """Gives the complaint columns of a CONTRACT customer object (its class by the policy)."""
    segment = customer.get("segment") or "ordinary"
    return {
        "customer_id": customer["id"],
        "customer_name": customer["name"],
        "customer_segment": segment,
        "customer_class": policy.customer_class(segment),
        "customer_phone": customer.get("phone"),
        "contact_person": customer.get("contact_person"),
        "site_contact": customer.get("site_contact"),
        "site_phone": customer.get("site_phone"),
    }


def customer_of(row: Complaint, *, role: str | None = None) -> dict:
    """Gives the CONTRACT customer object of a complaint row: for a user of `role`, with the
    phone numbers as that role may see them (RULES 1.4, `shared.core.privacy`); without a role,
    whole, for the events between services."""
    phone, site_phone = row.customer_phone, row.site_phone
    if role is not None:
        phone, site_phone = phone_for(role, phone), phone_for(role, site_phone)
    return {"id": row.customer_id, "name": row.customer_name, "segment": row.customer_segment,
            "phone": phone, "contact_person": row.contact_person,
            "site_contact": row.site_contact, "site_phone": site_phone}


def update_customer(*, uow: UnitOfWork, organization: str, customer: dict) -> int:
    """Gives how many complaints now carry the customer's current name and contact data."""
    columns = customer_columns(customer, policy=rules_for(uow.settings, organization=organization).policy)
    columns.pop("customer_id")
    return update_where(Complaint, values=columns, where={"organization": organization,
                                                          "customer_id": customer["id"]})


def on_customer_updated(*, uow: UnitOfWork, event: Event) -> None:
    """Keeps the customer's current name and contact data on its complaints (customer.updated)."""
    update_customer(uow=uow, organization=event.organization, customer=event.data["customer"])
