"""HTTP routes of the complaints service (CONTRACT "complaints"): read, raise, reply, escalate, resolve;
and, beyond the contract, hand a hotline ticket to an engineer and record the churn reason.

Routes only translate: a body becomes a command of `handlers`, run in one unit of work
(`SERVICE.run`); a refusal (errors.py: 403 with the reason, 404, 409, 422 naming the field)
becomes problem+json in shared/web/app.py.
"""
from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.web.apidocs import path_parameter
from shared.web.app import organization_of_request, principal, roles_required, total_count

from . import handlers
from .domain.intake import check_raise
from .errors import Duplicate
from .models import Complaint
from .rules import rules_for
from .schemas import (AcceptSchema, ActionCheckSchema, ActionQuerySchema, ActionStatusSchema, CorrectiveActionSchema,
                      NewActionSchema, KeepPromiseSchema, PromiseSchema, ChurnSchema, CloseSchema, CompensationDecisionSchema, CompensationSchema, ComplaintQuerySchema, ComplaintSchema, EscalateSchema,
                      HandoverSchema, NewComplaintSchema, ReplySchema, ResolveSchema, RetryVerificationSchema,
                      ReworkSchema)
from .service import SERVICE

#: Everyone may read and try; the domain decides who may act at which level (403 with why).
READERS = ("agent", "advisor", "supervisor", "manager", "admin", "integration")
ACTORS = READERS

blp = Blueprint("complaints", __name__, url_prefix="/api/v1/complaints",
                description="Complaints (客户投诉), their escalation and the 2-1-1 deadlines.")

#: The path parameter of one complaint's routes, documented with an example.
COMPLAINT_ID = path_parameter("complaint_id", "CMP-2026-0007", "the complaint's id (its complaint_id)")
#: The path parameter of one promise of a complaint (issue 18).
PROMISE_ID = path_parameter("promise_id", "P-3F6C2A9E8B1D", "the promise's id")


def present(row: Complaint, history: list, settings, *, role: str, promises: list | None = None) -> dict:
    """Gives the API view of a complaint row and its history rows, in the installation's time zone,
    as a user of `role` may see it (phone numbers masked for roles outside `SEES_PHONES`)."""
    tz = settings.tz
    rules = rules_for(settings, organization=row.organization, chain_name=row.chain_name, policy_name=row.policy_name)
    level = rules.chain.level(row.level)

    def local(value):
        return value.astimezone(tz) if value is not None else None

    out = {name: getattr(row, name) for name in (
        "organization", "state", "level", "customer_class", "description", "category", "source", "order_id",
        "delivery_id", "repeat", "resolved_by", "resolved_level", "root_cause", "corrective_action", "churn_reason",
        "handed_over_to", "special_remark", "department", "owner", "first_taker", "closure_reason",
        "compensation_state", "compensation_offer", "compensation_amount", "compensation_decided_by",
        "product_model", "branch")}
    for name in ("raised_at", "first_reply_due_at", "answer_due_at", "first_reply_at", "answered_at",
                 "investigate_due_at", "investigated_at", "resolved_at", "verify_due_at", "customer_flagged_at",
                 "closed_at", "handover_due_at", "handed_over_at", "rework_due_at", "reworked_at", "accepted_at",
                 "first_taken_at", "unreachable_at"):
        out[name] = local(getattr(row, name))
    # RULES 1.6: deadlines counted over a day of a year the official calendar has not published
    out.update(provisional=bool(row.provisional_deadlines), provisional_deadlines=list(row.provisional_deadlines))
    out.update(id=row.complaint_id, level_role=level.role, level_label=level.label, chain=rules.chain.name,
               customer=handlers.customer_of(row, role=role),
               history=[{"at": local(h.at), "actor": h.actor, "action": h.action, "from_level": h.from_level,
                         "to_level": h.to_level, "reason": h.reason} for h in history])
    if promises is None:
        promises = handlers.promises_of([row])[row.id]
    out["promises"] = [{"id": p.promise_id, "what": p.what, "to_whom": p.to_whom, "due_at": local(p.due_at),
                        "made_by": p.made_by, "made_at": local(p.made_at), "kept_at": local(p.kept_at),
                        "broken_at": local(p.broken_at),
                        "state": "kept" if p.kept_at else "broken" if p.broken_at else "pending"} for p in promises]
    out["promise_broken"] = any(p["state"] == "broken" for p in out["promises"])
    return out


def _settings():
    return current_app.config["HUIFANG_SETTINGS"]


def _present_one(row: Complaint) -> dict:
    return present(row, handlers.history_of([row])[row.id], _settings(), role=principal().role)


