"""The ledger's columns (seed 000, 6.2.1) and the reading of its rows: each cell checked, the file's
row and column named for every problem, within the limits of an import."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from shared.core.event_fields import ID_PATTERN, NUL, SEGMENTS, id_validators, nul_errors


@dataclass(frozen=True)
class ImportLimits:
    """How much of an uploaded ledger file is read: a small workbook can unpack
    to gigabytes, or hold a million rows or columns. Settings HUIFANG_IMPORT_MAX_* (limits_of)."""

    #: Data rows (the header not counted; blank lines counted: they cost reading too).
    max_rows: int = 100_000
    #: Columns of the header; cells right of the header are never read.
    max_columns: int = 64
    #: Bytes of the file once unpacked (an .xlsx is a zip; a .csv is its own size).
    max_unpacked_bytes: int = 64 * 1024 * 1024
    #: Problems listed in the answer; the rest are only counted ("and N more").
    max_errors: int = 100


def limits_of(settings) -> ImportLimits:
    """Gives the import limits of an installation's settings."""
    return ImportLimits(max_rows=settings.import_max_rows, max_columns=settings.import_max_columns,
                        max_unpacked_bytes=settings.import_max_unpacked_bytes)


#: The limits when the caller gives none (the settings' defaults).
DEFAULT_LIMITS = ImportLimits()

#: The key of `errors` saying how many problems were found beyond the ones listed.
MORE_ERRORS = "more"


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


class LedgerRowSchema(Schema):
    """One row of an imported ledger; cells are already plain strings, numbers or dates."""

    class Meta:
        unknown = EXCLUDE

    delivery_id = fields.String(required=True, validate=id_validators())
    customer_id = fields.String(required=True, validate=id_validators())
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

    @pre_load
    def _no_nul(self, data, **kwargs):
        errors = nul_errors(data) if isinstance(data, dict) else {}
        if errors:
            raise ValidationError(errors)
        return data

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
        if value is not None and (type(value) is not str or not low <= len(value) <= high or NUL in value):
            return None
    if not ID_PATTERN.fullmatch(raw["delivery_id"]) or not ID_PATTERN.fullmatch(raw["customer_id"]):
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


class _Problems(dict):
    """{field: [messages]} that keeps the first `limit` fields and counts the rest (`hidden`)."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit, self.hidden = limit, 0

    def __setitem__(self, key, value):
        if key in self or len(self) < self.limit:
            super().__setitem__(key, value)
        else:
            self.hidden += 1

    def result(self) -> dict:
        out = dict(self)
        if self.hidden:
            out[MORE_ERRORS] = [f"{self.hidden} more problems are not listed; fix the first {self.limit} and "
                                "check the file again."]
        return out


def load_ledger_rows(header: list, rows, *, first_row: int = 2,
                     limits: ImportLimits = DEFAULT_LIMITS) -> tuple[list[dict], dict]:
    """Gives (valid rows, errors) for a table; errors name `rows.<n>.<field>` with the file's row numbers,
    the first `limits.max_errors` of them (then `more` says how many are not listed).

    `first_row` is the file row number of the first data row (the header is row 1).
    """
    problems = _Problems(limits.max_errors)
    loaded = _load_rows(header, rows, first_row, problems)
    return loaded, problems.result()


def _load_rows(header: list, rows, first_row: int, errors: dict) -> list[dict]:
    columns = [column_of_header(h) for h in header]
    missing = [name for name in ("delivery_id", "customer_id", "customer_name", "shipped_on") if name not in columns]
    if missing:
        headers = {name: zh for name, zh, _, _ in LEDGER_COLUMNS}
        for name in missing:
            errors[f"header.{name}"] = [f"The file has no column {headers[name]} ({name})."]
        return []
    loaded, seen = [], {}
    for number, cells in enumerate(rows, start=first_row):
        raw = {}
        for name, value in zip(columns, cells):
            value = _cell(value)
            if name is not None and value is not None:
                raw[name] = value
        if not raw:
            continue  # a blank line
        for name in ("shipped_on", "commissioned_on"):
            if name in raw:
                raw[name] = _iso_date(raw[name])
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
    return loaded


#: Dates as Excel in China writes them: 2026/1/31, 2026-1-31, 2026.1.31, maybe with a time after.
_LOOSE_DATE = re.compile(r"([0-9]{4})[/.-]([0-9]{1,2})[/.-]([0-9]{1,2})(?:[ T][0-9:]+)?\Z")


def _iso_date(text):
    """Gives a loose date (2026/1/31) as ISO (2026-01-31); anything else as it is."""
    if type(text) is str and not _ISO_DATE.match(text):
        match = _LOOSE_DATE.match(text)
        if match:
            return f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}"
    return text
