"""Hotline tickets that are not complaints (seed 001; CONTRACT "Tickets and the seeds' tables"): record a
consultation or a service request, list them, hand one to the hotline engineer, pass a service request on
to the repair coordinator, turn one into a complaint. Tickets never count as complaints."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.web.api import organization_of_request, principal, roles_required, total_count
from shared.web.apidocs import path_parameter

from .. import handlers
from ..handlers.tickets import to_domain
from ..domain.tickets import pending
from ..models import Ticket
from ..schemas import (ComplaintSchema, NewTicketSchema, TicketComplaintSchema, TicketPassSchema, TicketQuerySchema,
                       TicketSchema)
from .common import READERS, present, service, settings

tickets_blp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets",
                        description="Hotline tickets (seed 001): consultations (咨询服务单) and service requests "
                                    "(任务单), never counted as complaints.")

TICKET_ID = path_parameter("ticket_id", "TK-3F6C2A9E8B1D", "the ticket's id")


def present_ticket(row: Ticket, *, now=None) -> dict:
    """Gives the API view of a ticket, in the installation's time zone; `missed` lists its deadlines passed."""
    tz = settings().tz
    moment = (now or service().clock()).astimezone(tz)

    def local(value):
        return value.astimezone(tz) if value is not None else None

    out = {name: getattr(row, name) for name in (
        "kind", "product_model", "purchased_on", "fault", "warranty", "service_level", "service_mode",
        "recorded_by", "handed_over_to", "dispatched_to", "duplicate_of", "complaint_id")}
    for name in ("recorded_at", "handover_due_at", "handed_over_at", "dispatch_due_at", "dispatched_at"):
        out[name] = local(getattr(row, name))
    missed = [name for name, due in pending(to_domain(row, tz)) if due <= moment]
    missed += [b.split("@", 1)[0] for b in row.breaches if b.split("@", 1)[0] not in missed]
    out.update(id=row.ticket_id, missed=missed, customer={
        "id": row.customer_id, "name": row.customer_name, "segment": row.customer_segment})
    return out


@tickets_blp.route("")
class Tickets(MethodView):
    @tickets_blp.arguments(TicketQuerySchema, location="query")
    @tickets_blp.response(200, TicketSchema(many=True))
    @roles_required(*READERS)
    def get(self, args):
        """List the organisation's hotline tickets, newest first (filter by kind)."""
        total, rows = handlers.list_tickets(organization=organization_of_request(), kind=args.get("kind"),
                                            limit=args["limit"], offset=args["offset"])
        total_count(total)
        return [present_ticket(row) for row in rows]

    @tickets_blp.arguments(NewTicketSchema, example={
        "kind": "service_request", "customer": {"id": "C-3001", "name": "刘先生", "phone": "13700000005"},
        "product_model": "KT-504 拖拉机", "purchased_on": "2026-03-02", "fault": "发动机启动困难，冒黑烟。",
        "warranty": "in_warranty"})
    @tickets_blp.response(201, TicketSchema)
    @roles_required(*READERS)
    def post(self, data):
        """Record a consultation or a service request: due with the hotline engineer within the policy's
        span (15 service minutes); flagged when the customer had a ticket for the product lately."""
        row = service().run(handlers.record_ticket, organization=organization_of_request(), data=data,
                            actor=principal().login)
        return present_ticket(row)


@tickets_blp.route("/<ticket_id>", parameters=[TICKET_ID])
class OneTicket(MethodView):
    @tickets_blp.response(200, TicketSchema)
    @roles_required(*READERS)
    def get(self, ticket_id):
        """One ticket."""
        return present_ticket(handlers.get_ticket_or_raise(organization=organization_of_request(),
                                                           ticket_id=ticket_id))


@tickets_blp.route("/<ticket_id>/handover", parameters=[TICKET_ID])
class Handover(MethodView):
    @tickets_blp.arguments(TicketPassSchema, example={"to": "热线工程师 王工"})
    @tickets_blp.response(200, TicketSchema)
    @roles_required(*READERS)
    def post(self, data, ticket_id):
        """Hand the ticket to the hotline engineer (信息协调员15分钟内转交热线工程师); 409 when done already."""
        return present_ticket(service().run(handlers.hand_over_ticket, organization=organization_of_request(),
                                            ticket_id=ticket_id, to=data["to"], actor=principal().login))


@tickets_blp.route("/<ticket_id>/dispatch", parameters=[TICKET_ID])
class Dispatch(MethodView):
    @tickets_blp.arguments(TicketPassSchema, example={"to": "维修协调员 陈工"})
    @tickets_blp.response(200, TicketSchema)
    @roles_required(*READERS)
    def post(self, data, ticket_id):
        """Pass a service request on to the repair coordinator (15 more service minutes); 409 for a
        consultation, before the handover, or when done already."""
        return present_ticket(service().run(handlers.dispatch_ticket, organization=organization_of_request(),
                                            ticket_id=ticket_id, to=data["to"], actor=principal().login))


@tickets_blp.route("/<ticket_id>/complaint", parameters=[TICKET_ID])
class ToComplaint(MethodView):
    @tickets_blp.arguments(TicketComplaintSchema, required=False, example={"category": "product_quality"})
    @tickets_blp.response(201, ComplaintSchema)
    @roles_required(*READERS)
    def post(self, data, ticket_id):
        """Turn the ticket into a complaint (its customer, product and fault), raised on the hotline by the
        caller; 409 when it is one already."""
        data = data or {}
        _, row = service().run(handlers.ticket_to_complaint, organization=organization_of_request(),
                               ticket_id=ticket_id, actor=principal().login,
                               category=data.get("category") or "other")
        return present(row, handlers.history_of([row])[row.id], role=principal().role)
