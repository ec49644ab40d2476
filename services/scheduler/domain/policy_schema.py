"""Reading a callback policy (回访策略): its marshmallow schema and :func:`load_policy`.

Validates a parsed YAML or JSON policy and gives the frozen dataclasses of
:mod:`services.scheduler.domain.policy`; a bad value is named by its dotted path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import yaml
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from services.scheduler.errors import PolicyError
from services.scheduler.domain.policy import (
    ANCHOR_COMMISSIONING,
    ANCHOR_WARRANTY_END,
    DEFAULT_REPEAT_COMPLAINT,
    DEFAULT_SELECTION,
    UNITS,
    BatchPolicy,
    BusinessLinePolicy,
    CallbackRule,
    CallWindow,
    EquipmentMilestone,
    EquipmentPolicy,
    KeyCustomerPolicy,
    OrderKindPolicy,
    PeriodicRule,
    Policy,
    QuestionnaireSelection,
    RaisedComplaintPolicy,
    RepeatComplaintPolicy,
    RetryPolicy,
    Tier,
    TierSet,
)
from shared.core.event_fields import COMPLAINT_CATEGORIES

__all__ = ["first_message", "load_policy", "load_policy_file"]


def load_policy(data: Mapping) -> Policy:
    """Gives a validated :class:`Policy` from a dict (a parsed YAML or JSON file).

    Raises:
      PolicyError: with ``field`` the dotted path of the first bad value.
    """
    try:
        return _PolicySchema().load(data)
    except ValidationError as exc:
        field, message = first_message(exc.messages)
        raise PolicyError(f"policy field {field!r}: {message}", field=field) from exc


def load_policy_file(path: str | Path) -> Policy:
    """Gives the validated policy of a YAML file.

    Raises:
      PolicyError: when the file is not a mapping or a field is bad.
    """
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, Mapping):
        raise PolicyError(f"{path}: a policy file must hold a mapping", field="")
    return load_policy(data)


def first_message(messages, path: str = "") -> tuple[str, str]:
    """Gives ``(dotted path, message)`` of the first error in marshmallow's nested messages."""
    if isinstance(messages, dict):
        key = sorted(messages, key=str)[0]
        # "_schema" is a whole-object error; "value" is how a Dict field nests its values.
        if path and key in ("_schema", "value"):
            sub = path
        else:
            sub = f"{path}.{key}" if path else str(key)
        return first_message(messages[key], sub)
    if isinstance(messages, list) and messages:
        return first_message(messages[0], path)
    return path, str(messages)


_RATE = validate.Range(min=0, max=1)
_NON_NEGATIVE = validate.Range(min=0)
_NAME = validate.Length(min=1)


class _KeyCustomerSchema(Schema):
    segments = fields.List(fields.String(validate=_NAME), required=True)
    order_kinds = fields.List(fields.String(validate=_NAME), required=True)
    sample_rate = fields.Float(required=True, validate=_RATE)

    @post_load
    def make(self, data, **kwargs):
        return KeyCustomerPolicy(
            segments=frozenset(data["segments"]),
            order_kinds=frozenset(data["order_kinds"]),
            sample_rate=data["sample_rate"],
        )


class _MilestoneSchema(Schema):
    kind = fields.String(required=True, validate=_NAME)
    anchor = fields.String(
        required=True, validate=validate.OneOf([ANCHOR_COMMISSIONING, ANCHOR_WARRANTY_END])
    )
    months = fields.Integer(required=True, strict=True, validate=_NON_NEGATIVE)

    @post_load
    def make(self, data, **kwargs):
        return EquipmentMilestone(**data)


class _EquipmentSchema(Schema):
    installation_days_after_shipment = fields.Integer(
        required=True, strict=True, validate=_NON_NEGATIVE
    )
    warranty_months_after_commissioning = fields.Integer(
        required=True, strict=True, validate=_NON_NEGATIVE
    )
    warranty_months_after_shipment = fields.Integer(
        required=True, strict=True, validate=_NON_NEGATIVE
    )
    overdue_months_after_due = fields.Integer(required=True, strict=True, validate=_NON_NEGATIVE)
    onsite_threshold_cny = fields.Decimal(required=True, validate=_NON_NEGATIVE)
    milestones = fields.List(fields.Nested(_MilestoneSchema), required=True)

    @validates_schema
    def kinds_are_unique(self, data, **kwargs):
        kinds = [m.kind for m in data.get("milestones", [])]
        if len(kinds) != len(set(kinds)):
            raise ValidationError("milestone kinds must be unique", field_name="milestones")

    @post_load
    def make(self, data, **kwargs):
        return EquipmentPolicy(**{**data, "milestones": tuple(data["milestones"])})


