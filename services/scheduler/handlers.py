"""One function per event type or command: load, decide (domain), store, emit.

Event handlers (`on_<event>`) get an `Event` and the `UnitOfWork` of its transaction;
commands (`record_outcome`, `import_ledger`, `close_due_batches`) get keyword arguments and
the unit of work of their request or job. Nothing here commits: the caller's unit of work
does, with the outbox rows of the events emitted.

Planning is a reconciliation: the domain says which callbacks a delivery or an order
needs now, and `_sync_tasks` creates the missing ones and moves those still open. So the
same event twice, events out of order and corrected dates all end in the same tasks.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from collections import Counter, namedtuple
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

import peewee
from marshmallow import Schema, fields, validate

from shared.calendar import WorkingCalendar
from shared.db import advisory_lock, bulk_insert, bulk_update, first, is_postgres
from shared.events import Event
from shared.orgdata import load_org_data
from shared.service import UnitOfWork

from .domain.calls import DISSATISFIED, next_attempt_on
from .domain.equipment import CHANNEL_ONSITE, CHANNEL_PHONE, channel_for, plan_equipment_callbacks, warranty_end_on
from .domain.errors import SchedulerDomainError
from .domain.planned import PlannedCallback
from .domain.policy import Policy, load_policy
from .domain.questionnaire import (
    CONTRACT_ANSWERS, SATISFACTION_SCALE, Questionnaire, QuestionnaireError, answer_errors, load_questionnaire,
    questionnaire_for,
)
from .domain.sampling import decide_sample, onsite_count, sample_score, sampling_period, target_count, top_up
from .domain.service import (
    ExistingCustomer, batch_cutoff_on, is_batched, is_key_customer, plan_periodic_callbacks, plan_rule,
    plan_service_callbacks, sample_rate_for,
)
from .models import (
    CANCELLED, DONE, OPEN, UNREACHABLE, Batch, CallbackTask, Customer, Delivery, SamplingDecision, ServiceOrder,
)

log = logging.getLogger(__name__)

SERVICE_NAME = "scheduler"
#: Business line of equipment deliveries (CONTRACT.md default of delivery.shipped).
EQUIPMENT = "equipment"
#: Business line of verification callbacks whose complaint names no other.
COMPLAINTS_LINE = "complaints"
#: Ids of callback tasks are derived from what they are for, so a replay gives the same id.
_TASK_NAMESPACE = uuid.UUID("6f1c2a8e-3b0d-4e57-9a43-5c1f0d7e2b19")
#: Rows per bulk statement (SQLite allows 32,766 variables; a task row has about 25).
CHUNK = 500


class CallbackNotFound(SchedulerDomainError):
    """No callback task with that id in the caller's organisation."""


class CallbackClosed(SchedulerDomainError):
    """The callback task is no longer open; its outcome cannot be recorded again."""


class OutcomeInvalid(SchedulerDomainError):
    """The answers do not fit the callback's questionnaire; ``errors`` names each bad field."""

    def __init__(self, message: str, *, errors: dict[str, list[str]]):
        super().__init__(message, field=next(iter(errors), None))
        self.errors = errors


# --- per-organisation rules (policy, calendar, agents) --------------------------------------


class _AgentSchema(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=128))
    business_lines = fields.List(fields.String(), load_default=list)


class _RosterSchema(Schema):
    agents = fields.List(fields.Nested(_AgentSchema), load_default=list)


@dataclass(frozen=True)
class OrgRules:
    """What an organisation's data files say: its policy, working calendar and agents."""

    policy: Policy
    calendar: WorkingCalendar
    agents: tuple[tuple[str, frozenset[str]], ...]

    def agents_for(self, business_line: str) -> list[str]:
        """Gives the logins of the agents covering `business_line` (an empty set covers all)."""
        return [login for login, lines in self.agents if not lines or business_line in lines]


_rules_cache: dict[str, tuple[tuple, OrgRules]] = {}


def rules_for(settings, organization: str) -> OrgRules:
    """Gives the organisation's rules, validated once per version of its data files.

    Raises:
      PolicyError / CalendarError: naming the bad field of the organisation's file.
    """
    raw = [load_org_data(settings, service=SERVICE_NAME, relative=relative, organization=organization)
           for relative in ("policies/default.yaml", "calendar.yaml", "agents.yaml")]
    hit = _rules_cache.get(organization)
    # load_org_data gives the very same objects until a file changes
    if hit and all(a is b for a, b in zip(hit[0], raw)):
        return hit[1]
    roster = _RosterSchema().load(raw[2] or {})
    rules = OrgRules(
        policy=load_policy(raw[0]),
        calendar=WorkingCalendar.from_data(raw[1] or {}),
        agents=tuple((a["login"], frozenset(a["business_lines"])) for a in roster["agents"]),
    )
    _rules_cache[organization] = (tuple(raw), rules)
    return rules


_questionnaire_cache: dict[tuple[str, str], tuple[object, Questionnaire]] = {}


