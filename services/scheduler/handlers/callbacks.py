"""What an agent sees around one callback: what it is for, the customer's earlier callbacks and
complaints, and the customer's phone numbers, shown in full only on purpose and recorded.

`callback_subject` and `customer_history` are reads (the request's connection);
`reveal_phones` is a command (it records who looked, RULES 1.4).
"""
from __future__ import annotations

import logging

from shared.core.privacy import SEES_PHONES, mask_phone
from shared.mesh.service import UnitOfWork

from ..errors import PhonesNotShown
from ..models import CallbackTask, Customer, Delivery, PhoneReveal, ServiceOrder
from .outcomes import get_callback_or_raise
from shared.core.orgdata import organization_name
from services.scheduler.domain.questionnaire import fill_script

log = logging.getLogger(__name__)

#: The earlier callbacks of a customer shown beside a callback, newest first.
HISTORY_LIMIT = 20
#: Phone fields of a callback's page: (source, field).
PHONE_FIELDS = (("customer", "phone"), ("customer", "site_phone"), ("delivery", "phone"), ("delivery", "site_phone"))


def callback_subject(*, organization: str, task: CallbackTask) -> dict:
    """Gives what the callback is for: `delivery` (the ledger line) or `order` (the service order),
    as dicts (None when the task has none); phones masked."""
    delivery = order = None
    if task.delivery_id:
        delivery = Delivery.select().where(Delivery.organization == organization,
                                           Delivery.delivery_id == task.delivery_id).dicts().first()
        if delivery:
            delivery["phone"], delivery["site_phone"] = mask_phone(delivery["phone"]), mask_phone(delivery["site_phone"])
    if task.order_id:
        order = ServiceOrder.select().where(ServiceOrder.organization == organization,
                                            ServiceOrder.order_id == task.order_id).dicts().first()
    return {"delivery": delivery, "order": order}


def customer_history(*, organization: str, customer_id: str, exclude_id: str | None = None,
                     limit: int = HISTORY_LIMIT) -> dict:
    """Gives the customer's earlier callbacks (newest due first, at most `limit`) and the
    complaints the scheduler knows of: raised by a dissatisfied callback, or verified by one.

    Gives {"callbacks": [dict], "complaints": [{"complaint_id", "callback_id", "raised", "on"}]}.
    """
    fields_ = (CallbackTask.id, CallbackTask.kind, CallbackTask.due_on, CallbackTask.status, CallbackTask.record_no,
               CallbackTask.product_satisfaction, CallbackTask.service_satisfaction, CallbackTask.completed_at,
               CallbackTask.raised_complaint_id, CallbackTask.complaint_id, CallbackTask.delivery_id,
               CallbackTask.order_id)
    query = CallbackTask.select(*fields_).where(CallbackTask.organization == organization,
                                                CallbackTask.customer_id == customer_id)
    if exclude_id:
        query = query.where(CallbackTask.id != exclude_id)
    callbacks = list(query.order_by(CallbackTask.due_on.desc(), CallbackTask.id).limit(limit).dicts())
    linked = (CallbackTask.select(CallbackTask.id, CallbackTask.raised_complaint_id, CallbackTask.complaint_id,
                                  CallbackTask.completed_at, CallbackTask.due_on)
              .where(CallbackTask.organization == organization, CallbackTask.customer_id == customer_id,
                     CallbackTask.raised_complaint_id.is_null(False) | CallbackTask.complaint_id.is_null(False))
              .order_by(CallbackTask.due_on.desc()).limit(limit).dicts())
    complaints, seen = [], set()
    for row in linked:
        for complaint_id, raised in ((row["raised_complaint_id"], True), (row["complaint_id"], False)):
            if complaint_id and complaint_id not in seen:
                seen.add(complaint_id)
                complaints.append({"complaint_id": complaint_id, "callback_id": row["id"], "raised": raised,
                                   "on": row["completed_at"] if raised else row["due_on"]})
    return {"callbacks": callbacks, "complaints": complaints}


def reveal_phones(*, uow: UnitOfWork, organization: str, callback_id: str, login: str, role: str) -> dict:
    """Gives the full phone numbers of a callback's customer and delivery, and records the look
    (who, when, which callback) in `phone_reveal`.

    Gives {"customer": {"phone", "site_phone"}, "delivery": {...} or None, "revealed_at"}.

    Raises:
      PhonesNotShown: `role` may not see phone numbers (RULES 1.4).
      CallbackNotFound: no such callback in the organisation.
    """
    if role not in SEES_PHONES:
        raise PhonesNotShown(f"Role '{role}' may not see customers' phone numbers.")
    task = get_callback_or_raise(organization=organization, callback_id=callback_id)
    customer = Customer.select(Customer.phone, Customer.site_phone).where(
        Customer.organization == organization, Customer.customer_id == task.customer_id).dicts().first()
    delivery = None
    if task.delivery_id:
        delivery = Delivery.select(Delivery.phone, Delivery.site_phone).where(
            Delivery.organization == organization, Delivery.delivery_id == task.delivery_id).dicts().first()
    PhoneReveal.insert(organization=organization, callback_id=task.id, customer_id=task.customer_id, login=login,
                       role=role, revealed_at=uow.now).execute()
    log.info("%s (%s) of %s saw the phone numbers of callback %s", login, role, organization, task.id)
    return {"customer": customer or {"phone": None, "site_phone": None}, "delivery": delivery,
            "revealed_at": uow.now}


def callback_scripts(*, settings, organization: str, task: CallbackTask, questionnaire, agent_name: str | None,
                     customer_name: str | None) -> dict:
    """Gives the questionnaire's opening and closing scripts (开场话术, 结束语; seed 003 §六)
    filled in for this callback: the customer's name, the organisation's name (its
    organization.yaml, else its id), the agent's name and what the call is about (the delivery's
    project or the order), as {opening_zh, opening_en, closing_zh, closing_en}."""
    subject = callback_subject(organization=organization, task=task)
    delivery, order = subject["delivery"], subject["order"]
    if delivery:
        about_zh = about_en = delivery.get("project") or delivery.get("product_model") or delivery["delivery_id"]
    elif order:
        about_zh, about_en = f"工单 {order['order_id']}", f"order {order['order_id']}"
    else:
        about_zh, about_en = "您反映的问题", "your complaint"
    base = {"customer_name": customer_name or task.customer_id,
            "company": organization_name(settings, organization) or organization, "agent": agent_name or ""}
    return {f"{part}_{lang}": fill_script(getattr(questionnaire, f"{part}_{lang}"),
                                          {**base, "subject": about_zh if lang == "zh" else about_en})
            for part in ("opening", "closing") for lang in ("zh", "en")}
