"""Back-office dossier pages: counter reception, worklists and search, the dossier page, forms, ledger."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from dossiers_helpers import pdf_bytes

from factories import (
    CitizenFactory,
    ProcedureVersionFactory,
    StaffRoleFactory,
    UnitFactory,
    UserFactory,
)
from motcua.core import clock
from motcua.dossiers.models import Dossier
from motcua.org.models import Role, UnitLevel

pytestmark = pytest.mark.django_db

HUONG = {
    "id_number": "001190012345",
    "full_name": "Nguyễn Thị Hương",
    "date_of_birth": "1990-03-08",
    "sex": "F",
    "phone": "0912345678",
    "address": "Số 5 Quang Trung, Phường Hà Đông, Hà Nội",
}
PDF = pdf_bytes()  # a real PDF: scans are parsed whole (issue 9.10)


@pytest.fixture(autouse=True)
def _fast(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clock.set_frozen(datetime(2026, 11, 17, 9, 15))  # Tuesday morning, office open
    yield
    clock.set_frozen(None)


@pytest.fixture
def pg(db, tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)
    city = UnitFactory(
        code="01", name="Thành phố Hà Nội", level=UnitLevel.PROVINCE, agency_code="000.00.00.H26"
    )
    ward = UnitFactory(code="9886", name="Phường Hà Đông", parent=city, agency_code="000.00.20.H26")
    other = UnitFactory(
        code="9887", name="Phường Dương Nội", parent=city, agency_code="000.00.21.H26"
    )
    reception = UserFactory(username="tn-page", full_name="Lê Văn Tiếp")
    StaffRoleFactory(user=reception, unit=ward, role=Role.RECEPTION)
    specialist = UserFactory(username="cv-page", full_name="Đỗ Minh Chuyên")
    StaffRoleFactory(user=specialist, unit=ward, role=Role.SPECIALIST)
    stranger = UserFactory(username="tn-other", full_name="Trần Văn Khác")
    StaffRoleFactory(user=stranger, unit=other, role=Role.RECEPTION)
    version = ProcedureVersionFactory(procedure__code="1.001193", name="Thủ tục đăng ký khai sinh")
    return {
        "ward": ward,
        "reception": reception,
        "specialist": specialist,
        "stranger": stranger,
        "version": version,
    }


def receive_post(client, **extra):  # type: ignore[no-untyped-def]
    data = {
        "procedure": "1.001193",
        "channel": "direct",
        "papers": ["0", "1"],
        "fees_due": "8000",
        **HUONG,
        **extra,
    }
    return client.post("/can-bo/ho-so/tiep-nhan/", data)


def results(response) -> str:  # type: ignore[no-untyped-def]
    """The worklist table only (flash messages above it also mention dossier codes)."""
    return response.content.decode().split('id="worklist-results"', 1)[1]


def test_pages_require_login(client):
    for url in ("/can-bo/ho-so/", "/can-bo/ho-so/tiep-nhan/", "/can-bo/ho-so/so-theo-doi/"):
        response = client.get(url)
        assert response.status_code == 302 and "/can-bo/dang-nhap/" in response["Location"]


def test_reception_searches_the_catalogue_without_diacritics(client, pg):
    client.force_login(pg["reception"])
    html = client.get("/can-bo/ho-so/tiep-nhan/", {"q": "dang ky khai sinh"}).content.decode()
    assert "Thủ tục đăng ký khai sinh" in html and "thu_tuc=1.001193" in html
    partial = client.get(
        "/can-bo/ho-so/tiep-nhan/", {"q": "khai sinh"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in partial and "Thủ tục đăng ký khai sinh" in partial


def test_receive_creates_the_dossier_with_its_scan_and_redirects_to_it(client, pg):
    client.force_login(pg["reception"])
    form = client.get("/can-bo/ho-so/tiep-nhan/", {"thu_tuc": "1.001193"}).content.decode()
    assert "Tờ khai đăng ký khai sinh" in form and 'value="8000"' in form
    scan = SimpleUploadedFile("to-khai.pdf", PDF, content_type="application/pdf")
    response = receive_post(client, scans=scan)
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/can-bo/ho-so/{dossier.code}/"
    assert dossier.code.startswith("000.00.20.H26-261117-")
    assert dossier.citizen.full_name == "Nguyễn Thị Hương" and dossier.fees_due == 8000
    assert dossier.attachments.get().content_type == "application/pdf"
    html = client.get(response["Location"]).content.decode()
    assert "In phiếu tiếp nhận (mẫu 01)" in html
    assert f"/can-bo/ho-so/{dossier.code}/mau/01.pdf" in html
    assert "Đã tiếp nhận" in html and "to-khai.pdf" in html and "8.000 đồng" in html


def test_a_scan_that_is_not_really_a_pdf_is_refused_and_nothing_is_received(client, pg):
    client.force_login(pg["reception"])
    fake = SimpleUploadedFile("hop-le.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = receive_post(client, scans=fake)
    assert response.status_code == 422
    assert "không phải PDF, JPEG hoặc PNG" in response.content.decode()
    assert not Dossier.objects.exists()


def test_missing_required_paper_is_explained_in_vietnamese(client, pg):
    client.force_login(pg["reception"])
    response = receive_post(client, papers=["0"])
    assert response.status_code == 422
    assert "Hồ sơ còn thiếu giấy tờ bắt buộc: Giấy chứng sinh" in response.content.decode()
    assert not Dossier.objects.exists()


def test_citizen_fields_prefilled_from_the_id_card_qr(client, pg):
    client.force_login(pg["reception"])
    payload = (
        "001190012345||Nguyễn Thị Hương|08031990|Nữ|Số 5 Quang Trung, Hà Đông, Hà Nội|01062021"
    )
    html = client.post(
        "/can-bo/ho-so/tiep-nhan/", {"procedure": "1.001193", "qr": payload, "read_qr": "1"}
    ).content.decode()
    assert (
        'value="Nguyễn Thị Hương"' in html
        and 'value="001190012345"' in html
        and 'value="08/03/1990"' in html
    )
    assert not Dossier.objects.exists()
    bad = client.post(
        "/can-bo/ho-so/tiep-nhan/", {"procedure": "1.001193", "qr": "abc|def", "read_qr": "1"}
    )
    assert "không đúng định dạng" in bad.content.decode()


def test_citizen_prefilled_from_an_earlier_dossier(client, pg):
    CitizenFactory(id_number="001190054321", full_name="Phạm Thị Lan", phone="0987654321")
    client.force_login(pg["reception"])
    html = client.get(
        "/can-bo/ho-so/tiep-nhan/", {"thu_tuc": "1.001193", "citizen": "001190054321"}
    ).content.decode()
    assert 'value="Phạm Thị Lan"' in html and 'value="0987654321"' in html


def test_worklist_search_is_diacritics_insensitive_and_paginated_tabs_work(client, pg):
    client.force_login(pg["reception"])
    receive_post(client)
    dossier = Dossier.objects.get()
    html = client.get("/can-bo/ho-so/", {"q": "nguyen thi huong"}).content.decode()
    assert "Nguyễn Thị Hương" in html and dossier.code in html
    assert dossier.code not in client.get("/can-bo/ho-so/", {"q": "tran van b"}).content.decode()
    assert (
        dossier.code in client.get("/can-bo/ho-so/", {"id_number": "001190012345"}).content.decode()
    )
    assert dossier.code in client.get("/can-bo/ho-so/", {"q": dossier.code}).content.decode()
    assert (
        dossier.code in client.get("/can-bo/ho-so/", {"ds": "mine"}).content.decode()
    )  # reception holds it
    assert dossier.code not in client.get("/can-bo/ho-so/", {"ds": "ready"}).content.decode()


def test_worklist_badges_due_soon_and_overdue(client, pg):
    client.force_login(pg["reception"])
    receive_post(client)
    dossier = Dossier.objects.get()
    clock.set_frozen(
        clock.local(dossier.due_at).replace(hour=8, minute=0)
    )  # the morning of the due day
    html = client.get("/can-bo/ho-so/", {"ds": "due_soon"}).content.decode()
    assert dossier.code in html and "Sắp đến hạn" in html
    clock.set_frozen(dossier.due_at.replace(year=dossier.due_at.year + 1))
    html = client.get("/can-bo/ho-so/", {"ds": "overdue"}).content.decode()
    assert dossier.code in html and 'class="badge late">Quá hạn' in html


def test_official_of_another_unit_cannot_see_the_dossier(client, pg):
    client.force_login(pg["reception"])
    receive_post(client)
    code = Dossier.objects.get().code
    client.force_login(pg["stranger"])
    assert client.get(f"/can-bo/ho-so/{code}/").status_code == 404
    assert client.get(f"/can-bo/ho-so/{code}/mau/01.pdf").status_code == 404
    assert (
        client.post(
            f"/can-bo/ho-so/{code}/thao-tac/", {"action": "withdraw", "note": "x"}
        ).status_code
        == 404
    )
    html = client.get("/can-bo/ho-so/", {"q": "nguyen thi huong"}).content.decode()
    assert f'href="/can-bo/ho-so/{code}/"' not in html and "Không có hồ sơ." in html
    # and cannot receive for a unit where they have no role
    client.force_login(pg["specialist"])
    assert client.get("/can-bo/ho-so/tiep-nhan/").status_code == 403


def test_actions_move_the_dossier_and_refusals_are_shown(client, pg):
    client.force_login(pg["reception"])
    receive_post(client)
    dossier = Dossier.objects.get()
    url = f"/can-bo/ho-so/{dossier.code}/"
    html = client.get(url).content.decode()
    assert "Chuyển xử lý" in html and "Đỗ Minh Chuyên" in html
    response = client.post(url + "thao-tac/", {"action": "return"}, follow=True)
    assert (
        "Không thể thực hiện «Trả kết quả» khi hồ sơ ở trạng thái «Đã tiếp nhận»"
        in response.content.decode()
    )
    response = client.post(
        url + "thao-tac/", {"action": "assign", "to_user": pg["specialist"].pk}, follow=True
    )
    assert "Trạng thái hồ sơ: Đang xử lý" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == 4 and dossier.holder == pg["specialist"]


def test_form_01_pdf_and_ledger(client, pg):
    client.force_login(pg["reception"])
    receive_post(client)
    code = Dossier.objects.get().code
    response = client.get(f"/can-bo/ho-so/{code}/mau/01.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert client.get(f"/can-bo/ho-so/{code}/mau/99.pdf").status_code == 404
    # form 03 before any refusal: back to the dossier with an explanation
    response = client.get(f"/can-bo/ho-so/{code}/mau/03.pdf", follow=True)
    assert "chưa in được biểu mẫu này" in response.content.decode()
    ledger = {"unit": pg["ward"].pk, "date_from": "2026-11-01", "date_to": "2026-11-30"}
    assert code in client.get("/can-bo/ho-so/so-theo-doi/", ledger).content.decode()
    pdf = client.get("/can-bo/ho-so/so-theo-doi/", {**ledger, "pdf": "1"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_search_pages_with_a_keyset_cursor_and_htmx_returns_only_the_table(client, pg, monkeypatch):
    from motcua.dossiers import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client.force_login(pg["reception"])
    for minute in (15, 20, 25):
        clock.set_frozen(datetime(2026, 11, 17, 9, minute))
        assert receive_post(client).status_code == 302
    codes = list(Dossier.objects.order_by("-received_at").values_list("code", flat=True))
    first = results(client.get("/can-bo/ho-so/", {"name": "nguyen thi huong"}))
    assert codes[0] in first and codes[1] in first and codes[2] not in first
    next_url = first.split('<a href="?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert "sau=" in next_url
    second = results(client.get("/can-bo/ho-so/?" + next_url))
    assert codes[2] in second and codes[0] not in second
    partial = client.get(
        "/can-bo/ho-so/", {"q": "nguyen"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="worklist-results"
    ).content.decode()
    assert "<html" not in partial and codes[0] in partial


def test_apology_letter_from_the_dossier_page(client, pg):
    # Issue 8 A1: the letter is signed in the name of the head of the agency, so reception no
    # longer issues it; the new date is shown beside the legal due moment, which does not move.
    client.force_login(pg["reception"])
    receive_post(client)
    dossier = Dossier.objects.get()
    url = f"/can-bo/ho-so/{dossier.code}/"
    assert "Xin lỗi và hẹn lại ngày trả" not in client.get(url).content.decode()
    leader = UserFactory(username="ld-page", full_name="Phạm Thị Lãnh", title="Chủ tịch")
    StaffRoleFactory(user=leader, unit=pg["ward"], role=Role.LEADER)
    client.force_login(leader)
    assert "Xin lỗi và hẹn lại ngày trả" in client.get(url).content.decode()
    legal_due = dossier.due_at
    response = client.post(
        url + "thao-tac/",
        {"action": "extend", "note": "Cần xác minh tại nơi cư trú", "new_date": "2026-12-04"},
        follow=True,
    )
    html = response.content.decode()
    assert "Thư xin lỗi, hẹn lại (mẫu 04)" in html and "Cần xác minh tại nơi cư trú" in html
    assert 'id="due-appointment"' in html and "04/12/2026" in html
    assert clock.local(legal_due).strftime("%d/%m/%Y") in html
    dossier.refresh_from_db()
    assert dossier.due_at == legal_due
    assert clock.local(dossier.appointment_at).date().isoformat() == "2026-12-04"
    pdf = client.get(url + "mau/04.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_reception_from_a_queue_ticket_prefills_the_citizen_and_keeps_the_number(client, pg):
    from factories import OfficeFactory
    from motcua.queueing.models import Service, Ticket

    citizen = CitizenFactory(id_number="001190054321", full_name="Phạm Thị Lan", phone="0987654321")
    office = OfficeFactory(unit=pg["ward"])
    service = Service.objects.create(office=office, code="A", name="Hộ tịch")
    now = clock.now()
    ticket = Ticket.objects.create(
        office=office, service=service, service_date=now.date(), number=15, display="A015",
        citizen=citizen, method="qr", issued_at=now, waiting_since=now,
    )  # fmt: skip
    client.force_login(pg["reception"])
    html = client.get(
        "/can-bo/ho-so/tiep-nhan/", {"thu_tuc": "1.001193", "ticket": ticket.pk}
    ).content.decode()
    assert 'value="Phạm Thị Lan"' in html and "Số thứ tự: <strong>A015</strong>" in html
    data = {"procedure": "1.001193", "channel": "direct", "papers": ["0", "1"], "fees_due": "8000"}
    data.update(id_number="001190054321", full_name="Phạm Thị Lan", ticket="A015")
    assert client.post("/can-bo/ho-so/tiep-nhan/", data).status_code == 302
    assert Dossier.objects.get().ticket == "A015"
    # a ticket of another unit's office prefills nothing
    client.force_login(pg["stranger"])
    html = client.get(
        "/can-bo/ho-so/tiep-nhan/", {"thu_tuc": "1.001193", "ticket": ticket.pk}
    ).content.decode()
    assert "Phạm Thị Lan" not in html
