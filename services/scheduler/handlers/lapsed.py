"""Customers who stopped coming (seed 000 part 5: 回访调查流失原因): the list of a business line's
customers not served for the policy's months (data/lapsed.yaml), and the "why not back" callbacks a
supervisor plans from it (kind `lapsed`, questionnaire lapsed.yaml). The churn reason they bring
back goes out with `callback.completed` (its `answers`); the month's report counts it with the
complaints' churn reasons."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import peewee

from shared.mesh.service import UnitOfWork

from ..domain.lapsed import LAPSED_KIND, lapse_key, months_before
from ..domain.planned import plan_on
from ..errors import NotLapsed, SchedulerDomainError
from ..models import CallbackTask, Customer, Delivery, ServiceOrder
from ..rules import lapsed_policy, rules_for
from .common import chunks, today
from .tasks import Wanted, sync_tasks, task_id

#: Who lists lapsed customers and plans their callbacks (seed 000 part 5: the service centre plans the calls).
LAPSED_PLANNERS = ("supervisor", "manager", "admin")


@dataclass(frozen=True)
class LapsedCustomer:
    customer_id: str
    name: str | None
    segment: str | None
    business_line: str
    last_served_on: date
    #: The "why not back" callback of this lapse, once planned (its id and status).
    callback_id: str | None = None
    callback_status: str | None = None
    assigned_to: str | None = None


def _months(settings, organization: str, business_line: str, months: int | None) -> int:
    """Gives the months asked for, else the policy's for the line. Raises SchedulerDomainError (422)."""
    if months is not None:
        return months
    found = lapsed_policy(settings, organization).months_for(business_line)
    if found is None:
        raise SchedulerDomainError(f"The lapsed-customer policy names no months for {business_line!r}; "
                                   "give `months`.", field="business_line")
    return found


def _last_served(organization: str, business_line: str) -> dict[str, date]:
    """Gives each customer's last day served in the line: an order completed, or (equipment) a
    delivery shipped or commissioned (RULES 3 "served")."""
    if business_line == "equipment":
        last: dict[str, date] = {}
        rows = (Delivery.select(Delivery.customer_id, peewee.fn.MAX(Delivery.shipped_on),
                                peewee.fn.MAX(Delivery.commissioned_on))
                .where(Delivery.organization == organization, Delivery.business_line == business_line,
                       Delivery.cancelled == False, Delivery.customer_id.is_null(False))  # noqa: E712
                .group_by(Delivery.customer_id).tuples())
        for customer_id, shipped, commissioned in rows:
            days = [d for d in (shipped, commissioned) if d is not None]
            if days:
                last[customer_id] = max(days)
        return last
    return dict(ServiceOrder.select(ServiceOrder.customer_id, peewee.fn.MAX(ServiceOrder.completed_on))
                .where(ServiceOrder.organization == organization, ServiceOrder.business_line == business_line)
                .group_by(ServiceOrder.customer_id).tuples())


def lapsed_customers(*, settings, organization: str, business_line: str, on: date, months: int | None = None,
                     limit: int = 200) -> tuple[int, list[LapsedCustomer]]:
    """Gives the months used and the line's customers whose last service is at least that many months
    before `on` (the longest gone first, at most `limit`), each with its "why not back" callback once
    planned. Customers who decline callbacks (谢绝回访) get no survey, so are not listed."""
    months = _months(settings, organization, business_line, months)
    cutoff = months_before(on, months)
    gone = {cid: day for cid, day in _last_served(organization, business_line).items() if day <= cutoff}
    customers, tasks = {}, {}
    for chunk in chunks(sorted(gone)):
        customers.update((c.customer_id, c) for c in Customer.select().where(
            Customer.organization == organization, Customer.customer_id.in_(chunk)))
        keys = [lapse_key(cid, business_line, gone[cid]) for cid in chunk]
        tasks.update((t.plan_key, t) for t in CallbackTask.select().where(
            CallbackTask.organization == organization, CallbackTask.plan_key.in_(keys)))
    rows = []
    for cid, day in sorted(gone.items(), key=lambda kv: (kv[1], kv[0])):
        customer = customers.get(cid)
        if customer is not None and customer.opted_out_at is not None:
            continue
        task = tasks.get(lapse_key(cid, business_line, day))
        rows.append(LapsedCustomer(cid, customer.name if customer else None, customer.segment if customer else None,
                                   business_line, day, task.id if task else None, task.status if task else None,
                                   task.assigned_to if task else None))
    return months, rows[:limit]


def plan_lapsed(*, uow: UnitOfWork, organization: str, business_line: str, customer_ids: list[str],
                months: int | None = None, actor=None) -> list[CallbackTask]:
    """Gives the "why not back" callbacks (kind `lapsed`) of the customers, planned now when missing:
    one per lapse (a customer planned twice for the same last service keeps their one callback), due the
    policy's working days from today, given to the line's agent with the fewest open callbacks; each
    announced as `callback.scheduled` and recorded in the audit log (`lapsed.planned`).

    Raises:
      SchedulerDomainError (422: no months for the line); NotLapsed (409: a customer served within the
      months, unknown in the line, or declining callbacks).
    """
    on = today(uow)
    months = _months(uow.settings, organization, business_line, months)
    cutoff = months_before(on, months)
    last = _last_served(organization, business_line)
    opted_out = {c.customer_id for c in Customer.select(Customer.customer_id).where(
        Customer.organization == organization, Customer.customer_id.in_(customer_ids),
        Customer.opted_out_at.is_null(False))}
    for cid in customer_ids:
        if cid in opted_out:
            raise NotLapsed(f"Customer {cid} declines callbacks (谢绝回访): no survey callback is planned.",
                            field="customer_ids")
        if cid not in last or last[cid] > cutoff:
            raise NotLapsed(f"Customer {cid} is not lapsed in {business_line}: served within {months} months "
                            "or never.", field="customer_ids")
    rules = rules_for(uow.settings, organization)
    policy = lapsed_policy(uow.settings, organization)
    due_on = rules.calendar.add_working_days(on, policy.due_in_working_days)
    keys = {cid: lapse_key(cid, business_line, last[cid]) for cid in customer_ids}
    customers = {c.customer_id: c for c in Customer.select().where(Customer.organization == organization,
                                                                   Customer.customer_id.in_(customer_ids))}
    planned = {t.plan_key for t in CallbackTask.select(CallbackTask.plan_key).where(
        CallbackTask.organization == organization, CallbackTask.plan_key.in_(list(keys.values())))}
    new = [cid for cid in dict.fromkeys(customer_ids) if keys[cid] not in planned]  # planned once: left as it is
    sync_tasks(uow=uow, organization=organization, rules=rules, wanted=[Wanted(
        plan_key=keys[cid], planned=plan_on(LAPSED_KIND, due_on, calendar=rules.calendar, due_on=due_on),
        customer_id=cid, business_line=business_line, channel="phone",
        key_customer=bool(customers.get(cid) and customers[cid].flagged_key)) for cid in new])
    ids = [task_id(organization, keys[cid]) for cid in dict.fromkeys(customer_ids)]
    tasks = {t.id: t for t in CallbackTask.select().where(CallbackTask.organization == organization,
                                                          CallbackTask.id.in_(ids))}
    if actor is not None:
        uow.audit(actor, organization=organization, action="lapsed.planned", subject=business_line,
                  detail={"customers": list(customer_ids), "callbacks": ids, "months": months})
    return [tasks[i] for i in ids if i in tasks]