def questionnaire_named(settings, organization: str, name: str) -> Questionnaire:
    """Gives the organisation's questionnaire `name` (its own file, else the packaged one), validated once
    per version of the file.

    Raises:
      QuestionnaireError: naming the file and its bad field.
      ConfigurationError: no such questionnaire file.
    """
    relative = f"questionnaires/{name}.yaml"
    raw = load_org_data(settings, service=SERVICE_NAME, relative=relative, organization=organization)
    hit = _questionnaire_cache.get((organization, name))
    if hit and hit[0] is raw:
        return hit[1]
    questionnaire = load_questionnaire(raw, source=relative)
    if questionnaire.name != name:
        raise QuestionnaireError(f"{relative}: field 'name': is {questionnaire.name!r}, the file is named {name!r}",
                                 field="name")
    _questionnaire_cache[(organization, name)] = (raw, questionnaire)
    return questionnaire


def questionnaire_of(*, organization: str, task: CallbackTask, settings, rules: "OrgRules") -> Questionnaire:
    """Gives the questionnaire a callback task follows (RULES 1.2: the customer's type, the order's kind)."""
    order_kind = None
    if task.order_id:
        order_kind = ServiceOrder.select(ServiceOrder.kind).where(
            ServiceOrder.organization == organization, ServiceOrder.order_id == task.order_id).scalar()
    segment = Customer.select(Customer.segment).where(
        Customer.organization == organization, Customer.customer_id == task.customer_id).scalar()
    name = questionnaire_for(callback_kind=task.kind, business_line=task.business_line, order_kind=order_kind,
                             segment=segment, selection=rules.policy.questionnaires)
    return questionnaire_named(settings, organization, name)


def check_answers(questionnaire: Questionnaire, outcome: dict) -> dict:
    """Gives the outcome with its answers merged: the CONTRACT.md fields and `answers` are one set.

    An answer given only inside `answers` (e.g. `answers.product_satisfaction`) also fills the
    CONTRACT.md field, so complaints and reports see it.

    Raises:
      OutcomeInvalid: an unknown question, a wrong answer type, a required question left
        unanswered, two different answers to one question, or a dissatisfied answer without its reason.
    """
    answers = dict(outcome.get("answers") or {})
    errors: dict[str, list[str]] = {}
    merged = dict(outcome)
    for name in CONTRACT_ANSWERS:
        top, inner = outcome.get(name), answers.get(name)
        if top is not None and inner is not None and top != inner:
            errors[f"answers.{name}"] = [f"Differs from {name} ({top!r}); give one answer."]
        if top is not None:
            answers[name] = top
        elif inner is not None:
            merged[name] = inner
    errors.update(answer_errors(questionnaire, answers))
    dissatisfied = [q.id for q in questionnaire.questions
                    if q.answer_type == SATISFACTION_SCALE and answers.get(q.id) in DISSATISFIED]
    if dissatisfied and not (outcome.get("dissatisfied_reason") or "").strip():
        errors["dissatisfied_reason"] = [f"Say why the customer is dissatisfied ({', '.join(dissatisfied)}): "
                                         "a dissatisfied answer needs its reason."]
    if errors:
        raise OutcomeInvalid(f"The answers do not fit questionnaire {questionnaire.name!r}.", errors=errors)
    # stored in the questionnaire's order, then anything the CONTRACT.md fields added
    order = [q.id for q in questionnaire.questions]
    merged["answers"] = {k: answers[k] for k in sorted(answers, key=lambda k: (order.index(k) if k in order
                                                                                 else len(order), k))}
    merged["dissatisfied_answers"] = dissatisfied
    return merged


def local_date(moment: datetime, settings) -> date:
    """Gives the calendar date of `moment` in the installation's time zone."""
    return moment.astimezone(settings.tz).date()


def today(uow: UnitOfWork) -> date:
    return local_date(uow.now, uow.settings)


# --- customers ------------------------------------------------------------------------------

_CUSTOMER_FIELDS = ("name", "segment", "phone", "contact_person", "site_contact", "site_phone")


def upsert_customers(*, organization: str, customers: Iterable[dict], now: datetime,
                     keep_segment: bool = False) -> None:
    """Stores customers as their latest event describes them (one bulk upsert per chunk).

    `keep_segment`: a known customer keeps its segment (the source does not say one).
    """
    latest = {c["id"]: c for c in customers}
    rows = [{"organization": organization, "customer_id": cid, "name": c.get("name") or cid,
             "segment": c.get("segment") or "ordinary",
             **{f: c.get(f) for f in _CUSTOMER_FIELDS[2:]}}
            for cid, c in latest.items()]
    bulk_insert(Customer, rows, conflict_target=("organization", "customer_id"),
                preserve=tuple(f for f in _CUSTOMER_FIELDS if not (keep_segment and f == "segment")))


def _customers(organization: str, ids: Iterable[str]) -> dict[str, Customer]:
    found = {}
    for chunk in _chunks(sorted(set(ids))):
        for row in Customer.select().where(Customer.organization == organization, Customer.customer_id.in_(chunk)):
            found[row.customer_id] = row
    return found


