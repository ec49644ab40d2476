"""Route of the missing ledger data: deliveries without an installation or
commissioning date past the usual time."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared.web.api import organization_of_request, roles_required

from .. import handlers
from .common import LEDGER_KEEPERS, service, settings

ledger_gaps_blp = Blueprint("ledger_gaps", __name__, url_prefix="/api/v1/ledger/gaps",
                            description="Missing ledger data (台帐缺失数据): deliveries waiting for a date.")


class LedgerGapSchema(Schema):
    delivery_id = fields.String()
    customer_id = fields.String(allow_none=True)
    project = fields.String(allow_none=True)
    product_model = fields.String(allow_none=True)
    shipped_on = fields.Date()
    missing = fields.String(metadata={"description": "installed_on or commissioned_on"})
    expected_by = fields.Date(metadata={"description": "the day it usually comes by (data/ledger_watch.yaml)"})


@ledger_gaps_blp.route("")
class LedgerGaps(MethodView):
    @ledger_gaps_blp.response(200, LedgerGapSchema(many=True))
    @roles_required(*LEDGER_KEEPERS)
    def get(self):
        """Deliveries with no installation or commissioning date past the usual time, by ship date: their
        trial-run, warranty and post-warranty callbacks cannot be planned until it comes."""
        with service().connection():
            return handlers.ledger_gaps(settings=settings(), organization=organization_of_request(),
                                        on=service().clock().astimezone(settings().tz).date())
