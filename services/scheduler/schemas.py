"""Marshmallow schemas of the scheduler API."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from shared.core.answers import DISSATISFIED_ANSWERS
from shared.core.event_fields import BUSINESS_LINES_SERVICE, SATISFACTION, SEGMENTS, SERVICE_KINDS, id_validators
from shared.core.schemas import PageArgs, QueryArgs, StrictBoolean, Timestamp

from .models import DECLINED, RESCHEDULED, STATUSES, WRONG_NUMBER


class CallbackQuery(PageArgs):
    customer_id = fields.String(validate=id_validators())
    delivery_id = fields.String(validate=id_validators())
    order_id = fields.String(validate=id_validators())
    complaint_id = fields.String(validate=id_validators())
    status = fields.String(validate=validate.OneOf(STATUSES))
    kind = fields.String()
    due_from = fields.Date()
    due_to = fields.Date()


class AgentCallbackQuery(PageArgs):
    due_to = fields.Date(metadata={"description": "only tasks due (or to retry) on or before this day"})
    callable_now = fields.Boolean(load_default=False, metadata={
        "description": "only tasks due today or earlier, and none when now is outside the call windows"})


class ContactSchema(Schema):
    name = fields.String()
    segment = fields.String()
    phone = fields.String(allow_none=True)
    contact_person = fields.String(allow_none=True)
    site_contact = fields.String(allow_none=True)
    site_phone = fields.String(allow_none=True)
    flagged_key = fields.Boolean()


class CallbackSchema(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String()
    channel = fields.String()
    due_on = fields.Date()
    overdue_on = fields.Date()
    nominal_on = fields.Date()
    provisional = fields.Boolean()
    calendar_source = fields.String(allow_none=True, metadata={
        "description": "which calendar sources decided the dates: organization, correction, official, "
                       "holidays (computed, provisional), fallback"})
    over_time_limit = fields.Boolean(metadata={"description": "longer than the policy's call length guide, "
                                                              "no complaint raised (RULES 1.2)"})
    outside_call_window = fields.Boolean(metadata={"description": "outcome recorded outside the call windows"})
    business_line = fields.String()
    customer_id = fields.String()
    key_customer = fields.Boolean()
    delivery_id = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    complaint_id = fields.String(allow_none=True)
    assigned_to = fields.String(allow_none=True)
    attempts = fields.Integer()
    next_attempt_on = fields.Date(allow_none=True)
    record_no = fields.String(allow_none=True)
    reached = fields.Boolean(allow_none=True)
    product_satisfaction = fields.String(allow_none=True)
    service_satisfaction = fields.String(allow_none=True)
    dissatisfied_reason = fields.String(allow_none=True)
    suggestions = fields.String(allow_none=True)
    duration_s = fields.Integer(allow_none=True)
    answers = fields.Dict(allow_none=True)
    raised_complaint_id = fields.String(allow_none=True)
    completed_at = Timestamp(allow_none=True)
    customer = fields.Nested(ContactSchema, allow_none=True)
    last_result = fields.String(allow_none=True, metadata={
        "description": "what the last call came to: reached, not_reached, rescheduled, declined, wrong_number"})
    appointment_at = Timestamp(allow_none=True, metadata={
        "description": "rescheduled: when the customer is to be called (inside the call windows)"})
    completed_by = fields.String(allow_none=True, metadata={"description": "who recorded the last call (login)"})


class QuestionSchema(Schema):
    id = fields.String()
    label_zh = fields.String()
    label_en = fields.String()
    answer_type = fields.String(metadata={"description": "satisfaction, text or yes_no"})
    required = fields.Boolean()


class QuestionnaireSchema(Schema):
    name = fields.String()
    title_zh = fields.String()
    title_en = fields.String()
    version = fields.Integer()
    questions = fields.List(fields.Nested(QuestionSchema), metadata={"description": "in the order they are asked"})
    opening_zh = fields.String(metadata={"description": "the opening script (开场话术) with placeholders "
                                                        "{customer_name} {company} {agent} {subject}"})
    opening_en = fields.String()
    closing_zh = fields.String(metadata={"description": "the closing script (结束语)"})
    closing_en = fields.String()


class ScriptsSchema(Schema):
    opening_zh = fields.String()
    opening_en = fields.String()
    closing_zh = fields.String()
    closing_en = fields.String()


class CallbackDetailSchema(CallbackSchema):
    questionnaire = fields.Nested(QuestionnaireSchema, metadata={"description": "the questions to ask, in order"})
    scripts = fields.Nested(ScriptsSchema, metadata={
        "description": "the questionnaire's opening and closing scripts filled in for this callback"})


class AgentCallbackSchema(CallbackSchema):
    next_call_at = Timestamp(allow_none=True, metadata={
        "description": "the next moment in a call window on a working day, not before the task is due"})


#: What else a call can come to than answers or no answer.
OTHER_RESULTS = (RESCHEDULED, DECLINED, WRONG_NUMBER)
#: Whether the customer was reached, by those results.
REACHED_BY_RESULT = {RESCHEDULED: True, DECLINED: True, WRONG_NUMBER: False}


class ContactCorrectionSchema(Schema):
    """A correction of the customer's contact data made during a call."""

    class Meta:
        unknown = EXCLUDE
        # not_empty, in the document
        openapi = {"anyOf": [{"required": ["name"]}, {"required": ["phone"]}, {"required": ["contact_person"]}]}

    name = fields.String(validate=validate.Length(min=1, max=200))
    phone = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9+()\- ]{3,40}$",
                                                                    error="a phone number: digits, + ( ) - and blanks"))
    contact_person = fields.String(allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give the corrected name, phone or contact person.", field_name="_schema")


class OutcomeSchema(Schema):
    """One call's outcome (CONTRACT.md); a dissatisfied answer needs its reason.

    `result` says what else the call came to (`rescheduled` with `call_at`, `declined`,
    `wrong_number`; then `reached` may be left out), and `contact` corrects the customer's
    name, phone or contact person (kept, and sent on as `customer.updated`).
    """

    class Meta:
        unknown = EXCLUDE
        # `reached`, or a `result` (not null), in the document
        openapi = {"anyOf": [{"required": ["reached"]},
                             {"required": ["result"], "properties": {"result": {"type": "string"}}}]}

    reached = StrictBoolean(load_default=None, metadata={"description": "required unless `result` is given"})
    result = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(OTHER_RESULTS), metadata={
        "description": "rescheduled (the customer asks to be called at `call_at`), declined (does not accept "
                       "callbacks: none are planned any more), wrong_number (waits for corrected contact data)"})
    call_at = fields.AwareDateTime(load_default=None, allow_none=True, metadata={
        "description": "rescheduled: when the customer asked to be called (moved into the call windows)"})
    contact = fields.Nested(ContactCorrectionSchema, load_default=None, allow_none=True)
    product_satisfaction = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SATISFACTION))
    service_satisfaction = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SATISFACTION))
    dissatisfied_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10000))
    suggestions = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10000))
    duration_s = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    answers = fields.Dict(keys=fields.String(), load_default=None, allow_none=True,
                          metadata={"description": "the questionnaire's answers, by question id "
                                                   "(GET /api/v1/callbacks/<id>/questionnaire)"})

    @validates_schema
    def reason_when_dissatisfied(self, data, **kwargs):
        result = data.get("result")
        if result is None and data.get("reached") is None:
            raise ValidationError("Say whether the customer was reached (or give a result).", field_name="reached")
        if result is not None:
            if data.get("reached") is not None and data["reached"] != REACHED_BY_RESULT[result]:
                raise ValidationError(f"A {result} call has reached {str(REACHED_BY_RESULT[result]).lower()}.",
                                      field_name="reached")
            if any(data.get(n) for n in ("product_satisfaction", "service_satisfaction", "answers")):
                raise ValidationError(f"A {result} call records no answers.", field_name="result")
            if (result == RESCHEDULED) != (data.get("call_at") is not None):
                raise ValidationError("A rescheduled call needs call_at, the time the customer asked for; "
                                      "only a rescheduled call has one.", field_name="call_at")
            return
        if data.get("call_at") is not None:
            raise ValidationError("Only a rescheduled call has call_at.", field_name="call_at")
        answers = (data.get("product_satisfaction"), data.get("service_satisfaction"))
        if any(a in DISSATISFIED_ANSWERS for a in answers) and not (data.get("dissatisfied_reason") or "").strip():
            raise ValidationError("Say why the customer is dissatisfied: a dissatisfied answer needs its reason.",
                                  field_name="dissatisfied_reason")
        if not data.get("reached") and any(a is not None for a in answers):
            raise ValidationError("An unreached customer gave no answer; send reached: true with answers.",
                                  field_name="reached")


