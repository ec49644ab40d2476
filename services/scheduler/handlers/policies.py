"""The policy preview: what a callback policy (回访策略) would plan for a sample; nothing is stored.

One function behind GET /api/v1/policies/preview and the preview page (dates typed in, or a
sample file of deliveries or orders, row by row).
"""
from __future__ import annotations

from ..domain.equipment import CHANNEL_PHONE, channel_for, plan_equipment_callbacks, warranty_end_on
from ..domain.service import is_batched, is_key_customer, plan_service_callbacks, sample_rate_for
from ..rules import DEFAULT_POLICY, rules_with_policy


def preview_policy(*, settings, organization: str, sample: dict, policy_name: str = DEFAULT_POLICY) -> dict:
    """Gives the callbacks `sample` would get under the policy: a delivery (`shipped_on`,
    optionally `installed_on`, `commissioned_on`, `contract_amount`) or a service order
    (`business_line`, `kind`, `completed_on`); with the customer's `segment` and `flagged`.

    `sample` is as PreviewQuery (schemas.py) loads it.

    Raises:
      UnknownPolicy: no policy `policy_name`; SchedulerDomainError: a kind the policy has no rule for.
    """
    rules = rules_with_policy(settings, organization, policy_name)
    policy, calendar = rules.policy, rules.calendar
    key = is_key_customer(sample["segment"], sample.get("kind") if "business_line" in sample else None,
                          sample["flagged"], policy)
    if "shipped_on" in sample:
        planned = plan_equipment_callbacks(shipped_on=sample["shipped_on"], installed_on=sample.get("installed_on"),
                                           commissioned_on=sample.get("commissioned_on"), policy=policy,
                                           calendar=calendar)
        channel = channel_for(sample["contract_amount"], policy)
        return {"policy": policy.sampling_key, "key_customer": key, "sample_rate": None, "batched": False,
                "warranty_end_on": warranty_end_on(shipped_on=sample["shipped_on"],
                                                   commissioned_on=sample.get("commissioned_on"), policy=policy),
                "callbacks": [{**p.__dict__, "channel": channel} for p in planned]}
    line, kind = sample["business_line"], sample["kind"]
    planned = plan_service_callbacks(business_line=line, kind=kind, completed_on=sample["completed_on"], key=key,
                                     policy=policy, calendar=calendar)
    return {"policy": policy.sampling_key, "key_customer": key,
            "sample_rate": sample_rate_for(business_line=line, kind=kind, key=key, policy=policy),
            "batched": is_batched(business_line=line, kind=kind, policy=policy), "warranty_end_on": None,
            "callbacks": [{**p.__dict__, "channel": CHANNEL_PHONE} for p in planned]}
