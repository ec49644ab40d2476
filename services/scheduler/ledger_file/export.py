"""The ledger as a file to download: its cells in column order, as .csv or .xlsx, text made inert."""
from __future__ import annotations

import csv
import io
from datetime import date

from .rows import LEDGER_COLUMNS


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
