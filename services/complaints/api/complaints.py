"""The complaints (CONTRACT "complaints"): read, raise, reply, escalate, resolve; and, beyond the
contract, hand a hotline ticket to an engineer, record the churn reason, promises and compensation.

Routes only translate: a body becomes a command of `handlers`, run in one unit of work
(`service().run`); a refusal (errors.py: 403 with the reason, 404, 409, 422 naming the field)
becomes problem+json in the shared web layer.
"""
from __future__ import annotations

import uuid

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.web.api import organization_of_request, principal, roles_required, total_count
from shared.web.branches import only_my_branch

from .. import handlers
from ..domain.intake import check_raise
from ..errors import Duplicate
from ..models import Complaint
from ..rules import rules_for
from ..schemas import (AcceptSchema, ChurnSchema, CloseSchema, CompensationDecisionSchema, CompensationSchema,
                       ComplaintQuerySchema, ComplaintSchema, EscalateSchema, HandoverSchema, KeepPromiseSchema,
                       NewComplaintSchema, PromiseSchema, ReplySchema, ResolveSchema, RetryVerificationSchema,
                       ReworkSchema)
from .common import ACTORS, COMPLAINT_ID, PROMISE_ID, READERS, present, service, settings, visible_complaint

complaints_blp = Blueprint("complaints", __name__, url_prefix="/api/v1/complaints",
                           description="Complaints (客户投诉), their escalation and the 2-1-1 deadlines.")


def _present_one(row: Complaint) -> dict:
    return present(row, handlers.history_of([row])[row.id], role=principal().role)


@complaints_blp.route("")
class Complaints(MethodView):
    @complaints_blp.arguments(ComplaintQuerySchema, location="query")
    @complaints_blp.response(200, ComplaintSchema(many=True))
    @roles_required(*READERS)
    def get(self, args):
        """List the organisation's complaints, newest first (filter by customer, state, department and owner)."""
        organization = organization_of_request()
        query = only_my_branch(Complaint.select().where(Complaint.organization == organization), Complaint.branch)
        if args.get("customer_id"):
            query = query.where(Complaint.customer_id == args["customer_id"])
        if args.get("state"):
            query = query.where(Complaint.state == args["state"])
        if args.get("department"):
            query = query.where(Complaint.department == args["department"])
        if args.get("owner"):
            query = query.where(Complaint.owner == args["owner"])
        total_count(query.count())
        rows = list(query.order_by(Complaint.raised_at.desc(), Complaint.id.desc())
                    .limit(args["limit"]).offset(args["offset"]))
        history = handlers.history_of(rows)
        promises = handlers.promises_of(rows)
        role = principal().role
        return [present(row, history[row.id], role=role, promises=promises[row.id]) for row in rows]

    @complaints_blp.arguments(NewComplaintSchema, example={
        "customer": {"id": "C-2002", "name": "王先生", "segment": "ordinary", "phone": "13700000003"},
        "description": "维修后空调仍不制冷，客户要求再次检查。", "category": "service_quality", "source": "hotline",
        "order_id": "SO-2026-0042"})
    @complaints_blp.response(201, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, data):
        """Raise a complaint (the fields of complaint.raised); complaint.raised is published."""
        organization = organization_of_request()
        installed = settings()
        # people get a server-made id, a recent raised_at, a source their role may claim
        check_raise(role=principal().role, data=data, now=service().clock(),
                    window_minutes=installed.raised_at_window_minutes,
                    policy=rules_for(installed, organization=organization).policy)
        data.setdefault("complaint_id", f"CMP-{uuid.uuid4().hex[:12].upper()}")
        row, created = service().run(handlers.raise_complaint, organization=organization, data=data,
                                     actor=principal().login, announce=True)
        if not created:
            other = f" (a complaint from source {row.source!r})" if row.source != data["source"] else ""
            raise Duplicate(f"complaint {data['complaint_id']!r} already exists{other}; "
                            f"GET /api/v1/complaints/{data['complaint_id']} shows it.")
        return _present_one(row)


@complaints_blp.route("/<complaint_id>", parameters=[COMPLAINT_ID])
class ComplaintById(MethodView):
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*READERS)
    def get(self, complaint_id):
        """One complaint with its whole history."""
        organization = organization_of_request()
        return _present_one(visible_complaint(organization, complaint_id))


def _act(command, complaint_id: str, **fields) -> dict:
    """Gives the API view of the complaint after `command` of the caller, run in one unit of work."""
    who = principal()
    visible_complaint(organization_of_request(), complaint_id)  # a branch manager acts on their branch's
    row = service().run(command, organization=organization_of_request(), complaint_id=complaint_id, actor=who.login,
                      role=who.role, **fields)
    return _present_one(row)


@complaints_blp.route("/<complaint_id>/reply", parameters=[COMPLAINT_ID])
class Reply(MethodView):
    @complaints_blp.arguments(ReplySchema, example={"message": "已致电客户，明天上午安排技师上门复查。", "answer": False})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record a reply to the customer: the first reply, then the handler's answer."""
        return _act(handlers.reply, complaint_id, message=body["message"], answer=body.get("answer"))


@complaints_blp.route("/<complaint_id>/escalate", parameters=[COMPLAINT_ID])
class Escalate(MethodView):
    @complaints_blp.arguments(EscalateSchema, example={"reason": "客户要求赔偿，超出回访员权限。"})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Move the complaint one level up: it is beyond this level's authority."""
        return _act(handlers.escalate, complaint_id, reason=body["reason"])


