"""Routes of the customers who stopped coming (seed 000 part 5: 回访调查流失原因): the list of a
business line's customers not served for N months, and the "why not back" callbacks (kind `lapsed`)
a supervisor, manager or admin plans from it."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, validate

from shared.web.api import organization_of_request, principal, roles_required

from .. import handlers
from ..domain.lapsed import LAPSE_LINES, MAX_MONTHS
from ..handlers.common import local_date
from ..schemas import CallbackSchema
from .common import service, settings, with_customers

lapsed_blp = Blueprint("lapsed_customers", __name__, url_prefix="/api/v1/customers/lapsed",
                       description="Customers not served for N months (流失客户), and the \"why not back\" "
                                   "callbacks planned for them.")

_LINE = fields.String(required=True, validate=validate.OneOf(LAPSE_LINES), metadata={"example": "vehicle"})
_MONTHS = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1, max=MAX_MONTHS),
                         metadata={"description": "months without service (absent: the policy's for the line)"})


class LapsedQuery(Schema):
    business_line = fields.String(required=True, validate=validate.OneOf(LAPSE_LINES),
                                  metadata={"example": "vehicle"})
    months = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_MONTHS),
                            metadata={"description": "months without service (absent: the policy's for the line)",
                                      "example": 6})
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class LapsedCustomerSchema(Schema):
    customer_id = fields.String()
    name = fields.String(allow_none=True)
    segment = fields.String(allow_none=True)
    business_line = fields.String()
    last_served_on = fields.Date(metadata={"description": "the last order completed or delivery shipped/commissioned"})
    callback_id = fields.String(allow_none=True, metadata={"description": "the \"why not back\" callback, once planned"})
    callback_status = fields.String(allow_none=True)
    assigned_to = fields.String(allow_none=True)


class LapsedListSchema(Schema):
    business_line = fields.String()
    months = fields.Integer()
    customers = fields.List(fields.Nested(LapsedCustomerSchema))


class PlanLapsedSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    business_line = _LINE
    months = _MONTHS
    customer_ids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                               validate=validate.Length(min=1, max=200))


@lapsed_blp.route("")
class LapsedCustomers(MethodView):
    @lapsed_blp.arguments(LapsedQuery, location="query")
    @lapsed_blp.response(200, LapsedListSchema)
    @roles_required(*handlers.LAPSED_PLANNERS)
    def get(self, query):
        """The line's customers not served for `months` (default: the policy's), the longest gone first,
        each with its "why not back" callback once planned; those declining callbacks are left out."""
        on = local_date(service().clock(), settings())
        with service().connection():
            months, rows = handlers.lapsed_customers(
                settings=settings(), organization=organization_of_request(), business_line=query["business_line"],
                on=on, months=query["months"], limit=query["limit"])
        return {"business_line": query["business_line"], "months": months, "customers": rows}


@lapsed_blp.route("/plan")
class PlanLapsed(MethodView):
    @lapsed_blp.arguments(PlanLapsedSchema, example={"business_line": "vehicle", "months": 6,
                                                     "customer_ids": ["C-2002"]})
    @lapsed_blp.response(200, CallbackSchema(many=True))
    @lapsed_blp.alt_response(409, description="A customer is not lapsed in that line, or declines callbacks")
    @roles_required(*handlers.LAPSED_PLANNERS)
    def post(self, body):
        """Plan a "why not back" callback (kind `lapsed`) for each customer: one per lapse, given to the
        line's agent with the fewest open callbacks; a customer planned before keeps their callback."""
        org = organization_of_request()
        with service().command() as uow:
            tasks = handlers.plan_lapsed(uow=uow, organization=org, business_line=body["business_line"],
                                         customer_ids=body["customer_ids"], months=body["months"], actor=principal())
        return with_customers(org, tasks)
