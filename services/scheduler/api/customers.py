"""A customer's special mark (特殊标记, RULES 2): its remark and history; a manager lifts it."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.web.api import organization_of_request, principal, roles_required

from .. import handlers
from ..errors import CustomerNotFound
from ..models import Customer
from ..schemas import CustomerFlagSchema, LiftFlagSchema
from .common import CUSTOMER_ID, READERS, service

#: Who may lift a customer's special mark (seed 000: the service manager decides who is watched).
FLAG_LIFTERS = ("manager", "admin")

customers_blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers",
                          description="Customers' special mark (特殊标记) after a resolved complaint.")


def _flag_view(organization: str, customer_id: str) -> dict:
    customer = Customer.get_or_none(Customer.organization == organization, Customer.customer_id == customer_id)
    if customer is None:
        raise CustomerNotFound(f"No customer {customer_id} in organisation {organization}.")
    return {"customer_id": customer_id, "flagged": customer.flagged_key, "flagged_at": customer.flagged_at,
            "remark": customer.flag_remark, "flagged_by": customer.flagged_by,
            "complaint_id": customer.flag_complaint_id,
            "history": handlers.flag_history(organization=organization, customer_id=customer_id)}


@customers_blp.route("/<customer_id>/flag", parameters=[CUSTOMER_ID])
class CustomerFlag(MethodView):
    @customers_blp.response(200, CustomerFlagSchema)
    @roles_required(*READERS)
    def get(self, customer_id):
        """The customer's special mark: its remark, who set it and when, and its history."""
        organization = organization_of_request()
        with service().connection():
            return _flag_view(organization, customer_id)


@customers_blp.route("/<customer_id>/flag/lift", parameters=[CUSTOMER_ID])
class LiftCustomerFlag(MethodView):
    @customers_blp.arguments(LiftFlagSchema, example={"reason": "客户问题已彻底解决，连续三次回访满意。"})
    @customers_blp.response(200, CustomerFlagSchema)
    @roles_required(*FLAG_LIFTERS)
    def post(self, body, customer_id):
        """Lifts the customer's special mark, with the reason (kept in its history)."""
        organization = organization_of_request()
        service().run(handlers.lift_flag, organization=organization, customer_id=customer_id,
                      actor=principal().login, reason=body["reason"])
        with service().connection():
            return _flag_view(organization, customer_id)