class PreviewQuery(QueryArgs):
    policy = fields.String(load_default="default", validate=validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,63}$"),
                           metadata={"description": "the policy to plan with (default: the one in force)"})
    shipped_on = fields.Date(metadata={"description": "an equipment delivery: its ship date"})
    installed_on = fields.Date()
    commissioned_on = fields.Date()
    contract_amount = fields.Decimal(load_default=Decimal(0), validate=validate.Range(min=0), as_string=True)
    business_line = fields.String(validate=validate.OneOf(BUSINESS_LINES_SERVICE),
                                  metadata={"description": "a service order: its business line"})
    kind = fields.String(load_default="maintenance", validate=validate.OneOf(SERVICE_KINDS))
    completed_on = fields.Date()
    segment = fields.String(load_default="ordinary", validate=validate.OneOf(SEGMENTS))
    flagged = fields.Boolean(load_default=False)

    @validates_schema
    def one_sample(self, data, **kwargs):
        if ("shipped_on" in data) == ("business_line" in data):
            raise ValidationError("Give either shipped_on (a delivery) or business_line and completed_on (an order).",
                                  field_name="shipped_on")
        if "business_line" in data and "completed_on" not in data:
            raise ValidationError("Missing data for required field.", field_name="completed_on")


class PlannedSchema(Schema):
    kind = fields.String()
    nominal_on = fields.Date()
    due_on = fields.Date()
    overdue_on = fields.Date()
    provisional = fields.Boolean()
    channel = fields.String()
    batch_period = fields.String(allow_none=True)


