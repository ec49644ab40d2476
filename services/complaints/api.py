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

from shared.web import organization_of_request, principal, roles_required, total_count

from . import handlers
from .errors import Duplicate
from .models import Complaint
from .rules import rules_for
from .schemas import (ChurnSchema, ComplaintQuerySchema, ComplaintSchema, EscalateSchema, HandoverSchema,
                      NewComplaintSchema, ReplySchema, ResolveSchema)
from .service import SERVICE

#: Everyone may read and try; the domain decides who may act at which level (403 with why).
READERS = ("agent", "advisor", "supervisor", "manager", "admin", "integration")
ACTORS = READERS

blp = Blueprint("complaints", __name__, url_prefix="/api/v1/complaints",
                description="Complaints (客户投诉), their escalation and the 2-1-1 deadlines.")


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
        "handed_over_to")}
    for name in ("raised_at", "first_reply_due_at", "answer_due_at", "first_reply_at", "answered_at",
                 "investigate_due_at", "investigated_at", "resolved_at", "verify_due_at", "customer_flagged_at",
                 "closed_at", "handover_due_at", "handed_over_at"):
        out[name] = local(getattr(row, name))
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

    @blp.arguments(NewComplaintSchema)
    @blp.response(201, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, data):
        """Raise a complaint (the fields of complaint.raised); complaint.raised is published."""
        organization = organization_of_request()
        data.setdefault("complaint_id", f"CMP-{uuid.uuid4().hex[:12].upper()}")
        row, created = SERVICE.run(handlers.raise_complaint, organization=organization, data=data,
                                   actor=principal().login, announce=True)
        if not created:
            raise Duplicate(f"complaint {data['complaint_id']!r} already exists; "
                            f"GET /api/v1/complaints/{data['complaint_id']} shows it.")
        return _present_one(row)


@blp.route("/<complaint_id>")
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


@blp.route("/<complaint_id>/reply")
class Reply(MethodView):
    @blp.arguments(ReplySchema)
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record a reply to the customer: the first reply, then the handler's answer."""
        return _act(handlers.reply, complaint_id, message=body["message"], answer=body.get("answer"))


@blp.route("/<complaint_id>/escalate")
class Escalate(MethodView):
    @blp.arguments(EscalateSchema)
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Move the complaint one level up: it is beyond this level's authority."""
        return _act(handlers.escalate, complaint_id, reason=body["reason"])


@blp.route("/<complaint_id>/resolve")
class Resolve(MethodView):
    @blp.arguments(ResolveSchema)
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Resolve the complaint at its level; the verification callback closes or reopens it."""
        return _act(handlers.resolve, complaint_id, root_cause=body["root_cause"],
                    corrective_action=body["corrective_action"])


@blp.route("/<complaint_id>/handover")
class Handover(MethodView):
    @blp.arguments(HandoverSchema)
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record that the ticket went to an engineer (转交工程师): meets a hotline ticket's `handover_due_at`."""
        return _act(handlers.hand_over, complaint_id, engineer=body["engineer"])


@blp.route("/<complaint_id>/churn")
class Churn(MethodView):
    @blp.arguments(ChurnSchema)
    @blp.response(200, ComplaintSchema)
    @roles_required(*ACTORS)
    def post(self, body, complaint_id):
        """Record why the customer left (客户流失原因), in any state; complaint.resolved and complaint.closed carry it."""
        return _act(handlers.record_churn, complaint_id, reason=body["reason"])


BLUEPRINTS: list = [blp]
