"""KPI tables as CSV, XLSX and PDF."""

from __future__ import annotations

import io
from typing import Any

from django.template.loader import render_to_string

from motcua.core.spreadsheet import SafeCsvWriter, append_row

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
    writer = SafeCsvWriter(buffer)
    writer.writerow([title for _, title in COLUMNS])
    for row in rows:
        writer.writerow(_cells(row))
    return ("\ufeff" + buffer.getvalue()).encode()  # BOM: Excel opens UTF-8 Vietnamese correctly


INDEX_COLUMNS = [
    "Chỉ số",
    "Điểm tối đa",
    "Tỷ lệ (%)",
    "Ngưỡng đạt điểm tối đa (%)",
    "Điểm",
    "Dữ liệu đã dùng",
    "Còn thiếu",
]


def _index_sheet(wb: Any, index: dict[str, Any]) -> None:
    """The Decision 766 breakdown: one line per group and per indicator."""
    from openpyxl.styles import Font

    ws = wb.create_sheet("Chỉ số 766")
    append_row(ws, [f"Chỉ số phục vụ người dân, doanh nghiệp – {index['decision']}"])
    ws["A1"].font = Font(bold=True, size=13)
    append_row(ws, INDEX_COLUMNS)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for n, g in enumerate(index["groups"], start=1):
        append_row(ws, [f"{n}. {g['name']}", g["max"], None, None, g["points"], None, None])
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for i in g["indicators"]:
            append_row(
                ws,
                [
                    f"{i['key']}. {i['name']}",
                    i["max"] if i["max"] is not None else "chưa rõ",
                    i["rate_pct"],
                    i["full_at_pct"],
                    i["points"],
                    "; ".join(f"{k}: {v}" for k, v in i["inputs"].items()),
                    "; ".join(i["missing"]),
                ],
            )
    append_row(ws, ["Tổng các nhóm tính đủ", index["total_max"], None, None, index["total"]])
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["F"].width = 60
    ws.column_dimensions["G"].width = 80


def kpi_xlsx(
    rows: list[dict[str, Any]], *, title: str, index: dict[str, Any] | None = None
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Chỉ số"
    append_row(ws, [title])
    ws["A1"].font = Font(bold=True, size=13)
    append_row(ws, [t for _, t in COLUMNS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(ws, _cells(row))
    ws.column_dimensions["A"].width = 48
    if index is not None:
        _index_sheet(wb, index)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def kpi_pdf(context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_to_string("reports/report_pdf.html", context)
    return HTML(string=html).write_pdf()
