"""Shared test data of the correspondence tests (a module of its own: conftest names clash)."""

from __future__ import annotations

import io


def pdf_bytes() -> bytes:
    """A real one-page PDF (pypdf): attachments are parsed whole."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