def _customer_facts(organization: str, ids: Iterable[str]) -> dict:
    """Gives (customer_id, segment, flagged_key, total_contract_amount) namedtuples by id: what planning reads."""
    found = {}
    for chunk in _chunks(sorted(set(ids))):
        for row in (Customer.select(Customer.customer_id, Customer.segment, Customer.flagged_key,
                                    Customer.total_contract_amount)
                    .where(Customer.organization == organization, Customer.customer_id.in_(chunk)).namedtuples()):
            found[row.customer_id] = row
    return found


def customer_payload(customer: Customer | None, customer_id: str) -> dict:
    """Gives the `customer` object of CONTRACT.md for an event."""
    if customer is None:
        return {"id": customer_id, "name": customer_id, "segment": "ordinary"}
    return {"id": customer.customer_id, "name": customer.name or customer.customer_id, "segment": customer.segment,
            "phone": customer.phone, "contact_person": customer.contact_person,
            "site_contact": customer.site_contact, "site_phone": customer.site_phone}


# --- callback tasks -------------------------------------------------------------------------


@dataclass
class Wanted:
    """A callback a rule wants now, with what the task row needs besides its dates."""

    plan_key: str
    planned: PlannedCallback
    customer_id: str
    business_line: str
    channel: str
    key_customer: bool
    delivery_id: str | None = None
    order_id: str | None = None
    complaint_id: str | None = None


_TASK_NAMESPACE_BYTES = _TASK_NAMESPACE.bytes


def task_id(organization: str, plan_key: str) -> str:
    """Gives the id of the task for `plan_key`: the same on every replay.

    str(uuid.uuid5(_TASK_NAMESPACE, ...)) spelled out: the same text without two objects a task.
    """
    digest = bytearray(hashlib.sha1(_TASK_NAMESPACE_BYTES + f"{organization}\x1f{plan_key}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _sync_tasks(*, organization: str, wanted: list[Wanted], uow: UnitOfWork, rules: OrgRules) -> None:
    """Creates the wanted tasks that are missing and moves open ones whose dates changed.

    Done, unreachable and cancelled tasks are never touched. Emits `callback.scheduled`
    for each new or moved task.
    """
    if not wanted:
        return
    # rows as dicts: a model object per existing task costs more than the lookup
    existing = {task["plan_key"]: task for task in _rows_in(
        CallbackTask, CallbackTask._meta.sorted_fields, organization=organization, key=CallbackTask.plan_key,
        values=[w.plan_key for w in wanted])}
    new_rows, moved = [], []
    for w in wanted:
        task = existing.get(w.plan_key)
        p = w.planned
        if task is None:
            new_rows.append(_task_row(organization, w, uow.now))
        elif task["status"] == OPEN and (task["due_on"], task["nominal_on"], task["overdue_on"]) != (
                p.due_on, p.nominal_on, p.overdue_on):
            task.update(due_on=p.due_on, nominal_on=p.nominal_on, overdue_on=p.overdue_on,
                        provisional=p.provisional, updated_at=uow.now)
            moved.append(task)
    _assign(organization=organization, rows=new_rows, rules=rules)
    bulk_insert(CallbackTask, new_rows, ignore_conflicts=True)
    bulk_update(CallbackTask, set_fields=("due_on", "nominal_on", "overdue_on", "provisional", "updated_at"),
                rows=[(t["due_on"], t["nominal_on"], t["overdue_on"], t["provisional"], t["updated_at"], t["id"])
                      for t in moved])
    for row in new_rows:
        _emit_scheduled(uow, row, rescheduled=False)
    for task in moved:
        _emit_scheduled(uow, task, rescheduled=True)


def _task_row(organization: str, w: Wanted, now: datetime) -> dict:
    p = w.planned
    return {
        "id": task_id(organization, w.plan_key), "organization": organization, "plan_key": w.plan_key,
        "kind": p.kind, "business_line": w.business_line, "nominal_on": p.nominal_on, "due_on": p.due_on,
        "overdue_on": p.overdue_on, "provisional": p.provisional, "status": OPEN, "channel": w.channel,
        "customer_id": w.customer_id, "key_customer": w.key_customer, "delivery_id": w.delivery_id,
        "order_id": w.order_id, "complaint_id": w.complaint_id, "assigned_to": None, "attempts": 0,
        "created_at": now, "updated_at": now,
    }


def _emit_scheduled(uow: UnitOfWork, row: dict, *, rescheduled: bool, status: str | None = None) -> None:
    uow.emit("callback.scheduled", {
        "callback_id": row["id"], "kind": row["kind"], "due_on": _iso(row["due_on"]),
        "overdue_on": _iso(row["overdue_on"]), "nominal_on": _iso(row["nominal_on"]),
        "provisional": bool(row["provisional"]), "status": status or row["status"], "rescheduled": rescheduled,
        "channel": row["channel"], "business_line": row["business_line"], "customer_id": row["customer_id"],
        "key_customer": bool(row["key_customer"]), "delivery_id": row["delivery_id"], "order_id": row["order_id"],
        "complaint_id": row["complaint_id"], "assigned_to": row["assigned_to"],
        "organization": row["organization"],
    }, organization=row["organization"])


def _assign(*, organization: str, rows: list[dict], rules: OrgRules) -> None:
    """Gives each new task to the agent of its line with the fewest open tasks (counted in SQL)."""
    if not rules.agents or not rows:
        return
    logins = [login for login, _ in rules.agents]
    load = Counter({login: 0 for login in logins})
    query = (CallbackTask.select(CallbackTask.assigned_to, peewee.fn.COUNT(CallbackTask.id).alias("n"))
             .where(CallbackTask.organization == organization, CallbackTask.status == OPEN,
                    CallbackTask.assigned_to.in_(logins))
             .group_by(CallbackTask.assigned_to))
    for login, n in query.tuples():
        load[login] = n
    for row in rows:
        candidates = rules.agents_for(row["business_line"])
        if candidates:
            chosen = min(candidates, key=lambda login: (load[login], login))
            row["assigned_to"] = chosen
            load[chosen] += 1


def _cancel_open(*, organization: str, where, uow: UnitOfWork) -> int:
    tasks = list(CallbackTask.select().where(CallbackTask.organization == organization,
                                             CallbackTask.status == OPEN, where))
    if not tasks:
        return 0
    ids = [t.id for t in tasks]
    for chunk in _chunks(ids):
        CallbackTask.update(status=CANCELLED, updated_at=uow.now).where(CallbackTask.id.in_(chunk)).execute()
    for task in tasks:
        _emit_scheduled(uow, task.__data__, rescheduled=True, status=CANCELLED)
    return len(tasks)


# --- equipment deliveries (RULES 1.1) --------------------------------------------------------


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


def plan_deliveries(*, organization: str, deliveries: list[Delivery], uow: UnitOfWork, rules: OrgRules) -> None:
    """Brings the callback tasks of `deliveries` in line with their dates (RULES 1.1)."""
    policy, calendar = rules.policy, rules.calendar
    customers = _customer_facts(organization, [d.customer_id for d in deliveries if d.customer_id])
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
                                 delivery_id=delivery.delivery_id))
    bulk_update(Delivery, set_fields=("warranty_end_on",), rows=warranty_updates)
    _sync_tasks(organization=organization, wanted=wanted, uow=uow, rules=rules)


