"""HTTP routes of the complaints service (CONTRACT "complaints"): read, raise, reply, escalate, resolve;
and, beyond the contract, hand a hotline ticket to an engineer and record the churn reason.

Routes only translate: a body becomes a command of `handlers`, run in one unit of work
(`SERVICE.run`); a refusal (errors.py: 403 with the reason, 404, 409, 422 naming the field)
becomes problem+json in shared/web.py.
"""
from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.apidocs import path_parameter
from shared.web import organization_of_request, principal, roles_required, total_count

from . import handlers
from .domain.intake import check_raise
from .errors import Duplicate
from .models import Complaint
from .rules import rules_for
from .schemas import (ChurnSchema, ComplaintQuerySchema, ComplaintSchema, EscalateSchema, HandoverSchema,
                      NewComplaintSchema, ReplySchema, ResolveSchema, ReworkSchema)
from .service import SERVICE

#: Everyone may read and try; the domain decides who may act at which level (403 with why).
READERS = ("agent", "advisor", "supervisor", "manager", "admin", "integration")
ACTORS = READERS

blp = Blueprint("complaints", __name__, url_prefix="/api/v1/complaints",
                description="Complaints (客户投诉), their escalation and the 2-1-1 deadlines.")

#: The path parameter of one complaint's routes, documented with an example.
COMPLAINT_ID = path_parameter("complaint_id", "CMP-2026-0007", "the complaint's id (its complaint_id)")


def present(row: Complaint, history: list, settings, *, role: str) -> dict:
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
        "handed_over_to", "special_remark")}
    for name in ("raised_at", "first_reply_due_at", "answer_due_at", "first_reply_at", "answered_at",
                 "investigate_due_at", "investigated_at", "resolved_at", "verify_due_at", "customer_flagged_at",
                 "closed_at", "handover_due_at", "handed_over_at", "rework_due_at", "reworked_at"):
        out[name] = local(getattr(row, name))
    # RULES 1.6: deadlines counted over a day of a year the official calendar has not published
    out.update(provisional=bool(row.provisional_deadlines), provisional_deadlines=list(row.provisional_deadlines))
    out.update(id=row.complaint_id, level_role=level.role, level_label=level.label, chain=rules.chain.name,
               customer=handlers.customer_of(row, role=role),
               history=[{"at": local(h.at), "actor": h.actor, "action": h.action, "from_level": h.from_level,
                         "to_level": h.to_level, "reason": h.reason} for h in history])
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
        role = principal().role
        return [present(row, history[row.id], _settings(), role=role) for row in rows]

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


BLUEPRINTS: list = [blp]
