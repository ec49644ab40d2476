"""Routes of callback tasks (回访任务), their questionnaires and outcomes, and agents' task lists."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from shared.web.api import organization_of_request, principal, roles_required, total_count
from shared.web.branches import my_branch, only_my_branch

from .. import handlers
from ..models import CallbackTask
from ..rules import rules_for
from ..schemas import (
    AgentCallbackQuery, AgentCallbackSchema, CallbackDetailSchema, CallbackQuery, CallbackSchema, ContactCorrectionSchema, OutcomeSchema,
    QuestionnaireSchema,
)
from .common import (AGENT_LOGIN, CALLBACK_ID, CALLERS, READERS, TEAM_LEADS, record_phones_read, service, settings,
                     visible_callback, with_customers)

callbacks_blp = Blueprint("callbacks", __name__, url_prefix="/api/v1/callbacks",
                          description="Callback tasks (回访任务) and their outcomes.")


@callbacks_blp.route("")
class Callbacks(MethodView):
    @callbacks_blp.arguments(CallbackQuery, location="query")
    @callbacks_blp.response(200, CallbackSchema(many=True))
    @roles_required(*READERS)
    def get(self, args):
        """List callback tasks, by due date."""
        org = organization_of_request()
        query = only_my_branch(CallbackTask.select().where(CallbackTask.organization == org), CallbackTask.branch)
        for name in ("customer_id", "delivery_id", "order_id", "complaint_id", "status", "kind"):
            if args.get(name) is not None:
                query = query.where(getattr(CallbackTask, name) == args[name])
        if args.get("due_from"):
            query = query.where(CallbackTask.due_on >= args["due_from"])
        if args.get("due_to"):
            query = query.where(CallbackTask.due_on <= args["due_to"])
        total = query.count()
        tasks = list(query.order_by(CallbackTask.due_on, CallbackTask.id).limit(args["limit"]).offset(args["offset"]))
        total_count(total)
        return with_customers(org, tasks)


def _task_and_questionnaire(callback_id: str):
    org = organization_of_request()
    task = visible_callback(org, callback_id)
    questionnaire = handlers.questionnaire_of(organization=org, task=task, settings=settings(),
                                              rules=rules_for(settings(), org))
    return org, task, questionnaire


@callbacks_blp.route("/<callback_id>", parameters=[CALLBACK_ID])
class CallbackItem(MethodView):
    @callbacks_blp.response(200, CallbackDetailSchema)
    @roles_required(*READERS)
    def get(self, callback_id):
        """One callback task, with the questionnaire (回访模板) to ask, questions in order."""
        org, task, questionnaire = _task_and_questionnaire(callback_id)
        row = with_customers(org, [task])[0]
        me = principal()
        person = service().users.get(org, me.login) if me.login else None
        scripts = handlers.callback_scripts(settings=settings(), organization=org, task=task,
                                            questionnaire=questionnaire,
                                            agent_name=(person.display_name if person else me.login),
                                            customer_name=(row.get("customer") or {}).get("name"))
        return {**row, "questionnaire": questionnaire, "scripts": scripts}


@callbacks_blp.route("/<callback_id>/questionnaire", parameters=[CALLBACK_ID])
class CallbackQuestionnaire(MethodView):
    @callbacks_blp.response(200, QuestionnaireSchema)
    @roles_required(*READERS)
    def get(self, callback_id):
        """The questionnaire a callback follows (RULES 1.2: by customer type and order kind), questions in order."""
        return _task_and_questionnaire(callback_id)[2]


@callbacks_blp.route("/<callback_id>/outcome", parameters=[CALLBACK_ID])
class CallbackOutcome(MethodView):
    @callbacks_blp.arguments(OutcomeSchema, examples={
        "satisfied": {"summary": "reached, satisfied", "value": {
            "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "very_satisfied",
            "suggestions": "希望保养时提醒更换空调滤芯。", "duration_s": 180}},
        "dissatisfied": {"summary": "reached, dissatisfied: a reason is required (a complaint is raised)", "value": {
            "reached": True, "product_satisfaction": "satisfied", "service_satisfaction": "dissatisfied",
            "dissatisfied_reason": "等待时间太长，维修后未清洗车辆。", "duration_s": 240}},
        "unreached": {"summary": "not reached: tried again by the policy", "value": {"reached": False}}})
    @callbacks_blp.response(200, CallbackSchema)
    @callbacks_blp.alt_response(404, description="No such callback in your organisation")
    @callbacks_blp.alt_response(409, description="The callback is no longer open")
    @callbacks_blp.alt_response(422, description="An answer does not fit the callback's questionnaire")
    @roles_required(*CALLERS)
    def post(self, outcome, callback_id):
        """Record one call: reached or not, the answers, the reason for a dissatisfied answer."""
        org = organization_of_request()
        visible_callback(org, callback_id)
        with service().command() as uow:
            task = handlers.record_outcome(uow=uow, organization=org, callback_id=callback_id, outcome=outcome,
                                           recorded_by=principal().login, role=principal().role)
            uow.audit(principal(), organization=org, action="callback.outcome_recorded", subject=callback_id)
        return with_customers(org, [task])[0]


@callbacks_blp.route("/<callback_id>/contact", parameters=[CALLBACK_ID])
class CallbackContact(MethodView):
    @callbacks_blp.arguments(ContactCorrectionSchema, examples={
        "new phone": {"summary": "the right number of a callback waiting in wrong_number (reopens it)",
                      "value": {"phone": "13900001111"}}})
    @callbacks_blp.response(200, CallbackSchema)
    @callbacks_blp.alt_response(404, description="No such callback in your organisation")
    @callbacks_blp.alt_response(409, description="The callback is neither open nor waiting for a correct number")
    @callbacks_blp.alt_response(422, description="A wrong number not fixed: the phone cleared or unchanged")
    @roles_required(*CALLERS)
    def post(self, correction, callback_id):
        """Correct the customer's contact data on a callback; on one waiting for a correct number
        (wrong_number, 待更正号码) it must give the right number, and opens the callback again."""
        org = organization_of_request()
        visible_callback(org, callback_id)
        task = service().run(handlers.correct_callback_contact, organization=org, callback_id=callback_id,
                             correction=correction, login=principal().login, role=principal().role)
        return with_customers(org, [task])[0]


agents_blp = Blueprint("agents", __name__, url_prefix="/api/v1/agents", description="Agents' (回访员) task lists.")


@agents_blp.route("/<login>/callbacks", parameters=[AGENT_LOGIN])
class AgentCallbacks(MethodView):
    @agents_blp.arguments(AgentCallbackQuery, location="query")
    @agents_blp.response(200, AgentCallbackSchema(many=True))
    @roles_required("agent", *TEAM_LEADS)
    def get(self, args, login):
        """An agent's open tasks by due date (a retry counts from its next attempt), each with when to call.

        `next_call_at` is the next moment inside a call window on a working day (RULES 1.2),
        not before the task is due; `?callable_now=1` keeps the tasks due today or earlier,
        and gives none while now is outside the call windows.
        """
        me = principal()
        if me.role == "agent" and me.login != login:
            abort(403, message=f"You are {me.login}: an agent sees only their own list.")
        listed = handlers.agent_worklist(
            settings=settings(), organization=organization_of_request(), now=service().clock(), role=me.role,
            scope=handlers.Scope(logins=(login,), branch=my_branch()), due_to=args.get("due_to"), callable_now=args["callable_now"],
            limit=args["limit"], offset=args["offset"])
        total_count(listed.total)
        record_phones_read(f"agents/{login}/callbacks", len(listed.rows))
        return listed.rows
