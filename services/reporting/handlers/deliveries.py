"""service_order.completed, delivery.shipped, equipment.commissioned, delivery.cancelled.

A customer is served (RULES 3) on the day an order of theirs was completed or a delivery of
theirs shipped or commissioned: one `ServedDay` row per order or delivery milestone. A
commissioning may arrive before its shipment; the delivery row keeps both dates.
"""
from __future__ import annotations

from datetime import date

from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from ..models import (CANCELLED, OPEN, SERVED_COMMISSIONED, SERVED_ORDER, SERVED_SHIPPED, Callback, Delivery,
                      ServedDay)
from ..rules import report_policy
from .callbacks import key_customer_now
from .customers import save_customer
from .rows import by_key, local_date


def _serve(organization: str, kind: str, source_id: str, customer_id: str | None, served_on: date | None,
           key_customer: bool | None = None, branch: str | None = None) -> None:
    if not customer_id or served_on is None:
        return
    served = by_key(ServedDay, organization=organization, source_kind=kind, source_id=source_id)
    served.customer_id, served.served_on = customer_id, served_on
    if branch is not None:  # the report per branch
        served.branch = branch
    if served.key_customer is None:
        served.key_customer = key_customer
    served.save()


def on_service_order_completed(*, uow: UnitOfWork, event: Event) -> None:
    """A customer served; the order counts as a key customer's or an ordinary one's as it was at
    its completion (RULES 1.2: key segment, key order kind, or flagged after a complaint)."""
    data, org = event.data, event.organization
    save_customer(org, data["customer"])
    key = (key_customer_now(uow, org, data["customer"]["id"])
           or data.get("kind") in report_policy(uow.settings, org).key_order_kinds)
    _serve(org, SERVED_ORDER, data["order_id"], data["customer"]["id"],
           local_date(data["completed_at"], uow.settings.tz), key_customer=key, branch=data.get("branch"))
    if data.get("advisor_id"):  # figures per service advisor
        ServedDay.update(advisor_id=data["advisor_id"]).where(
            ServedDay.organization == org, ServedDay.source_kind == SERVED_ORDER,
            ServedDay.source_id == data["order_id"]).execute()


def on_delivery_shipped(*, uow: UnitOfWork, event: Event) -> None:
    data, org = event.data, event.organization
    save_customer(org, data["customer"])
    delivery = by_key(Delivery, organization=org, delivery_id=data["delivery_id"])
    delivery.customer_id, delivery.shipped_on = data["customer"]["id"], data["shipped_on"]
    delivery.save()
    branch = data.get("branch")
    _serve(org, SERVED_SHIPPED, delivery.delivery_id, delivery.customer_id, delivery.shipped_on, branch=branch)
    _serve(org, SERVED_COMMISSIONED, delivery.delivery_id, delivery.customer_id, delivery.commissioned_on,
           branch=branch)


def on_equipment_commissioned(*, uow: UnitOfWork, event: Event) -> None:
    data, org = event.data, event.organization
    delivery = by_key(Delivery, organization=org, delivery_id=data["delivery_id"])
    delivery.commissioned_on = data["commissioned_on"]
    delivery.save()
    # the delivery's branch came with its shipment
    branch = (ServedDay.select(ServedDay.branch).where(
        ServedDay.organization == org, ServedDay.source_kind == SERVED_SHIPPED,
        ServedDay.source_id == delivery.delivery_id).scalar())
    _serve(org, SERVED_COMMISSIONED, delivery.delivery_id, delivery.customer_id, delivery.commissioned_on,
           branch=branch)


def on_delivery_cancelled(*, uow: UnitOfWork, event: Event) -> None:
    """Cancels the open callbacks of a cancelled delivery: they count nowhere (RULES 3)."""
    (Callback.update(status=CANCELLED)
     .where(Callback.organization == event.organization, Callback.delivery_id == event.data["delivery_id"],
            Callback.status == OPEN).execute())