@blp.route("")
class Complaints(MethodView):
    @blp.arguments(ComplaintQuerySchema, location="query")
    @blp.response(200, ComplaintSchema(many=True))
    @roles_required(*READERS)
    def get(self, args):
        """List the organisation's complaints, newest first (filter by customer and state)."""
        organization = organization_of_request()
        query = Complaint.select().where(Complaint.organization == organization)
        if args.get("customer_id"):
            query = query.where(Complaint.customer_id == args["customer_id"])
        if args.get("state"):
            query = query.where(Complaint.state == args["state"])
        total_count(query.count())
        rows = list(query.order_by(Complaint.raised_at.desc(), Complaint.id.desc())
                    .limit(args["limit"]).offset(args["offset"]))
        history = handlers.history_of(rows)
        promises = handlers.promises_of(rows)
        role = principal().role
        return [present(row, history[row.id], _settings(), role=role, promises=promises[row.id]) for row in rows]

    @blp.arguments(NewComplaintSchema, example={
        "customer": {"id": "C-2002", "name": "王先生", "segment": "ordinary", "phone": "13700000003"},
        "description": "维修后空调仍不制冷，客户要求再次检查。", "category": "service_quality", "source": "hotline",
        "order_id": "SO-2026-0042"})
    @blp.response(201, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, data):
        """Raise a complaint (the fields of complaint.raised); complaint.raised is published."""
        organization = organization_of_request()
        settings = _settings()
        # issue 12, finding 4: people get a server-made id, a recent raised_at, a source their role may claim
        check_raise(role=principal().role, data=data, now=SERVICE.clock(),
                    window_minutes=settings.raised_at_window_minutes,
                    policy=rules_for(settings, organization=organization).policy)
        data.setdefault("complaint_id", f"CMP-{uuid.uuid4().hex[:12].upper()}")
        row, created = SERVICE.run(handlers.raise_complaint, organization=organization, data=data,
                                   actor=principal().login, announce=True)
        if not created:
            other = f" (a complaint from source {row.source!r})" if row.source != data["source"] else ""
            raise Duplicate(f"complaint {data['complaint_id']!r} already exists{other}; "
                            f"GET /api/v1/complaints/{data['complaint_id']} shows it.")
        return _present_one(row)


@blp.route("/<complaint_id>", parameters=[COMPLAINT_ID])
class ComplaintById(MethodView):
    @blp.response(200, ComplaintSchema)
    @roles_required(*READERS)
    def get(self, complaint_id):
        """One complaint with its whole history."""
        organization = organization_of_request()
        return _present_one(handlers.get_by_id_or_raise(organization=organization, complaint_id=complaint_id))


def _act(command, complaint_id: str, **fields) -> dict:
    """Gives the API view of the complaint after `command` of the caller, run in one unit of work."""
    who = principal()
    row = SERVICE.run(command, organization=organization_of_request(), complaint_id=complaint_id, actor=who.login,
                      role=who.role, **fields)
    return _present_one(row)


@blp.route("/<complaint_id>/reply", parameters=[COMPLAINT_ID])
class Reply(MethodView):
    @blp.arguments(ReplySchema, example={"message": "已致电客户，明天上午安排技师上门复查。", "answer": False})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record a reply to the customer: the first reply, then the handler's answer."""
        return _act(handlers.reply, complaint_id, message=body["message"], answer=body.get("answer"))


@blp.route("/<complaint_id>/escalate", parameters=[COMPLAINT_ID])
class Escalate(MethodView):
    @blp.arguments(EscalateSchema, example={"reason": "客户要求赔偿，超出回访员权限。"})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Move the complaint one level up: it is beyond this level's authority."""
        return _act(handlers.escalate, complaint_id, reason=body["reason"])


@blp.route("/<complaint_id>/resolve", parameters=[COMPLAINT_ID])
class Resolve(MethodView):
    @blp.arguments(ResolveSchema, example={"root_cause": "冷凝器接头漏氟。",
                                           "corrective_action": "更换接头并加注冷媒，免收工时费。"})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Resolve the complaint at its level; the verification callback closes or reopens it."""
        return _act(handlers.resolve, complaint_id, root_cause=body["root_cause"],
                    corrective_action=body["corrective_action"], special_remark=body.get("special_remark"))


@blp.route("/<complaint_id>/rework", parameters=[COMPLAINT_ID])
class Rework(MethodView):
    @blp.arguments(ReworkSchema, example={"note": "更换排水管并复查，业主确认不再渗漏。"})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record the rework (返修) of a repeat complaint: meets its `rework_due_at` (RULES 1.3)."""
        return _act(handlers.rework, complaint_id, note=body["note"])


@blp.route("/<complaint_id>/handover", parameters=[COMPLAINT_ID])
class Handover(MethodView):
    @blp.arguments(HandoverSchema, example={"engineer": "孙工"})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record that the ticket went to an engineer (转交工程师): meets a hotline ticket's `handover_due_at`."""
        return _act(handlers.hand_over, complaint_id, engineer=body["engineer"])


