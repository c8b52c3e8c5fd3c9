"""Forms of today: Decree 118/2025 citation, every field of form 01, the paper each template says."""

from __future__ import annotations

import importlib
import io
import re
import shutil
import subprocess
from datetime import date, datetime

import pypdf
import pytest

from motcua.catalog.demo import demo_procedures
from motcua.catalog.services import catalog_import
from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.documents.dossier_forms import (
    dossier_form_context,
    dossier_form_pdf,
    ledger_pdf,
    ledger_rows,
)
from motcua.documents.models import FormTemplate
from motcua.documents.services import form_source, form_template_publish, render_form_html

pytestmark = pytest.mark.django_db

DECREE = "Nghị định số 118/2025/NĐ-CP ngày 09/6/2025 của Chính phủ"
A4 = (595.28, 841.89)  # points
A5 = (419.53, 595.28)
PX = 0.75  # WeasyPrint draws in CSS px scaled to points


def pdf_text(pdf: bytes) -> str:
    exe = shutil.which("pdftotext")
    if exe is not None:
        out = subprocess.run([exe, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True)
        return " ".join(out.stdout.decode("utf-8").split())
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [
        (round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2))
        for p in reader.pages
    ]


def text_runs(pdf: bytes) -> list[tuple[str, float, float]]:
    """(text, x in points, font size in points) of every run drawn on every page."""
    runs: list[tuple[str, float, float]] = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:

        def visit(text, cm, tm, font, size):  # type: ignore[no-untyped-def]
            if text.strip():
                runs.append((text.strip(), tm[4] * cm[0], size * cm[0]))

        page.extract_text(visitor_text=visit)
    return runs


