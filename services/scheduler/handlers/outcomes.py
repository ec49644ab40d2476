"""RULES 1.1, 1.2: a callback's questionnaire and the outcome of each call (the record_outcome command)."""
from __future__ import annotations

from datetime import date

import peewee

from shared.answers import DISSATISFIED_ANSWERS
from shared.db import advisory_lock, first
from shared.service import UnitOfWork

from ..domain.calls import in_call_window, next_attempt_on, over_time_limit
from ..domain.questionnaire import CONTRACT_ANSWERS, SATISFACTION_SCALE, Questionnaire, answer_errors, questionnaire_for
from ..errors import CallbackClosed, CallbackNotFound, NotYourCallback, OutcomeInvalid
from ..models import DONE, OPEN, UNREACHABLE, CallbackTask, Customer, ServiceOrder
from ..rules import OrgRules, questionnaire_named, rules_for
from .common import customer_payload, customers_by_id, iso, today


def get_callback_or_raise(*, organization: str, callback_id: str, lock: bool = False) -> CallbackTask:
    """Gives the organisation's callback task.

    Raises:
      CallbackNotFound: no such task in this organisation.
    """
    task = first(CallbackTask.select().where(CallbackTask.organization == organization,
                                             CallbackTask.id == callback_id), lock=lock)
    if task is None:
        raise CallbackNotFound(f"No callback {callback_id} in organisation {organization}.")
    return task


def questionnaire_of(*, organization: str, task: CallbackTask, settings, rules: OrgRules) -> Questionnaire:
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
                    if q.answer_type == SATISFACTION_SCALE and answers.get(q.id) in DISSATISFIED_ANSWERS]
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


#: Roles that record any callback of their organisation (team leads and above); an agent records
#: their own, or an unassigned one of a business line they cover.
LEADS = frozenset({"supervisor", "manager", "admin"})


def may_record(*, settings, users, organization: str, task: CallbackTask, login: str | None,
               role: str | None) -> bool:
    """Gives whether `login` of `role` may record `task`'s outcome (no role: the system itself)."""
    if role is None or role in LEADS:
        return True
    if role != "agent":
        return False
    if task.assigned_to:
        return task.assigned_to == login
    covering = rules_for(settings, organization).with_directory(users, organization).agents_for(task.business_line)
    return not covering or login in covering


