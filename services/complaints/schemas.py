"""Marshmallow schemas of the complaints API (the OpenAPI document is generated from them)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.schemas import PageArgs, Timestamp
from shared.events import COMPLAINT_CATEGORIES, COMPLAINT_SOURCES, CustomerSchema, id_field, id_validators

from .domain.complaint import STATES


class _Input(Schema):
    class Meta:
        unknown = EXCLUDE


class ComplaintQuerySchema(PageArgs):
    customer_id = fields.String(validate=id_validators())
    state = fields.String(validate=validate.OneOf(STATES))


class NewComplaintSchema(_Input):
    """The fields of complaint.raised data (CONTRACT); the server makes `complaint_id` for people."""

    complaint_id = fields.String(validate=id_validators(), metadata={
        "description": "only the integration token names its ids (never CMP-... or callback-...); "
                       "for a person the server makes it (CMP-...)"})
    customer = fields.Nested(CustomerSchema, required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=10000))
    category = fields.String(load_default="other", validate=validate.OneOf(COMPLAINT_CATEGORIES))
    source = fields.String(load_default="walk_in", validate=validate.OneOf(COMPLAINT_SOURCES))
    raised_at = fields.AwareDateTime(load_default=None, allow_none=True, metadata={
        "description": "a person's within the last HUIFANG_RAISED_AT_WINDOW_MINUTES (60); absent: now"})
    order_id = id_field(required=False)
    delivery_id = id_field(required=False)


class ReplySchema(_Input):
    message = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                            metadata={"description": "what the customer was told"})
    answer = fields.Boolean(load_default=None, allow_none=True,
                            metadata={"description": "true: this reply is the handler's answer (处理答复)"})


class EscalateSchema(_Input):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                           metadata={"description": "why this level cannot handle the complaint"})


class ResolveSchema(_Input):
    root_cause = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    corrective_action = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    special_remark = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                                   metadata={"description": "特别备注: the text the customer's special mark carries "
                                                            "from the next day (default: the root cause)"})


class ReworkSchema(_Input):
    note = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                         metadata={"description": "what was repaired again (返修)"})


class HandoverSchema(_Input):
    engineer = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata={"description": "the engineer the ticket goes to (转交工程师)"})


class ChurnSchema(_Input):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                           metadata={"description": "why the customer left (客户流失原因)"})


class HistoryEntrySchema(Schema):
    at = Timestamp()
    actor = fields.String()
    action = fields.String()
    from_level = fields.Integer(allow_none=True)
    to_level = fields.Integer(allow_none=True)
    reason = fields.String()


class ComplaintSchema(Schema):
    """A complaint (客户投诉处理追踪表). Datetimes are ISO 8601 with the installation's offset."""

    id = fields.String()
    organization = fields.String()
    state = fields.String(metadata={"enum": list(STATES)})
    level = fields.Integer(metadata={"description": "0 = agent"})
    level_role = fields.String()
    level_label = fields.String()
    chain = fields.String()
    customer = fields.Nested(CustomerSchema)
    customer_class = fields.String(metadata={"enum": ["group", "private"]})
    description = fields.String()
    category = fields.String()
    source = fields.String()
    order_id = fields.String(allow_none=True)
    delivery_id = fields.String(allow_none=True)
    repeat = fields.Boolean()
    raised_at = Timestamp()
    first_reply_due_at = Timestamp()
    answer_due_at = Timestamp()
    first_reply_at = Timestamp(allow_none=True)
    answered_at = Timestamp(allow_none=True)
    investigate_due_at = Timestamp(allow_none=True)
    investigated_at = Timestamp(allow_none=True)
    resolved_at = Timestamp(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_level = fields.Integer(allow_none=True)
    root_cause = fields.String(allow_none=True)
    corrective_action = fields.String(allow_none=True)
    verify_due_at = Timestamp(allow_none=True)
    customer_flagged_at = Timestamp(allow_none=True)
    closed_at = Timestamp(allow_none=True)
    churn_reason = fields.String(allow_none=True, metadata={"description": "客户流失原因"})
    handover_due_at = Timestamp(allow_none=True, metadata={
        "description": "hotline tickets under a handover policy (seed 001): to an engineer by then"})
    handed_over_at = Timestamp(allow_none=True)
    handed_over_to = fields.String(allow_none=True)
    rework_due_at = Timestamp(allow_none=True, metadata={
        "description": "a repeat complaint (RULES 1.3): special callback and rework within 24 hours"})
    reworked_at = Timestamp(allow_none=True)
    special_remark = fields.String(allow_none=True, metadata={"description": "特别备注 of the customer's mark"})
    provisional = fields.Boolean(metadata={
        "description": "a deadline was counted over a day of a year the official calendar has not published"})
    provisional_deadlines = fields.List(fields.String(), metadata={"description": "which deadlines are provisional"})
    history = fields.List(fields.Nested(HistoryEntrySchema))
