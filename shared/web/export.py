"""The seeds' tables as files, one mechanism for every service: 顾客回访台帐 (the ledger), 回访记录表,
客户投诉处理追踪表, 维修用户回访记录统计表 and the desk's monthly statistics.

A `Sheet` is what the seed's paper form has: its title (《回访记录表》), the lines saying what it
holds (the period, the filters of the list it was made from), the header row and the rows. It is
written as an .xlsx workbook of one sheet or as CSV (UTF-8 with a BOM, which Excel needs to read
Chinese) by `write_xlsx` / `write_csv`; `download` answers it as a file.

Every text cell is made formula-safe: a cell starting with = + - @ (or a tab or carriage return)
is what a spreadsheet runs as a formula (CSV/formula injection), so it gets a leading apostrophe
and shows as the text it is. Numbers stay numbers.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Iterable, Sequence

from flask import Response
from flask_babel import lazy_gettext as _l

from .vocabulary import msgid_of, translations

#: The media type of an .xlsx workbook.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The media type of a CSV file.
CSV = "text/csv"
#: The formats a table is downloaded in: {extension: media type}.
FORMATS = {"xlsx": XLSX, "csv": CSV}

#: The notes under a table's title: the period it covers, the one branch it holds.
PERIOD_NOTE = _l("Period: %(first)s to %(last)s")
BRANCH_NOTE = _l("Branch: %(branch)s")

#: What a spreadsheet reads as the start of a formula (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Characters an .xlsx cell may not hold (the XML 1.0 control characters).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Longest sheet name Excel accepts.
_SHEET_NAME_MAX = 31


@dataclass(frozen=True)
class Sheet:
    """One table as a file: `name` (the sheet's name, the seed's form), `header`, `rows` (cells in
    header order), `title` (the first row; None for a file meant to be imported back, header first)
    and `notes` (rows under the title: the period, the filters)."""

    name: str
    header: Sequence[str]
    rows: Iterable[Sequence]
    title: str | None = None
    notes: Sequence[str] = field(default_factory=tuple)


def inert(value):
    """Gives a cell's value as a spreadsheet may hold it: text never runs as a formula, dates as
    ISO text, decimals as numbers; None stays empty."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    text = _ILLEGAL.sub("", str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def _lines(sheet: Sheet):
    """Gives every row of the file: the title, the notes, an empty row, the header, the rows."""
    if sheet.title:
        yield [sheet.title]
        for note in sheet.notes:
            yield [note]
        yield []
    yield list(sheet.header)
    for row in sheet.rows:
        yield [inert(v) for v in row]


def write_csv(sheet: Sheet) -> bytes:
    """Gives the sheet as CSV (UTF-8 with a BOM, which Excel needs to read Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    for row in _lines(sheet):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def write_xlsx(sheet: Sheet) -> bytes:
    """Gives the sheet as an .xlsx workbook of one sheet named after the seed's form."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    target = workbook.create_sheet(_ILLEGAL.sub("", re.sub(r"[\\/*?:\[\]]", " ", sheet.name))[:_SHEET_NAME_MAX])
    for row in _lines(sheet):
        target.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def download(sheet: Sheet, fmt: str, filename: str) -> Response:
    """Gives the sheet as a file to download: `fmt` "csv" or "xlsx" (anything else: xlsx);
    `filename` without its extension (ASCII, the browser's name for the file)."""
    fmt = fmt if fmt in FORMATS else "xlsx"
    body = write_csv(sheet) if fmt == "csv" else write_xlsx(sheet)
    return Response(body, mimetype=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})


def period_of(from_on: date | None, to_on: date | None, today: date) -> tuple[date, date]:
    """Gives the days a table covers (both inclusive): `from_on` to `to_on`; one left out: the
    month of the other (of `today` when both are)."""
    first = from_on or (to_on or today).replace(day=1)
    if to_on is not None:
        return first, to_on
    following = first.replace(day=28) + timedelta(days=4)
    return first, following - timedelta(days=following.day)


def words_in(language: str, labels, *own: str) -> list[str]:
    """Gives `labels` (lazy names of the vocabulary or a service's labels) in `language`, outside a
    page's request (an API download); `own` are the service's catalog folders."""
    words = translations(language, *own)
    out = []
    for label in labels:
        context, msgid = msgid_of(label)
        out.append(words.pgettext(context, msgid) if context else words.gettext(msgid))
    return out


def notes_in(language: str, first, last, branch: str | None = None) -> list[str]:
    """Gives the notes under a table's title in `language`: its period (days, both inclusive) and,
    for a branch manager's table, the branch."""
    period, one_branch = words_in(language, [PERIOD_NOTE, BRANCH_NOTE])
    notes = [period % {"first": str(first), "last": str(last)}]
    return notes + [one_branch % {"branch": branch}] if branch else notes


__all__ = ["BRANCH_NOTE", "CSV", "FORMATS", "PERIOD_NOTE", "notes_in", "FORMULA_START", "XLSX", "Sheet", "download", "inert", "period_of", "words_in", "write_csv", "write_xlsx"]