class _CallbackRuleSchema(Schema):
    kind = fields.String(required=True, validate=_NAME)
    offset = fields.Integer(required=True, strict=True, validate=_NON_NEGATIVE)
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    overdue_after = fields.Integer(load_default=None, allow_none=True, strict=True)
    immediate = fields.Boolean(load_default=False)

    @validates_schema
    def overdue_not_before_due(self, data, **kwargs):
        overdue = data.get("overdue_after")
        if overdue is not None and overdue < data.get("offset", 0):
            raise ValidationError("must not be less than offset", field_name="overdue_after")

    @validates_schema
    def immediate_at_once(self, data, **kwargs):
        if data.get("immediate") and data.get("offset"):
            raise ValidationError("an immediate callback is due at the completion: offset 0", field_name="offset")

    @post_load
    def make(self, data, **kwargs):
        return CallbackRule(**data)


class _OrderKindSchema(Schema):
    callbacks = fields.List(fields.Nested(_CallbackRuleSchema), load_default=None)
    sample_rate = fields.Float(load_default=None, allow_none=True, validate=_RATE)
    batched = fields.Boolean(load_default=False)

    @post_load
    def make(self, data, **kwargs):
        callbacks = data["callbacks"]
        return OrderKindPolicy(
            callbacks=None if callbacks is None else tuple(callbacks),
            sample_rate=data["sample_rate"],
            batched=data["batched"],
        )


class _PeriodicRuleSchema(Schema):
    kind = fields.String(required=True, validate=_NAME)
    every_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    key_every_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))

    @post_load
    def make(self, data, **kwargs):
        return PeriodicRule(**data)


class _BusinessLineSchema(Schema):
    ordinary_sample_rate = fields.Float(required=True, validate=_RATE)
    callbacks = fields.List(fields.Nested(_CallbackRuleSchema), load_default=list)
    order_kinds = fields.Dict(
        keys=fields.String(validate=_NAME), values=fields.Nested(_OrderKindSchema),
        load_default=dict,
    )
    existing_customers = fields.Nested(_PeriodicRuleSchema, load_default=None, allow_none=True)

    @post_load
    def make(self, data, **kwargs):
        return BusinessLinePolicy(
            ordinary_sample_rate=data["ordinary_sample_rate"],
            callbacks=tuple(data["callbacks"]),
            order_kinds=dict(data["order_kinds"]),
            existing_customers=data["existing_customers"],
        )


def _name_table():
    return fields.Dict(keys=fields.String(validate=_NAME), values=fields.String(validate=_NAME), load_default=dict)


class _QuestionnaireSelectionSchema(Schema):
    by_callback_kind = _name_table()
    by_business_line = _name_table()
    by_order_kind = _name_table()
    by_segment = _name_table()
    default = fields.String(required=True, validate=_NAME)

    @post_load
    def make(self, data, **kwargs):
        return QuestionnaireSelection(**{k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()})


class _TierSchema(Schema):
    up_to = fields.Integer(required=True, allow_none=True, strict=True, validate=_NON_NEGATIVE)
    rate = fields.Float(load_default=None, allow_none=True, validate=_RATE)
    count = fields.Integer(load_default=None, allow_none=True, strict=True, validate=_NON_NEGATIVE)

    @validates_schema
    def rate_or_count(self, data, **kwargs):
        if (data.get("rate") is None) == (data.get("count") is None):
            raise ValidationError("give exactly one of rate or count", field_name="rate")

    @post_load
    def make(self, data, **kwargs):
        return Tier(**data)


