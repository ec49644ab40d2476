"""Periodic work of the scheduler (called by actors.py): closing due monthly batches, periodic callbacks.

Handlers of the same form as the others: `job(*, uow)`, run by the entry point with
`SERVICE.run(job)`.
"""
from __future__ import annotations

import logging
from datetime import date

import peewee

from shared.service import UnitOfWork

from .domain.equipment import CHANNEL_PHONE
from .domain.service import ExistingCustomer, batch_cutoff_on, is_key_customer, plan_periodic_callbacks
from .handlers.common import as_date, customers_by_id, today
from .handlers.service_orders import top_up_batch
from .handlers.tasks import Wanted, sync_tasks
from .models import CANCELLED, Batch, CallbackTask, SamplingDecision, ServiceOrder
from .rules import rules_for

log = logging.getLogger(__name__)


def close_due_batches(*, uow: UnitOfWork) -> list[tuple[str, str, str]]:
    """Gives the (organization, pool, period) batches closed now: their cut-off day has come.

    Each is topped up to its volume tier (RULES 1.3); orders arriving later top it up again.
    """
    closed = Batch.select(Batch.id).where(Batch.organization == SamplingDecision.organization,
                                          Batch.policy_key == SamplingDecision.policy_key,
                                          Batch.pool == SamplingDecision.pool, Batch.period == SamplingDecision.period)
    open_batches = (SamplingDecision.select(SamplingDecision.organization, SamplingDecision.policy_key,
                                            SamplingDecision.pool, SamplingDecision.period)
                    .where(SamplingDecision.pool.endswith(":batch"), ~peewee.fn.EXISTS(closed))
                    .distinct().tuples())
    done = []
    for organization, policy_key, pool, period in list(open_batches):
        rules = rules_for(uow.settings, organization)
        if rules.policy.sampling_key != policy_key:
            continue  # decided under an earlier policy version; left as it was
        cutoff = batch_cutoff_on(period, rules.policy)
        if today(uow) < cutoff:
            continue
        top_up_batch(uow=uow, organization=organization, pool=pool, period=period, rules=rules)
        Batch.insert(organization=organization, policy_key=policy_key, pool=pool, period=period,
                     due_on=rules.calendar.roll_forward(cutoff), closed_at=uow.now).on_conflict_ignore().execute()
        done.append((organization, pool, period))
    return done


def plan_existing_customer_callbacks(*, uow: UnitOfWork) -> dict[str, int]:
    """Gives, per organisation, how many periodic callbacks were planned now (RULES 1.4).

    For every business line whose policy has `existing_customers` (retail: once a quarter,
    key customers monthly): a customer whose last callback of the line (or last order, if
    never called) is a period old gets a `periodic` callback due today. Planned once a day at
    most: the new task is their last callback from then on.
    """
    planned: dict[str, int] = {}
    organizations = [org for (org,) in ServiceOrder.select(ServiceOrder.organization).distinct().tuples()]
    for organization in organizations:
        rules = rules_for(uow.settings, organization)
        on = today(uow)
        for line, line_policy in rules.policy.business_lines.items():
            rule = line_policy.existing_customers
            if rule is None:
                continue
            last: dict[str, date] = dict(
                ServiceOrder.select(ServiceOrder.customer_id, peewee.fn.MAX(ServiceOrder.completed_on))
                .where(ServiceOrder.organization == organization, ServiceOrder.business_line == line)
                .group_by(ServiceOrder.customer_id).tuples())
            called = (CallbackTask.select(CallbackTask.customer_id, peewee.fn.MAX(CallbackTask.due_on))
                      .where(CallbackTask.organization == organization, CallbackTask.business_line == line,
                             CallbackTask.status != CANCELLED)
                      .group_by(CallbackTask.customer_id).tuples())
            for customer_id, due_on in called:
                if customer_id in last:
                    last[customer_id] = max(last[customer_id], as_date(due_on))
            customers = customers_by_id(organization, last)
            candidates = [ExistingCustomer(customer_id=cid, last_contact_on=as_date(last_on), key=bool(
                cid in customers and is_key_customer(customers[cid].segment, None, customers[cid].flagged_key,
                                                     rules.policy)))
                          for cid, last_on in last.items()]
            key_of = {c.customer_id: c.key for c in candidates}
            due = plan_periodic_callbacks(candidates, today=on, rule=rule, calendar=rules.calendar)
            sync_tasks(uow=uow, organization=organization, rules=rules, wanted=[
                Wanted(plan_key=f"customer:{cid}:{line}:{p.kind}:{p.due_on.isoformat()}", planned=p, customer_id=cid,
                       business_line=line, channel=CHANNEL_PHONE, key_customer=key_of[cid]) for cid, p in due])
            if due:
                planned[organization] = planned.get(organization, 0) + len(due)
                log.info("%d periodic %s callbacks planned for %s", len(due), line, organization)
    return planned
