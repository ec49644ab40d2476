"""Marshmallow schemas of the complaints API (the OpenAPI document is generated from them)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.core.schemas import NOT_BLANK, PageArgs, StrictBoolean, Timestamp, not_blank
from shared.core.event_fields import COMPLAINT_CATEGORIES, COMPLAINT_SOURCES, LOGIN_PATTERN, id_field, id_validators
from shared.core.event_types import CustomerSchema

from .domain.complaint import STATES
from .domain.corrective import MANUAL_STATUSES
from .domain.corrective import STATUSES as ACTION_STATUSES
from .domain.ownership import CLOSURE_REASONS
from .domain.tickets import KINDS as TICKET_KINDS
from .domain.tickets import SERVICE_LEVELS, SERVICE_MODES, WARRANTY


class _Input(Schema):
    class Meta:
        unknown = EXCLUDE


class ComplaintQuerySchema(PageArgs):
    customer_id = fields.String(validate=id_validators())
    state = fields.String(validate=validate.OneOf(STATES))
    department = fields.String(validate=validate.Length(min=1, max=200),
                               metadata={"description": "the department it is assigned to (受投诉部门)"})
    owner = fields.String(validate=[validate.Length(min=1, max=64), validate.Regexp(LOGIN_PATTERN.pattern)],
                          metadata={"description": "its owner (处理人), a login", "pattern": LOGIN_PATTERN.pattern})


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
    product_model = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                                  metadata={"description": "the product model complained about (recurring problems)"})
    branch = id_field(required=False)
    advisor_id = id_field(required=False)


class ReplySchema(_Input):
    message = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                            metadata={"pattern": NOT_BLANK, "description": "what the customer was told"})
    answer = StrictBoolean(load_default=None, allow_none=True,
                            metadata={"description": "true: this reply is the handler's answer (处理答复)"})


class EscalateSchema(_Input):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                           metadata={"pattern": NOT_BLANK,
                                     "description": "why this level cannot handle the complaint"})


class ResolveSchema(_Input):
    root_cause = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                               metadata={"pattern": NOT_BLANK})
    corrective_action = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                                      metadata={"pattern": NOT_BLANK})
    special_remark = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                                   metadata={"description": "特别备注: the text the customer's special mark carries "
                                                            "from the next day (default: the root cause)"})


class ReworkSchema(_Input):
    note = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                         metadata={"pattern": NOT_BLANK, "description": "what was repaired again (返修)"})


class HandoverSchema(_Input):
    engineer = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata={"pattern": NOT_BLANK,
                                       "description": "the engineer the ticket goes to (转交工程师)"})


class ChurnSchema(_Input):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                           metadata={"pattern": NOT_BLANK, "description": "why the customer left (客户流失原因)"})


class AcceptSchema(_Input):
    """Accepting takes no field: the caller becomes the owner."""


class CloseSchema(_Input):
    reason = fields.String(required=True, validate=validate.OneOf(CLOSURE_REASONS),
                           metadata={"description": "anonymous (匿名投诉), written_reply (只要求书面答复), no_objection "
                                                    "(没有提出异议), not_valid (非有效投诉), unreachable (回访无法联系)"})
    comment = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                            metadata={"pattern": NOT_BLANK,
                                      "description": "why the complaint may be closed this way"})


class RetryVerificationSchema(_Input):
    comment = fields.String(load_default="", validate=validate.Length(max=5000))


class CompensationSchema(_Input):
    offer = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                          metadata={"pattern": NOT_BLANK, "description": "what is offered to the customer (补偿)"})
    amount = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20), metadata={
        "description": "its value in CNY, a decimal string", "example": "500.00",
        # what domain/ownership.py's _AMOUNT takes (blank: none), in the document
        "pattern": r"^\s*([0-9]{1,12}(\.[0-9]{1,2})?)?\s*$"})


class CompensationDecisionSchema(_Input):
    approve = StrictBoolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class PromiseSchema(_Input):
    what = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"pattern": NOT_BLANK, "description": "what was promised to the customer"})
    to_whom = fields.String(required=True, validate=validate.Length(min=1, max=200),
                            metadata={"pattern": NOT_BLANK})
    due_at = fields.AwareDateTime(required=True, metadata={"description": "by when (an offset required)"})


class KeepPromiseSchema(_Input):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class PromiseViewSchema(Schema):
    id = fields.String()
    what = fields.String()
    to_whom = fields.String()
    due_at = Timestamp()
    made_by = fields.String()
    made_at = Timestamp()
    kept_at = Timestamp(allow_none=True)
    broken_at = Timestamp(allow_none=True)
    state = fields.String(metadata={"enum": ["pending", "kept", "broken"]})


class ActionQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(ACTION_STATUSES))


class NewActionSchema(_Input):
    title = fields.String(required=True, validate=validate.Length(min=1, max=500))
    owner = fields.String(required=True, validate=validate.Length(min=1, max=64),
                          metadata={"description": "the person responsible (责任人), a login"})
    due_on = fields.Date(required=True, metadata={"description": "整改期限"})
    complaint_ids = fields.List(fields.String(validate=id_validators()), load_default=list)
    callback_ids = fields.List(fields.String(validate=id_validators()), load_default=list)


class ActionStatusSchema(_Input):
    status = fields.String(required=True, validate=validate.OneOf(MANUAL_STATUSES))


class ActionCheckSchema(_Input):
    effective = StrictBoolean(required=True)
    finding = fields.String(required=True, validate=validate.Length(min=1, max=5000),
                            metadata={"description": "how it was verified that the action worked (跟踪验证)"})


class CorrectiveActionSchema(Schema):
    """A corrective action of the register (纠正预防措施)."""

    id = fields.String()
    title = fields.String()
    owner = fields.String()
    due_on = fields.Date()
    status = fields.String(metadata={"enum": list(ACTION_STATUSES)})
    origin = fields.String(metadata={"enum": ["manual", "recurring"]})
    complaint_ids = fields.List(fields.String())
    callback_ids = fields.List(fields.String())
    effectiveness = fields.String(allow_none=True)
    checked_by = fields.String(allow_none=True)
    checked_at = Timestamp(allow_none=True)
    overdue = fields.Boolean()


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
    department = fields.String(allow_none=True, metadata={"description": "责任部门, by the ownership policy"})
    owner = fields.String(allow_none=True, metadata={"description": "处理人: the login of the person handling it"})
    accepted_at = Timestamp(allow_none=True, metadata={"description": "接单时间: when the owner accepted it"})
    first_taker = fields.String(allow_none=True, metadata={
        "description": "首问责任人: the first person who took it, accountable until it closes"})
    first_taken_at = Timestamp(allow_none=True)
    closure_reason = fields.String(allow_none=True, metadata={"enum": list(CLOSURE_REASONS)})
    unreachable_at = Timestamp(allow_none=True, metadata={
        "description": "its verification callback found nobody: in the supervisor's queue since then"})
    compensation_state = fields.String(allow_none=True, metadata={"enum": ["proposed", "approved", "rejected"]})
    compensation_offer = fields.String(allow_none=True)
    compensation_amount = fields.String(allow_none=True, metadata={"description": "CNY, a decimal string"})
    compensation_decided_by = fields.String(allow_none=True)
    product_model = fields.String(allow_none=True)
    branch = fields.String(allow_none=True, metadata={"description": "the branch it concerns"})
    promises = fields.List(fields.Nested(PromiseViewSchema), metadata={"description": "promised follow-ups"})
    promise_broken = fields.Boolean(metadata={"description": "a promise to the customer was not kept in time"})
    history = fields.List(fields.Nested(HistoryEntrySchema))


class NewTicketSchema(_Input):
    """A hotline ticket that is not a complaint (seed 001): the fields the hotline agent records."""

    kind = fields.String(required=True, validate=validate.OneOf(TICKET_KINDS),
                         metadata={"description": "consultation (咨询服务单) or service_request (任务单)"})
    customer = fields.Nested(CustomerSchema, required=True)
    product_model = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                                  metadata={"description": "产品信息"})
    purchased_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "购买时间"})
    fault = fields.String(required=True, validate=[validate.Length(min=1, max=5000), not_blank],
                          metadata={"pattern": NOT_BLANK, "description": "故障现象 (or the question asked)"})
    warranty = fields.String(load_default="unknown", validate=validate.OneOf(WARRANTY), metadata={
        "description": "保修状态"})
    service_level = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SERVICE_LEVELS),
                                  metadata={"description": "服务级别; left out: by the customer (policy)"})
    service_mode = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SERVICE_MODES),
                                 metadata={"description": "服务方式; left out: by the warranty policy"})


class TicketQuerySchema(PageArgs):
    kind = fields.String(validate=validate.OneOf(TICKET_KINDS))


class TicketPassSchema(_Input):
    to = fields.String(required=True, validate=[validate.Length(min=1, max=200), not_blank],
                       metadata={"pattern": NOT_BLANK, "description": "the engineer or coordinator it goes to"})


class TicketComplaintSchema(_Input):
    category = fields.String(load_default="other", validate=validate.OneOf(COMPLAINT_CATEGORIES))


class TicketSchema(Schema):
    """A hotline ticket (seed 001). Datetimes are ISO 8601 with the installation's offset."""

    id = fields.String()
    kind = fields.String(metadata={"enum": list(TICKET_KINDS)})
    customer = fields.Dict()
    product_model = fields.String(allow_none=True)
    purchased_on = fields.Date(allow_none=True)
    fault = fields.String()
    warranty = fields.String()
    service_level = fields.String()
    service_mode = fields.String()
    recorded_by = fields.String()
    recorded_at = Timestamp()
    handover_due_at = Timestamp()
    handed_over_at = Timestamp(allow_none=True)
    handed_over_to = fields.String(allow_none=True)
    dispatch_due_at = Timestamp(allow_none=True)
    dispatched_at = Timestamp(allow_none=True)
    dispatched_to = fields.String(allow_none=True)
    duplicate_of = fields.String(allow_none=True, metadata={"description": "an earlier ticket of the same customer "
                                                            "and product within the policy's window"})
    complaint_id = fields.String(allow_none=True)
    missed = fields.List(fields.String(), metadata={"description": "deadlines missed (handover, dispatch)"})
