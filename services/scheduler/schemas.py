"""Marshmallow schemas of the scheduler API, and the ledger's columns (顾客回访台帐)."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from shared.schemas import PageArgs, QueryArgs
from shared.events import BUSINESS_LINES_SERVICE, SATISFACTION, SEGMENTS, SERVICE_KINDS

from .domain.calls import DISSATISFIED
from .models import STATUSES


#: The ledger's columns (seed 000, 6.2.1): field, Chinese header, English header, read on import.
LEDGER_COLUMNS: tuple[tuple[str, str, str, bool], ...] = (
    ("delivery_id", "发货单号", "Delivery", True),
    ("customer_id", "顾客编号", "Customer ID", True),
    ("customer_name", "顾客名称", "Customer", True),
    ("segment", "顾客类别", "Segment", True),
    ("project", "工程名称", "Project", True),
    ("product_model", "产品型号", "Product model", True),
    ("quantity", "产品数量", "Quantity", True),
    ("contract_amount", "合同额", "Contract amount (CNY)", True),
    ("shipped_on", "发货时间", "Ship date", True),
    ("commissioned_on", "送电时间", "Commissioning date", True),
    ("warranty_end_on", "质保期满", "Warranty end", False),
    ("record_nos", "回访记录编号", "Callback record numbers", False),
    ("contact_person", "顾客用电管理负责人", "Customer's responsible person", True),
    ("phone", "负责人电话", "Responsible person's phone", True),
    ("site_contact", "变电站联系人", "Site contact", True),
    ("site_phone", "联系人电话", "Site contact's phone", True),
)


_Query = QueryArgs


class CallbackQuery(PageArgs):
    customer_id = fields.String()
    delivery_id = fields.String()
    order_id = fields.String()
    complaint_id = fields.String()
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
    completed_at = fields.DateTime(allow_none=True)
    customer = fields.Nested(ContactSchema, allow_none=True)


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


class CallbackDetailSchema(CallbackSchema):
    questionnaire = fields.Nested(QuestionnaireSchema, metadata={"description": "the questions to ask, in order"})


class AgentCallbackSchema(CallbackSchema):
    next_call_at = fields.DateTime(allow_none=True, metadata={
        "description": "the next moment in a call window on a working day, not before the task is due"})


class OutcomeSchema(Schema):
    """One call's outcome (CONTRACT.md); a dissatisfied answer needs its reason."""

    class Meta:
        unknown = EXCLUDE

    reached = fields.Boolean(required=True)
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
        answers = (data.get("product_satisfaction"), data.get("service_satisfaction"))
        if any(a in DISSATISFIED for a in answers) and not (data.get("dissatisfied_reason") or "").strip():
            raise ValidationError("Say why the customer is dissatisfied: a dissatisfied answer needs its reason.",
                                  field_name="dissatisfied_reason")
        if not data.get("reached") and any(a is not None for a in answers):
            raise ValidationError("An unreached customer gave no answer; send reached: true with answers.",
                                  field_name="reached")


class PreviewQuery(_Query):
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
    customer_id = fields.String()
    delivery_id = fields.String()
    shipped_from = fields.Date()
    shipped_to = fields.Date()
    include_cancelled = fields.Boolean(load_default=False)


class ExportQuery(_Query):
    customer_id = fields.String()
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


class ImportQuery(_Query):
    dry_run = fields.Boolean(load_default=False)


class ImportResultSchema(Schema):
    dry_run = fields.Boolean()
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()


# --- ledger rows from a file ------------------------------------------------------------------


class LedgerRowSchema(Schema):
    """One row of an imported ledger; cells are already plain strings, numbers or dates."""

    class Meta:
        unknown = EXCLUDE

    delivery_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    customer_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    customer_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    segment = fields.String(load_default=None, validate=validate.OneOf(SEGMENTS))
    project = fields.String(load_default=None, validate=validate.Length(max=300))
    product_model = fields.String(load_default=None, validate=validate.Length(max=200))
    quantity = fields.Integer(load_default=None, validate=validate.Range(min=0))
    contract_amount = fields.Decimal(load_default=None, places=2, validate=validate.Range(min=0))
    shipped_on = fields.Date(required=True)
    commissioned_on = fields.Date(load_default=None)
    contact_person = fields.String(load_default=None, validate=validate.Length(max=200))
    phone = fields.String(load_default=None, validate=validate.Length(max=40))
    site_contact = fields.String(load_default=None, validate=validate.Length(max=200))
    site_phone = fields.String(load_default=None, validate=validate.Length(max=40))

    @validates_schema
    def commissioned_after_shipment(self, data, **kwargs):
        shipped, commissioned = data.get("shipped_on"), data.get("commissioned_on")
        if shipped and commissioned and commissioned < shipped:
            raise ValidationError("The commissioning date is before the ship date.", field_name="commissioned_on")


