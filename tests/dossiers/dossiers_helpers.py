"""Shared test data of the dossier tests (a module of its own: `conftest` names clash across folders)."""

from __future__ import annotations

from datetime import datetime

from motcua.core.clock import VN_TZ


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


CITIZEN = {
    "id_number": "001085012345",
    "full_name": "Nguyễn Văn An",
    "date_of_birth": "1985-05-17",
    "phone": "0912345678",
    "address": "Số 5 Quang Trung, Hà Đông, Hà Nội",
}


def pdf_bytes(*, javascript: str = "", open_action: bool = False, embed: bool = False) -> bytes:
    """A real one-page PDF (pypdf), optionally with active content to be refused."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if javascript:  # document-level JavaScript in the /Names tree, as Acrobat writes it
        js = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject(javascript),
            }
        )
        tree = DictionaryObject(
            {NameObject("/Names"): ArrayObject([TextStringObject("x"), writer._add_object(js)])}
        )
        writer._root_object[NameObject("/Names")] = DictionaryObject(
            {NameObject("/JavaScript"): tree}
        )
    if open_action:
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("cmd.exe"),
            }
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    if embed:
        writer.add_attachment("payload.exe", b"MZ\x90\x00")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    """A real small image (Pillow)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(out, format=fmt)
    return out.getvalue()


def pay_cash(d, collector, at: datetime):  # type: ignore[no-untyped-def]
    """Collect what the dossier owes in cash with its receipt (results are handed over only once paid)."""
    from motcua.core import clock
    from motcua.payments import services
    from motcua.payments.models import ReceiptSeries
    from motcua.payments.selectors import dossier_outstanding

    if dossier_outstanding(d) <= 0:
        return None
    ReceiptSeries.objects.get_or_create(
        unit=d.unit, template_number="01BLP0-001", symbol="T-26E", year=at.year
    )
    with clock.frozen(at):
        payment = services.payment_create(dossier=d, method="cash", actor=collector)
        return services.payment_confirm(payment=payment, actor=collector)
