"""Issue 9 point 2: no text reaches a spreadsheet export as a live formula."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook, load_workbook

from motcua.core.spreadsheet import SafeCsvWriter, append_row, safe_cell

EVIL = '=HYPERLINK("http://evil","x")'


def test_text_that_a_spreadsheet_would_run_is_quoted():
    assert safe_cell(EVIL) == "'" + EVIL
    for text in ("+SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0", "@SUM(1)", "\t=1", "\r=1", "=1"):
        assert safe_cell(text) == "'" + text


def test_numbers_and_ordinary_text_are_kept():
    for value in (0, -5, 3.5, Decimal("-1.25"), None, "", "Nguyễn Văn An", "A001", "12/11/2026"):
        assert safe_cell(value) == value
    # Text that is only a number is not a formula in any spreadsheet: kept as typed.
    for text in ("-5", "+84912345678", "-12.5", "-1,5"):
        assert safe_cell(text) == text


def test_csv_writer_and_xlsx_rows_are_neutralised():
    buf = io.StringIO()
    SafeCsvWriter(buf).writerows([["Tên", "Số"], [EVIL, -3]])
    assert buf.getvalue().splitlines()[1] == '"\'=HYPERLINK(""http://evil"",""x"")",-3'
    wb = Workbook()
    append_row(wb.active, [EVIL, -3])
    out = io.BytesIO()
    wb.save(out)
    cell, number = load_workbook(out).active[1]
    assert cell.data_type == "s" and cell.value == "'" + EVIL
    assert number.value == -3