def recompute_contract_totals(*, organization: str, customer_ids: Iterable[str]) -> None:
    """Sets each customer's contract total to the sum of their deliveries not cancelled (in SQL)."""
    total = (Delivery.select(peewee.fn.COALESCE(peewee.fn.SUM(Delivery.contract_amount), 0))
             .where(Delivery.organization == Customer.organization, Delivery.customer_id == Customer.customer_id,
                    Delivery.cancelled == False))  # noqa: E712
    for chunk in _chunks(sorted(set(customer_ids))):
        Customer.update(total_contract_amount=total).where(Customer.organization == organization,
                                                           Customer.customer_id.in_(chunk)).execute()


def _update_contract_total(*, organization: str, customer_id: str, uow: UnitOfWork, rules: OrgRules) -> None:
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


def on_delivery_shipped(event: Event, uow: UnitOfWork) -> None:
    data, org = event.data, event.organization
    rules = rules_for(uow.settings, org)
    customer = data["customer"]
    upsert_customers(organization=org, customers=[customer], now=uow.now)
    delivery = _lock_delivery(
        org, data["delivery_id"], uow.now, customer_id=customer["id"], shipped_on=data["shipped_on"],
        business_line=data.get("business_line") or EQUIPMENT, project=data.get("project"),
        product_model=data.get("product_model"), quantity=data.get("quantity"),
        contract_amount=data.get("contract_amount"), contact_person=customer.get("contact_person"),
        phone=customer.get("phone"), site_contact=customer.get("site_contact"), site_phone=customer.get("site_phone"))
    _update_contract_total(organization=org, customer_id=customer["id"], uow=uow, rules=rules)
    plan_deliveries(organization=org, deliveries=[delivery], uow=uow, rules=rules)


def on_equipment_installed(event: Event, uow: UnitOfWork) -> None:
    org = event.organization
    delivery = _lock_delivery(org, event.data["delivery_id"], uow.now, installed_on=event.data["installed_on"])
    plan_deliveries(organization=org, deliveries=[delivery], uow=uow, rules=rules_for(uow.settings, org))


def on_equipment_commissioned(event: Event, uow: UnitOfWork) -> None:
    """Plans callbacks 2-5; a corrected date moves every callback not yet done."""
    org = event.organization
    delivery = _lock_delivery(org, event.data["delivery_id"], uow.now,
                              commissioned_on=event.data["commissioned_on"])
    plan_deliveries(organization=org, deliveries=[delivery], uow=uow, rules=rules_for(uow.settings, org))


