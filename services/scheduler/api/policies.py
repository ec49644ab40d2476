"""The policy preview: what the organisation's callback policy (回访策略) would plan; nothing is stored."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.web import organization_of_request, roles_required

from ..domain.equipment import CHANNEL_PHONE, channel_for, plan_equipment_callbacks, warranty_end_on
from ..domain.service import is_batched, is_key_customer, plan_service_callbacks, sample_rate_for
from ..rules import rules_for
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
        """The callbacks a sample delivery or order would get; nothing is stored."""
        policy_rules = rules_for(settings(), organization_of_request())
        policy, calendar = policy_rules.policy, policy_rules.calendar
        key = is_key_customer(args["segment"], args.get("kind") if "business_line" in args else None,
                              args["flagged"], policy)
        if "shipped_on" in args:
            planned = plan_equipment_callbacks(shipped_on=args["shipped_on"], installed_on=args.get("installed_on"),
                                               commissioned_on=args.get("commissioned_on"), policy=policy,
                                               calendar=calendar)
            channel = channel_for(args["contract_amount"], policy)
            return {"policy": policy.sampling_key, "key_customer": key, "sample_rate": None, "batched": False,
                    "warranty_end_on": warranty_end_on(shipped_on=args["shipped_on"],
                                                       commissioned_on=args.get("commissioned_on"), policy=policy),
                    "callbacks": [{**p.__dict__, "channel": channel} for p in planned]}
        line, kind = args["business_line"], args["kind"]
        planned = plan_service_callbacks(business_line=line, kind=kind, completed_on=args["completed_on"], key=key,
                                         policy=policy, calendar=calendar)
        return {"policy": policy.sampling_key, "key_customer": key,
                "sample_rate": sample_rate_for(business_line=line, kind=kind, key=key, policy=policy),
                "batched": is_batched(business_line=line, kind=kind, policy=policy), "warranty_end_on": None,
                "callbacks": [{**p.__dict__, "channel": CHANNEL_PHONE} for p in planned]}
