"""RULES 1.2-1.5: callbacks after a completed service order: who is sampled, monthly batches."""
from __future__ import annotations

import logging

import peewee

from shared.core.db import advisory_lock
from shared.core.events import Event
from shared.mesh.service import UnitOfWork

from ..domain.calls import plan_immediate
from ..domain.equipment import CHANNEL_ONSITE, CHANNEL_PHONE
from ..errors import SchedulerDomainError
from ..domain.policy import Policy
from ..domain.sampling import decide_sample, onsite_count, sample_score, sampling_period, target_count, top_up
from ..domain.service import is_batched, is_key_customer, plan_service_callbacks, sample_rate_for
from ..models import CANCELLED, OPEN, Batch, CallbackTask, SamplingDecision, ServiceOrder
from ..rules import OrgRules, rules_for
from .common import chunks, customers_by_id, local_date, upsert_customers
from .tasks import Wanted, emit_scheduled, sync_tasks

log = logging.getLogger(__name__)


def on_service_order_completed(*, uow: UnitOfWork, event: Event) -> None:
    """Records the order and decides its callbacks: key customers always, ordinary ones sampled
    reproducibly, batched kinds as candidates of their monthly batch."""
    data, org = event.data, event.organization
    rules = rules_for(uow.settings, org)
    policy, calendar = rules.policy, rules.calendar
    customer_data = data["customer"]
    upsert_customers(organization=org, customers=[customer_data])
    if ServiceOrder.select().where(ServiceOrder.organization == org,
                                   ServiceOrder.order_id == data["order_id"]).exists():
        log.info("order %s already planned; event %s changes nothing", data["order_id"], event.id)
        return
    customer = customers_by_id(org, [customer_data["id"]])[customer_data["id"]]
    line, kind = data["business_line"], data["kind"]
    completed_on = local_date(data["completed_at"], uow.settings)
    key = is_key_customer(customer.segment, kind, customer.flagged_key, policy)
    try:
        batched = is_batched(business_line=line, kind=kind, policy=policy)
        planned = plan_service_callbacks(business_line=line, kind=kind, completed_on=completed_on, key=key,
                                         policy=policy, calendar=calendar)
    except SchedulerDomainError as exc:
        log.warning("order %s (%s/%s) has no callback rule in policy %s: %s", data["order_id"], line, kind,
                    policy.sampling_key, exc)
        planned, batched = [], False
    period = planned[0].batch_period if batched else sampling_period(completed_on)
    ServiceOrder.insert(organization=org, order_id=data["order_id"], customer_id=customer.customer_id,
                        business_line=line, kind=kind, completed_at=data["completed_at"], completed_on=completed_on,
                        advisor_id=data.get("advisor_id"), key_customer=key, branch=data.get("branch"),
                        batch_period=period if batched else None).execute()
    if not planned:
        return
    pool = _pool(line, kind, policy, batched=batched)
    score = sample_score(policy.sampling_key, data["order_id"], period)
    scope = (SamplingDecision.organization == org) & (SamplingDecision.policy_key == policy.sampling_key) & (
        SamplingDecision.pool == pool) & (SamplingDecision.period == period)
    if key:
        selected, reason = True, "key"
    elif batched:
        selected, reason = False, "candidate"
    else:
        rate = sample_rate_for(business_line=line, kind=kind, key=False, policy=policy)
        selected_so_far = total_so_far = 0
        if score >= rate:  # only then does the period's share matter (aggregated in SQL)
            # Only decisions that may leave an order out take the lock: one picked by its score
            # and unseen by a concurrent count can only make that count pick more, never fewer.
            _lock_sampling_period(org, policy.sampling_key, pool, period)
            total_so_far, selected_so_far = (
                SamplingDecision.select(peewee.fn.COUNT(SamplingDecision.id),
                                        peewee.fn.COALESCE(peewee.fn.SUM(peewee.Case(
                                            None, [(SamplingDecision.selected == True, 1)], 0)), 0))  # noqa: E712
                .where(scope, SamplingDecision.key_customer == False).tuples().get())  # noqa: E712
        selected = decide_sample(score=score, rate=rate, selected_so_far=int(selected_so_far),
                                 total_so_far=int(total_so_far))
        reason = "rate" if score < rate else "floor"
    SamplingDecision.insert(organization=org, policy_key=policy.sampling_key, pool=pool, period=period,
                            order_id=data["order_id"], score=score, key_customer=key, selected=selected,
                            reason=reason, decided_at=uow.now).on_conflict_ignore().execute()
    if selected:
        sync_tasks(uow=uow, organization=org, rules=rules, wanted=[
            _wanted(p, data=data, customer_id=customer.customer_id, key=key, rules=rules, tz=uow.settings.tz)
            for p in planned])
    if batched and Batch.select().where(Batch.organization == org, Batch.policy_key == policy.sampling_key,
                                        Batch.pool == pool, Batch.period == period).exists():
        top_up_batch(uow=uow, organization=org, pool=pool, period=period, rules=rules)