def on_delivery_cancelled(event: Event, uow: UnitOfWork) -> None:
    org = event.organization
    delivery = _lock_delivery(org, event.data["delivery_id"], uow.now, cancelled=True)
    n = _cancel_open(organization=org, where=CallbackTask.delivery_id == delivery.delivery_id, uow=uow)
    if delivery.customer_id:
        _update_contract_total(organization=org, customer_id=delivery.customer_id, uow=uow,
                               rules=rules_for(uow.settings, org))
    log.info("delivery %s cancelled: %d open callbacks cancelled", delivery.delivery_id, n)


# --- service orders (RULES 1.2-1.5) ----------------------------------------------------------


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


def on_service_order_completed(event: Event, uow: UnitOfWork) -> None:
    """Key customers: 100%; ordinary: sampled reproducibly; batched kinds: batch candidates."""
    data, org = event.data, event.organization
    rules = rules_for(uow.settings, org)
    policy, calendar = rules.policy, rules.calendar
    customer_data = data["customer"]
    upsert_customers(organization=org, customers=[customer_data], now=uow.now)
    if ServiceOrder.select().where(ServiceOrder.organization == org,
                                   ServiceOrder.order_id == data["order_id"]).exists():
        log.info("order %s already planned; event %s changes nothing", data["order_id"], event.id)
        return
    customer = _customers(org, [customer_data["id"]])[customer_data["id"]]
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
                        advisor_id=data.get("advisor_id"), key_customer=key,
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
        _sync_tasks(organization=org, wanted=[
            Wanted(plan_key=f"order:{data['order_id']}:{p.kind}", planned=p, customer_id=customer.customer_id,
                   business_line=line, channel=CHANNEL_PHONE, key_customer=key, order_id=data["order_id"])
            for p in planned], uow=uow, rules=rules)
    if batched and Batch.select().where(Batch.organization == org, Batch.policy_key == policy.sampling_key,
                                        Batch.pool == pool, Batch.period == period).exists():
        top_up_batch(organization=org, pool=pool, period=period, uow=uow, rules=rules)


def top_up_batch(*, organization: str, pool: str, period: str, uow: UnitOfWork, rules: OrgRules) -> int:
    """Gives how many orders were added so that a monthly batch meets its volume tier (RULES 1.3)."""
    policy, calendar = rules.policy, rules.calendar
    tiers = policy.batch_tiers
    decisions = list(SamplingDecision.select(SamplingDecision.order_id, SamplingDecision.score,
                                             SamplingDecision.selected)
                     .where(SamplingDecision.organization == organization,
                            SamplingDecision.policy_key == policy.sampling_key,
                            SamplingDecision.pool == pool, SamplingDecision.period == period).tuples())
    target = target_count(len(decisions), tiers)
    added = top_up(decisions, target)
    if not added:
        return 0
    for chunk in _chunks(added):
        SamplingDecision.update(selected=True, reason="top_up", decided_at=uow.now).where(
            SamplingDecision.organization == organization, SamplingDecision.policy_key == policy.sampling_key,
            SamplingDecision.pool == pool, SamplingDecision.period == period,
            SamplingDecision.order_id.in_(chunk)).execute()
    selected_total = sum(1 for _, _, s in decisions if s) + len(added)
    onsite_now = (CallbackTask.select().where(
        CallbackTask.organization == organization, CallbackTask.order_id.in_(
            SamplingDecision.select(SamplingDecision.order_id).where(
                SamplingDecision.organization == organization, SamplingDecision.pool == pool,
                SamplingDecision.period == period)),
        CallbackTask.channel == CHANNEL_ONSITE).count() if tiers.onsite_share else 0)
    onsite_missing = onsite_count(selected_total, tiers) - onsite_now
    orders = {o.order_id: o for chunk in _chunks(added) for o in ServiceOrder.select().where(
        ServiceOrder.organization == organization, ServiceOrder.order_id.in_(chunk))}
    wanted = []
    for order_id in added:
        order = orders[order_id]
        for p in plan_service_callbacks(business_line=order.business_line, kind=order.kind,
                                        completed_on=order.completed_on, key=False, policy=policy, calendar=calendar):
            channel = CHANNEL_ONSITE if onsite_missing > 0 else CHANNEL_PHONE
            onsite_missing -= 1
            wanted.append(Wanted(plan_key=f"order:{order_id}:{p.kind}", planned=p, customer_id=order.customer_id,
                                 business_line=order.business_line, channel=channel, key_customer=False,
                                 order_id=order_id))
    _sync_tasks(organization=organization, wanted=wanted, uow=uow, rules=rules)
    log.info("batch %s %s of %s topped up with %d orders (target %d)", pool, period, organization, len(added), target)
    return len(added)