def record_outcome(*, uow: UnitOfWork, organization: str, callback_id: str, outcome: dict,
                   recorded_by: str | None = None, role: str | None = None) -> CallbackTask:
    """Gives the task after recording one call's outcome (RULES 1.1, 1.2), by `recorded_by` (a login).

    Not reached: tried again the next working day, up to the policy's attempts, then
    `unreachable`. Reached: `done` with its record number; a dissatisfied answer also
    raises a complaint the same day, of the policy's category (except on a verification,
    which the complaints service closes or reopens from `callback.completed`).
    An outcome recorded outside the call windows is accepted and flagged
    (`outside_call_window`: an agent may ring back a customer who asked); a call longer than
    the policy's `call_length_guide_s` that raised no complaint is flagged `over_time_limit`.

    `role`: the recorder's role; an agent records only their own callbacks, or an unassigned
    one of a business line they cover (issue 12 finding 16).

    Raises:
      CallbackNotFound, NotYourCallback, CallbackClosed, OutcomeInvalid.
    """
    rules = rules_for(uow.settings, organization)
    task = get_callback_or_raise(organization=organization, callback_id=callback_id, lock=True)
    if not may_record(settings=uow.settings, users=uow.users, organization=organization, task=task,
                      login=recorded_by, role=role):
        raise NotYourCallback(f"Callback {callback_id} is {task.assigned_to or 'for another business line'}'s "
                              "to make; a supervisor or manager may record it for them.")
    if task.status != OPEN:
        raise CallbackClosed(f"Callback {callback_id} is {task.status}; its outcome is already recorded.")
    questionnaire = None
    if outcome["reached"]:
        questionnaire = questionnaire_of(organization=organization, task=task, settings=uow.settings, rules=rules)
        outcome = check_answers(questionnaire, outcome)
    on = today(uow)
    task.attempts += 1
    task.updated_at = uow.now
    task.completed_by = recorded_by
    task.duration_s = outcome.get("duration_s", task.duration_s)
    task.outside_call_window = not in_call_window(uow.now.astimezone(uow.settings.tz), rules.policy.call_windows,
                                                  rules.calendar)
    customer = customers_by_id(organization, [task.customer_id]).get(task.customer_id)
    if not outcome["reached"]:
        task.reached = False
        task.next_attempt_on = next_attempt_on(on, task.attempts, rules.policy, rules.calendar)
        if task.next_attempt_on is None:
            task.status, task.completed_at = UNREACHABLE, uow.now
            uow.emit("callback.unreachable", {
                "callback_id": task.id, "customer_id": task.customer_id, "kind": task.kind,
                "due_on": iso(task.due_on), "attempts": task.attempts, "key_customer": task.key_customer,
                "business_line": task.business_line, "delivery_id": task.delivery_id, "order_id": task.order_id,
                "complaint_id": task.complaint_id, "customer": customer_payload(customer, task.customer_id),
                "outside_call_window": task.outside_call_window,
            }, organization=organization)
        task.save()
        return task
    for name in ("product_satisfaction", "service_satisfaction", "dissatisfied_reason", "suggestions", "answers"):
        setattr(task, name, outcome.get(name))
    task.reached, task.status, task.completed_at, task.next_attempt_on = True, DONE, uow.now, None
    task.record_month, task.record_seq, task.record_no = _next_record_no(organization, on)
    dissatisfied = {task.product_satisfaction, task.service_satisfaction} & DISSATISFIED_ANSWERS
    if (dissatisfied or outcome["dissatisfied_answers"]) and task.complaint_id is None:
        task.raised_complaint_id = f"callback-{task.id}"
    task.over_time_limit = over_time_limit(task.duration_s, rules.policy.call_length_guide_s,
                                           raised_complaint=task.raised_complaint_id is not None)
    task.save()
    payload = customer_payload(customer, task.customer_id)
    uow.emit("callback.completed", {
        "callback_id": task.id, "kind": task.kind, "due_on": iso(task.due_on), "customer": payload,
        "key_customer": task.key_customer, "reached": True, "product_satisfaction": task.product_satisfaction,
        "service_satisfaction": task.service_satisfaction, "complaint_id": task.complaint_id,
        "raised_complaint_id": task.raised_complaint_id, "suggestions": task.suggestions,
        "dissatisfied_reason": task.dissatisfied_reason, "duration_s": task.duration_s, "answers": task.answers,
        "record_no": task.record_no, "attempts": task.attempts, "channel": task.channel,
        "questionnaire": questionnaire.name, "dissatisfied_answers": outcome["dissatisfied_answers"],
        "business_line": task.business_line, "delivery_id": task.delivery_id, "order_id": task.order_id,
        "completed_at": uow.now.isoformat(), "verification": task.kind == rules.policy.verification.kind,
        "over_time_limit": task.over_time_limit, "duration_limit_s": rules.policy.call_length_guide_s,
        "outside_call_window": task.outside_call_window,
    }, organization=organization)
    if task.raised_complaint_id:
        uow.emit("complaint.raised", {
            "complaint_id": task.raised_complaint_id, "customer": payload, "description": task.dissatisfied_reason,
            "category": rules.policy.raised_complaints.category_for(task.answers), "source": "callback",
            "raised_at": uow.now.isoformat(), "order_id": task.order_id, "delivery_id": task.delivery_id,
            "callback_id": task.id,
        }, organization=organization, id=f"{task.raised_complaint_id}:raised")
    return task


def _next_record_no(organization: str, on: date) -> tuple[str, int, str]:
    """Gives (month, sequence, record number) of the next callback record of the month (seed 000 6.2.4)."""
    month = f"{on.year:04d}{on.month:02d}"
    # Two outcomes recorded at once would both take MAX+1 and collide on the unique index.
    advisory_lock(CallbackTask._meta.database, "scheduler.record_no", organization, month)
    last = CallbackTask.select(peewee.fn.MAX(CallbackTask.record_seq)).where(
        CallbackTask.organization == organization, CallbackTask.record_month == month).scalar() or 0
    return month, last + 1, f"{month}-{last + 1:04d}"
