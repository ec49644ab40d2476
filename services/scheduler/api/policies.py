"""The policy preview: what the organisation's callback policy (回访策略) would plan; nothing is stored."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.web.api import organization_of_request, roles_required

from .. import handlers
from ..schemas import PreviewQuery, PreviewSchema
from .common import READERS, settings

policies_blp = Blueprint("policies", __name__, url_prefix="/api/v1/policies",
                         description="What the organisation's callback policy (回访策略) would plan.")


@policies_blp.route("/preview")
class PolicyPreview(MethodView):
    @policies_blp.arguments(PreviewQuery, location="query")
    @policies_blp.response(200, PreviewSchema)
    @roles_required(*READERS)
    def get(self, args):
        """The callbacks a sample delivery or order would get; nothing is stored (`?policy=` another policy).

        For example, a key customer's delivery:
        `GET /api/v1/policies/preview?shipped_on=2026-01-31&contract_amount=3200000&segment=vip`;
        a repair: `?business_line=vehicle&kind=repair&completed_on=2026-01-31`.
        """
        policy_name = args.pop("policy")
        return handlers.preview_policy(settings=settings(), organization=organization_of_request(), sample=args,
                                       policy_name=policy_name)
