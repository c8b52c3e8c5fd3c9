"""Paper documents registered at the desk with their scan; documents published on the portal
("Gửi nhận văn bản", "Công khai minh bạch"), searched with or without diacritics, without JS."""

from __future__ import annotations

from datetime import date

import pytest
from correspondence_helpers import pdf_bytes
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.core.errors import Conflict, PermissionDenied
from motcua.correspondence import services
from motcua.correspondence.models import Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def test_a_paper_document_is_registered_at_once_with_its_scan(two_wards, client, media):
    w = two_wards
    client.force_login(w.a_reception)
    page = client.get("/can-bo/van-ban/van-ban-giay/")
    assert page.status_code == 200 and "Bản quét văn bản giấy" in page.content.decode()
    r = client.post(
        "/can-bo/van-ban/van-ban-giay/",
        {
            "issuer_name": "Tòa án nhân dân quận Hà Đông",
            "number_notation": "215/TB-TA",
            "doc_type": "TB",
            "issued_on": "2026-11-16",
            "summary": "Thông báo thụ lý vụ án",
            "urgency": "normal",
            "secrecy": "normal",
            "scan": SimpleUploadedFile("quet.pdf", pdf_bytes(), "application/pdf"),
        },
    )
    doc = Document.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/can-bo/van-ban/{doc.pk}/"
    assert (doc.received_via, doc.status, doc.number) == ("paper", "registered", 1)
    assert doc.files.get().content_type == "application/pdf"
    detail = client.get(r["Location"]).content.decode()
    assert "Văn bản giấy" in detail and "Trả lại văn bản" not in detail
    # A paper document cannot be "refused" through the system: it is already in the register.
    with pytest.raises(Conflict):
        services.incoming_refuse(document=doc, actor=w.a_reception, reason="x")
    client.force_login(w.a_specialist)
    assert client.get("/can-bo/van-ban/van-ban-giay/").status_code == 403
    # A date in the future is refused with a message on the page.
    client.force_login(w.a_reception)
    r = client.post(
        "/can-bo/van-ban/van-ban-giay/",
        {
            "issuer_name": "X",
            "number_notation": "1/X",
            "doc_type": "CV",
            "issued_on": "2027-01-01",
            "summary": "x",
            "urgency": "normal",
            "secrecy": "normal",
        },
    )
    assert "Ngày ban hành không được sau hôm nay." in r.content.decode()


def _issue(w, summary, *, secrecy="normal", doc_type="CT"):  # type: ignore[no-untyped-def]
    return services.document_create(
        unit=w.a,
        actor=w.a_reception,
        doc_type=doc_type,
        summary=summary,
        signer_name="Nguyễn Văn Hùng",
        secrecy=secrecy,
        files=[services.Upload("ct.pdf", pdf_bytes(), True)],
    )


def test_published_documents_on_the_portal(two_wards, client, media):
    w = two_wards
    directive = _issue(w, "Chỉ thị tăng cường kỷ luật, kỷ cương hành chính")
    secret = _issue(w, "Chỉ thị mật về công tác bảo vệ", secrecy="confidential")
    hidden = _issue(w, "Chỉ thị chưa công khai")
    with pytest.raises(PermissionDenied):
        services.document_publish(document=directive, actor=w.a_reception)
    with pytest.raises(Conflict):
        services.document_publish(document=secret, actor=w.a_leader)
    services.document_publish(document=directive, actor=w.a_leader)
    listing = client.get("/van-ban/", {"q": "tang cuong ky luat"}).content.decode()
    assert directive.number_notation in listing and "Chỉ thị tăng cường" in listing
    assert "chưa công khai" not in client.get("/van-ban/").content.decode()
    assert client.get(f"/van-ban/{hidden.pk}/").status_code == 404
    assert client.get(f"/van-ban/{secret.pk}/").status_code == 404
    assert "Không có văn bản nào" in client.get("/van-ban/", {"q": "khong co"}).content.decode()
    assert client.get("/van-ban/", {"loai": "QD"}).content.decode().count("<tbody>") == 0
    detail = client.get(f"/van-ban/{directive.pk}/")
    assert detail.status_code == 200 and "Nguyễn Văn Hùng" in detail.content.decode()
    f = directive.files.get()
    assert client.get(f"/van-ban/{directive.pk}/tep/{f.pk}/").status_code == 200
    # No script is needed: the search is a plain GET form.
    assert "<script" not in listing.split("</header>", 1)[1].split("<footer", 1)[0]
    # Recalled documents leave the portal.
    services.document_send(document=directive, to=[w.b.code], actor=w.a_reception)
    services.document_recall(document=directive, actor=w.a_leader, reason="Ban hành lại")
    assert client.get(f"/van-ban/{directive.pk}/").status_code == 404
    assert date.today()  # (dates shown dd/mm/yyyy are checked on the page tests)


