"""Rendering official forms to PDF, QR codes, and edits of the form templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from motcua.core import clock
from motcua.core.errors import NotFound, ValidationFailed
from motcua.core.services import audit_record
from motcua.documents.models import FormCode, FormTemplate, PaperSize

FORM_SOURCES = Path(__file__).resolve().parent / "form_sources"

# Names and legal basis of the shipped templates (seeded into FormTemplate rows).
# Decree 118/2025/NĐ-CP (9/6/2025, in force 1/7/2025) replaced Decrees 61/2018 and 107/2021; the
# forms of Circular 01/2018/TT-VPCP, which guided Decree 61/2018, lapsed with it. The office can
# correct a citation in the admin (a new version of the form) without a release.
DECREE_118 = "Nghị định số 118/2025/NĐ-CP ngày 09/6/2025 của Chính phủ"
FORM_META: dict[str, tuple[str, str]] = {
    "01": ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", f"Mẫu số 01 – {DECREE_118}"),
    "02": ("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", f"Mẫu số 02 – {DECREE_118}"),
    "03": ("Phiếu từ chối tiếp nhận giải quyết hồ sơ", f"Mẫu số 03 – {DECREE_118}"),
    "04": ("Phiếu xin lỗi và hẹn lại ngày trả kết quả", f"Mẫu số 04 – {DECREE_118}"),
    "05": ("Phiếu kiểm soát quá trình giải quyết hồ sơ", f"Mẫu số 05 – {DECREE_118}"),
    "06": ("Sổ theo dõi hồ sơ", f"Mẫu số 06 – {DECREE_118}"),
    "stop": ("Thông báo về việc dừng xử lý hồ sơ", f"Theo {DECREE_118}"),
}
# The paper each shipped form is printed on; the ledger's 13 columns need a landscape page.
FORM_PAPER: dict[str, str] = {code: str(PaperSize.A4) for code in FORM_META} | {
    "06": str(PaperSize.A4_LANDSCAPE)
}
# Page size (CSS) and margins per paper.
PAPER_CSS: dict[str, tuple[str, str]] = {
    "A4": ("A4", "18mm 16mm 18mm 22mm"),
    "A4-landscape": ("A4 landscape", "12mm 10mm 12mm 12mm"),
    "A5": ("A5", "10mm 10mm 10mm 14mm"),
    "A5-landscape": ("A5 landscape", "10mm 10mm 10mm 12mm"),
}


def form_source(code: str) -> str:
    """The shipped template source of a form (used to seed, and when no row is active)."""
    path = FORM_SOURCES / f"{code}.html"
    if code not in FORM_META or not path.exists():
        raise NotFound(f"Không có biểu mẫu «{code}».", code="form_not_found")
    return path.read_text(encoding="utf-8")


def active_form(code: str) -> tuple[str, str, str]:
    """(name, legal basis, body) of the active template of a form, or the shipped one if none is active."""
    name, basis, body, _ = active_form_with_paper(code)
    return name, basis, body


def active_form_with_paper(code: str) -> tuple[str, str, str, str]:
    """(name, legal basis, body, paper) of the active template, or the shipped one if none is active."""
    row = FormTemplate.objects.filter(code=code, is_active=True).first()
    if row is not None:
        return row.name, row.legal_basis, row.body, row.paper
    source = form_source(code)
    name, basis = FORM_META[code]
    return name, basis, source, FORM_PAPER[code]


def qr_svg(data: str) -> str:
    """A QR code of `data` as an inline SVG data URI (for <img src>), error correction M."""
    import segno

    return str(segno.make(data, error="m").svg_data_uri(scale=4, border=2))


def render_form_html(*, code: str, context: dict[str, Any]) -> str:
    """The HTML of a form: the active template rendered with `context`, on the template's paper."""
    name, basis, body, paper = active_form_with_paper(code)
    ctx = {"form_name": name, "form_legal_basis": basis, "now": clock.now(), **context}
    try:
        inner = Template(body).render(Context(ctx))
    except Exception as exc:  # a broken template edited in the admin must say which form
        raise ValidationFailed(
            f"Biểu mẫu «{name}» có lỗi cú pháp, vui lòng sửa trong trang quản trị: {exc}",
            code="form_template_invalid",
        ) from exc
    size, margin = PAPER_CSS.get(str(paper), PAPER_CSS["A4"])
    return render_to_string(
        "documents/pdf_layout.html",
        {
            "body": mark_safe(inner),  # noqa: S308
            "title": name,
            "page_size": size,
            "page_margin": margin,
            "small": paper.startswith("A5"),
            "landscape": paper.endswith("landscape"),
            "form_code": code,
        },
    )


def render_form_pdf(*, code: str, context: dict[str, Any]) -> bytes:
    """Render the active template of a form with `context` to a PDF on its paper (WeasyPrint, DejaVu/Noto)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_form_html(code=code, context=context)
    # Templates are edited in the admin: only inline data (the QR code) may be embedded, never
    # local files or network resources.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())


@transaction.atomic
def form_template_publish(
    *,
    code: str,
    body: str,
    name: str = "",
    legal_basis: str = "",
    actor: Any = None,
    note: str = "",
    paper: str = "",
) -> FormTemplate:
    """Store a new version of a form and make it the active one (the previous version is kept)."""
    if code not in FormCode.values:
        raise NotFound(f"Không có biểu mẫu «{code}».", code="form_not_found")
    try:
        Template(body)
    except Exception as exc:
        raise ValidationFailed(
            f"Nội dung biểu mẫu có lỗi cú pháp: {exc}", code="form_template_invalid"
        ) from exc
    if paper and paper not in PaperSize.values:
        raise ValidationFailed(
            f"Khổ giấy «{paper}» không hợp lệ (chọn: {', '.join(PaperSize.values)}).",
            code="form_paper_invalid",
        )
    current = FormTemplate.objects.select_for_update().filter(code=code, is_active=True).first()
    default_name, default_basis = FORM_META[code]
    version = (FormTemplate.objects.filter(code=code).aggregate(m=Max("version"))["m"] or 0) + 1
    FormTemplate.objects.filter(code=code, is_active=True).update(is_active=False)
    row = FormTemplate.objects.create(
        code=code,
        name=name or (current.name if current else default_name),
        legal_basis=legal_basis or (current.legal_basis if current else default_basis),
        paper=paper or (current.paper if current else FORM_PAPER[code]),
        body=body,
        version=version,
        valid_from=clock.today(),
        is_active=True,
        note=note,
    )
    audit_record(
        action="form_template.publish",
        actor=actor,
        obj=row,
        detail={"code": code, "version": version},
    )
    return row


@transaction.atomic
def form_template_activate(*, template_id: int, actor: Any = None) -> FormTemplate:
    """Make one stored version of a form the active one (e.g. roll back to an earlier version)."""
    row = FormTemplate.objects.select_for_update().filter(pk=template_id).first()
    if row is None:
        raise NotFound("Không tìm thấy biểu mẫu.", code="form_not_found")
    FormTemplate.objects.filter(code=row.code, is_active=True).exclude(pk=row.pk).update(
        is_active=False
    )
    if not row.is_active:
        row.is_active = True
        row.save(update_fields=["is_active", "updated_at"])
    audit_record(action="form_template.activate", actor=actor, obj=row, detail={"code": row.code})
    return row