class _TierSetSchema(Schema):
    tiers = fields.List(fields.Nested(_TierSchema), required=True, validate=validate.Length(min=1))
    onsite_share = fields.Float(load_default=None, allow_none=True, validate=_RATE)

    @validates_schema
    def tiers_ascend_to_open_end(self, data, **kwargs):
        tiers = data.get("tiers") or []
        bounds = [t.up_to for t in tiers]
        if not bounds or bounds[-1] is not None or None in bounds[:-1]:
            raise ValidationError(
                "the last tier, and only it, must have up_to: null", field_name="tiers"
            )
        if bounds[:-1] != sorted(set(bounds[:-1])):
            raise ValidationError("up_to must strictly increase", field_name="tiers")

    @post_load
    def make(self, data, **kwargs):
        return TierSet(tiers=tuple(data["tiers"]), onsite_share=data["onsite_share"])


class _BatchSchema(Schema):
    day_of_month = fields.Integer(required=True, strict=True, validate=validate.Range(1, 31))
    tier_set = fields.String(required=True, validate=_NAME)

    @post_load
    def make(self, data, **kwargs):
        return BatchPolicy(**data)


class _RetrySchema(Schema):
    max_attempts = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    appointment_within_days = fields.Integer(load_default=92, strict=True, validate=validate.Range(min=1, max=3660))
    declined_cancels_open = fields.Boolean(load_default=True)

    @post_load
    def make(self, data, **kwargs):
        return RetryPolicy(**data)


class _CallWindowSchema(Schema):
    start = fields.Time(required=True)
    end = fields.Time(required=True)

    @validates_schema
    def starts_before_end(self, data, **kwargs):
        if "start" in data and "end" in data and not data["start"] < data["end"]:
            raise ValidationError("must be after start", field_name="end")

    @post_load
    def make(self, data, **kwargs):
        return CallWindow(**data)


class _CategoryRuleSchema(Schema):
    question = fields.String(required=True, validate=_NAME)
    category = fields.String(required=True, validate=validate.OneOf(COMPLAINT_CATEGORIES))


class _RaisedComplaintSchema(Schema):
    categories = fields.List(fields.Nested(_CategoryRuleSchema), required=True)
    default_category = fields.String(required=True, validate=validate.OneOf(COMPLAINT_CATEGORIES))

    @post_load
    def make(self, data, **kwargs):
        return RaisedComplaintPolicy(categories=tuple((c["question"], c["category"]) for c in data["categories"]),
                                     default_category=data["default_category"])


class _RepeatComplaintSchema(Schema):
    kind = fields.String(required=True, validate=_NAME)

    @post_load
    def make(self, data, **kwargs):
        return RepeatComplaintPolicy(**data)


class _PolicySchema(Schema):
    name = fields.String(required=True, validate=_NAME)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    key_customers = fields.Nested(_KeyCustomerSchema, required=True)
    equipment = fields.Nested(_EquipmentSchema, required=True)
    business_lines = fields.Dict(
        keys=fields.String(validate=_NAME), values=fields.Nested(_BusinessLineSchema),
        required=True,
    )
    batch = fields.Nested(_BatchSchema, required=True)
    tier_sets = fields.Dict(
        keys=fields.String(validate=_NAME), values=fields.Nested(_TierSetSchema), required=True
    )
    retry = fields.Nested(_RetrySchema, required=True)
    call_windows = fields.List(fields.Nested(_CallWindowSchema), required=True,
                               validate=validate.Length(min=1, error="give at least one call window"))
    verification = fields.Nested(_CallbackRuleSchema, required=True)
    raised_complaints = fields.Nested(_RaisedComplaintSchema, required=True)
    questionnaires = fields.Nested(_QuestionnaireSelectionSchema, load_default=lambda: DEFAULT_SELECTION)
    repeat_complaint = fields.Nested(_RepeatComplaintSchema, load_default=lambda: DEFAULT_REPEAT_COMPLAINT)
    call_length_guide_s = fields.Integer(load_default=None, allow_none=True, strict=True,
                                         validate=validate.Range(min=10, max=3600))

    @validates_schema
    def batch_names_a_tier_set(self, data, **kwargs):
        batch, tier_sets = data.get("batch"), data.get("tier_sets")
        if batch is not None and tier_sets is not None and batch.tier_set not in tier_sets:
            raise ValidationError(
                {"tier_set": [f"unknown tier set {batch.tier_set!r}"]}, field_name="batch"
            )

    @post_load
    def make(self, data, **kwargs):
        return Policy(
            **{
                **data,
                "business_lines": dict(data["business_lines"]),
                "tier_sets": dict(data["tier_sets"]),
                "call_windows": tuple(data["call_windows"]),
            }
        )
