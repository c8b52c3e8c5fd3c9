"""The receipt as a PDF, on the same layout and renderer as the official forms (documents app)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from motcua.core import clock
from motcua.payments.models import Receipt


def _money(n: Any) -> str:
    return f"{int(n):,}".replace(",", ".")


def receipt_download_path(receipt: Receipt) -> str:
    """The site path where the citizen downloads the receipt (no login: an unguessable handle)."""
    return f"/api/v1/receipts/{receipt.public_id}.pdf"


def masked_id(number: str) -> str:
    """An ID number with all but its last 4 digits hidden (the public PDF needs no login)."""
    number = number or ""
    if len(number) <= 4:
        return number
    return "*" * (len(number) - 4) + number[-4:]


def receipt_html(receipt: Receipt) -> str:
    from motcua.core.links import public_url
    from motcua.documents.services import PAPER_CSS, qr_svg

    lookup_url = public_url(receipt_download_path(receipt))
    refund = getattr(receipt, "refund", None) if hasattr(receipt, "refund") else None
    lines = [{**line, "amount_text": _money(line.get("amount", 0))} for line in receipt.lines]
    collector = ""
    if receipt.issued_by is not None:
        collector = getattr(receipt.issued_by, "full_name", "") or receipt.issued_by.get_username()
    elif receipt.method == "online":
        collector = "Thu qua cổng thanh toán trực tuyến"
    inner = render_to_string(
        "payments/receipt.html",
        {
            "r": receipt,
            "payer_id": masked_id(receipt.payer_id_number),
            "refund": refund,
            "refund_amount": _money(refund.amount) if refund else "",
            "refund_at": clock.local(refund.refunded_at) if refund else None,
            "lines": lines,
            "amount_text": _money(receipt.amount),
            "issued_at": clock.local(receipt.issued_at),
            "cancelled_at": clock.local(receipt.cancelled_at) if receipt.cancelled_at else None,
            "replaced_issued_at": (
                clock.local(receipt.replaces.issued_at) if receipt.replaces else None
            ),
            "procedure": receipt.dossier.procedure_version.name,
            "collector": collector,
            "qr": qr_svg(lookup_url),
            "lookup_url": lookup_url,
        },
    )
    size, margin = PAPER_CSS["A5"]
    return render_to_string(
        "documents/pdf_layout.html",
        {
            "body": mark_safe(inner),  # noqa: S308  (our own template, escaped values)
            "title": f"Biên lai {receipt.series.symbol} số {receipt.number_display}",
            "page_size": size,
            "page_margin": margin,
            "small": True,
        },
    )


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as an A5 PDF (WeasyPrint, only inline data may be embedded)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    return bytes(HTML(string=receipt_html(receipt), url_fetcher=fetcher).write_pdf())
