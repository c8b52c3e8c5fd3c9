"""KPI tables as CSV, XLSX and PDF."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.template.loader import render_to_string

COLUMNS = [
    ("label", "Nhóm"),
    ("resolved", "Hồ sơ đã giải quyết"),
    ("on_time", "Trước và đúng hạn"),
    ("late", "Quá hạn"),
    ("on_time_pct", "Tỷ lệ đúng hạn (%)"),
    ("ratings", "Lượt đánh giá"),
    ("satisfied", "Hài lòng"),
    ("satisfaction_pct", "Tỷ lệ hài lòng (%)"),
]


def _cells(row: dict[str, Any]) -> list[Any]:
    return ["" if row.get(k) is None else row.get(k) for k, _ in COLUMNS]


def kpi_csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([title for _, title in COLUMNS])
    for row in rows:
        writer.writerow(_cells(row))
    return ("\ufeff" + buffer.getvalue()).encode()  # BOM: Excel opens UTF-8 Vietnamese correctly


def kpi_xlsx(rows: list[dict[str, Any]], *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Chỉ số"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([t for _, t in COLUMNS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(_cells(row))
    ws.column_dimensions["A"].width = 48
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def kpi_pdf(context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_to_string("reports/report_pdf.html", context)
    return HTML(string=html).write_pdf()
