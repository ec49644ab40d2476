"""Routes of a supervisor's changes to callbacks (reassign one, or an absent agent's; switch to on-site
with the reason) and of the questions customers ask on callbacks (seed 000 part 3: ask first, then
call back): the owner is mailed and a follow-up callback is planned for the promised day."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, validate

from shared.core.schemas import Timestamp
from shared.web.api import organization_of_request, principal, roles_required

from .. import handlers
from ..schemas import CallbackSchema
from .common import AGENT_LOGIN, CALLBACK_ID, CALLERS, READERS, TEAM_LEADS, service, with_customers

supervision_blp = Blueprint("callback_changes", __name__, url_prefix="/api/v1/callbacks",
                            description="A supervisor's changes to a callback (reassigned, switched to on-site), "
                                        "and the questions a customer asked on it.")
absent_blp = Blueprint("absent_agents", __name__, url_prefix="/api/v1/agents",
                       description="An absent agent's open callbacks given to another agent.")

_LOGIN = validate.Length(min=1, max=128)


class AssignSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    agent = fields.String(required=True, validate=_LOGIN, metadata={"description": "the agent (回访员) who calls it"})


class ReassignOpenSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    agent = fields.String(required=True, validate=_LOGIN, metadata={"description": "who calls them now"})
    call_from = fields.Date(load_default=None, allow_none=True,
                            metadata={"description": "first call day moved (absent: every earlier one too)"})
    call_to = fields.Date(load_default=None, allow_none=True,
                          metadata={"description": "last call day moved (absent: every later one too)"})


class ReassignedSchema(Schema):
    moved = fields.List(fields.String(), metadata={"description": "the ids of the callbacks given to the agent"})


class ChannelSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    channel = fields.String(required=True, validate=validate.OneOf(("onsite",)),
                            metadata={"description": "onsite: a visit instead of a call (seed 002 4.1)"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "why the phone cannot solve it"})


class ChangeSchema(Schema):
    action = fields.String(metadata={"description": "assigned or channel"})
    before = fields.String(allow_none=True)
    after = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    actor = fields.String(allow_none=True, metadata={"description": "who made the change"})
    at = Timestamp()


class AskSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    question = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    owner = fields.String(required=True, validate=_LOGIN, metadata={"description": "who answers it (a login)"})
    answer_due_at = fields.AwareDateTime(required=True, metadata={
        "description": "the time promised to the customer: the follow-up callback is planned that day"})


class OpenQuestionSchema(Schema):
    id = fields.String()
    callback_id = fields.String()
    customer_id = fields.String()
    question = fields.String()
    owner = fields.String()
    answer_due_at = Timestamp()
    status = fields.String()
    asked_by = fields.String(allow_none=True)
    asked_at = Timestamp()
    followup_id = fields.String(allow_none=True, metadata={"description": "the follow-up callback"})
    mailed_at = Timestamp(allow_none=True)


@supervision_blp.route("/<callback_id>/assign", parameters=[CALLBACK_ID])
class Assign(MethodView):
    @supervision_blp.arguments(AssignSchema, example={"agent": "wang"})
    @supervision_blp.response(200, CallbackSchema)
    @supervision_blp.alt_response(404, description="No such callback in your organisation")
    @supervision_blp.alt_response(409, description="The callback is no longer to be made")
    @roles_required(*TEAM_LEADS)
    def post(self, body, callback_id):
        """Give one callback still to be made to another agent (the callback's history shows who did it)."""
        org = organization_of_request()
        with service().command() as uow:
            task = handlers.reassign_callback(uow=uow, organization=org, callback_id=callback_id,
                                              agent=body["agent"], actor=principal().login)
            uow.audit(principal(), organization=org, action="callback.reassigned", subject=callback_id,
                      detail={"agent": body["agent"]})
        return with_customers(org, [task])[0]


@supervision_blp.route("/<callback_id>/channel", parameters=[CALLBACK_ID])
class Channel(MethodView):
    @supervision_blp.arguments(ChannelSchema, example={"channel": "onsite", "reason": "电话无法解决，需上门查看漏水处。"})
    @supervision_blp.response(200, CallbackSchema)
    @supervision_blp.alt_response(404, description="No such callback in your organisation")
    @supervision_blp.alt_response(409, description="The callback is no longer to be made, or on site already")
    @roles_required(*TEAM_LEADS)
    def post(self, body, callback_id):
        """Switch a phone callback to an on-site visit, with the reason (seed 002 4.1)."""
        org = organization_of_request()
        with service().command() as uow:
            task = handlers.switch_to_onsite(uow=uow, organization=org, callback_id=callback_id,
                                             reason=body["reason"], actor=principal().login)
            uow.audit(principal(), organization=org, action="callback.channel_switched", subject=callback_id,
                      detail={"channel": body["channel"], "reason": body["reason"]})
        return with_customers(org, [task])[0]


@supervision_blp.route("/<callback_id>/changes", parameters=[CALLBACK_ID])
class Changes(MethodView):
    @supervision_blp.response(200, ChangeSchema(many=True))
    @supervision_blp.alt_response(404, description="No such callback in your organisation")
    @roles_required(*READERS)
    def get(self, callback_id):
        """The callback's changes, oldest first: reassigned, switched to on-site, by whom, why."""
        org = organization_of_request()
        handlers.get_callback_or_raise(organization=org, callback_id=callback_id)
        return handlers.callback_changes(organization=org, callback_id=callback_id)


@supervision_blp.route("/<callback_id>/questions", parameters=[CALLBACK_ID])
class Questions(MethodView):
    @supervision_blp.response(200, OpenQuestionSchema(many=True))
    @supervision_blp.alt_response(404, description="No such callback in your organisation")
    @roles_required(*READERS)
    def get(self, callback_id):
        """The questions the customer asked on this callback (or that its follow-up answers)."""
        org = organization_of_request()
        handlers.get_callback_or_raise(organization=org, callback_id=callback_id)
        return handlers.questions_of(organization=org, callback_id=callback_id)

    @supervision_blp.arguments(AskSchema, example={
        "question": "保修期外更换压缩机的费用能否减免？", "owner": "zhou", "answer_due_at": "2026-11-05T17:00:00+08:00"})
    @supervision_blp.response(201, OpenQuestionSchema)
    @supervision_blp.alt_response(404, description="No such callback in your organisation")
    @roles_required(*CALLERS)
    def post(self, body, callback_id):
        """Record a question the customer asked, who answers it and the time promised: the owner is mailed,
        and a follow-up callback is planned for that day."""
        org = organization_of_request()
        with service().command() as uow:
            question = handlers.ask_question(uow=uow, organization=org, callback_id=callback_id,
                                             question=body["question"], owner=body["owner"],
                                             answer_due_at=body["answer_due_at"], asked_by=principal().login)
            uow.audit(principal(), organization=org, action="callback.question_asked", subject=callback_id,
                      detail={"owner": body["owner"]})
        return question


@absent_blp.route("/<login>/callbacks/reassign", parameters=[AGENT_LOGIN])
class ReassignOpen(MethodView):
    @absent_blp.arguments(ReassignOpenSchema, example={"agent": "wang", "call_from": "2026-11-02",
                                                       "call_to": "2026-11-06"})
    @absent_blp.response(200, ReassignedSchema)
    @roles_required(*TEAM_LEADS)
    def post(self, body, login):
        """Give an absent agent's callbacks still to be made, whose call day falls in the range, to another agent."""
        org = organization_of_request()
        with service().command() as uow:
            moved = handlers.reassign_open(uow=uow, organization=org, absent=login, agent=body["agent"],
                                           call_from=body["call_from"], call_to=body["call_to"],
                                           actor=principal().login)
            uow.audit(principal(), organization=org, action="callbacks.reassigned", subject=login,
                      detail={"agent": body["agent"], "moved": len(moved)})
        return {"moved": moved}
