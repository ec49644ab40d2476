"""A supervisor's changes to callbacks, and the questions customers ask on them.

Reassigning (seed 000 part 5: the service centre plans who calls): one callback, or every open
callback of an absent agent whose call day falls in a date range, to another agent. Switching to
on-site (seed 002 4.1: 电话无法解决的问题，上门回访): a phone callback becomes a visit, with the
reason. Each change is a `callback_change` row (who, when, from what to what, why): the
callback's history shows it.

Open questions (seed 000 part 3: 不得擅自承诺，请示后再回复客户): an agent records a question the
customer asked, who owns the answer and the time promised to the customer; the owner is mailed
(notify.py) and a follow-up callback (`question_followup`, a follow-up call, not a survey) is
planned for the promised day, as a complaint's promise gets its follow-up (complaints.py).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from shared.mesh.service import UnitOfWork

from ..domain.equipment import CHANNEL_ONSITE
from ..domain.planned import plan_on
from ..errors import CallbackClosed, ChannelUnchanged, SchedulerDomainError, UnknownPerson
from ..models import (CHANGE_ASSIGNED, CHANGE_CHANNEL, OPEN, WRONG_NUMBER, CallbackChange, CallbackTask,
                      OpenQuestion, call_on)
from ..rules import rules_for
from .common import local_date
from .outcomes import get_callback_or_raise
from .tasks import Wanted, emit_scheduled, sync_tasks, task_id

#: The kind of the callback that brings the customer the answer to their question (a follow-up call).
QUESTION_FOLLOWUP = "question_followup"
#: A callback still to be made: open, or waiting for a correct number.
_TO_MAKE = (OPEN, WRONG_NUMBER)


def _agent_or_raise(uow: UnitOfWork, organization: str, login: str, *, field: str) -> str:
    """Gives `login` when it is an active agent of the organisation's directory."""
    person = uow.users.get(organization, login)
    if person is None or not person.active or person.role != "agent":
        raise UnknownPerson(f"{login!r} is no active agent (回访员) of the organisation.", field=field)
    return login


def _to_make_or_raise(organization: str, callback_id: str) -> CallbackTask:
    task = get_callback_or_raise(organization=organization, callback_id=callback_id, lock=True)
    if task.status not in _TO_MAKE:
        raise CallbackClosed(f"Callback {callback_id} is {task.status}: only a callback still to be made changes.")
    return task


def _record(uow: UnitOfWork, task: CallbackTask, *, action: str, before, after, reason: str | None,
            actor: str | None) -> None:
    CallbackChange.insert(organization=task.organization, callback_id=task.id, action=action, before=before,
                          after=after, reason=reason, actor=actor, at=uow.now).execute()


def reassign_callback(*, uow: UnitOfWork, organization: str, callback_id: str, agent: str,
                      actor: str | None) -> CallbackTask:
    """Gives the callback after it was given to `agent` (an active agent), the change recorded.

    Raises:
      CallbackNotFound; CallbackClosed: done, unreachable, cancelled or declined; UnknownPerson (field `agent`).
    """
    _agent_or_raise(uow, organization, agent, field="agent")
    task = _to_make_or_raise(organization, callback_id)
    if task.assigned_to != agent:
        _reassign(uow, task, agent, actor=actor, reason=None)
    return task


def _reassign(uow: UnitOfWork, task: CallbackTask, agent: str, *, actor: str | None, reason: str | None) -> None:
    before = task.assigned_to
    task.assigned_to, task.updated_at = agent, uow.now
    task.save()
    _record(uow, task, action=CHANGE_ASSIGNED, before=before, after=agent, reason=reason, actor=actor)
    emit_scheduled(uow, task.__data__, rescheduled=True)


