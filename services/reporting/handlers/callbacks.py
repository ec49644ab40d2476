"""callback.scheduled, callback.completed, callback.unreachable: the month's callbacks and outcomes.

Each is an upsert by callback id, so a completion that arrives before its scheduling leaves the
same row as the other way round.
"""
from __future__ import annotations

from shared.events import Event
from shared.service import UnitOfWork

from ..models import CANCELLED, DONE, OPEN, UNREACHABLE, Callback
from .customers import save_customer
from .rows import answer, by_key, to_date, utc


def on_callback_scheduled(*, uow: UnitOfWork, event: Event) -> None:
    data, org = event.data, event.organization
    callback = by_key(Callback, organization=org, callback_id=data["callback_id"])
    callback.kind, callback.due_on, callback.customer_id = data["kind"], data["due_on"], data["customer_id"]
    for name in ("delivery_id", "order_id", "complaint_id"):
        if data.get(name):
            setattr(callback, name, data[name])
    if data.get("overdue_on"):
        callback.overdue_on = to_date(data["overdue_on"])
    if isinstance(data.get("key_customer"), bool):
        callback.key_customer = data["key_customer"]
    wanted = data.get("status")
    if wanted == CANCELLED and callback.status in (None, OPEN):
        callback.status = CANCELLED
    elif callback.status is None:
        callback.status = OPEN
    save_customer(org, data.get("customer"))
    callback.save()


def on_callback_completed(*, uow: UnitOfWork, event: Event) -> None:
    data, org = event.data, event.organization
    customer = data["customer"]
    save_customer(org, customer)
    callback = by_key(Callback, organization=org, callback_id=data["callback_id"])
    callback.kind, callback.due_on, callback.customer_id = data["kind"], data["due_on"], customer["id"]
    callback.key_customer = bool(data.get("key_customer"))
    callback.reached = bool(data["reached"])
    callback.product_satisfaction = answer(data.get("product_satisfaction"))
    callback.service_satisfaction = answer(data.get("service_satisfaction"))
    callback.suggestions = (data.get("suggestions") or "").strip() or None
    callback.dissatisfied_reason = (data.get("dissatisfied_reason") or "").strip() or None
    callback.complaint_id = data.get("complaint_id") or callback.complaint_id
    callback.recorded_at = utc(data.get("recorded_at") or event.time or uow.now, uow.settings.tz)
    if callback.status != CANCELLED:
        # An attempt that did not reach the customer leaves the task open for the next try.
        callback.status = DONE if callback.reached else (callback.status or OPEN)
    callback.save()


def on_callback_unreachable(*, uow: UnitOfWork, event: Event) -> None:
    data, org = event.data, event.organization
    callback = by_key(Callback, organization=org, callback_id=data["callback_id"])
    callback.customer_id = data["customer_id"]
    if data.get("kind"):
        callback.kind = data["kind"]
    if data.get("due_on"):
        callback.due_on = to_date(data["due_on"])
    callback.reached = False
    if callback.status != CANCELLED:
        callback.status = UNREACHABLE
    callback.save()
