"""Issue 9 point 10: oversized bodies refused before they are read; scans checked whole;
downloads served as attachments with their checked type."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from dossiers_helpers import CITIZEN, image_bytes, pdf_bytes

from motcua.core.errors import ValidationFailed
from motcua.dossiers.scans import scan_check
from motcua.dossiers.services import attachment_add, dossier_receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier(office, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    return dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen=CITIZEN,
        unit=office.ward,
        actor=office.tiepnhan,
    )


def refused(content: bytes) -> str:
    with pytest.raises(ValidationFailed) as exc:
        scan_check(content)
    assert exc.value.message
    return exc.value.code


def test_real_scans_pass():
    assert scan_check(pdf_bytes()) == ("application/pdf", "pdf")
    assert scan_check(image_bytes("PNG")) == ("image/png", "png")
    assert scan_check(image_bytes("JPEG")) == ("image/jpeg", "jpg")


def test_pdfs_with_active_content_are_refused():
    assert refused(pdf_bytes(javascript="app.alert('x')")) == "pdf_active_content"
    assert refused(pdf_bytes(open_action=True)) == "pdf_active_content"
    assert refused(pdf_bytes(embed=True)) == "pdf_active_content"
    # A name written with hex escapes (/J#61vaScript) is still JavaScript to the parser.
    sneaky = (
        pdf_bytes(javascript="app.alert(1)")
        .replace(b"/JavaScript", b"/J#61vaScript")
        .replace(b"/JS", b"/J#53")
    )
    assert b"/JavaScript" not in sneaky and b"/JS" not in sneaky  # a byte scan would miss it
    assert refused(sneaky) == "pdf_active_content"


def test_things_that_only_start_like_a_scan_are_refused():
    assert refused(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n") == "pdf_invalid"
    assert refused(b"%PDF-" + b"\x00" * 2000) == "pdf_invalid"
    assert refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20) == "image_invalid"
    assert refused(image_bytes("JPEG")[:200]) == "image_invalid"  # truncated
    assert refused(b"MZ\x90\x00 an executable") == "file_type"
    assert refused(b"<svg onload=alert(1)>") == "file_type"


def test_an_image_claiming_a_huge_canvas_is_refused_before_decoding():
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 Mpx in a small file
    assert len(out.getvalue()) < 200_000
    assert refused(out.getvalue()) == "image_too_large"


def test_attachment_refused_keeps_nothing(dossier):
    with pytest.raises(ValidationFailed):
        attachment_add(
            dossier=dossier, content=pdf_bytes(javascript="x"), filename="a.pdf", actor=None
        )
    assert not dossier.attachments.exists()


def test_downloads_are_attachments_with_the_checked_type(client, office, dossier):
    att = attachment_add(
        dossier=dossier, content=image_bytes("PNG"), filename="scan.html", actor=None
    )
    client.force_login(office.tiepnhan)
    r = client.get(f"/can-bo/ho-so/{dossier.code}/dinh-kem/{att.pk}/")
    assert r.status_code == 200
    assert r["Content-Type"] == "image/png"
    assert r["Content-Disposition"].startswith("attachment;")
    assert r["X-Content-Type-Options"] == "nosniff"
    assert b"".join(r.streaming_content) == image_bytes("PNG")


def test_a_body_over_the_cap_is_refused_from_its_length_alone(client, office, settings):
    settings.MOTCUA = {**settings.MOTCUA, "MAX_REQUEST_BYTES": 1000}
    r = client.post(
        "/api/v1/dossiers",
        data=b"{}",
        content_type="application/json",
        CONTENT_LENGTH="50000000",
    )
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    client.force_login(office.tiepnhan)
    page = client.post(
        "/can-bo/ho-so/tiep-nhan/",
        {"scans": SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * 5000, "application/pdf")},
    )
    assert page.status_code == 413 and "vượt quá dung lượng" in page.content.decode()
