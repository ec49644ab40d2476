"""Customers as the ERP and the complaints service describe them (customer.updated, customer.flagged),
and their special mark (特殊标记, RULES 2): set with its remark after a resolved complaint, lifted
by a manager with a reason; both kept in the mark's history (`customer_flag`)."""
from __future__ import annotations

from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from ..errors import CustomerNotFound, FlagNotSet
from ..models import FLAG_LIFTED, FLAG_SET, Customer, CustomerFlag
from .common import parse_datetime, upsert_customers
from .outcomes import is_contact_fix, reopen_wrong_numbers


def on_customer_updated(*, uow: UnitOfWork, event: Event) -> None:
    """Stores the customer as the event describes them; a changed phone or contact person opens
    again their callbacks waiting for corrected contact data (`wrong_number`)."""
    data = event.data["customer"]
    before = Customer.get_or_none(Customer.organization == event.organization, Customer.customer_id == data["id"])
    upsert_customers(organization=event.organization, customers=[data])
    if before is not None and is_contact_fix({"phone": before.phone, "contact_person": before.contact_person},
                                             {"phone": data.get("phone"), "contact_person": data.get("contact_person")}):
        reopen_wrong_numbers(uow=uow, organization=event.organization, customer_ids=[data["id"]])


def on_customer_flagged(*, uow: UnitOfWork, event: Event) -> None:
    """Marks a key customer from then on (RULES 2): their future orders are all called back. The
    mark carries its special remark (特别备注), who set it and when, and goes into its history."""
    org, data = event.organization, event.data
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {"id": data["customer_id"]}
    if not Customer.select().where(Customer.organization == org, Customer.customer_id == data["customer_id"]).exists():
        upsert_customers(organization=org, customers=[{**customer, "id": data["customer_id"]}])
    at = parse_datetime(data.get("flagged_at")) or uow.now
    remark, actor, complaint_id = data.get("remark"), data.get("flagged_by"), data.get("complaint_id")
    Customer.update(flagged_key=True, flagged_at=at, flag_remark=remark, flagged_by=actor,
                    flag_complaint_id=complaint_id).where(
        Customer.organization == org, Customer.customer_id == data["customer_id"]).execute()
    CustomerFlag.insert(organization=org, customer_id=data["customer_id"], action=FLAG_SET, remark=remark,
                        actor=actor, complaint_id=complaint_id, at=at).execute()


def lift_flag(*, uow: UnitOfWork, organization: str, customer_id: str, actor: str, reason: str) -> Customer:
    """Gives the customer after a manager lifted their special mark, with the reason (kept in the
    mark's history); their future orders are sampled like an ordinary customer's again, past
    callbacks keep the class they were planned with. Emits `customer.unflagged`.

    Raises:
      CustomerNotFound: no such customer in the organisation.
      FlagNotSet: the customer carries no mark.
    """
    customer = Customer.get_or_none(Customer.organization == organization, Customer.customer_id == customer_id)
    if customer is None:
        raise CustomerNotFound(f"No customer {customer_id} in organisation {organization}.")
    if not customer.flagged_key:
        raise FlagNotSet(f"Customer {customer_id} carries no special mark to lift.")
    customer.flagged_key = False
    customer.save()
    CustomerFlag.insert(organization=organization, customer_id=customer_id, action=FLAG_LIFTED, remark=reason,
                        actor=actor, complaint_id=customer.flag_complaint_id, at=uow.now).execute()
    uow.emit("customer.unflagged", {"customer_id": customer_id, "lifted_by": actor, "reason": reason,
                                    "lifted_at": uow.now.isoformat()}, organization=organization)
    return customer


def flag_history(*, organization: str, customer_id: str) -> list[CustomerFlag]:
    """Gives the steps of a customer's special mark in the order they were recorded: each set
    (remark, by whom, when) and each lift (reason, by whom, when)."""
    return list(CustomerFlag.select().where(CustomerFlag.organization == organization,
                                            CustomerFlag.customer_id == customer_id)
                .order_by(CustomerFlag.id))