def close_due_batches(*, uow: UnitOfWork) -> list[tuple[str, str, str]]:
    """Gives the (organization, pool, period) batches closed now: their cut-off day has come.

    Each is topped up to its volume tier; orders arriving later top it up again.
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
        top_up_batch(organization=organization, pool=pool, period=period, uow=uow, rules=rules)
        Batch.insert(organization=organization, policy_key=policy_key, pool=pool, period=period,
                     due_on=rules.calendar.roll_forward(cutoff), closed_at=uow.now).on_conflict_ignore().execute()
        done.append((organization, pool, period))
    return done


# --- existing customers (RULES 1.4) ---------------------------------------------------------


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
                    last[customer_id] = max(last[customer_id], _as_date(due_on))
            customers = _customers(organization, last)
            candidates = [ExistingCustomer(customer_id=cid, last_contact_on=_as_date(last_on), key=bool(
                cid in customers and is_key_customer(customers[cid].segment, None, customers[cid].flagged_key,
                                                     rules.policy)))
                          for cid, last_on in last.items()]
            key_of = {c.customer_id: c.key for c in candidates}
            due = plan_periodic_callbacks(candidates, today=on, rule=rule, calendar=rules.calendar)
            _sync_tasks(organization=organization, uow=uow, rules=rules, wanted=[
                Wanted(plan_key=f"customer:{cid}:{line}:{p.kind}:{p.due_on.isoformat()}", planned=p, customer_id=cid,
                       business_line=line, channel=CHANNEL_PHONE, key_customer=key_of[cid]) for cid, p in due])
            if due:
                planned[organization] = planned.get(organization, 0) + len(due)
                log.info("%d periodic %s callbacks planned for %s", len(due), line, organization)
    return planned


def _as_date(value) -> date:
    # SQLite gives MAX() of a date column back as text
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- customers and complaints ----------------------------------------------------------------


def on_customer_updated(event: Event, uow: UnitOfWork) -> None:
    upsert_customers(organization=event.organization, customers=[event.data["customer"]], now=uow.now)


def on_customer_flagged(event: Event, uow: UnitOfWork) -> None:
    """A key customer from then on (RULES 2): their future orders are all called back."""
    org, data = event.organization, event.data
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {"id": data["customer_id"]}
    if not Customer.select().where(Customer.organization == org, Customer.customer_id == data["customer_id"]).exists():
        upsert_customers(organization=org, customers=[{**customer, "id": data["customer_id"]}], now=uow.now)
    Customer.update(flagged_key=True, flagged_at=uow.now).where(
        Customer.organization == org, Customer.customer_id == data["customer_id"]).execute()


def _parse_datetime(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def on_complaint_resolved(event: Event, uow: UnitOfWork) -> None:
    """Plans the verification callback (RULES 2): `verify_due_at` if sent, else the policy's offset."""
    org, data = event.organization, event.data
    rules = rules_for(uow.settings, org)
    complaint_id = data["complaint_id"]
    raised_by = (CallbackTask.select().where(CallbackTask.organization == org,
                                             (CallbackTask.raised_complaint_id == complaint_id)
                                             | (CallbackTask.complaint_id == complaint_id))
                 .order_by(CallbackTask.created_at).first())
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else None
    customer_id = (customer or {}).get("id") or data.get("customer_id") or (raised_by and raised_by.customer_id)
    if not customer_id:
        log.warning("complaint %s resolved without a known customer; no verification callback", complaint_id)
        return
    if customer and customer.get("name"):
        upsert_customers(organization=org, customers=[customer], now=uow.now)
    verify_due_at = _parse_datetime(data.get("verify_due_at"))
    if verify_due_at is not None:
        due = rules.calendar.roll_forward(local_date(verify_due_at, uow.settings))
        planned = PlannedCallback(kind=rules.policy.verification.kind, nominal_on=due, due_on=due, overdue_on=due,
                                  provisional=rules.calendar.is_provisional(due))
    else:
        resolved_at = _parse_datetime(data.get("resolved_at")) or event.time or uow.now
        planned = plan_rule(rules.policy.verification, local_date(resolved_at, uow.settings), calendar=rules.calendar)
    stored = _customers(org, [customer_id]).get(customer_id)
    earlier = CallbackTask.select().where(CallbackTask.organization == org, CallbackTask.complaint_id == complaint_id,
                                          CallbackTask.kind == planned.kind).count()
    still_open = (CallbackTask.select().where(CallbackTask.organization == org,
                                              CallbackTask.complaint_id == complaint_id,
                                              CallbackTask.kind == planned.kind, CallbackTask.status == OPEN).first())
    # A complaint resolved again after a reopening gets a new verification; an open one moves.
    round_no = earlier if still_open else earlier + 1
    plan_key = still_open.plan_key if still_open else f"complaint:{complaint_id}:{planned.kind}:{round_no}"
    _sync_tasks(organization=org, wanted=[Wanted(
        plan_key=plan_key, planned=planned, customer_id=customer_id,
        business_line=(raised_by.business_line if raised_by else data.get("business_line") or COMPLAINTS_LINE),
        channel=CHANNEL_PHONE, key_customer=bool(stored and stored.flagged_key) or (
            stored is not None and is_key_customer(stored.segment, None, stored.flagged_key, rules.policy)),
        complaint_id=complaint_id, order_id=data.get("order_id") or (raised_by and raised_by.order_id),
        delivery_id=data.get("delivery_id") or (raised_by and raised_by.delivery_id))], uow=uow, rules=rules)


