"""A supervisor's buttons on the callback form and the team workbench: reassign a callback, or an absent
agent's open ones by date range (seed 000 part 5); switch a callback to on-site with the reason (seed 002
4.1); and the open questions a customer asked on a callback (seed 000 part 3: ask first, then call back).

Each form runs the command of its API route (handlers.reassign_callback, reassign_open, switch_to_onsite,
ask_question) and goes back to its page; a refusal comes back as `?problem=<field>`, which the page says
in its language.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import redirect, request, url_for

from .. import handlers
from ..errors import CallbackClosed, ChannelUnchanged, SchedulerDomainError
from ..models import OPEN, WRONG_NUMBER
from .common import RECORD_OUTCOME, blp, me, service, settings
from shared.web.roles import define_action

#: Reassign callbacks and switch them to on-site: the roles of the API's routes (TEAM_LEADS).
SUPERVISE = define_action("scheduler.supervise", "supervisor", "manager", "admin")


def supervision_context(organization: str, task) -> dict:
    """Gives what the callback form shows of a supervisor's changes and the customer's questions."""
    people = service().users.of_role(organization, "agent", "advisor", "supervisor", "manager", "admin")
    return {"changes": handlers.callback_changes(organization=organization, callback_id=task.id),
            "questions": handlers.questions_of(organization=organization, callback_id=task.id),
            "agents": [p for p in people if p.role == "agent"], "owners": people,
            "changeable": task.status in (OPEN, WRONG_NUMBER), "problem": request.args.get("problem")}


def _back(callback_id: str, problem: str | None = None):
    args = {"problem": problem} if problem else {"changed": "1"}
    return redirect(url_for(".callback", callback_id=callback_id, **args) + "#supervision", code=303)


def _run(callback_id: str, command):
    try:
        with service().command() as uow:
            command(uow)
    except CallbackClosed:
        return _back(callback_id, "closed")
    except ChannelUnchanged:
        return _back(callback_id, "onsite")
    except SchedulerDomainError as exc:  # UnknownPerson and the domain's refusals name their field
        return _back(callback_id, exc.field or "form")
    return _back(callback_id)


@blp.post("/callbacks/<callback_id>/assign")
@SUPERVISE
def assign(callback_id):
    """Gives the callback to the agent chosen (POST /api/v1/callbacks/<id>/assign)."""
    who, agent = me(), request.form.get("agent", "").strip()
    if not agent:
        return _back(callback_id, "agent")

    def command(uow):
        handlers.reassign_callback(uow=uow, organization=who.organization, callback_id=callback_id, agent=agent,
                                   actor=who.login)
        uow.audit(who, organization=who.organization, action="callback.reassigned", subject=callback_id,
                  detail={"agent": agent})
    return _run(callback_id, command)


@blp.post("/callbacks/<callback_id>/channel")
@SUPERVISE
def switch_to_onsite(callback_id):
    """Makes the callback an on-site visit, with the reason (POST /api/v1/callbacks/<id>/channel)."""
    who, reason = me(), request.form.get("reason", "").strip()
    if not reason:
        return _back(callback_id, "reason")

    def command(uow):
        handlers.switch_to_onsite(uow=uow, organization=who.organization, callback_id=callback_id, reason=reason,
                                  actor=who.login)
        uow.audit(who, organization=who.organization, action="callback.channel_switched", subject=callback_id,
                  detail={"channel": "onsite", "reason": reason})
    return _run(callback_id, command)


@blp.post("/callbacks/<callback_id>/questions")
@RECORD_OUTCOME
def ask_question(callback_id):
    """Records a question the customer asked, its owner and the time promised (POST
    /api/v1/callbacks/<id>/questions): the owner is mailed, a follow-up callback planned that day."""
    who = me()
    question, owner = request.form.get("question", "").strip(), request.form.get("owner", "").strip()
    try:
        due_at = datetime.fromisoformat(request.form.get("answer_due_at", "").strip()).replace(tzinfo=settings().tz)
    except ValueError:
        return _back(callback_id, "answer_due_at")
    if not question or len(question) > 4000:
        return _back(callback_id, "question")
    if not owner:
        return _back(callback_id, "owner")

    def command(uow):
        handlers.ask_question(uow=uow, organization=who.organization, callback_id=callback_id, question=question,
                              owner=owner, answer_due_at=due_at, asked_by=who.login)
        uow.audit(who, organization=who.organization, action="callback.question_asked", subject=callback_id,
                  detail={"owner": owner})
    return _run(callback_id, command)


def _day(name: str) -> date | None:
    raw = request.form.get(name, "").strip()
    return date.fromisoformat(raw) if raw else None


@blp.post("/agents/reassign")
@SUPERVISE
def reassign_absent():
    """Gives an absent agent's callbacks still to be made, in a range of call days, to another agent (POST
    /api/v1/agents/<login>/callbacks/reassign); back to the workbench saying how many moved."""
    who = me()
    absent, agent = request.form.get("absent", "").strip(), request.form.get("agent", "").strip()
    try:
        call_from, call_to = _day("call_from"), _day("call_to")
    except ValueError:
        return redirect(url_for(".workbench", problem="call_from"), code=303)
    if not absent or not agent:
        return redirect(url_for(".workbench", problem="agent"), code=303)
    try:
        with service().command() as uow:
            moved = handlers.reassign_open(uow=uow, organization=who.organization, absent=absent, agent=agent,
                                           call_from=call_from, call_to=call_to, actor=who.login)
            uow.audit(who, organization=who.organization, action="callbacks.reassigned", subject=absent,
                      detail={"agent": agent, "moved": len(moved)})
    except SchedulerDomainError as exc:
        return redirect(url_for(".workbench", problem=exc.field or "agent"), code=303)
    return redirect(url_for(".workbench", agent=agent, all="1", moved=len(moved)), code=303)