class PreviewSchema(Schema):
    policy = fields.String()
    key_customer = fields.Boolean()
    sample_rate = fields.Float(allow_none=True)
    batched = fields.Boolean()
    warranty_end_on = fields.Date(allow_none=True)
    callbacks = fields.List(fields.Nested(PlannedSchema))


class LedgerQuery(PageArgs):
    customer_id = fields.String(validate=id_validators())
    delivery_id = fields.String(validate=id_validators())
    shipped_from = fields.Date()
    shipped_to = fields.Date()
    include_cancelled = fields.Boolean(load_default=False)


class ExportQuery(QueryArgs):
    customer_id = fields.String(validate=id_validators())
    shipped_from = fields.Date()
    shipped_to = fields.Date()
    language = fields.String(load_default="zh-CN", validate=validate.OneOf(["zh-CN", "en"]))


class LedgerCallbackSchema(Schema):
    id = fields.String()
    kind = fields.String()
    due_on = fields.Date()
    nominal_on = fields.Date()
    status = fields.String()
    channel = fields.String()
    record_no = fields.String(allow_none=True)


class LedgerEntrySchema(Schema):
    delivery_id = fields.String()
    customer_id = fields.String(allow_none=True)
    customer_name = fields.String(allow_none=True)
    segment = fields.String(allow_none=True)
    business_line = fields.String()
    project = fields.String(allow_none=True)
    product_model = fields.String(allow_none=True)
    quantity = fields.Integer(allow_none=True)
    contract_amount = fields.Decimal(allow_none=True, as_string=True)
    shipped_on = fields.Date(allow_none=True)
    installed_on = fields.Date(allow_none=True)
    commissioned_on = fields.Date(allow_none=True)
    warranty_end_on = fields.Date(allow_none=True)
    record_nos = fields.List(fields.String())
    contact_person = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    site_contact = fields.String(allow_none=True)
    site_phone = fields.String(allow_none=True)
    cancelled = fields.Boolean()
    callbacks = fields.List(fields.Nested(LedgerCallbackSchema))


class ImportQuery(QueryArgs):
    dry_run = fields.Boolean(load_default=False)


class ImportResultSchema(Schema):
    dry_run = fields.Boolean()
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    #: A large file queued for the worker (202): its id, state and where its progress is read.
    import_id = fields.String()
    state = fields.String()
    status = fields.String(metadata={"description": "GET this path for the import's progress"})


class ImportStatusSchema(Schema):
    """A ledger import run by the worker (queued -> checking -> refused | checked | importing -> done;
    failed when it gave up or ran past HUIFANG_IMPORT_TIME_LIMIT_SECONDS)."""

    import_id = fields.String(attribute="id")
    state = fields.String(metadata={"enum": ["queued", "checking", "refused", "checked", "importing", "done",
                                             "failed"]})
    dry_run = fields.Boolean()
    filename = fields.String()
    rows = fields.Integer(allow_none=True)
    processed = fields.Integer()
    created = fields.Integer(allow_none=True)
    updated = fields.Integer(allow_none=True)
    errors = fields.Dict(allow_none=True, metadata={
        "description": "what was refused, by row and column (the first 100; `more` counts the rest)"})
    created_at = Timestamp()
    finished_at = Timestamp(allow_none=True)


class CustomerFlagStepSchema(Schema):
    action = fields.String(metadata={"enum": ["set", "lifted"]})
    remark = fields.String(allow_none=True, metadata={"description": "the special remark, or why it was lifted"})
    actor = fields.String(allow_none=True)
    complaint_id = fields.String(allow_none=True)
    at = Timestamp()


class CustomerFlagSchema(Schema):
    """A customer's special mark (特殊标记) after a resolved complaint (RULES 2)."""

    customer_id = fields.String()
    flagged = fields.Boolean()
    flagged_at = Timestamp(allow_none=True)
    remark = fields.String(allow_none=True, metadata={"description": "特别备注"})
    flagged_by = fields.String(allow_none=True)
    complaint_id = fields.String(allow_none=True)
    history = fields.List(fields.Nested(CustomerFlagStepSchema))


class LiftFlagSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "why the customer need not be watched any more"})
