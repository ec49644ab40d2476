"""The register of corrective actions (纠正预防措施): list, open, move along, check effectiveness, and the
decisions a meeting took on one.

Routes only translate: a body becomes a command of `handlers`, run in one unit of work (`service().run`).
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared.core.schemas import Timestamp

from shared.web.apidocs import path_parameter
from shared.web.api import organization_of_request, principal, roles_required

from .. import handlers
from ..schemas import ActionCheckSchema, ActionQuerySchema, ActionStatusSchema, CorrectiveActionSchema, NewActionSchema
from .common import ACTORS, READERS, service, settings

actions_blp = Blueprint("corrective_actions", __name__, url_prefix="/api/v1/corrective-actions",
                        description="The register of corrective actions (纠正预防措施).")
ACTION_ID = path_parameter("action_id", "CA-7F3A9E8B1D", "the corrective action's id")


def _present_action(row) -> dict:
    tz = settings().tz
    return {"id": row.action_id, "title": row.title, "owner": row.owner, "due_on": row.due_on, "status": row.status,
            "origin": row.origin, "complaint_ids": list(row.complaint_ids), "callback_ids": list(row.callback_ids),
            "effectiveness": row.effectiveness, "checked_by": row.checked_by,
            "checked_at": row.checked_at.astimezone(tz) if row.checked_at else None,
            "overdue": row.to_domain(tz).overdue(service().clock().astimezone(tz).date())}


def _act_on_action(command, action_id=None, **fields) -> dict:
    who = principal()
    if action_id is not None:
        fields["action_id"] = action_id
    return _present_action(service().run(command, organization=organization_of_request(), actor=who.login,
                                         role=who.role, **fields))


@actions_blp.route("")
class CorrectiveActions(MethodView):
    @actions_blp.arguments(ActionQuerySchema, location="query")
    @actions_blp.response(200, CorrectiveActionSchema(many=True))
    @roles_required(*READERS)
    def get(self, args):
        """The register, soonest due first (filter by status); each says whether it is overdue."""
        return [_present_action(row) for row in handlers.list_actions(organization=organization_of_request(),
                                                                      status=args.get("status"))]

    @actions_blp.arguments(NewActionSchema, example={
        "title": "压缩机接头漏氟：更换供应商并复检库存", "owner": "zhang", "due_on": "2026-12-15",
        "complaint_ids": ["CMP-2026-0007"], "callback_ids": []})
    @actions_blp.response(201, CorrectiveActionSchema)
    @roles_required(*ACTORS)
    def post(self, body):
        """Open a corrective action with its owner, due date and the complaints and callbacks behind it
        (the ownership policy's corrective_roles)."""
        return _act_on_action(handlers.open_action, title=body["title"], owner=body["owner"], due_on=body["due_on"],
                              complaint_ids=tuple(body["complaint_ids"]), callback_ids=tuple(body["callback_ids"]))


@actions_blp.route("/<action_id>/status", parameters=[ACTION_ID])
class ActionStatus(MethodView):
    @actions_blp.arguments(ActionStatusSchema, example={"status": "done"})
    @actions_blp.response(200, CorrectiveActionSchema)
    @roles_required(*ACTORS)
    def post(self, body, action_id):
        """Set the action's status (open, in_progress, done): its owner or the policy's corrective roles."""
        return _act_on_action(handlers.update_action, action_id, status=body["status"])


@actions_blp.route("/<action_id>/check", parameters=[ACTION_ID])
class ActionCheck(MethodView):
    @actions_blp.arguments(ActionCheckSchema, example={"effective": True, "finding": "三个月内同型号无同类投诉。"})
    @actions_blp.response(200, CorrectiveActionSchema)
    @roles_required(*ACTORS)
    def post(self, body, action_id):
        """Record the check that a done action worked (跟踪验证): effective or ineffective."""
        return _act_on_action(handlers.check_action, action_id, effective=body["effective"], finding=body["finding"])


class DecisionBody(Schema):
    meeting_on = fields.Date(required=True, metadata={"description": "the day the meeting was held"})
    decision = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                             metadata={"pattern": r"\S", "description": "what the meeting decided"})
    decided_by = fields.String(required=True, validate=validate.Length(min=1, max=500),
                               metadata={"pattern": r"\S", "description": "who decided: the meeting's members"})


class DecisionSchema(Schema):
    action_id = fields.String()
    meeting_on = fields.Date()
    decision = fields.String()
    decided_by = fields.String()
    recorded_by = fields.String()
    recorded_at = Timestamp()


@actions_blp.route("/<action_id>/decisions", parameters=[ACTION_ID])
class ActionDecisions(MethodView):
    @actions_blp.response(200, DecisionSchema(many=True))
    @roles_required(*READERS)
    def get(self, action_id):
        """The decisions meetings took on the action, by meeting date."""
        organization = organization_of_request()
        handlers.get_action_or_raise(organization=organization, action_id=action_id)
        return handlers.decisions_of(organization=organization, action_id=action_id)

    @actions_blp.arguments(DecisionBody, example={"meeting_on": "2026-11-20", "decision": "更换接头供应商，库存全检。",
                                                  "decided_by": "王经理、质量部李工、售后部张主管"})
    @actions_blp.response(201, DecisionSchema)
    @roles_required(*ACTORS)
    def post(self, body, action_id):
        """Record a meeting's decision on the action (seed 000 part 1 质量信息沟通会议): its date, the decision,
        who decided (the ownership policy's corrective roles)."""
        who = principal()
        return service().run(handlers.record_decision, organization=organization_of_request(), action_id=action_id,
                             actor=who.login, role=who.role, meeting_on=body["meeting_on"], decision=body["decision"],
                             decided_by=body["decided_by"])