def overflowing_cells(html: str) -> list[tuple[str, float]]:
    """Text that WeasyPrint lays out past the right edge of its table cell (overlapping the next)."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    bad = []
    for page in HTML(string=html).render().pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.TableCellBox):
                right = box.content_box_x() + box.width
                for child in box.descendants():
                    if (
                        isinstance(child, boxes.TextBox)
                        and child.position_x + child.width > right + 0.5
                    ):
                        bad.append((child.text, round(child.position_x + child.width - right, 1)))
    return bad


def receive(office, code="1.001193", **kw):  # type: ignore[no-untyped-def]
    from motcua.dossiers.services import dossier_receive

    with clock.frozen(kw.pop("at", datetime(2026, 11, 17, 10, 0))):
        return dossier_receive(
            procedure_code=code,
            channel=kw.pop("channel", "direct"),
            citizen={
                "id_number": "001085012345",
                "full_name": "Trần Văn Bình",
                "email": "binh@example.vn",
                "address": "Số 1 Lê Lợi, Hà Đông",
            },
            unit=office["ward"],
            actor=office["reception"],
            **kw,
        )


def test_form_01_carries_every_field_of_the_template_with_decree_118(dossier, office):
    text = pdf_text(dossier_form_pdf(dossier=dossier, code="01"))
    assert f"Mẫu số 01 – {DECREE}" in text
    assert "Số: 1/2026" in text  # the number line: rank in the unit's ledger of the year
    assert "THÀNH PHỐ HÀ NỘI" in text and "PHƯỜNG HÀ ĐÔNG" in text
    assert "Hà Nội, ngày 17 tháng 11 năm 2026" in text
    assert "(Liên: Lưu / Giao người nộp hồ sơ)" in text
    assert "Bộ phận Một cửa – Phường Hà Đông" in text  # the receiving office
    assert "Tiếp nhận hồ sơ của: Nguyễn Thị Hương" in text
    assert "Số điện thoại: 0912345678" in text and "Thư điện tử:" in text
    assert "2. Số lượng hồ sơ: 01 (bộ)" in text
    assert "3. Thời gian giải quyết hồ sơ theo quy định: 3 ngày làm việc" in text
    assert "4. Thời gian nhận hồ sơ: 09 giờ 15 phút, ngày 17/11/2026" in text
    assert "5. Thời gian trả kết quả giải quyết hồ sơ:" in text
    assert "6. Đăng ký nhận kết quả tại: Bộ phận Một cửa – Phường Hà Đông" in text
    assert "7. Phí, lệ phí phải nộp: 8.000 đồng" in text
    assert "Lệ phí: Lệ phí" in text  # the line, with its kind
    assert "Vào Sổ theo dõi hồ sơ, Quyển số: 2026 Số thứ tự: 1" in text
    assert "NGƯỜI NỘP HỒ SƠ" in text.upper() and "Người tiếp nhận hồ sơ" in text
    assert page_sizes(dossier_form_pdf(dossier=dossier, code="01"))[0] == A4
    second = receive(office)
    assert "Số: 2/2026" in pdf_text(dossier_form_pdf(dossier=second, code="01"))


def test_form_01_names_the_one_stop_office_of_the_unit(dossier, office):
    from motcua.org.models import Office

    Office.objects.create(
        unit=office["ward"],
        code="mc-hadong",
        name="Trung tâm Phục vụ hành chính công phường Hà Đông",
        address="Số 2 Hoàng Diệu, Hà Đông",
    )
    text = pdf_text(dossier_form_pdf(dossier=dossier, code="01"))
    assert "Trung tâm Phục vụ hành chính công phường Hà Đông (Số 2 Hoàng Diệu, Hà Đông)" in text


def test_every_form_cites_decree_118_and_not_the_lapsed_circular(dossier, office):
    act_at = datetime(2026, 11, 17, 11, 0)
    from motcua.dossiers.services import dossier_act

    with clock.frozen(act_at):
        dossier_act(
            dossier=dossier,
            action="request_supplement",
            actor=office["reception"],
            note="Thiếu tờ khai",
        )
    for code in ("01", "02", "05"):
        text = pdf_text(dossier_form_pdf(dossier=dossier, code=code))
        assert f"Mẫu số {code} – {DECREE}" in text, code
        assert "01/2018" not in text, code
    ledger = pdf_text(
        ledger_pdf(unit=office["ward"], date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    )
    assert f"Mẫu số 06 – {DECREE}" in ledger


def test_a_template_on_a5_prints_on_a5(dossier):
    form_template_publish(code="01", body=form_source("01"), paper="A5")
    pdf = dossier_form_pdf(dossier=dossier, code="01")
    sizes = page_sizes(pdf)
    assert sizes and all(size == A5 for size in sizes)
    text = pdf_text(pdf)
    assert "Số: 1/2026" in text and "7. Phí, lệ phí phải nộp: 8.000 đồng" in text
    assert all(0 <= x < A5[0] for _, x, _ in text_runs(pdf))
    html = render_form_html(code="01", context=dossier_form_context(dossier=dossier, code="01"))
    assert overflowing_cells(html) == []
    # The paper follows the next version unless it says otherwise, and a bad one is refused.
    assert form_template_publish(code="01", body=form_source("01")).paper == "A5"
    with pytest.raises(ValidationFailed) as exc:
        form_template_publish(code="01", body=form_source("01"), paper="Letter")
    assert exc.value.code == "form_paper_invalid"


def test_ledger_06_fits_a_landscape_page_with_readable_columns(dossier, office):
    for _ in range(3):
        receive(office, at=datetime(2026, 11, 18, 8, 30))
    pdf = ledger_pdf(unit=office["ward"], date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    width, height = page_sizes(pdf)[0]
    assert (width, height) == (A4[1], A4[0])  # A4 landscape
    runs = text_runs(pdf)
    assert all(0 <= x < width - 20 for _, x, _ in runs)  # nothing drawn past the right margin
    assert min(round(size, 1) for _, _, size in runs) >= 7  # no print smaller than 7 pt
    text = pdf_text(pdf)
    # Whole words and codes: the dossier code and the dates are never cut inside.
    assert dossier.code in text
    runs_text = [t for t, _, _ in runs]
    assert any(dossier.code in t for t in runs_text)
    assert any(t.startswith("17/11/2026") for t in runs_text)
    for header in (
        "Tên thủ tục hành chính",
        "Ngày, tháng, năm",
        "Hẹn trả kết quả",
        "Trạng thái, ghi chú",
    ):
        assert header in text, header
    assert "Tổng số: 4 hồ sơ" in text
    ctx = {
        "agency": {"name": "Phường Hà Đông", "parent": "Thành phố Hà Nội", "code": ""},
        "rows": ledger_rows(
            unit=office["ward"], date_from=date(2026, 11, 1), date_to=date(2026, 11, 30)
        ),
    }
    assert overflowing_cells(render_form_html(code="06", context=ctx)) == []  # no column overlaps
    # No header word is split inside: each one is drawn whole on some line.
    words = {w for t, _, _ in runs for w in re.findall(r"\w+", t)}
    for header in [
        "STT",
        "Mã",
        "hồ",
        "sơ",
        "Tên",
        "thủ",
        "tục",
        "hành",
        "chính",
        "Số",
        "lượng",
        "hồ",
        "sơ",
        "bộ",
        "Tên",
        "cá",
        "nhân",
        "tổ",
        "chức",
        "Địa",
        "chỉ",
        "số",
        "điện",
        "thoại",
        "Cơ",
        "quan",
        "chủ",
        "trì",
        "giải",
        "quyết",
        "Nhận",
        "Hẹn",
        "trả",
        "kết",
        "quả",
        "Chuyển",
        "đến",
        "Trả",
        "cho",
        "Trạng",
        "thái",
        "ghi",
        "chú",
    ]:
        assert header in words, header


def test_form_01_prints_pages_copies_exemption_and_the_chosen_time_case(office):
    catalog_import(
        data=[p for p in demo_procedures() if p["code"] in ("2.000815", "1.004859", "1.000894")]
    )
    copies = receive(office, "2.000815", quantities={"pages": 5, "copies": 2})
    text = pdf_text(dossier_form_pdf(dossier=copies, code="01"))
    assert "7. Phí, lệ phí phải nộp: 14.000 đồng" in text
    assert "Phí: Phí chứng thực bản sao từ bản chính" in text and "5 trang × 2 bản" in text
    assert "Thông tư số 226/2016/TT-BTC" in text
    poor = receive(
        office,
        "1.004859",
        exemption="ho-ngheo",
        exemption_proof="Giấy chứng nhận hộ nghèo số 45/GCN",
    )
    text = pdf_text(dossier_form_pdf(dossier=poor, code="01"))
    assert "7. Phí, lệ phí phải nộp: Không" in text
    assert "Người thuộc hộ nghèo (điểm a khoản 1 Điều 11 Luật Hộ tịch" in text
    assert "Giấy chứng nhận hộ nghèo số 45/GCN – người kiểm tra: Lê Văn Tiếp" in text
    marriage = receive(office, "1.000894", time_case="xac-minh")
    text = pdf_text(dossier_form_pdf(dossier=marriage, code="01"))
    assert "Cần xác minh điều kiện kết hôn: không quá 05 ngày làm việc" in text
    assert "theo quy định: 5 ngày làm việc (khoản 2 Điều 18 Luật Hộ tịch" in text
    assert "ngày 24/11/2026" in text or "ngày 25/11/2026" in text


def test_the_migration_moves_stored_templates_to_decree_118_keeping_the_office_body(db):
    from django.apps import apps

    migration = importlib.import_module("motcua.documents.migrations.0003_forms_decree_118")
    FormTemplate.objects.create(
        code="02",
        name="Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
        legal_basis="Mẫu số 02 – Thông tư 01/2018/TT-VPCP",
        body="<p>Mẫu riêng của phường: {{ reason }}</p>",
        version=3,
    )
    FormTemplate.objects.create(
        code="06", name="Sổ", legal_basis="Sổ riêng của phường", body="<p>x</p>", version=1
    )
    migration.forward(apps, None)
    active = FormTemplate.objects.get(code="02", is_active=True)
    assert (active.version, active.legal_basis) == (4, f"Mẫu số 02 – {DECREE}")
    assert active.body == "<p>Mẫu riêng của phường: {{ reason }}</p>"
    assert FormTemplate.objects.filter(code="02", version=3, is_active=False).exists()
    ledger = FormTemplate.objects.get(code="06", is_active=True)
    assert (ledger.version, ledger.legal_basis, ledger.paper) == (
        1,
        "Sổ riêng của phường",
        "A4-landscape",
    )
