"""The seeds' tables as files (shared/web/export.py): a cell starting with = + - @ never runs as a formula."""
from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from shared.web.export import Sheet, period_of, write_csv, write_xlsx


def test_seed_tables_cells_starting_like_formulas_are_escaped_and_numbers_stay_numbers():
    # given a table whose text cells start with each formula character
    sheet = Sheet(name="回访记录表", title="回访记录表", notes=["期间"], header=["a", "b"],
                  rows=[["=1+1", -3], ["+cmd", "-x"], ["@SUM(A1)", 2.5], ["普通\x01文字", None]])
    # when it is written as CSV and as .xlsx
    rows = list(csv.reader(io.StringIO(write_csv(sheet).decode("utf-8-sig"))))
    cells = [c for row in load_workbook(io.BytesIO(write_xlsx(sheet))).worksheets[0].iter_rows() for c in row]
    # then the title comes first, text is inert, numbers are numbers, control characters are dropped
    assert rows[0] == ["回访记录表"] and rows[3] == ["a", "b"]
    assert [r[0] for r in rows[4:]] == ["'=1+1", "'+cmd", "'@SUM(A1)", "普通文字"] and rows[4][1] == "-3"
    assert all(c.data_type != "f" for c in cells)
    assert [c.value for c in cells if isinstance(c.value, (int, float))] == [-3, 2.5]


def test_seed_tables_period_defaults_to_the_month():
    assert period_of(None, None, date(2026, 2, 7)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_of(date(2026, 11, 3), None, date(2026, 1, 1)) == (date(2026, 11, 3), date(2026, 11, 30))
    assert period_of(None, date(2026, 3, 5), date(2026, 1, 1)) == (date(2026, 3, 1), date(2026, 3, 5))