# --- commands: callback outcomes -------------------------------------------------------------


def get_callback_or_raise(*, organization: str, callback_id: str, lock: bool = False) -> CallbackTask:
    """Gives the organisation's callback task.

    Raises:
      CallbackNotFound: no such task in this organisation.
    """
    task = first(CallbackTask.select().where(CallbackTask.organization == organization,
                                             CallbackTask.id == callback_id), lock=lock)
    if task is None:
        raise CallbackNotFound(f"No callback {callback_id} in organisation {organization}.", field="id")
    return task


def _next_record_no(organization: str, on: date) -> tuple[str, int, str]:
    month = f"{on.year:04d}{on.month:02d}"
    # Two outcomes recorded at once would both take MAX+1 and collide on the unique index.
    advisory_lock(CallbackTask._meta.database, "scheduler.record_no", organization, month)
    last = CallbackTask.select(peewee.fn.MAX(CallbackTask.record_seq)).where(
        CallbackTask.organization == organization, CallbackTask.record_month == month).scalar() or 0
    return month, last + 1, f"{month}-{last + 1:04d}"


def record_outcome(*, organization: str, callback_id: str, outcome: dict, uow: UnitOfWork) -> CallbackTask:
    """Gives the task after recording one call's outcome (RULES 1.1, 1.2).

    Not reached: tried again the next working day, up to the policy's attempts, then
    `unreachable`. Reached: `done` with its record number; a dissatisfied answer also
    raises a complaint the same day (except on a verification, which the complaints
    service closes or reopens from `callback.completed`).

    Raises:
      CallbackNotFound, CallbackClosed.
    """
    rules = rules_for(uow.settings, organization)
    task = get_callback_or_raise(organization=organization, callback_id=callback_id, lock=True)
    if task.status != OPEN:
        raise CallbackClosed(f"Callback {callback_id} is {task.status}; its outcome is already recorded.",
                             field="status")
    questionnaire = None
    if outcome["reached"]:
        questionnaire = questionnaire_of(organization=organization, task=task, settings=uow.settings, rules=rules)
        outcome = check_answers(questionnaire, outcome)
    on = today(uow)
    task.attempts += 1
    task.updated_at = uow.now
    task.duration_s = outcome.get("duration_s", task.duration_s)
    customer = _customers(organization, [task.customer_id]).get(task.customer_id)
    if not outcome["reached"]:
        task.reached = False
        task.next_attempt_on = next_attempt_on(on, task.attempts, rules.policy, rules.calendar)
        if task.next_attempt_on is None:
            task.status, task.completed_at = UNREACHABLE, uow.now
            uow.emit("callback.unreachable", {
                "callback_id": task.id, "customer_id": task.customer_id, "kind": task.kind,
                "due_on": _iso(task.due_on), "attempts": task.attempts, "key_customer": task.key_customer,
                "business_line": task.business_line, "delivery_id": task.delivery_id, "order_id": task.order_id,
                "complaint_id": task.complaint_id, "customer": customer_payload(customer, task.customer_id),
            }, organization=organization)
        task.save()
        return task
    for name in ("product_satisfaction", "service_satisfaction", "dissatisfied_reason", "suggestions", "answers"):
        setattr(task, name, outcome.get(name))
    task.reached, task.status, task.completed_at, task.next_attempt_on = True, DONE, uow.now, None
    task.record_month, task.record_seq, task.record_no = _next_record_no(organization, on)
    dissatisfied = {task.product_satisfaction, task.service_satisfaction} & DISSATISFIED
    if (dissatisfied or outcome["dissatisfied_answers"]) and task.complaint_id is None:
        task.raised_complaint_id = f"callback-{task.id}"
    task.save()
    payload = customer_payload(customer, task.customer_id)
    uow.emit("callback.completed", {
        "callback_id": task.id, "kind": task.kind, "due_on": _iso(task.due_on), "customer": payload,
        "key_customer": task.key_customer, "reached": True, "product_satisfaction": task.product_satisfaction,
        "service_satisfaction": task.service_satisfaction, "complaint_id": task.complaint_id,
        "raised_complaint_id": task.raised_complaint_id, "suggestions": task.suggestions,
        "dissatisfied_reason": task.dissatisfied_reason, "duration_s": task.duration_s, "answers": task.answers,
        "record_no": task.record_no, "attempts": task.attempts, "channel": task.channel,
        "questionnaire": questionnaire.name, "dissatisfied_answers": outcome["dissatisfied_answers"],
        "business_line": task.business_line, "delivery_id": task.delivery_id, "order_id": task.order_id,
        "completed_at": uow.now.isoformat(),
    }, organization=organization)
    if task.raised_complaint_id:
        category = "product_quality" if task.product_satisfaction in DISSATISFIED else "service_quality"
        uow.emit("complaint.raised", {
            "complaint_id": task.raised_complaint_id, "customer": payload, "description": task.dissatisfied_reason,
            "category": category, "source": "callback", "raised_at": uow.now.isoformat(),
            "order_id": task.order_id, "delivery_id": task.delivery_id, "callback_id": task.id,
        }, organization=organization, id=f"{task.raised_complaint_id}:raised")
    return task


