"""Routes of the leads callbacks raised."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared.core.schemas import Timestamp
from shared.web.api import organization_of_request, roles_required

from .. import handlers
from .common import TEAM_LEADS, service

leads_blp = Blueprint("leads", __name__, url_prefix="/api/v1/leads",
                      description="Leads from callbacks (维修、改造、采购需求): owner and due date.")


class LeadQuery(Schema):
    status = fields.String(validate=validate.OneOf(("open",)), metadata={"example": "open"})


class LeadSchema(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "maintenance, retrofit, maintenance_or_retrofit or purchase"})
    question = fields.String()
    callback_id = fields.String()
    customer_id = fields.String()
    owner = fields.String(allow_none=True)
    due_on = fields.Date()
    status = fields.String()
    delivery_id = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    raised_at = Timestamp()


@leads_blp.route("")
class Leads(MethodView):
    @leads_blp.arguments(LeadQuery, location="query")
    @leads_blp.response(200, LeadSchema(many=True))
    @roles_required(*TEAM_LEADS, "advisor", "integration")
    def get(self, query):
        """The leads callbacks raised, by due date."""
        with service().connection():
            return handlers.list_leads(organization=organization_of_request(), status=query.get("status"))