def test_refuse_recall_and_publish_from_the_pages(two_wards, client, media):
    w = two_wards
    doc = _issue(w, "Công văn gửi nhầm", doc_type="CV")
    services.document_send(document=doc, to=[w.b.code], actor=w.a_reception)
    incoming = Document.objects.get(direction="in")
    client.force_login(w.b_reception)
    page = client.get(f"/can-bo/van-ban/{incoming.pk}/").content.decode()
    assert "Trả lại văn bản" in page
    r = client.post(f"/can-bo/van-ban/{incoming.pk}/tra-lai/", {"reason": ""}, follow=True)
    assert "Cần ghi lý do trả lại văn bản." in r.content.decode()
    client.post(f"/can-bo/van-ban/{incoming.pk}/tra-lai/", {"reason": "Không đúng thẩm quyền"})
    incoming.refresh_from_db()
    assert incoming.status == "refused"
    client.force_login(w.a_reception)
    sender_page = client.get(f"/can-bo/van-ban/{doc.pk}/").content.decode()
    assert "Bị trả lại" in sender_page and "Không đúng thẩm quyền" in sender_page
    assert "Từ chối tiếp nhận" in sender_page  # the status history
    second = _issue(w, "Thông báo lịch tiếp công dân", doc_type="TB")
    services.document_send(document=second, to=[w.b.code], actor=w.a_reception)
    client.post(f"/can-bo/van-ban/{second.pk}/thu-hoi/", {"reason": "Sai ngày"})
    second.refresh_from_db()
    assert second.status == "recalled"
    third = _issue(w, "Thông báo công khai", doc_type="TB")
    client.force_login(w.a_leader)
    client.post(f"/can-bo/van-ban/{third.pk}/cong-khai/", {"cong_khai": "1"})
    third.refresh_from_db()
    assert third.published_at is not None
    client.post(f"/can-bo/van-ban/{third.pk}/cong-khai/", {"cong_khai": "0"})
    third.refresh_from_db()
    assert third.published_at is None


def test_replying_to_an_arrival_from_its_page(two_wards, client, media):
    w = two_wards
    doc = _issue(w, "Đề nghị xác minh", doc_type="CV")
    services.document_send(document=doc, to=[w.b.code], actor=w.a_reception)
    incoming = Document.objects.get(direction="in")
    services.incoming_register(document=incoming, actor=w.b_reception)
    client.force_login(w.b_reception)
    form = client.get(f"/can-bo/van-ban/moi/?tra-loi={incoming.pk}").content.decode()
    assert "V/v trả lời Văn bản số 01/UBND" in form
    r = client.post(
        "/can-bo/van-ban/moi/",
        {
            "tra_loi": str(incoming.pk),
            "doc_type": "CV",
            "summary": "Trả lời đề nghị xác minh",
            "signer_name": "Cán bộ B",
            "urgency": "normal",
            "secrecy": "normal",
        },
    )
    reply = Document.objects.get(unit=w.b, direction="out")
    assert r.status_code == 302 and reply.response_for == incoming
    assert reply.response_for_code == "01/UBND"


def test_arrivals_left_unregistered_past_the_next_working_day_are_flagged(
    two_wards, client, media, freeze
):
    from datetime import datetime

    from motcua.core import clock

    w = two_wards
    freeze(datetime(2026, 11, 13, 9, 0, tzinfo=clock.VN_TZ))  # Friday
    doc = _issue(w, "Công văn thường", doc_type="CV")
    services.document_send(document=doc, to=[w.b.code], actor=w.a_reception)
    client.force_login(w.b_reception)
    freeze(datetime(2026, 11, 16, 16, 0, tzinfo=clock.VN_TZ))  # Monday: the next working day
    assert "Chậm vào sổ" not in client.get("/can-bo/van-ban/?so=den").content.decode()
    freeze(datetime(2026, 11, 17, 8, 0, tzinfo=clock.VN_TZ))  # Tuesday: late
    assert "Chậm vào sổ" in client.get("/can-bo/van-ban/?so=den").content.decode()