def reassign_open(*, uow: UnitOfWork, organization: str, absent: str, agent: str, call_from: date | None,
                  call_to: date | None, actor: str | None) -> list[str]:
    """Gives the ids of the callbacks of `absent` still to be made, whose call day (a retry's day, else
    the due day) falls between `call_from` and `call_to` (either open-ended), after each was given to
    `agent`, each change recorded.

    Raises:
      UnknownPerson (field `agent`); SchedulerDomainError: the range ends before it starts, or the
      agent is the absent one.
    """
    _agent_or_raise(uow, organization, agent, field="agent")
    if agent == absent:
        raise SchedulerDomainError("Give the callbacks to another agent than the absent one.", field="agent")
    if call_from and call_to and call_to < call_from:
        raise SchedulerDomainError("The range ends before it starts.", field="call_to")
    query = CallbackTask.select().where(CallbackTask.organization == organization,
                                        CallbackTask.assigned_to == absent, CallbackTask.status.in_(_TO_MAKE))
    if call_from:
        query = query.where(call_on() >= call_from)
    if call_to:
        query = query.where(call_on() <= call_to)
    moved = []
    for task in query.order_by(CallbackTask.due_on, CallbackTask.id):
        _reassign(uow, task, agent, actor=actor, reason=f"absent: {absent}")
        moved.append(task.id)
    return moved


def switch_to_onsite(*, uow: UnitOfWork, organization: str, callback_id: str, reason: str,
                     actor: str | None) -> CallbackTask:
    """Gives the callback after it became an on-site visit (seed 002 4.1: what the phone cannot solve), the
    reason and who decided it recorded.

    Raises:
      CallbackNotFound; CallbackClosed; ChannelUnchanged: on site already.
    """
    task = _to_make_or_raise(organization, callback_id)
    if task.channel == CHANNEL_ONSITE:
        raise ChannelUnchanged(f"Callback {callback_id} is an on-site visit already.")
    before = task.channel
    task.channel, task.updated_at = CHANNEL_ONSITE, uow.now
    task.save()
    _record(uow, task, action=CHANGE_CHANNEL, before=before, after=CHANNEL_ONSITE, reason=reason, actor=actor)
    emit_scheduled(uow, task.__data__, rescheduled=True)
    return task


def callback_changes(*, organization: str, callback_id: str) -> list[CallbackChange]:
    """Gives the callback's changes, oldest first."""
    return list(CallbackChange.select().where(CallbackChange.organization == organization,
                                              CallbackChange.callback_id == callback_id)
                .order_by(CallbackChange.at, CallbackChange.id))


def ask_question(*, uow: UnitOfWork, organization: str, callback_id: str, question: str, owner: str,
                 answer_due_at: datetime, asked_by: str | None) -> OpenQuestion:
    """Gives the open question recorded on a callback: its owner (a person of the directory) is mailed
    (notify.py), and a follow-up callback is planned for the promised day, by the same agent.

    Raises:
      CallbackNotFound; UnknownPerson (field `owner`); SchedulerDomainError: the promised time has passed
      (field `answer_due_at`).
    """
    task = get_callback_or_raise(organization=organization, callback_id=callback_id)
    person = uow.users.get(organization, owner)
    if person is None or not person.active:
        raise UnknownPerson(f"{owner!r} is nobody active of the organisation.", field="owner")
    if answer_due_at <= uow.now:
        raise SchedulerDomainError("The time promised to the customer has passed.", field="answer_due_at")
    rules = rules_for(uow.settings, organization)
    question_id = str(uuid.uuid4())
    plan_key = f"question:{question_id}"
    due_on = local_date(answer_due_at, uow.settings)
    sync_tasks(uow=uow, organization=organization, rules=rules, wanted=[Wanted(
        plan_key=plan_key, planned=plan_on(QUESTION_FOLLOWUP, due_on, calendar=rules.calendar, due_on=due_on),
        customer_id=task.customer_id, business_line=task.business_line,
        channel=task.channel,
        key_customer=task.key_customer, delivery_id=task.delivery_id, order_id=task.order_id,
        complaint_id=task.complaint_id, branch=task.branch, call_at=answer_due_at,
        assigned_to=task.assigned_to)])
    row = OpenQuestion.create(id=question_id, organization=organization, callback_id=task.id,
                              customer_id=task.customer_id, question=question, owner=owner,
                              answer_due_at=answer_due_at, asked_by=asked_by, asked_at=uow.now,
                              followup_id=task_id(organization, plan_key))
    return row


def questions_of(*, organization: str, callback_id: str) -> list[OpenQuestion]:
    """Gives the questions asked on a callback, and those its follow-up answers, oldest first."""
    return list(OpenQuestion.select().where(
        OpenQuestion.organization == organization,
        (OpenQuestion.callback_id == callback_id) | (OpenQuestion.followup_id == callback_id))
        .order_by(OpenQuestion.asked_at, OpenQuestion.id))
