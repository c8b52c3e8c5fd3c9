"""Back-office pages /can-bo/van-ban/: issue, send, arrive, register, assign; who may do what."""

from __future__ import annotations

import pytest
from correspondence_helpers import pdf_bytes
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.correspondence.models import Dispatch, Document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def test_clerk_issues_sends_and_the_other_unit_registers_and_assigns(client, two_wards):
    w = two_wards
    client.force_login(w.a_reception)
    r = client.post(
        "/can-bo/van-ban/moi/",
        {
            "doc_type": "CV",
            "summary": "Về việc phối hợp xác minh nơi cư trú",
            "signer_name": "Nguyễn Văn Hùng",
            "signer_title": "Phó Chủ tịch",
            "urgency": "normal",
            "secrecy": "normal",
            "drafter_abbr": "VP",
            "pdf": SimpleUploadedFile("cv.pdf", pdf_bytes(), content_type="application/pdf"),
        },
    )
    doc = Document.objects.get(direction="out")
    assert r.status_code == 302 and r["Location"] == f"/can-bo/van-ban/{doc.pk}/"
    assert doc.number_notation == "01/UBND-VP" and doc.files.get().is_main
    page = client.get(r["Location"]).content.decode()
    assert "01/UBND-VP" in page and "Phường Kiến Hưng" in page  # the send form lists B
    client.post(f"/can-bo/van-ban/{doc.pk}/gui/", {"units": [w.b.code]})
    incoming = Dispatch.objects.get().incoming
    # A's clerk cannot see B's register, nor the file of B's copy
    assert client.get(f"/can-bo/van-ban/{incoming.pk}/").status_code == 404
    client.force_login(w.b_reception)
    listing = client.get("/can-bo/van-ban/?so=den&q=cu tru").content.decode()
    assert "01/UBND-VP" in listing and "Chờ vào sổ" in listing
    assert "Vào sổ, cấp số đến" in client.get(f"/can-bo/van-ban/{incoming.pk}/").content.decode()
    assert Dispatch.objects.get().state == "opened"
    client.post(f"/can-bo/van-ban/{incoming.pk}/vao-so/")
    client.post(
        f"/can-bo/van-ban/{incoming.pk}/phan-cong/",
        {"assignee": w.b_specialist.username, "due_on": "24/11/2026", "instruction": "Xác minh"},
    )
    incoming.refresh_from_db()
    assert (incoming.number, incoming.status, incoming.assignee) == (1, "assigned", w.b_specialist)
    f = incoming.files.get()
    assert client.get(f"/can-bo/van-ban/{incoming.pk}/tep/{f.pk}/").status_code == 200


def test_a_specialist_cannot_register(client, two_wards):
    w = two_wards
    from motcua.correspondence import services

    doc = services.document_create(
        unit=w.a, actor=w.a_reception, doc_type="TB", summary="Thông báo", signer_name="A"
    )
    [d] = services.document_send(document=doc, to=[w.b.code], actor=w.a_reception)
    client.force_login(w.b_specialist)
    page = client.get(f"/can-bo/van-ban/{d.incoming.pk}/").content.decode()
    assert "Vào sổ, cấp số đến" not in page
    r = client.post(f"/can-bo/van-ban/{d.incoming.pk}/vao-so/", follow=True)
    assert "không có quyền" in r.content.decode()
    d.incoming.refresh_from_db()
    assert d.incoming.number is None
