"""Cells for CSV and XLSX exports that a spreadsheet never runs as a formula.

Text typed by anyone (a visitor's name on a booking or an online submission) reaches the
managers' exports. A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is read
as a formula by Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)`, DDE). Such text is
prefixed with a single quote, as OWASP recommends ("CSV injection"); numbers stay numbers
(int, float, Decimal, and text that is only a number such as "-5" or "+84912345678", which no
spreadsheet runs). Every CSV and XLSX export goes through `safe_row` (or the two helpers below).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")


def safe_cell(value: Any) -> Any:
    """The value as it may go into a spreadsheet cell (text that could be a formula quoted)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


class SafeCsvWriter:
    """csv.writer whose every cell goes through safe_cell."""

    def __init__(self, buffer: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(buffer, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def append_row(sheet: Any, row: Iterable[Any]) -> None:
    """openpyxl's sheet.append, with every cell through safe_cell (openpyxl itself stores any
    text beginning with `=` as a formula)."""
    sheet.append(safe_row(row))