@complaints_blp.route("/<complaint_id>/resolve", parameters=[COMPLAINT_ID])
class Resolve(MethodView):
    @complaints_blp.arguments(ResolveSchema, example={"root_cause": "冷凝器接头漏氟。",
                                           "corrective_action": "更换接头并加注冷媒，免收工时费。"})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Resolve the complaint at its level; the verification callback closes or reopens it."""
        return _act(handlers.resolve, complaint_id, root_cause=body["root_cause"],
                    corrective_action=body["corrective_action"], special_remark=body.get("special_remark"))


@complaints_blp.route("/<complaint_id>/rework", parameters=[COMPLAINT_ID])
class Rework(MethodView):
    @complaints_blp.arguments(ReworkSchema, example={"note": "更换排水管并复查，业主确认不再渗漏。"})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record the rework (返修) of a repeat complaint: meets its `rework_due_at` (RULES 1.3)."""
        return _act(handlers.rework, complaint_id, note=body["note"])


@complaints_blp.route("/<complaint_id>/handover", parameters=[COMPLAINT_ID])
class Handover(MethodView):
    @complaints_blp.arguments(HandoverSchema, example={"engineer": "孙工"})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record that the ticket went to an engineer (转交工程师): meets a hotline ticket's `handover_due_at`."""
        return _act(handlers.hand_over, complaint_id, engineer=body["engineer"])


@complaints_blp.route("/<complaint_id>/churn", parameters=[COMPLAINT_ID])
class Churn(MethodView):
    @complaints_blp.arguments(ChurnSchema, example={"reason": "客户已转到其他维修站。"})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record why the customer left (客户流失原因), in any state; complaint.resolved and complaint.closed carry it."""
        return _act(handlers.record_churn, complaint_id, reason=body["reason"])


@complaints_blp.route("/<complaint_id>/accept", parameters=[COMPLAINT_ID])
class Accept(MethodView):
    @complaints_blp.arguments(AcceptSchema, required=False, example={})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Accept the complaint (接单): the caller is its owner (处理人) from now; the first person to take it
        stays accountable until it closes (首问责任制). The 2-1-1 deadlines do not move."""
        return _act(handlers.accept, complaint_id)


@complaints_blp.route("/<complaint_id>/close", parameters=[COMPLAINT_ID])
class Close(MethodView):
    @complaints_blp.arguments(CloseSchema, example={"reason": "written_reply", "comment": "客户只要求书面答复，已于2月3日邮寄。"})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Close the complaint with a closure reason (anonymous, written_reply, no_objection, not_valid,
        unreachable) and a comment, by a role the organisation's ownership policy names for it (403 otherwise)."""
        return _act(handlers.close_with_reason, complaint_id, reason=body["reason"], comment=body["comment"])


@complaints_blp.route("/<complaint_id>/retry-verification", parameters=[COMPLAINT_ID])
class RetryVerification(MethodView):
    @complaints_blp.arguments(RetryVerificationSchema, example={"comment": "客户出差，下周一再联系。"})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Send a complaint whose verification callback found nobody back for another verification callback."""
        return _act(handlers.retry_verification, complaint_id, comment=body.get("comment") or "")


@complaints_blp.route("/<complaint_id>/compensation", parameters=[COMPLAINT_ID])
class Compensation(MethodView):
    @complaints_blp.arguments(CompensationSchema, example={"offer": "免费更换空调压缩机并赠送一次保养。", "amount": "1200.00"})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Propose a compensation (seed 004 补偿): it waits for the approval the ownership policy names before it
        may be promised; the complaint cannot be resolved meanwhile."""
        return _act(handlers.propose_compensation, complaint_id, offer=body["offer"], amount=body.get("amount"))


@complaints_blp.route("/<complaint_id>/compensation/decision", parameters=[COMPLAINT_ID])
class CompensationDecision(MethodView):
    @complaints_blp.arguments(CompensationDecisionSchema, example={"approve": True, "note": "销售服务大区已同意。"})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Approve or reject the proposed compensation (the policy's `compensation_approvers`); in the history."""
        return _act(handlers.decide_compensation, complaint_id, approve=body["approve"], note=body.get("note") or "")


@complaints_blp.route("/<complaint_id>/promises", parameters=[COMPLAINT_ID])
class Promises(MethodView):
    @complaints_blp.arguments(PromiseSchema, example={"what": "周五前上门更换压缩机", "to_whom": "王先生",
                                           "due_at": "2026-11-27T17:00:00+08:00"})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record a promise made to the customer (what, to whom, by when): a deadline with a reminder and a
        follow-up callback; not kept by then, it is a broken promise (board, report)."""
        return _act(handlers.make_promise, complaint_id, what=body["what"], to_whom=body["to_whom"],
                    due_at=body["due_at"])


@complaints_blp.route("/<complaint_id>/promises/<promise_id>/kept", parameters=[COMPLAINT_ID, PROMISE_ID])
class PromiseKept(MethodView):
    @complaints_blp.arguments(KeepPromiseSchema, example={"note": "已上门更换。"})
    @complaints_blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id, promise_id):
        """Record a promise kept (late, when after its moment)."""
        return _act(handlers.keep_promise, complaint_id, promise_id=promise_id, note=body.get("note") or "")