def _wanted(p, *, data: dict, customer_id: str, key: bool, rules: OrgRules, tz) -> Wanted:
    """Gives the task an order's callback wants; an immediate one (seed 002: 抢修工程结束后立即进行) is due
    when the completion arrived, callable from the first call window of that moment."""
    call_at = None
    if p.immediate:
        p, call_at = plan_immediate(p, data["completed_at"], rules.policy.call_windows, tz=tz)
    return Wanted(plan_key=f"order:{data['order_id']}:{p.kind}", planned=p, customer_id=customer_id,
                  business_line=data["business_line"], channel=CHANNEL_PHONE, key_customer=key,
                  order_id=data["order_id"], branch=data.get("branch"), call_at=call_at)


def top_up_batch(*, uow: UnitOfWork, organization: str, pool: str, period: str, rules: OrgRules) -> int:
    """Gives how many orders were added so that a monthly batch meets its volume tier (RULES 1.3),
    then keeps the tier set's on-site share over the whole batch."""
    policy, calendar = rules.policy, rules.calendar
    tiers = policy.batch_tiers
    decisions = list(SamplingDecision.select(SamplingDecision.order_id, SamplingDecision.score,
                                             SamplingDecision.selected)
                     .where(SamplingDecision.organization == organization,
                            SamplingDecision.policy_key == policy.sampling_key,
                            SamplingDecision.pool == pool, SamplingDecision.period == period).tuples())
    target = target_count(len(decisions), tiers)
    added = top_up(decisions, target)
    for chunk in chunks(added):
        SamplingDecision.update(selected=True, reason="top_up", decided_at=uow.now).where(
            SamplingDecision.organization == organization, SamplingDecision.policy_key == policy.sampling_key,
            SamplingDecision.pool == pool, SamplingDecision.period == period,
            SamplingDecision.order_id.in_(chunk)).execute()
    orders = {o.order_id: o for chunk in chunks(added) for o in ServiceOrder.select().where(
        ServiceOrder.organization == organization, ServiceOrder.order_id.in_(chunk))}
    wanted = []
    for order_id in added:
        order = orders[order_id]
        for p in plan_service_callbacks(business_line=order.business_line, kind=order.kind,
                                        completed_on=order.completed_on, key=False, policy=policy, calendar=calendar):
            wanted.append(Wanted(plan_key=f"order:{order_id}:{p.kind}", planned=p, customer_id=order.customer_id,
                                 business_line=order.business_line, channel=CHANNEL_PHONE, key_customer=False,
                                 order_id=order_id, branch=order.branch))
    sync_tasks(uow=uow, organization=organization, wanted=wanted, rules=rules)
    if tiers.onsite_share:
        _keep_onsite_share(uow=uow, organization=organization, pool=pool, period=period, rules=rules)
    if added:
        log.info("batch %s %s of %s topped up with %d orders (target %d)", pool, period, organization, len(added),
                 target)
    return len(added)


def _keep_onsite_share(*, uow: UnitOfWork, organization: str, pool: str, period: str, rules: OrgRules) -> int:
    """Gives how many open phone callbacks of the batch became on-site visits so that the tier set's
    share of the whole batch's callbacks is on site (house repairs: at least half), counting the
    key customers' orders planned by phone before the batch closed. Key customers are visited first."""
    policy = rules.policy
    selected = SamplingDecision.select(SamplingDecision.order_id).where(
        SamplingDecision.organization == organization, SamplingDecision.policy_key == policy.sampling_key,
        SamplingDecision.pool == pool, SamplingDecision.period == period,
        SamplingDecision.selected == True)  # noqa: E712
    tasks = list(CallbackTask.select().where(CallbackTask.organization == organization,
                                             CallbackTask.order_id.in_(selected), CallbackTask.status != CANCELLED)
                 .order_by(CallbackTask.key_customer.desc(), CallbackTask.due_on, CallbackTask.id))
    missing = onsite_count(len(tasks), policy.batch_tiers) - sum(t.channel == CHANNEL_ONSITE for t in tasks)
    switched = [t for t in tasks if t.status == OPEN and t.channel == CHANNEL_PHONE][:max(missing, 0)]
    for chunk in chunks([t.id for t in switched]):
        CallbackTask.update(channel=CHANNEL_ONSITE, updated_at=uow.now).where(CallbackTask.id.in_(chunk)).execute()
    for task in switched:
        emit_scheduled(uow, {**task.__data__, "channel": CHANNEL_ONSITE}, rescheduled=True)
    if missing > len(switched):
        log.warning("batch %s %s of %s: %d callbacks short of the on-site share (the rest were made by phone)",
                    pool, period, organization, missing - len(switched))
    return len(switched)


def _pool(business_line: str, kind: str, policy: Policy, *, batched: bool) -> str:
    """Gives what an order is sampled with: its line's batch, its kind (own rate), or its line."""
    if batched:
        return f"{business_line}:batch"
    override = policy.business_lines[business_line].order_kinds.get(kind)
    if override is not None and override.sample_rate is not None:
        return f"{business_line}:{kind}"
    return business_line


def _lock_sampling_period(organization: str, policy_key: str, pool: str, period: str) -> None:
    """Serialises the sampling decisions of one (organisation, policy, pool, period) until the transaction ends.

    On PostgreSQL two orders of a period handled at once would each count the period without
    the other, and both could be left out below the rate (RULES 1.5); the second now counts
    after the first commits (READ COMMITTED: its count sees the committed row).
    """
    advisory_lock(SamplingDecision._meta.database, "scheduler.sampling", organization, policy_key, pool, period)