# --- commands: the ledger import ---------------------------------------------------------------


_DeliveryFacts = namedtuple("_DeliveryFacts", "id delivery_id customer_id business_line contract_amount shipped_on "
                                            "installed_on commissioned_on warranty_end_on cancelled")


def import_ledger(*, organization: str, rows: list[dict], uow: UnitOfWork) -> dict:
    """Gives counts after storing validated ledger rows and planning their callbacks, in bulk.

    `rows` are dicts of the ledger columns (see schemas.LEDGER_COLUMNS), already
    validated. Existing deliveries are updated; contract totals count each delivery once.
    """
    rules = rules_for(uow.settings, organization)
    ids = [r["delivery_id"] for r in rows]
    known = {d["delivery_id"] for d in _rows_in(Delivery, [Delivery.delivery_id], organization=organization,
                                                 key=Delivery.delivery_id, values=ids)}
    # A ledger row names a customer's class only when the file has the column: without
    # it, a known customer keeps the segment it has.
    customers: dict[str, dict] = {}
    for r in rows:
        entry = customers.setdefault(r["customer_id"], {"id": r["customer_id"]})
        entry.update({k: v for k, v in (("name", r["customer_name"]), ("segment", r.get("segment")),
                                        ("phone", r.get("phone")), ("contact_person", r.get("contact_person")),
                                        ("site_contact", r.get("site_contact")), ("site_phone", r.get("site_phone")))
                      if v not in (None, "")})
    with_segment = [c for c in customers.values() if "segment" in c]
    upsert_customers(organization=organization, customers=with_segment, now=uow.now)
    upsert_customers(organization=organization, customers=[c for c in customers.values() if "segment" not in c],
                     now=uow.now, keep_segment=True)
    fields_ = ("customer_id", "project", "product_model", "quantity", "contract_amount", "shipped_on",
               "commissioned_on", "contact_person", "phone", "site_contact", "site_phone")
    delivery_rows = [{"organization": organization, "delivery_id": r["delivery_id"], "business_line": EQUIPMENT,
                      "updated_at": uow.now, **{f: r.get(f) for f in fields_}} for r in rows]
    bulk_insert(Delivery, delivery_rows, conflict_target=("organization", "delivery_id"),
                preserve=(*fields_, "updated_at"))
    recompute_contract_totals(organization=organization, customer_ids=customers)
    # what planning reads, as namedtuples: no model object per row
    columns = (Delivery.id, Delivery.delivery_id, Delivery.customer_id, Delivery.business_line,
               Delivery.contract_amount, Delivery.shipped_on, Delivery.installed_on, Delivery.commissioned_on,
               Delivery.warranty_end_on, Delivery.cancelled)
    deliveries = [_DeliveryFacts(**d) for d in _rows_in(Delivery, columns, organization=organization,
                                                        key=Delivery.delivery_id, values=ids)]
    for chunk in _chunks(deliveries, size=CHUNK * 4):
        plan_deliveries(organization=organization, deliveries=chunk, uow=uow, rules=rules)
    return {"rows": len(rows), "created": len(set(ids) - known), "updated": len(known)}


# --- helpers ---------------------------------------------------------------------------------

#: Keys per lookup statement (SQLite allows 32,766 variables).
LOOKUP_CHUNK = 5000


def _rows_in(model, fields_, *, organization: str, key, values):
    """Gives, as dicts of `fields_`, the organisation's rows whose `key` is one of `values`.

    The SQL is written here: peewee builds a node per value of an IN list, which costs more
    than the lookup itself at ledger sizes.
    """
    database, param = model._meta.database, model._meta.database.param
    columns = ", ".join(f'"{f.column_name}"' for f in fields_)
    names = [f.name for f in fields_]
    converters = [f.python_value for f in fields_]
    head = (f'SELECT {columns} FROM "{model._meta.table_name}" WHERE "organization" = {param} '
            f'AND "{key.column_name}" IN (')
    for chunk in _chunks(values, LOOKUP_CHUNK):
        cursor = database.execute_sql(head + ", ".join([param] * len(chunk)) + ")", [organization, *chunk])
        for row in cursor.fetchall():
            yield {n: c(v) for n, c, v in zip(names, converters, row)}


def _chunks(items, size: int = CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


HANDLERS = {
    "delivery.shipped": on_delivery_shipped,
    "equipment.installed": on_equipment_installed,
    "equipment.commissioned": on_equipment_commissioned,
    "delivery.cancelled": on_delivery_cancelled,
    "service_order.completed": on_service_order_completed,
    "customer.updated": on_customer_updated,
    "customer.flagged": on_customer_flagged,
    "complaint.resolved": on_complaint_resolved,
}
