"""Official forms 01–06 and the stop notice render to real PDFs with Vietnamese diacritics intact."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime

import pytest

from motcua.core import clock
from motcua.documents.demo import seed_form_templates
from motcua.documents.dossier_forms import dossier_form_context, dossier_form_pdf, ledger_pdf
from motcua.documents.models import FormTemplate
from motcua.documents.services import form_source, form_template_publish, qr_svg, render_form_pdf

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    """The text layer of a PDF, via poppler's pdftotext, or pypdf where poppler is not installed."""
    assert pdf.startswith(b"%PDF")
    exe = shutil.which("pdftotext")
    if exe is None:
        import io

        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(pdf))
        return " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    out = subprocess.run(
        [exe, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return " ".join(out.stdout.decode("utf-8").split())


def act(dossier, action, actor, **params):  # type: ignore[no-untyped-def]
    from motcua.dossiers.services import dossier_act

    return dossier_act(dossier=dossier, action=action, actor=actor, **params)


def test_receipt_slip_01_prints_citizen_dates_fees_and_national_header(dossier):
    text = pdf_text(dossier_form_pdf(dossier=dossier, code="01"))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    # Decree 118/2025/NĐ-CP replaced Decree 61/2018 (and so Circular 01/2018/TT-VPCP) on 1/7/2025.
    assert "Mẫu số 01 – Nghị định số 118/2025/NĐ-CP ngày 09/6/2025 của Chính phủ" in text
    assert "Thông tư 01/2018" not in text
    assert "Nguyễn Thị Hương" in text and "001190012345" in text
    assert dossier.code in text
    assert "Giấy chứng sinh" in text  # a paper handed in
    assert "8.000 đồng" in text
    assert "Lê Văn Tiếp" in text  # the receiving officer
    due = clock.local(dossier.due_at)
    assert f"ngày {due:%d/%m/%Y}" in text
    assert "09 giờ 15 phút, ngày 17/11/2026" in text
    assert f"/tra-cuu/?ma={dossier.code}" in text


def test_receipt_context_carries_a_qr_code_of_the_public_lookup(dossier):
    ctx = dossier_form_context(dossier=dossier, code="01", base_url="https://motcua.hanoi.gov.vn")
    assert ctx["lookup_url"] == f"https://motcua.hanoi.gov.vn/tra-cuu/?ma={dossier.code}"
    assert ctx["qr"].startswith("data:image/svg+xml")
    assert qr_svg("a") != qr_svg("b")


def test_supplement_request_02_lists_the_reason(dossier, office):
    with clock.frozen(datetime(2026, 11, 17, 10, 0)):
        act(
            dossier,
            "request_supplement",
            office["reception"],
            note="Thiếu bản sao giấy đăng ký kết hôn của cha mẹ",
        )
    text = pdf_text(dossier_form_pdf(dossier=dossier, code="02"))
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "Thiếu bản sao giấy đăng ký kết hôn của cha mẹ" in text
    assert "Nguyễn Thị Hương" in text


def test_refusal_03_needs_a_refusal_and_prints_its_reason(dossier, office):
    from motcua.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        dossier_form_pdf(dossier=dossier, code="03")
    with clock.frozen(datetime(2026, 11, 17, 10, 0)):
        act(
            dossier, "refuse", office["reception"], note="Thủ tục không thuộc thẩm quyền của phường"
        )
    text = pdf_text(dossier_form_pdf(dossier=dossier, code="03"))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "Thủ tục không thuộc thẩm quyền của phường" in text


def test_apology_04_prints_old_and_new_return_dates(dossier, office):
    with clock.frozen(datetime(2026, 11, 18, 8, 0)):
        act(
            dossier,
            "extend",
            office["leader"],
            note="Cần xác minh thông tin tại nơi cư trú",
            new_date="2026-12-04",
        )
    text = pdf_text(dossier_form_pdf(dossier=dossier, code="04"))
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "Cần xác minh thông tin tại nơi cư trú" in text
    assert "ngày 04/12/2026" in text
    assert "Phạm Thị Lãnh" in text


def test_control_slip_05_has_one_row_per_hand_off_to_the_minute(dossier, office):
    with clock.frozen(datetime(2026, 11, 17, 9, 40)):
        act(dossier, "assign", office["reception"], to_user=office["specialist"])
    with clock.frozen(datetime(2026, 11, 17, 14, 5)):
        act(dossier, "submit_for_approval", office["specialist"], to_user=office["leader"])
    rows = dossier_form_context(dossier=dossier, code="05")["rows"]
    assert [(r["giver"], r["receiver"]) for r in rows] == [
        ("Lê Văn Tiếp", "Lê Văn Tiếp"),
        ("Lê Văn Tiếp", "Đỗ Minh Chuyên"),
        ("Đỗ Minh Chuyên", "Phạm Thị Lãnh"),
    ]
    assert [f"{r['at']:%H:%M}" for r in rows] == ["09:15", "09:40", "14:05"]
    assert rows[1]["deadline"] is not None and rows[1]["timeliness"] in ("Trước hạn", "Đúng hạn")
    text = pdf_text(dossier_form_pdf(dossier=dossier, code="05"))
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert (
        "Giao: Lê Văn Tiếp" in text
        and "Nhận: Đỗ Minh Chuyên" in text
        and "Nhận: Phạm Thị Lãnh" in text
    )
    assert "09 giờ 40 phút" in text and "Trình lãnh đạo phê duyệt" in text


def test_stop_notice_prints_the_reason(dossier, office):
    with clock.frozen(datetime(2026, 11, 17, 11, 0)):
        act(dossier, "stop", office["leader"], note="Có tranh chấp đang được Tòa án thụ lý")
    text = pdf_text(dossier_form_pdf(dossier=dossier, code="stop"))
    assert "THÔNG BÁO VỀ VIỆC DỪNG XỬ LÝ HỒ SƠ" in text
    assert "Có tranh chấp đang được Tòa án thụ lý" in text


def test_ledger_06_lists_the_period_dossiers_of_the_unit(dossier, office):
    text = pdf_text(
        ledger_pdf(unit=office["ward"], date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    )
    assert "SỔ THEO DÕI HỒ SƠ" in text
    assert dossier.code in text and "Nguyễn Thị Hương" in text
    assert "Tổng số: 1 hồ sơ" in text
    empty = pdf_text(
        ledger_pdf(unit=office["ward"], date_from=date(2026, 10, 1), date_to=date(2026, 10, 31))
    )
    assert "Không có hồ sơ trong kỳ" in empty


def test_a_changed_template_in_the_database_changes_the_pdf(dossier):
    assert seed_form_templates() == 7
    assert seed_form_templates() == 0  # idempotent, never overwrites the office's edits
    body = form_source("01").replace(
        "Người nộp hồ sơ", "Người nộp hồ sơ (ông/bà) – Phường Hà Đông kính chào"
    )
    row = form_template_publish(code="01", body=body)
    assert row.version == 2
    assert FormTemplate.objects.filter(code="01", is_active=True).get() == row
    text = pdf_text(dossier_form_pdf(dossier=dossier, code="01"))
    assert "Phường Hà Đông kính chào" in text


def test_generic_render_uses_only_the_active_version():
    form_template_publish(code="stop", body="<p>Phiên bản một: {{ x }}</p>")
    form_template_publish(code="stop", body="<p>Phiên bản hai: {{ x }}</p>")
    text = pdf_text(render_form_pdf(code="stop", context={"x": "Đường Lê Trọng Tấn"}))
    assert "Phiên bản hai: Đường Lê Trọng Tấn" in text and "Phiên bản một" not in text


def test_broken_template_syntax_is_refused_with_a_vietnamese_message():
    from motcua.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        form_template_publish(code="02", body="{% if %}")
    assert "lỗi cú pháp" in err.value.message


def test_templates_are_editable_in_the_admin(client, django_user_model):
    seed_form_templates()
    admin = django_user_model.objects.create_superuser("quantri-doc", "qt@example.vn", "x")
    client.force_login(admin)
    listing = client.get("/quan-tri/documents/formtemplate/").content.decode()
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in listing
    row = FormTemplate.objects.get(code="02")
    page = client.get(f"/quan-tri/documents/formtemplate/{row.pk}/change/")
    assert page.status_code == 200 and "Phiếu yêu cầu bổ sung" in page.content.decode()
    # a second active version of the same form is refused with the Vietnamese message
    response = client.post(
        "/quan-tri/documents/formtemplate/add/",
        {
            "code": "02",
            "name": "Mẫu 02 mới",
            "legal_basis": "",
            "body": "<p>x</p>",
            "version": 9,
            "is_active": "on",
        },
    )
    assert "Mỗi mẫu chỉ được có một phiên bản đang dùng." in response.content.decode()


def test_api_lists_forms_in_force_and_serves_the_ledger_only_for_own_units(client, dossier, office):
    from factories import UnitFactory

    form_template_publish(code="03", body="<p>{{ reason }}</p>", name="Phiếu từ chối (mẫu mới)")
    client.force_login(office["reception"])
    listing = {f["code"]: f for f in client.get("/api/v1/forms").json()}
    assert listing["03"]["name"] == "Phiếu từ chối (mẫu mới)" and listing["03"]["version"] == 1
    assert listing["01"]["legal_basis"] == (
        "Mẫu số 01 – Nghị định số 118/2025/NĐ-CP ngày 09/6/2025 của Chính phủ"
    )
    query = {"unit": office["ward"].code, "date_from": "2026-11-01", "date_to": "2026-11-30"}
    response = client.get("/api/v1/ledger.pdf", query)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    other = UnitFactory(code="9999", name="Phường Khác")
    response = client.get("/api/v1/ledger.pdf", {**query, "unit": other.code})
    assert response.status_code == 404 and response.json()["code"] == "unit_not_found"
    client.logout()
    assert client.get("/api/v1/forms").status_code == 401


def test_a_template_cannot_pull_local_files_into_the_pdf():
    form_template_publish(
        code="stop", body='<p>Nội dung</p><img src="file:///etc/hostname"><img src="{{ qr }}">'
    )
    text = pdf_text(render_form_pdf(code="stop", context={"qr": qr_svg("https://example.vn")}))
    assert "Nội dung" in text  # rendered; the file:// image is skipped, the inline QR is kept
