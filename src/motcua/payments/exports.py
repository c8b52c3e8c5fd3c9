"""Spreadsheets of the payments app: the officer's cash book, the receipt usage report, reconciliation.

Cells are written through `core.spreadsheet.safe_cell`, which neutralises text a spreadsheet
would run as a formula (a payer's name or a bank description starting with "=", "+", "-", "@").
"""

from __future__ import annotations

import io
from typing import Any

from motcua.core import clock
from motcua.core.spreadsheet import safe_cell


def money(n: Any) -> str:
    return f"{int(n):,}".replace(",", ".")


def _workbook(
    sheet: str, title: str, header: list[str], rows: list[list[Any]], footer: list[list[Any]]
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append([safe_cell(title)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append([safe_cell(h) for h in header])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for row in footer:
        ws.append([safe_cell(v) for v in row])
    for col in ws.columns:
        letter = col[0].column_letter
        ws.column_dimensions[letter].width = min(
            60, max(10, *(len(str(c.value or "")) + 2 for c in col[2:]))
        )
    for row in ws.iter_rows(min_row=4):
        for c in row:
            if isinstance(c.value, int) and not isinstance(c.value, bool):
                c.number_format = "#,##0"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def cash_book_xlsx(book: dict[str, Any], officer_name: str) -> bytes:
    """The day's cash book of one officer: each receipt, refunds, handovers and the totals."""
    day = book["day"].strftime("%d/%m/%Y")
    rows: list[list[Any]] = []
    for r in book["receipts"]:
        state = "Đã hủy: " + r.cancel_reason if r.cancelled_at else "Hợp lệ"
        rows.append(
            [
                clock.local(r.issued_at).strftime("%H:%M %d/%m/%Y"),
                f"{r.series.template_number} {r.series.symbol}",
                r.number_display,
                r.dossier.code,
                r.payer_name,
                int(r.amount),
                state,
            ]
        )
    footer: list[list[Any]] = [[]]
    footer.append(["Tổng thu trong ngày (biên lai hợp lệ)", "", "", "", "", book["collected"]])
    footer.append(["Biên lai đã hủy", "", "", "", "", book["cancelled"]])
    for f in book["refunds"]:
        footer.append(
            [
                f"Hoàn trả biên lai {f.receipt.series.symbol} số {f.receipt.number_display}",
                "",
                "",
                f.dossier.code if hasattr(f, "dossier") else "",
                f.reason,
                -int(f.amount),
            ]
        )
    for h in book["handovers"]:
        footer.append(
            [
                f"Bàn giao lúc {clock.local(h.handed_at).strftime('%H:%M %d/%m/%Y')} cho {h.received_by}",
                "",
                "",
                "",
                f"{h.payments_count} biên lai",
                int(h.amount),
            ]
        )
    footer.append(["Tiền mặt còn giữ, chưa bàn giao", "", "", "", "", book["on_hand"]])
    return _workbook(
        "Sổ quỹ",
        f"Sổ quỹ tiền mặt {day} – {officer_name}",
        [
            "Thời điểm",
            "Mẫu số, ký hiệu",
            "Số biên lai",
            "Mã hồ sơ",
            "Người nộp",
            "Số tiền (đồng)",
            "Tình trạng",
        ],
        rows,
        footer,
    )


def _num(n: Any) -> str:
    return "" if n is None else f"{int(n):07d}"


def usage_lines(usage: dict[str, Any]) -> list[tuple[str, str]]:
    """The report's figures. They include the columns of the tax authority's receipt-usage
    report BC26/BLĐT (type of receipt, template, symbol, receipts used in the period, total
    charges and fees), as its XML form (root BCTHSDBLai) reads in the tax declaration
    software's public stylesheets, plus the numbers an auditor asks for (first and last,
    cancelled, replaced, gaps). Under Decree 254/2026/NĐ-CP Art. 29(3)(b) receipt data goes to
    the tax authority daily (form 01/TH-BLĐT, Circular 91/2026/TT-BTC Art. 4(6)(d)); that form's
    columns could not be read here."""
    s = usage["series"]
    return [
        ("Đơn vị thu", s.unit.name),
        ("Tên loại biên lai", "Biên lai thu phí, lệ phí không có mệnh giá"),
        ("Mẫu số", s.template_number),
        ("Ký hiệu", s.symbol),
        ("Kỳ báo cáo", f"{usage['date_from']:%d/%m/%Y} – {usage['date_to']:%d/%m/%Y}"),
        ("Số biên lai đã lập", str(usage["issued"])),
        ("Từ số", _num(usage["first"])),
        ("Đến số", _num(usage["last"])),
        ("Số biên lai hợp lệ", str(usage["valid"])),
        ("Số biên lai đã hủy", str(usage["cancelled"])),
        ("Các số đã hủy", ", ".join(_num(n) for n in usage["cancelled_numbers"]) or "Không"),
        ("Số biên lai thay thế", str(usage["replaced"])),
        (
            "Thay thế",
            "; ".join(f"số {_num(a)} thay số {_num(b)}" for a, b in usage["replacements"])
            or "Không",
        ),
        ("Số biên lai sử dụng trong kỳ", str(usage["issued"])),
        ("Tổng tiền phí, lệ phí trong kỳ (biên lai hợp lệ, đồng)", money(usage["valid_amount"])),
        ("Số bị bỏ trống trong dãy", ", ".join(_num(n) for n in usage["gaps"]) or "Không"),
    ]


def receipt_usage_xlsx(usage: dict[str, Any]) -> bytes:
    rows = []
    for r in usage["receipts"]:
        state = "Đã hủy" if r.cancelled_at else "Hợp lệ"
        rows.append(
            [
                r.number_display,
                clock.local(r.issued_at).strftime("%d/%m/%Y %H:%M"),
                r.dossier.code,
                r.payer_name,
                int(r.amount),
                r.get_method_display(),
                state,
                r.cancel_reason,
                r.replaces.number_display if r.replaces_id and r.replaces else "",
            ]
        )
    footer: list[list[Any]] = [[]]
    footer += [[label, value] for label, value in usage_lines(usage)]
    s = usage["series"]
    return _workbook(
        "Sử dụng biên lai",
        f"Báo cáo tình hình sử dụng biên lai {s.template_number} {s.symbol}",
        [
            "Số",
            "Ngày lập",
            "Mã hồ sơ",
            "Người nộp",
            "Số tiền (đồng)",
            "Hình thức",
            "Tình trạng",
            "Lý do hủy",
            "Thay thế số",
        ],
        rows,
        footer,
    )


def receipt_usage_pdf(usage: dict[str, Any]) -> bytes:
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from motcua.documents.services import PAPER_CSS

    inner = render_to_string(
        "payments/usage_report.html",
        {"lines": usage_lines(usage), "u": usage, "today": clock.today()},
    )
    size, margin = PAPER_CSS["A4"]
    html = render_to_string(
        "documents/pdf_layout.html",
        {
            "body": mark_safe(inner),  # noqa: S308  (our own template, escaped values)
            "title": "Báo cáo tình hình sử dụng biên lai",
            "page_size": size,
            "page_margin": margin,
        },
    )
    fetcher = URLFetcher(allowed_protocols={"data"})
    return bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())
