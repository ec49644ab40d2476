"""The ledger as a file (顾客回访台帐): its columns, reading an uploaded .csv/.xlsx, cells for an export.

- rows: the columns, the limits of an import and the checking of each row;
- read: the header and rows of an uploaded .csv or .xlsx, then every row checked;
- export: the ledger's cells as .csv or .xlsx, text made inert for spreadsheets.
"""
from .export import XLSX, export_cells, export_header, export_table, write_csv, write_xlsx
from .read import decode_csv, load_ledger_file, read_table, unpacked_size
from .rows import (DEFAULT_LIMITS, LEDGER_COLUMNS, MORE_ERRORS, ImportLimits, LedgerRowSchema, column_of_header,
                   limits_of, load_ledger_rows)

__all__ = ["DEFAULT_LIMITS", "LEDGER_COLUMNS", "MORE_ERRORS", "XLSX", "ImportLimits", "LedgerRowSchema",
           "column_of_header", "decode_csv", "export_cells", "export_header", "export_table", "limits_of",
           "load_ledger_file", "load_ledger_rows", "read_table", "unpacked_size", "write_csv", "write_xlsx"]
