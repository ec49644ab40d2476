"""Hotline tickets that are not complaints (seed 001 热线接听流程): the ticket list (`/tickets`) with its
deadlines, duplicates and steps, and the new-ticket form (`/tickets/new`) in the fields the seed names
(客户信息、产品信息、购买时间、故障现象、保修状态; 服务级别, 服务方式 by policy).

The form is checked by the API's schema (NewTicketSchema) and recorded by the API's command
(handlers.record_ticket); the steps are the API's commands too.
"""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from shared.core.event_fields import SEGMENTS
from shared.web.roles import define_action, page_roles
from shared.web.vocabulary import SERVICE_LEVELS, SERVICE_MODES, TICKET_KINDS, WARRANTY

from .. import handlers
from ..domain.tickets import pending
from ..handlers.tickets import to_domain
from ..rules import tickets_for
from ..schemas import NewTicketSchema
from . import labels
from .common import HANDLERS, READERS, blp, form_errors, me, now, service, settings

_SCHEMA = NewTicketSchema()
#: Agent and up record tickets and move them on (CONTRACT "Tickets").
TICKETS = define_action("complaints.tickets", *HANDLERS)

FIELD_HELP = {
    "customer.id": lambda: _("Give the customer's number (as in the ERP)."),
    "customer.name": lambda: _("Give the customer's name."),
    "fault": lambda: _("Describe the fault (or the question asked)."),
    "purchased_on": lambda: _("Give the purchase date as YYYY-MM-DD, not in the future."),
}


def _list_context(errors: dict | None = None) -> dict:
    who = me()
    kind = request.args.get("kind")
    kind = kind if kind in TICKET_KINDS else None
    total, rows = handlers.list_tickets(organization=who.organization, kind=kind, limit=200)
    tz, moment = settings().tz, now()
    tickets = []
    for row in rows:
        due = pending(to_domain(row, tz))
        tickets.append({"row": row, "due": due[0] if due else None,
                        "late": bool(due and due[0][1] <= moment) or bool(row.breaches),
                        "recorded_at": row.recorded_at.astimezone(tz)})
    return {"tickets": tickets, "total": total, "kind": kind, "kinds": TICKET_KINDS, "levels": SERVICE_LEVELS,
            "modes": SERVICE_MODES, "warranty": WARRANTY, "categories": labels.CATEGORIES, "errors": errors or {},
            "page_title": _("Hotline tickets")}


@blp.get("/tickets")
@page_roles(*READERS)
def tickets():
    """The ticket list, newest first: each ticket's deadline, a possible duplicate, its steps."""
    return render_template("complaints/tickets.html", **_list_context())


def _form_context(given: dict, errors: dict) -> dict:
    policy = tickets_for(settings(), organization=me().organization)
    return {"given": given, "errors": errors, "kinds": TICKET_KINDS, "warranty": WARRANTY,
            "levels": SERVICE_LEVELS, "modes": SERVICE_MODES,
            "segments": {s: labels.SEGMENTS.get(s, s) for s in SEGMENTS},
            "handover_span": labels.span_of(policy.handover), "dispatch_span": labels.span_of(policy.dispatch),
            "page_title": _("New hotline ticket")}


@blp.get("/tickets/new")
@TICKETS
def new_ticket():
    """The form: the kind, the customer, the product, the fault and the warranty."""
    kind = request.args.get("kind")
    given = {"kind": kind if kind in TICKET_KINDS else "consultation", "segment": "ordinary", "warranty": "unknown"}
    return render_template("complaints/new_ticket.html", **_form_context(given, {}))


@blp.post("/tickets/new")
@TICKETS
def record_ticket():
    """Records the ticket (as POST /api/v1/tickets does) and opens the list."""
    form = request.form
    given = {key: form.get(key, "").strip() for key in form if key != "csrf_token"}
    body = {"kind": given.get("kind", ""),
            "customer": {"id": given.get("customer_id", ""), "name": given.get("customer_name", ""),
                         "segment": given.get("segment") or "ordinary", "phone": given.get("phone") or None},
            "product_model": given.get("product_model") or None, "purchased_on": given.get("purchased_on") or None,
            "fault": given.get("fault", ""), "warranty": given.get("warranty") or "unknown",
            "service_level": given.get("service_level") or None, "service_mode": given.get("service_mode") or None}
    try:
        data = _SCHEMA.load(body)
        if data.get("purchased_on") and data["purchased_on"] > now().date():
            raise ValidationError({"purchased_on": ["in the future"]})
    except ValidationError as exc:
        return render_template("complaints/new_ticket.html",
                               **_form_context(given, form_errors(exc.normalized_messages(), FIELD_HELP))), 422
    who = me()
    row = service().run(handlers.record_ticket, organization=who.organization, data=data, actor=who.login)
    return redirect(url_for(".tickets", done=row.ticket_id), code=303)


def _to(field: str) -> str:
    return (request.form.get(field) or "").strip()[:200]


@blp.post("/tickets/<ticket_id>/handover")
@TICKETS
def hand_over_ticket(ticket_id):
    """Hands the ticket to the hotline engineer named in the form."""
    to = _to("to")
    if not to:
        return render_template("complaints/tickets.html",
                               **_list_context({ticket_id: _("Name whom the ticket goes to.")})), 422
    service().run(handlers.hand_over_ticket, organization=me().organization, ticket_id=ticket_id, to=to,
                  actor=me().login)
    return redirect(url_for(".tickets"), code=303)


@blp.post("/tickets/<ticket_id>/dispatch")
@TICKETS
def dispatch_ticket(ticket_id):
    """Passes the service request on to the repair coordinator named in the form."""
    to = _to("to")
    if not to:
        return render_template("complaints/tickets.html",
                               **_list_context({ticket_id: _("Name whom the ticket goes to.")})), 422
    service().run(handlers.dispatch_ticket, organization=me().organization, ticket_id=ticket_id, to=to,
                  actor=me().login)
    return redirect(url_for(".tickets"), code=303)


@blp.post("/tickets/<ticket_id>/complaint")
@TICKETS
def ticket_to_complaint(ticket_id):
    """Turns the ticket into a complaint in one action and opens the complaint's page."""
    category = request.form.get("category")
    _row, complaint = service().run(handlers.ticket_to_complaint, organization=me().organization,
                                    ticket_id=ticket_id, actor=me().login,
                                    category=category if category in labels.CATEGORIES else "other")
    return redirect(url_for(".complaint", complaint_id=complaint.complaint_id, done="raised"), code=303)
