"""Reading an uploaded ledger (.csv or .xlsx) within the limits of an import: its header and rows,
then every row checked (rows.py)."""
from __future__ import annotations

import csv
import io
import zipfile

from ..errors import LedgerFileInvalid
from .rows import DEFAULT_LIMITS, ImportLimits, _load_rows, _Problems


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
