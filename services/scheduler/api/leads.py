"""Routes of the leads callbacks raised: the list (by state, overdue, owner) and a lead moved on
(contacted, won, lost) by its owner or a team lead."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared.core.schemas import Timestamp
from shared.web.api import organization_of_request, principal, roles_required
from shared.web.apidocs import path_parameter

from .. import handlers
from ..domain.leads import LEAD_STATES
from ..handlers.common import local_date
from .common import TEAM_LEADS, service, settings

leads_blp = Blueprint("leads", __name__, url_prefix="/api/v1/leads",
                      description="Leads from callbacks (维修、改造、采购需求): owner, due date, and their end "
                                  "(contacted, won, lost).")

LEAD_ID = path_parameter("lead_id", "9b2f6a1c-3d4e-5f60-8a7b-1c2d3e4f5a6b", "the lead's id (GET /api/v1/leads lists them)")


class LeadQuery(Schema):
    status = fields.String(validate=validate.OneOf(LEAD_STATES), metadata={"example": "open"})
    overdue = fields.Boolean(metadata={"description": "only leads still open or contacted past their due date"})
    owner = fields.String(validate=validate.Length(min=1, max=64), metadata={"example": "chen"})


class LeadSchema(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "maintenance, retrofit, maintenance_or_retrofit or purchase"})
    question = fields.String()
    callback_id = fields.String()
    customer_id = fields.String()
    owner = fields.String(allow_none=True)
    due_on = fields.Date()
    status = fields.String(metadata={"description": "open, contacted, won or lost"})
    overdue = fields.Boolean(metadata={"description": "still open or contacted past its due date"})
    delivery_id = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    outcome_note = fields.String(allow_none=True, metadata={"description": "what the owner recorded"})
    updated_by = fields.String(allow_none=True)
    raised_at = Timestamp()
    contacted_at = Timestamp(allow_none=True)
    closed_at = Timestamp(allow_none=True)


class LeadMove(Schema):
    status = fields.String(required=True, validate=validate.OneOf(LEAD_STATES[1:]))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


def _today():
    return local_date(service().clock(), settings())


@leads_blp.route("")
class Leads(MethodView):
    @leads_blp.arguments(LeadQuery, location="query")
    @leads_blp.response(200, LeadSchema(many=True))
    @roles_required(*TEAM_LEADS, "advisor", "integration")
    def get(self, query):
        """The leads callbacks raised, by due date; `overdue=true`: those still waiting past their due date."""
        today = _today()
        with service().connection():
            leads = handlers.list_leads(organization=organization_of_request(), status=query.get("status"),
                                        overdue_on=today if query.get("overdue") else None, owner=query.get("owner"))
        return [handlers.lead_row(lead, today) for lead in leads]


@leads_blp.route("/<lead_id>/status", parameters=[LEAD_ID])
class LeadStatus(MethodView):
    @leads_blp.arguments(LeadMove, examples={
        "contacted": {"summary": "已联系客户", "value": {"status": "contacted", "note": "客户下周来店看样品"}},
        "won": {"summary": "成交", "value": {"status": "won", "note": "签订改造合同"}}})
    @leads_blp.response(200, LeadSchema)
    @roles_required(*TEAM_LEADS, "advisor", "agent")
    def post(self, body, lead_id):
        """Move a lead on: contacted, then won or lost (by its owner, or a supervisor, manager, admin); 409
        once it has ended."""
        me = principal()
        lead = service().run(handlers.update_lead, organization=organization_of_request(), lead_id=lead_id,
                             actor=me.login, role=me.role, status=body["status"], note=body["note"])
        return handlers.lead_row(lead, _today())
