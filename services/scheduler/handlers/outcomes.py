"""RULES 1.1, 1.2: a callback's questionnaire and the outcome of each call (the record_outcome command)."""
from __future__ import annotations

from datetime import date

import peewee

from shared.core.answers import DISSATISFIED_ANSWERS
from shared.core.db import advisory_lock, first
from shared.mesh.service import UnitOfWork

from ..domain.calls import appointment_call_at, in_call_window, next_attempt_on, over_time_limit
from ..domain.questionnaire import CONTRACT_ANSWERS, SATISFACTION_SCALE, Questionnaire, answer_errors, questionnaire_for
from ..errors import CallbackClosed, CallbackNotFound, NotYourCallback, OutcomeInvalid
from ..models import (
    DECLINED, DONE, NOT_REACHED, OPEN, REACHED, RESCHEDULED, UNREACHABLE, WRONG_NUMBER, CallAttempt,
    CallbackTask, ContactCorrection, Customer, Delivery, ServiceOrder,
)
from ..rules import OrgRules, questionnaire_named, rules_for
from .common import customer_payload, customers_by_id, iso, today
from .leads import raise_leads
from .tasks import cancel_open


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
    one of a business line they cover.

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
        raise CallbackClosed(f"Callback {callback_id} is {task.status}; its outcome is already recorded."
                             + (" Correct its contact data (POST /api/v1/callbacks/<id>/contact) to call again."
                                if task.status == WRONG_NUMBER else ""))
    result = outcome.get("result")
    if outcome.get("contact"):
        if result == WRONG_NUMBER:
            check_contact_fix(organization=organization, customer_id=task.customer_id,
                              correction=outcome["contact"], prefix="contact.")
        correct_contact(uow=uow, organization=organization, customer_id=task.customer_id,
                        correction=outcome["contact"], login=recorded_by, callback_id=task.id)
    if result is not None:
        return _other_result(uow=uow, rules=rules, organization=organization, task=task, outcome=outcome,
                             recorded_by=recorded_by, role=role)
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
    task.appointment_at = None
    log_attempt(uow=uow, organization=organization, task=task, agent=recorded_by, role=role,
                result=REACHED if outcome["reached"] else NOT_REACHED, duration_s=outcome.get("duration_s"))
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
                "outside_call_window": task.outside_call_window, "agent": recorded_by,
                "advisor_id": _advisor_of(organization, task), "branch": task.branch,
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
    raise_leads(uow=uow, organization=organization, task=task, calendar=rules.calendar, customer=customer)
    payload = customer_payload(customer, task.customer_id)
    uow.emit("callback.completed", {
        "callback_id": task.id, "kind": task.kind, "due_on": iso(task.due_on), "customer": payload,
        "key_customer": task.key_customer, "reached": True, "product_satisfaction": task.product_satisfaction,
        "service_satisfaction": task.service_satisfaction, "complaint_id": task.complaint_id,
        "raised_complaint_id": task.raised_complaint_id, "suggestions": task.suggestions,
        "dissatisfied_reason": task.dissatisfied_reason, "duration_s": task.duration_s, "answers": task.answers,
        "record_no": task.record_no, "attempts": task.attempts, "channel": task.channel, "questionnaire": questionnaire.name,
        "yes_no_questions": questionnaire.yes_no_labels(), "dissatisfied_answers": outcome["dissatisfied_answers"],
        "business_line": task.business_line, "delivery_id": task.delivery_id, "order_id": task.order_id,
        "completed_at": uow.now.isoformat(), "verification": task.kind == rules.policy.verification.kind,
        "over_time_limit": task.over_time_limit, "duration_limit_s": rules.policy.call_length_guide_s,
        "outside_call_window": task.outside_call_window, "agent": recorded_by,
        "advisor_id": _advisor_of(organization, task), "branch": task.branch,
    }, organization=organization)
    if task.raised_complaint_id:
        uow.emit("complaint.raised", {
            "complaint_id": task.raised_complaint_id, "customer": payload, "description": task.dissatisfied_reason,
            "category": rules.policy.raised_complaints.category_for(task.answers), "source": "callback",
            "raised_at": uow.now.isoformat(), "order_id": task.order_id, "delivery_id": task.delivery_id,
            "callback_id": task.id, "product_model": _product_model_of(organization, task), "branch": task.branch,
            "advisor_id": _advisor_of(organization, task), "recorded_by": recorded_by,  # its first taker (seed 002)
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


def _product_model_of(organization: str, task: CallbackTask) -> str | None:
    """Gives the product model of the task's delivery, if it has one (a complaint raised
    from a callback counts in the recurring problems by model; service orders carry no model)."""
    if not task.delivery_id:
        return None
    return Delivery.select(Delivery.product_model).where(
        Delivery.organization == organization, Delivery.delivery_id == task.delivery_id).scalar()


def _advisor_of(organization: str, task: CallbackTask) -> str | None:
    """Gives the service advisor (服务顾问) of the task's order, if it has one (for the figures per advisor)."""
    if not task.order_id:
        return None
    return ServiceOrder.select(ServiceOrder.advisor_id).where(
        ServiceOrder.organization == organization, ServiceOrder.order_id == task.order_id).scalar()


def log_attempt(*, uow: UnitOfWork, organization: str, task: CallbackTask, agent: str | None, role: str | None,
                result: str, duration_s: int | None = None, appointment_at=None) -> CallAttempt:
    """Gives the call just recorded for `task` (the call log: who, when, which channel, what
    it came to); also sets the task's `last_result`."""
    number = (CallAttempt.select(peewee.fn.MAX(CallAttempt.attempt_no))
              .where(CallAttempt.organization == organization, CallAttempt.callback_id == task.id).scalar() or 0) + 1
    task.last_result = result
    return CallAttempt.create(organization=organization, callback_id=task.id, attempt_no=number, agent=agent,
                              role=role, at=uow.now, channel=task.channel, result=result,
                              appointment_at=appointment_at, duration_s=duration_s)


def call_attempts(*, organization: str, callback_id: str) -> list[CallAttempt]:
    """Gives the calls of a callback task in the order they were made."""
    return list(CallAttempt.select().where(CallAttempt.organization == organization,
                                           CallAttempt.callback_id == callback_id).order_by(CallAttempt.attempt_no))


#: The contact fields a call may correct.
CORRECTABLE = ("name", "phone", "contact_person")


def is_contact_fix(before: dict, after: dict) -> bool:
    """Gives whether contact data `after` fixes a wrong number of `before`: a phone that is given
    and differs, or (with a phone) another contact person. A cleared or unchanged phone does not."""
    phone = (after.get("phone") or "").strip()
    if not phone:
        return False
    return phone != (before.get("phone") or "").strip() or \
        (after.get("contact_person") or None) != (before.get("contact_person") or None)


def check_contact_fix(*, organization: str, customer_id: str, correction: dict, prefix: str = "") -> None:
    """Checks that `correction` fixes the customer's wrong number.

    Raises:
      OutcomeInvalid: the phone is cleared (null), or neither phone nor contact person changes;
        the error names `<prefix>phone`.
    """
    customer = Customer.get_or_none(Customer.organization == organization, Customer.customer_id == customer_id)
    before = {name: getattr(customer, name) if customer else None for name in CORRECTABLE}
    after = {**before, **{k: v for k, v in correction.items() if k in CORRECTABLE}}
    if "phone" in correction and not (correction["phone"] or "").strip():
        raise OutcomeInvalid("A wrong number is fixed by the right one, not by clearing it.",
                             errors={f"{prefix}phone": ["Give the correct phone number; it may not be cleared."]})
    if not is_contact_fix(before, after):
        raise OutcomeInvalid("The contact data is unchanged: the number is still the wrong one.",
                             errors={f"{prefix}phone": ["Give a phone (or contact person) other than the "
                                                        "wrong one on file."]})


def correct_callback_contact(*, uow: UnitOfWork, organization: str, callback_id: str, correction: dict,
                             login: str | None = None, role: str | None = None) -> CallbackTask:
    """Gives the callback after a correction of its customer's contact data made on the callback
    itself: on a task waiting in `wrong_number` it must fix the number (a
    new phone, or another contact person), and opens the task again to call from today; on an
    open task it is kept as during a call. Either way it is emitted as `customer.updated`.

    Raises:
      CallbackNotFound, NotYourCallback, CallbackClosed (neither open nor waiting for a number),
      OutcomeInvalid (a wrong number not fixed: names `phone`).
    """
    task = get_callback_or_raise(organization=organization, callback_id=callback_id, lock=True)
    if not may_record(settings=uow.settings, users=uow.users, organization=organization, task=task,
                      login=login, role=role):
        raise NotYourCallback(f"Callback {callback_id} is {task.assigned_to or 'for another business line'}'s "
                              "to make; a supervisor or manager may correct it for them.")
    if task.status not in (OPEN, WRONG_NUMBER):
        raise CallbackClosed(f"Callback {callback_id} is {task.status}; its contact data is no longer corrected here.")
    if task.status == WRONG_NUMBER:
        check_contact_fix(organization=organization, customer_id=task.customer_id, correction=correction)
    correct_contact(uow=uow, organization=organization, customer_id=task.customer_id, correction=correction,
                    login=login, callback_id=task.id)
    return CallbackTask.get_by_id(task.id)


def correct_contact(*, uow: UnitOfWork, organization: str, customer_id: str, correction: dict,
                    login: str | None, callback_id: str | None = None) -> Customer | None:
    """Gives the customer after a correction of their name, phone or contact person made during a
    call: kept with what it was (`contact_correction`) and emitted as `customer.updated`, so every
    service has it; the customer's callbacks waiting for a right number are open again. A
    correction that changes nothing is not kept (None)."""
    customer = Customer.get_or_none(Customer.organization == organization, Customer.customer_id == customer_id)
    if customer is None:
        customer = Customer.create(organization=organization, customer_id=customer_id, name=customer_id)
    before = {name: getattr(customer, name) for name in CORRECTABLE}
    after = {**before, **{k: v for k, v in correction.items() if k in CORRECTABLE}}
    if after == before:
        return None
    for name, value in after.items():
        setattr(customer, name, value)
    customer.save()
    ContactCorrection.create(organization=organization, customer_id=customer_id, callback_id=callback_id,
                             login=login, before=before, after=after, at=uow.now)
    uow.emit("customer.updated", {"customer": customer_payload(customer, customer_id),
                                  "corrected_by": login, "callback_id": callback_id,
                                  "corrected_at": uow.now.isoformat()}, organization=organization)
    if is_contact_fix(before, after):
        reopen_wrong_numbers(uow=uow, organization=organization, customer_ids=[customer_id])
    return customer


def reopen_wrong_numbers(*, uow: UnitOfWork, organization: str, customer_ids) -> int:
    """Gives how many callbacks waiting for corrected contact data (`wrong_number`) of these
    customers are open again, to be called from today."""
    return (CallbackTask.update(status=OPEN, next_attempt_on=today(uow), updated_at=uow.now)
            .where(CallbackTask.organization == organization, CallbackTask.status == WRONG_NUMBER,
                   CallbackTask.customer_id.in_(list(customer_ids))).execute())


def _other_result(*, uow: UnitOfWork, rules: OrgRules, organization: str, task: CallbackTask, outcome: dict,
                  recorded_by: str | None, role: str | None) -> CallbackTask:
    """Gives the task after a call that came to `rescheduled`, `declined` or `wrong_number`.

    rescheduled: the next attempt is at the asked time, moved into the call windows; it does not
    use up an attempt of the retry policy. declined: the task ends `declined` and the customer is
    opted out: the planner plans no callback for them from then on (their other open callbacks
    are cancelled when the policy says so). wrong_number: the task waits (`wrong_number`) until
    the contact data is corrected (here, on a later call's page, or by `customer.updated`).
    """
    result = outcome["result"]
    tz = uow.settings.tz
    task.updated_at, task.completed_by = uow.now, recorded_by
    task.duration_s = outcome.get("duration_s", task.duration_s)
    task.outside_call_window = not in_call_window(uow.now.astimezone(tz), rules.policy.call_windows, rules.calendar)
    base = {"callback_id": task.id, "kind": task.kind, "customer_id": task.customer_id, "due_on": iso(task.due_on),
            "business_line": task.business_line, "agent": recorded_by, "at": uow.now.isoformat(),
            "delivery_id": task.delivery_id, "order_id": task.order_id, "branch": task.branch,
            "complaint_id": task.complaint_id, "verification": task.kind == rules.policy.verification.kind}
    if result == RESCHEDULED:
        call_at = appointment_call_at(outcome["call_at"].astimezone(tz), uow.now.astimezone(tz), rules.policy,
                                      rules.calendar, tz=tz)
        task.appointment_at, task.next_attempt_on, task.reached = call_at, call_at.date(), True
        log_attempt(uow=uow, organization=organization, task=task, agent=recorded_by, role=role, result=result,
                    duration_s=task.duration_s, appointment_at=call_at)
        task.save()
        uow.emit("callback.rescheduled", {**base, "call_at": call_at.isoformat(),
                                          "asked_at": outcome["call_at"].isoformat()}, organization=organization)
        return task
    log_attempt(uow=uow, organization=organization, task=task, agent=recorded_by, role=role, result=result,
                duration_s=task.duration_s)
    if result == WRONG_NUMBER:
        fixed = bool(outcome.get("contact"))  # checked above: a contact given with wrong_number fixes it
        task.reached, task.next_attempt_on, task.appointment_at = False, (today(uow) if fixed else None), None
        task.status = OPEN if fixed else WRONG_NUMBER
        task.save()
        uow.emit("callback.wrong_number", {**base, "corrected": bool(fixed)}, organization=organization)
        return task
    task.reached, task.status, task.completed_at, task.next_attempt_on = True, DECLINED, uow.now, None
    task.appointment_at = None
    task.save()
    opted_out = Customer.update(opted_out_at=uow.now, opted_out_by=recorded_by).where(
        Customer.organization == organization, Customer.customer_id == task.customer_id).execute()
    if not opted_out:  # no customer row: the opt-out is kept on a new one, not lost
        Customer.create(organization=organization, customer_id=task.customer_id, name=task.customer_id,
                        opted_out_at=uow.now, opted_out_by=recorded_by)
    cancelled = cancel_open(uow=uow, organization=organization, where=(CallbackTask.customer_id == task.customer_id)
                            & (CallbackTask.id != task.id) & CallbackTask.complaint_id.is_null(),  # surveys only:
                            ) if rules.policy.retry.declined_cancels_open else 0  # a complaint's follow-ups stay
    uow.emit("callback.declined", {**base, "key_customer": task.key_customer, "cancelled_callbacks": cancelled,
                                   "reason": (outcome.get("suggestions") or "").strip() or None},
             organization=organization)
    return task
