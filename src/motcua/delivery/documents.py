"""The congratulation card and the postal address label as PDFs (documents app's layout, WeasyPrint)."""

from __future__ import annotations

import base64

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from motcua.core import clock
from motcua.delivery.models import Delivery, Shipment


def code128_svg(text: str) -> str:
    """A Code 128 barcode of `text` as an inline SVG data URI (zxing-cpp's writer)."""
    import zxingcpp

    svg = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128).to_svg()
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _pdf(inner: str, title: str, paper: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from motcua.documents.services import PAPER_CSS

    size, margin = PAPER_CSS[paper]
    page = render_to_string(
        "documents/pdf_layout.html",
        {
            "body": mark_safe(inner),  # noqa: S308  (our own template, escaped values)
            "title": title,
            "page_size": size,
            "page_margin": margin,
            "small": True,
        },
    )
    fetcher = URLFetcher(allowed_protocols={"data"})
    return bytes(HTML(string=page, url_fetcher=fetcher).write_pdf())


def card_pdf(delivery: Delivery) -> bytes:
    """The ward's congratulation card for a birth registration (A5 landscape)."""
    dossier = delivery.dossier
    inner = render_to_string(
        "delivery/card.html",
        {
            "child_name": delivery.child_name,
            "family": dossier.citizen.full_name,
            "unit": dossier.unit.name,
            "date": clock.local(delivery.task_at or clock.now()),
        },
    )
    return _pdf(inner, f"Thiệp chúc mừng {delivery.child_name}".strip(), "A5-landscape")


def label_pdf(shipment: Shipment) -> bytes:
    """The address label with the waybill's Code 128 barcode (A5 landscape, cut to the parcel)."""
    dossier = shipment.dossier
    inner = render_to_string(
        "delivery/label.html",
        {
            "s": shipment,
            "dossier": dossier,
            "unit": dossier.unit,
            "barcode": code128_svg(shipment.waybill),
            "postage": f"{shipment.postage:,}".replace(",", "."),
            "created": clock.local(shipment.created_at),
        },
    )
    return _pdf(inner, f"Nhãn bưu gửi {shipment.waybill}", "A5-landscape")
