"""The ledger as a file (顾客回访台帐): its columns, reading an uploaded .csv/.xlsx, cells for an export."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from shared.core.events import ID_PATTERN, NUL, SEGMENTS, id_validators, nul_errors

from .errors import LedgerFileInvalid

@dataclass(frozen=True)
class ImportLimits:
    """How much of an uploaded ledger file is read (issue 12, finding 1): a small workbook can unpack
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


def decode_csv(content: bytes) -> str:
    """Gives the text of a CSV file: UTF-8 (with or without BOM), else GB18030 (GBK's superset: what
    Excel in China saves), a BOM dropped.

    Raises:
      LedgerFileInvalid: neither encoding reads it (one message saying how to save the file).
    """
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError:
            continue
    raise LedgerFileInvalid("The CSV file is neither UTF-8 nor GB18030/GBK text: save it from Excel as "
                            "\"CSV UTF-8\" or \"CSV (逗号分隔)\", or upload the .xlsx workbook.", field="file")


#: Dates as Excel in China writes them: 2026/1/31, 2026-1-31, 2026.1.31, maybe with a time after.
_LOOSE_DATE = re.compile(r"([0-9]{4})[/.-]([0-9]{1,2})[/.-]([0-9]{1,2})(?:[ T][0-9:]+)?\Z")


def _iso_date(text):
    """Gives a loose date (2026/1/31) as ISO (2026-01-31); anything else as it is."""
    if type(text) is str and not _ISO_DATE.match(text):
        match = _LOOSE_DATE.match(text)
        if match:
            return f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}"
    return text


def _too_large(limits: ImportLimits) -> LedgerFileInvalid:
    return LedgerFileInvalid(f"The file unpacks to more than {limits.max_unpacked_bytes // (1024 * 1024)} MB; "
                             "split it.", field="file")


def _bounded_rows(rows, limits: ImportLimits):
    """Gives the data rows, refusing the file at row `max_rows + 1` or a row wider than `max_columns`
    (read lazily: a huge file is refused before it is in memory)."""
    for count, cells in enumerate(rows, start=1):
        if count > limits.max_rows:
            raise LedgerFileInvalid(f"The file has more than {limits.max_rows} rows; split it.", field="file")
        if len(cells) > limits.max_columns:
            raise LedgerFileInvalid(f"Row {count + 1} has more than {limits.max_columns} columns.", field="file")
        yield cells


def _header_of(cells, limits: ImportLimits) -> list:
    header = list(cells or ())
    while header and header[-1] in (None, ""):
        header.pop()
    if len(header) > limits.max_columns:
        raise LedgerFileInvalid(f"The header has more than {limits.max_columns} columns.", field="file")
    return header


def unpacked_size(filename: str, content: bytes) -> int:
    """Gives the bytes of an uploaded file once unpacked, by an .xlsx's zip directory (nothing is
    unpacked); a .csv, or a workbook that is no zip, is its own size."""
    if filename.lower().endswith(".xlsx"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as packed:
                return sum(member.file_size for member in packed.infolist())
        except (zipfile.BadZipFile, ValueError):
            pass
    return len(content)


def read_table(filename: str, content: bytes, *, limits: ImportLimits = DEFAULT_LIMITS) -> tuple[list, object]:
    """Gives (header, rows) of an uploaded .csv or .xlsx file; the rows are read as they are iterated.

    Raises:
      LedgerFileInvalid: the file is neither, cannot be read, or is beyond `limits` (unpacked
        size at once; rows and columns while the rows are iterated); the message says why.
    """
    name = filename.lower()
    if name.endswith(".csv"):
        if len(content) > limits.max_unpacked_bytes:
            raise _too_large(limits)
        reader = csv.reader(io.StringIO(decode_csv(content)))

        def rows():
            try:
                yield from _bounded_rows(reader, limits)
            except csv.Error as exc:  # a field over csv's 128 KiB limit, a bare CR: a bad file, not a 500
                raise LedgerFileInvalid(f"cannot read the CSV file: {exc}", field="file") from None

        try:
            header = _header_of(next(reader, []), limits)
        except csv.Error as exc:
            raise LedgerFileInvalid(f"cannot read the CSV file: {exc}", field="file") from None
        return header, rows()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        if unpacked_size(name, content) > limits.max_unpacked_bytes:  # its zip directory says so
            raise _too_large(limits)
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            header = _header_of(next(sheet.iter_rows(max_row=1, max_col=limits.max_columns + 1, values_only=True),
                                     ()), limits)
        except LedgerFileInvalid:
            raise
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise LedgerFileInvalid(f"cannot read the workbook: {exc}", field="file") from None
        # cells right of the header are never read: a row padded to column XFD costs nothing
        return header, _bounded_rows(sheet.iter_rows(min_row=2, max_col=max(len(header), 1), values_only=True),
                                     limits)
    raise LedgerFileInvalid("upload a .csv or .xlsx file", field="file")


def load_ledger_file(filename: str, content: bytes, *, limits: ImportLimits = DEFAULT_LIMITS) -> list[dict]:
    """Gives the valid rows of an uploaded ledger file (.csv or .xlsx): all of them, or an error.

    Raises:
      LedgerFileInvalid: the file cannot be read or is beyond `limits`, or rows are bad (`errors`
        names each row and column, the first `limits.max_errors` of them).
    """
    header, rows = read_table(filename, content, limits=limits)
    problems = _Problems(limits.max_errors)
    loaded = _load_rows(header, rows, 2, problems)
    if problems:
        raise LedgerFileInvalid(f"{len(problems) + problems.hidden} problems in the file; nothing was imported.",
                                errors=problems.result())
    return loaded

#: The media type of an .xlsx workbook.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_table(entries, *, english: bool):
    """Gives the header row, then the cells of each ledger entry (RULES 1.1 columns)."""
    yield export_header(english=english)
    for entry in entries:
        yield export_cells(entry)


def write_csv(table) -> bytes:
    """Gives the rows of `table` as CSV (UTF-8 with a BOM, which Excel needs to read Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    for row in table:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def write_xlsx(table) -> bytes:
    """Gives the rows of `table` as an .xlsx workbook of one sheet (顾客回访台帐)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("顾客回访台帐")
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_header(english: bool) -> list[str]:
    """Gives the header row of an exported ledger (Chinese, or English)."""
    return [en if english else zh for _, zh, en, _ in LEDGER_COLUMNS]


def export_cells(entry: dict) -> list:
    """Gives the cells of one ledger entry in column order: ISO dates, amounts to the cent, inert text."""
    cells = []
    for name, *_ in LEDGER_COLUMNS:
        value = entry.get(name)
        if name == "record_nos":
            value = "; ".join(value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif value is not None and name == "contract_amount":
            value = f"{value:.2f}"
        elif isinstance(value, str):
            value = _inert(value)
        cells.append(value)
    return cells


#: What a spreadsheet reads as the start of a formula (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(text: str) -> str:
    """Gives user text a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text
