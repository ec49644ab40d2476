"""Open callback tasks planned again with the organisation's current calendar (RULES 1.6): each from
what it was planned from, so the dates are those a fresh planning would give."""
from __future__ import annotations

from shared.mesh.service import UnitOfWork

from ..errors import SchedulerDomainError
from ..domain.planned import plan_on
from ..domain.service import plan_service_callbacks
from ..models import CallbackTask, Delivery, ServiceOrder
from ..rules import OrgRules
from .common import chunks
from .deliveries import plan_deliveries
from .tasks import Moved, Wanted, sync_tasks


def replan_tasks(*, uow: UnitOfWork, organization: str, tasks: list[CallbackTask], rules: OrgRules) -> list[Moved]:
    """Gives the tasks moved after planning `tasks` (open ones) again: a delivery's from its
    shipment, installation and commissioning; an order's from its completion (only the callbacks
    it has: a sample is never drawn again); any other from its nominal day."""
    moved: list[Moved] = []
    delivery_ids = sorted({t.delivery_id for t in tasks if t.plan_key.startswith("delivery:")})
    for chunk in chunks(delivery_ids):
        deliveries = list(Delivery.select().where(Delivery.organization == organization,
                                                  Delivery.delivery_id.in_(chunk)))
        moved += plan_deliveries(uow=uow, organization=organization, deliveries=deliveries, rules=rules)
    order_tasks = [t for t in tasks if t.plan_key.startswith("order:")]
    orders = {o.order_id: o for chunk in chunks(sorted({t.order_id for t in order_tasks}))
              for o in ServiceOrder.select().where(ServiceOrder.organization == organization,
                                                   ServiceOrder.order_id.in_(chunk))}
    wanted = []
    for task in tasks:
        if task.plan_key.startswith("delivery:"):
            continue
        planned = plan_on(task.kind, task.nominal_on, calendar=rules.calendar)
        order = orders.get(task.order_id) if task.plan_key.startswith("order:") else None
        if order is not None:
            try:
                planned = next((p for p in plan_service_callbacks(
                    business_line=order.business_line, kind=order.kind, completed_on=order.completed_on,
                    key=order.key_customer, policy=rules.policy, calendar=rules.calendar) if p.kind == task.kind),
                    planned)
            except SchedulerDomainError:
                pass  # the policy no longer plans this order: it keeps its nominal day
            if planned.immediate:
                continue  # due the day it could first be called (an emergency repair): no calendar moves it
        wanted.append(Wanted(plan_key=task.plan_key, planned=planned, customer_id=task.customer_id,
                             business_line=task.business_line, channel=task.channel, key_customer=task.key_customer,
                             delivery_id=task.delivery_id, order_id=task.order_id, complaint_id=task.complaint_id))
    return moved + sync_tasks(uow=uow, organization=organization, wanted=wanted, rules=rules)