@blp.route("/<complaint_id>/churn", parameters=[COMPLAINT_ID])
class Churn(MethodView):
    @blp.arguments(ChurnSchema, example={"reason": "客户已转到其他维修站。"})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record why the customer left (客户流失原因), in any state; complaint.resolved and complaint.closed carry it."""
        return _act(handlers.record_churn, complaint_id, reason=body["reason"])


@blp.route("/<complaint_id>/accept", parameters=[COMPLAINT_ID])
class Accept(MethodView):
    @blp.arguments(AcceptSchema, example={})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Accept the complaint (接单): the caller is its owner (处理人) from now; the first person to take it
        stays accountable until it closes (首问责任制). The 2-1-1 deadlines do not move."""
        return _act(handlers.accept, complaint_id)


@blp.route("/<complaint_id>/close", parameters=[COMPLAINT_ID])
class Close(MethodView):
    @blp.arguments(CloseSchema, example={"reason": "written_reply", "comment": "客户只要求书面答复，已于2月3日邮寄。"})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Close the complaint with a closure reason (anonymous, written_reply, no_objection, not_valid,
        unreachable) and a comment, by a role the organisation's ownership policy names for it (403 otherwise)."""
        return _act(handlers.close_with_reason, complaint_id, reason=body["reason"], comment=body["comment"])


@blp.route("/<complaint_id>/retry-verification", parameters=[COMPLAINT_ID])
class RetryVerification(MethodView):
    @blp.arguments(RetryVerificationSchema, example={"comment": "客户出差，下周一再联系。"})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Send a complaint whose verification callback found nobody back for another verification callback."""
        return _act(handlers.retry_verification, complaint_id, comment=body.get("comment") or "")


@blp.route("/<complaint_id>/compensation", parameters=[COMPLAINT_ID])
class Compensation(MethodView):
    @blp.arguments(CompensationSchema, example={"offer": "免费更换空调压缩机并赠送一次保养。", "amount": "1200.00"})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Propose a compensation (seed 004 补偿): it waits for the approval the ownership policy names before it
        may be promised; the complaint cannot be resolved meanwhile."""
        return _act(handlers.propose_compensation, complaint_id, offer=body["offer"], amount=body.get("amount"))


@blp.route("/<complaint_id>/compensation/decision", parameters=[COMPLAINT_ID])
class CompensationDecision(MethodView):
    @blp.arguments(CompensationDecisionSchema, example={"approve": True, "note": "销售服务大区已同意。"})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Approve or reject the proposed compensation (the policy's `compensation_approvers`); in the history."""
        return _act(handlers.decide_compensation, complaint_id, approve=body["approve"], note=body.get("note") or "")


@blp.route("/<complaint_id>/promises", parameters=[COMPLAINT_ID])
class Promises(MethodView):
    @blp.arguments(PromiseSchema, example={"what": "周五前上门更换压缩机", "to_whom": "王先生",
                                           "due_at": "2026-11-27T17:00:00+08:00"})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record a promise made to the customer (what, to whom, by when): a deadline with a reminder and a
        follow-up callback; not kept by then, it is a broken promise (board, report)."""
        return _act(handlers.make_promise, complaint_id, what=body["what"], to_whom=body["to_whom"],
                    due_at=body["due_at"])


@blp.route("/<complaint_id>/promises/<promise_id>/kept", parameters=[COMPLAINT_ID, PROMISE_ID])
class PromiseKept(MethodView):
    @blp.arguments(KeepPromiseSchema, example={"note": "已上门更换。"})
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id, promise_id):
        """Record a promise kept (late, when after its moment)."""
        return _act(handlers.keep_promise, complaint_id, promise_id=promise_id, note=body.get("note") or "")


actions_blp = Blueprint("corrective_actions", __name__, url_prefix="/api/v1/corrective-actions",
                        description="The register of corrective actions (纠正预防措施, issue 18).")
ACTION_ID = path_parameter("action_id", "CA-7F3A9E8B1D", "the corrective action's id")


def _present_action(row) -> dict:
    tz = _settings().tz
    return {"id": row.action_id, "title": row.title, "owner": row.owner, "due_on": row.due_on, "status": row.status,
            "origin": row.origin, "complaint_ids": list(row.complaint_ids), "callback_ids": list(row.callback_ids),
            "effectiveness": row.effectiveness, "checked_by": row.checked_by,
            "checked_at": row.checked_at.astimezone(tz) if row.checked_at else None,
            "overdue": row.to_domain(tz).overdue(SERVICE.clock().astimezone(tz).date())}


def _act_on_action(command, action_id=None, **fields) -> dict:
    who = principal()
    if action_id is not None:
        fields["action_id"] = action_id
    return _present_action(SERVICE.run(command, organization=organization_of_request(), actor=who.login,
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


BLUEPRINTS: list = [blp, actions_blp]