_ROW = LedgerRowSchema()
_HEADERS = {h.strip().lower(): name for name, zh, en, importable in LEDGER_COLUMNS if importable
            for h in (name, zh, en)}


def column_of_header(header) -> str | None:
    """Gives the field a header names (Chinese, English or the field name), None if unknown."""
    return _HEADERS.get(str(header or "").strip().lower())


def _cell(value):
    """Gives a cell as the schema reads it: dates as ISO, whole floats as integers, blanks dropped."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return int(value) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


_STRINGS = tuple((name, field.validators[0].min or 0, field.validators[0].max)
                 for name, field in _ROW.fields.items()
                 if type(field) is fields.String and name != "segment")
_REQUIRED = tuple(name for name, field in _ROW.fields.items() if field.required)
_SEGMENTS = frozenset(SEGMENTS)
_DIGITS = re.compile(r"[0-9]+\Z")
_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?\Z")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_CENTS = Decimal("0.01")


def _fast_row(raw: dict) -> dict | None:
    """Gives the row exactly as `_ROW.load(raw)` would for a plainly valid row, else None.

    Only the common shapes are taken (strings within their lengths, digit strings, ISO dates);
    anything else, and every invalid row, goes to the schema, which also words the errors.
    """
    for name in _REQUIRED:
        if name not in raw:
            return None
    for name, low, high in _STRINGS:
        value = raw.get(name)
        if value is not None and (type(value) is not str or not low <= len(value) <= high):
            return None
    segment = raw.get("segment")
    if segment is not None and (type(segment) is not str or segment not in _SEGMENTS):
        return None
    quantity = raw.get("quantity")
    if quantity is not None:
        if type(quantity) is int:
            if quantity < 0:
                return None
        elif type(quantity) is str and _DIGITS.match(quantity):
            quantity = int(quantity)
        else:
            return None
    amount = raw.get("contract_amount")
    if amount is not None:
        if type(amount) is int:
            amount = str(amount)
        if type(amount) is not str or not _AMOUNT.match(amount):
            return None
        try:
            amount = Decimal(amount).quantize(_CENTS)
        except InvalidOperation:
            return None
    dates = []
    for name in ("shipped_on", "commissioned_on"):
        value = raw.get(name)
        if value is not None:
            if type(value) is not str or not _ISO_DATE.match(value):
                return None
            try:
                value = date.fromisoformat(value)
            except ValueError:
                return None
        dates.append(value)
    shipped, commissioned = dates
    if commissioned is not None and commissioned < shipped:
        return None
    get = raw.get
    return {"delivery_id": raw["delivery_id"], "customer_id": raw["customer_id"],
            "customer_name": raw["customer_name"], "segment": segment, "project": get("project"),
            "product_model": get("product_model"), "quantity": quantity, "contract_amount": amount,
            "shipped_on": shipped, "commissioned_on": commissioned, "contact_person": get("contact_person"),
            "phone": get("phone"), "site_contact": get("site_contact"), "site_phone": get("site_phone")}


def load_ledger_rows(header: list, rows, *, first_row: int = 2) -> tuple[list[dict], dict]:
    """Gives (valid rows, errors) for a table; errors name `rows.<n>.<field>` with the file's row numbers.

    `first_row` is the file row number of the first data row (the header is row 1).
    """
    columns = [column_of_header(h) for h in header]
    errors: dict[str, list[str]] = {}
    missing = [name for name in ("delivery_id", "customer_id", "customer_name", "shipped_on") if name not in columns]
    if missing:
        headers = {name: zh for name, zh, _, _ in LEDGER_COLUMNS}
        for name in missing:
            errors[f"header.{name}"] = [f"The file has no column {headers[name]} ({name})."]
        return [], errors
    loaded, seen = [], {}
    for number, cells in enumerate(rows, start=first_row):
        raw = {}
        for name, value in zip(columns, cells):
            value = _cell(value)
            if name is not None and value is not None:
                raw[name] = value
        if not raw:
            continue  # a blank line
        row = _fast_row(raw)
        if row is None:
            try:
                row = _ROW.load(raw)
            except ValidationError as exc:
                for name, messages in exc.normalized_messages().items():
                    errors[f"rows.{number}.{name}"] = messages if isinstance(messages, list) else [str(messages)]
                continue
            except (InvalidOperation, ValueError) as exc:  # pragma: no cover - marshmallow wraps these
                errors[f"rows.{number}"] = [str(exc)]
                continue
        if row["delivery_id"] in seen:
            errors[f"rows.{number}.delivery_id"] = [f"Delivery {row['delivery_id']} is already on row "
                                                    f"{seen[row['delivery_id']]}."]
            continue
        seen[row["delivery_id"]] = number
        loaded.append(row)
    return loaded, errors
