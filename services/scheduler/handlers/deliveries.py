"""RULES 1.1: equipment deliveries (设备回访): shipped, installed, commissioned, cancelled."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Iterable

import peewee

from shared.core.db import bulk_update, is_postgres
from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from ..domain.equipment import channel_for, plan_equipment_callbacks, warranty_end_on
from ..errors import SchedulerDomainError
from ..domain.service import is_key_customer
from ..models import OPEN, CallbackTask, Customer, Delivery
from ..rules import OrgRules, rules_for
from .common import chunks, customer_facts, upsert_customers
from .tasks import Moved, Wanted, cancel_open, sync_tasks

log = logging.getLogger(__name__)

#: Business line of equipment deliveries (CONTRACT.md default of delivery.shipped).
EQUIPMENT = "equipment"


def on_delivery_shipped(*, uow: UnitOfWork, event: Event) -> None:
    """Stores the delivery and its customer, and plans the delivery's callbacks."""
    data, org = event.data, event.organization
    rules = rules_for(uow.settings, org)
    customer = data["customer"]
    upsert_customers(organization=org, customers=[customer])
    delivery = _lock_delivery(
        org, data["delivery_id"], uow.now, customer_id=customer["id"], shipped_on=data["shipped_on"],
        business_line=data.get("business_line") or EQUIPMENT, project=data.get("project"),
        product_model=data.get("product_model"), quantity=data.get("quantity"),
        contract_amount=data.get("contract_amount"), contact_person=customer.get("contact_person"),
        phone=customer.get("phone"), site_contact=customer.get("site_contact"), site_phone=customer.get("site_phone"),
        branch=data.get("branch"))
    _update_contract_total(uow=uow, organization=org, customer_id=customer["id"], rules=rules)
    plan_deliveries(uow=uow, organization=org, deliveries=[delivery], rules=rules)


def on_equipment_installed(*, uow: UnitOfWork, event: Event) -> None:
    """Moves the installation callback to the day the equipment was installed."""
    org = event.organization
    delivery = _lock_delivery(org, event.data["delivery_id"], uow.now, installed_on=event.data["installed_on"])
    plan_deliveries(uow=uow, organization=org, deliveries=[delivery], rules=rules_for(uow.settings, org))


def on_equipment_commissioned(*, uow: UnitOfWork, event: Event) -> None:
    """Plans callbacks 2-5; a corrected date moves every callback not yet done."""
    org = event.organization
    delivery = _lock_delivery(org, event.data["delivery_id"], uow.now,
                              commissioned_on=event.data["commissioned_on"])
    plan_deliveries(uow=uow, organization=org, deliveries=[delivery], rules=rules_for(uow.settings, org))


def on_delivery_cancelled(*, uow: UnitOfWork, event: Event) -> None:
    """Cancels the delivery's open callbacks; its customer's contract total drops."""
    org = event.organization
    delivery = _lock_delivery(org, event.data["delivery_id"], uow.now, cancelled=True)
    n = cancel_open(uow=uow, organization=org, where=CallbackTask.delivery_id == delivery.delivery_id)
    if delivery.customer_id:
        _update_contract_total(uow=uow, organization=org, customer_id=delivery.customer_id,
                               rules=rules_for(uow.settings, org))
    log.info("delivery %s cancelled: %d open callbacks cancelled", delivery.delivery_id, n)


def plan_deliveries(*, uow: UnitOfWork, organization: str, deliveries: list, rules: OrgRules) -> list[Moved]:
    """Gives the open tasks moved after bringing the callback tasks of `deliveries` (rows or
    namedtuples of them) in line with their dates."""
    policy, calendar = rules.policy, rules.calendar
    customers = customer_facts(organization, [d.customer_id for d in deliveries if d.customer_id])
    wanted, warranty_updates = [], []
    for delivery in deliveries:
        if delivery.cancelled or delivery.shipped_on is None:
            continue
        try:
            planned = plan_equipment_callbacks(shipped_on=delivery.shipped_on, installed_on=delivery.installed_on,
                                               commissioned_on=delivery.commissioned_on, policy=policy,
                                               calendar=calendar)
        except SchedulerDomainError as exc:
            log.warning("delivery %s of %s not planned: %s", delivery.delivery_id, organization, exc)
            continue
        warranty_end = warranty_end_on(shipped_on=delivery.shipped_on, commissioned_on=delivery.commissioned_on,
                                       policy=policy)
        if delivery.warranty_end_on != warranty_end:
            warranty_updates.append((warranty_end, delivery.id))
        customer = customers.get(delivery.customer_id)
        total = customer.total_contract_amount if customer else (delivery.contract_amount or 0)
        key = is_key_customer(customer.segment if customer else None, None,
                              bool(customer and customer.flagged_key), policy)
        for p in planned:
            wanted.append(Wanted(plan_key=f"delivery:{delivery.delivery_id}:{p.kind}", planned=p,
                                 customer_id=delivery.customer_id, business_line=delivery.business_line,
                                 channel=channel_for(total, policy), key_customer=key,
                                 delivery_id=delivery.delivery_id,
                                 branch=getattr(delivery, "branch", None)))  # a ledger import's facts have none
    bulk_update(Delivery, set_fields=("warranty_end_on",), rows=warranty_updates)
    return sync_tasks(uow=uow, organization=organization, wanted=wanted, rules=rules)


def recompute_contract_totals(*, organization: str, customer_ids: Iterable[str]) -> None:
    """Sets each customer's contract total to the sum of their deliveries not cancelled (in SQL)."""
    total = (Delivery.select(peewee.fn.COALESCE(peewee.fn.SUM(Delivery.contract_amount), 0))
             .where(Delivery.organization == Customer.organization, Delivery.customer_id == Customer.customer_id,
                    Delivery.cancelled == False))  # noqa: E712
    for chunk in chunks(sorted(set(customer_ids))):
        Customer.update(total_contract_amount=total).where(Customer.organization == organization,
                                                           Customer.customer_id.in_(chunk)).execute()


def _update_contract_total(*, uow: UnitOfWork, organization: str, customer_id: str, rules: OrgRules) -> None:
    """Recomputes the customer's contract total; reaching the on-site threshold turns their open
    equipment callbacks into visits, dropping below it back into calls (RULES 1.1)."""
    recompute_contract_totals(organization=organization, customer_ids=[customer_id])
    total = Customer.select(Customer.total_contract_amount).where(
        Customer.organization == organization, Customer.customer_id == customer_id).scalar() or 0
    channel = channel_for(total, rules.policy)
    CallbackTask.update(channel=channel, updated_at=uow.now).where(
        CallbackTask.organization == organization, CallbackTask.customer_id == customer_id,
        CallbackTask.delivery_id.is_null(False), CallbackTask.status == OPEN,
        CallbackTask.channel != channel).execute()


def _lock_delivery(organization: str, delivery_id: str, now: datetime, **values) -> Delivery:
    """Gives the delivery row after writing `values`, creating it if needed; the row stays locked
    (PostgreSQL) until the transaction ends, so events of one delivery apply one after the other."""
    insert = {"organization": organization, "delivery_id": delivery_id, "updated_at": now, **values}
    update = {getattr(Delivery, k): v for k, v in insert.items() if k not in ("organization", "delivery_id")}
    (Delivery.insert(insert)
     .on_conflict(conflict_target=[Delivery.organization, Delivery.delivery_id], update=update)
     .execute())
    query = Delivery.select().where(Delivery.organization == organization, Delivery.delivery_id == delivery_id)
    if is_postgres(Delivery._meta.database):
        query = query.for_update()
    return query.get()
