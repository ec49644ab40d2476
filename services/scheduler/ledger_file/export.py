"""The ledger as a file to download: its cells in column order, as .csv or .xlsx, text made inert."""
from __future__ import annotations

from datetime import date

from shared.web import export
from shared.web.export import XLSX

from .rows import LEDGER_COLUMNS

#: The sheet's name: the seed's form (seed 000 6.2.1, 《顾客回访台帐》). A ledger file is imported
#: back, so it has no title rows: the header comes first.
SHEET_NAME = "顾客回访台帐"


def export_table(entries, *, english: bool):
    """Gives the header row, then the cells of each ledger entry (RULES 1.1 columns)."""
    yield export_header(english=english)
    for entry in entries:
        yield export_cells(entry)


def write_csv(table) -> bytes:
    """Gives the rows of `table` (the header first) as CSV, through the one export mechanism."""
    rows = iter(table)
    return export.write_csv(export.Sheet(name=SHEET_NAME, header=next(rows), rows=rows))


def write_xlsx(table) -> bytes:
    """Gives the rows of `table` (the header first) as an .xlsx workbook of one sheet (顾客回访台帐)."""
    rows = iter(table)
    return export.write_xlsx(export.Sheet(name=SHEET_NAME, header=next(rows), rows=rows))


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
            value = export.inert(value)
        cells.append(value)
    return cells
