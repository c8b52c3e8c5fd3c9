"""edXML: packages we write pass our schema and read back equal; bad packages are refused whole."""

from __future__ import annotations

import base64
from datetime import date, datetime

import pytest
from correspondence_helpers import pdf_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from motcua.core import clock
from motcua.correspondence import edxml, services
from motcua.correspondence.models import Document, DocumentFile, InboundPackage, Partner
from motcua.correspondence.rules import DOC_TYPES

NOW = datetime(2026, 11, 17, 9, 30, tzinfo=clock.VN_TZ)
KEY = "khoa-truc-lien-thong-thu"

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=80
).filter(lambda s: s.strip() == s and s)
organ = st.builds(
    edxml.Organ,
    code=st.from_regex(r"[A-Z0-9.]{1,20}", fullmatch=True),
    name=text,
)
packages = st.builds(
    edxml.Package,
    sender=organ,
    recipients=st.lists(organ, min_size=1, max_size=3).map(tuple),
    number=st.integers(min_value=1, max_value=99999),
    notation=st.sampled_from(["QĐ-UBND", "UBND-VP", "TTr-CAH", "BC-BHXH"]),
    issued_on=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    place=st.just("") | text,
    doc_type=st.sampled_from([t.code for t in DOC_TYPES]),
    type_name=text,
    subject=text,
    signer_name=text,
    signer_title=st.just("") | text,
    signer_competence=st.just("") | st.sampled_from(["TM.", "KT.", "Q."]),
    urgency=st.sampled_from(list(edxml.PRIORITY)),
    secrecy=st.sampled_from(list(edxml.SECURITY)),
    to_places=st.lists(text, max_size=3).map(tuple),
    document_id=st.just("") | st.from_regex(r"[a-z0-9:]{1,30}", fullmatch=True),
    attachments=st.lists(
        st.builds(
            edxml.Attachment,
            name=text,
            content_type=st.just("application/pdf"),
            content=st.binary(min_size=1, max_size=200),
            main=st.booleans(),
        ),
        max_size=3,
    ).map(tuple),
    response_for=st.lists(
        st.builds(
            edxml.ResponseFor,
            organ=st.from_regex(r"[A-Z0-9.]{1,20}", fullmatch=True),
            code=st.sampled_from(["05/UBND-VP", "131/CAQ-QLHC", "7/TB-CAH"]),
            issued_on=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
            document_id=st.just("") | st.from_regex(r"[A-Z0-9.,/]{1,40}", fullmatch=True),
        ),
        max_size=2,
    ).map(tuple),
)
statuses = st.builds(
    edxml.StatusPackage,
    sender=organ,
    about=st.builds(
        edxml.ResponseFor,
        organ=st.from_regex(r"[A-Z0-9.]{1,20}", fullmatch=True),
        code=st.sampled_from(["05/UBND-VP", "131/CAQ-QLHC"]),
        issued_on=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
        document_id=st.just(""),
    ),
    code=st.sampled_from(list(edxml.STATUS_LABELS)),
    description=st.just("") | text,
    at=st.just(NOW),
    staff=st.just("") | text,
    department=st.just("") | text,
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(statuses)
def test_status_packages_we_write_pass_the_schema_and_read_back_equal(status):
    data = edxml.write_status(status)
    assert edxml.schema().validate(etree.fromstring(data))
    assert edxml.read_status(data) == status


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(packages)
def test_what_we_write_passes_the_schema_and_reads_back_equal(pkg):
    data = edxml.write(pkg, now=NOW)
    assert edxml.schema().validate(etree.fromstring(data))
    assert edxml.read(data) == pkg


@pytest.fixture
def inbox(settings, two_wards, tmp_path):  # type: ignore[no-untyped-def]
    settings.MOTCUA = {**settings.MOTCUA, "EXCHANGE_INBOX_KEY": KEY, "EDXML_MAX_BYTES": 200_000}
    settings.MEDIA_ROOT = tmp_path
    return two_wards


def police_package(to: str = "000.00.22.H26", **kw) -> bytes:  # type: ignore[no-untyped-def]
    fields = {
        "sender": edxml.Organ("G01.H26.CAH", "Công an quận Hà Đông"),
        "recipients": (edxml.Organ(to, "UBND phường Kiến Hưng"),),
        "number": 7,
        "notation": "CAH-QLHC",
        "issued_on": date(2026, 11, 16),
        "place": "Hà Đông",
        "doc_type": "CV",
        "type_name": "Công văn",
        "subject": "Về việc trả lời xác minh thông tin cư trú",
        "signer_name": "Lê Minh Tuấn",
        "signer_title": "Trưởng Công an quận",
        "signer_competence": "",
        "urgency": "urgent",
        "secrecy": "normal",
        "attachments": (edxml.Attachment("tra-loi.pdf", "application/pdf", pdf_bytes(), True),),
    }
    fields.update(kw)
    return edxml.write(edxml.Package(**fields), now=NOW)


def post(client, data: bytes, key: str = KEY):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/exchange/inbox", data, content_type="application/xml", HTTP_X_EXCHANGE_KEY=key
    )


@pytest.mark.django_db
def test_a_package_from_the_platform_is_registered_once(client, inbox):
    data = police_package()
    r = post(client, data)
    assert r.status_code == 200, r.content
    [doc] = r.json()["registered"]
    assert doc["unit"] == "26882" and doc["status"] == "arrived"
    assert doc["number_notation"] == "07/CAH-QLHC" and doc["urgency"] == "urgent"
    assert doc["files"][0]["main"] and doc["issuer_name"] == "Công an quận Hà Đông"
    assert post(client, data).json()["registered"][0]["id"] == doc["id"]  # a replay
    assert Document.objects.count() == 1 and InboundPackage.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"<edXML:edXMLEnvelope xmlns:edXML='x'><unclosed>", 422, "edxml_malformed"),
        (b"", 422, "edxml_empty"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', 422, "edxml_doctype"),
        (
            b'<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>',
            422,
            "edxml_schema",
        ),
        (b"<a>" + b"x" * 200_001 + b"</a>", 413, "edxml_too_large"),
    ],
)
def test_bad_packages_are_refused_with_a_reason_and_change_nothing(
    client, inbox, data, status, code
):
    r = post(client, data)
    assert r.status_code == status and r.json()["code"] == code, r.content
    assert r.json()["message"]
    assert not Document.objects.exists() and not InboundPackage.objects.exists()
    assert not DocumentFile.objects.exists()


@pytest.mark.django_db
def test_a_package_for_no_unit_of_ours_or_with_a_bad_file_is_refused(client, inbox):
    r = post(client, police_package(to="H99.NOWHERE"))
    assert r.status_code == 422 and r.json()["code"] == "edxml_no_recipient"
    bad = edxml.Attachment("x.pdf", "application/pdf", b"%PDF-1.4 not really", True)
    r = post(client, police_package(attachments=(bad,)))
    assert r.status_code == 422 and r.json()["code"] == "edxml_file_refused"
    tampered = police_package().replace(b"<edXML:Priority>1<", b"<edXML:Priority>9<")
    r = post(client, tampered)
    assert r.status_code == 422 and r.json()["code"] == "edxml_schema"
    assert not Document.objects.exists() and not InboundPackage.objects.exists()


@pytest.mark.django_db
def test_the_inbox_needs_the_platform_key(client, inbox, settings):
    assert post(client, police_package(), key="sai").status_code == 401
    settings.MOTCUA = {**settings.MOTCUA, "EXCHANGE_INBOX_KEY": ""}
    assert post(client, police_package(), key="").status_code == 401
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_our_package_of_a_sent_document_goes_round_the_exchange(client, inbox):
    """A document sent to an agency outside: our package validates, and reads back as the
    document; fed to our own inbox (as if the platform delivered it to one of our units) it
    registers the same document."""
    from motcua.core.services import api_token_issue

    w = inbox
    Partner.objects.create(code="G01.H26.CAH", name="Công an quận Hà Đông")
    doc = services.document_create(
        unit=w.a,
        actor=w.a_reception,
        doc_type="CV",
        drafter_abbr="TP",
        summary="Về việc đề nghị xác minh nơi thường trú",
        signer_name="Nguyễn Văn Hùng",
        secrecy="confidential",
        recipients="Công an quận Hà Đông\nLưu: VT",
        files=[services.Upload("cv.pdf", pdf_bytes(), True)],
    )
    [dispatch] = services.document_send(document=doc, to=["G01.H26.CAH"], actor=w.a_reception)
    assert dispatch.channel == "edxml" and dispatch.state == "queued"
    r = client.get(
        f"/api/v1/documents/{doc.pk}/edxml",
        HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=w.a_reception)}",
    )
    assert r.status_code == 200 and r["Content-Type"].startswith("application/xml")
    pkg = edxml.read(r.content)
    assert (pkg.number, pkg.notation, pkg.doc_type) == (1, "UBND-TP", "CV")
    assert pkg.sender == edxml.Organ(doc.issuer_code, "Phường Hà Đông")
    assert pkg.recipients == (edxml.Organ("G01.H26.CAH", "Công an quận Hà Đông"),)
    assert (pkg.subject, pkg.signer_name, pkg.secrecy) == (
        doc.summary,
        doc.signer_name,
        "confidential",
    )
    assert pkg.to_places == ("Công an quận Hà Đông", "Lưu: VT")
    assert base64.b64encode(pkg.attachments[0].content) == base64.b64encode(pdf_bytes())
    # the same package addressed to unit B instead
    rerouted = edxml.write(
        edxml.Package(**{**pkg.__dict__, "recipients": (edxml.Organ(w.b.code, w.b.name),)}), now=NOW
    )
    [arrived] = post(client, rerouted).json()["registered"]
    assert (
        arrived["number_notation"] == doc.number_notation and arrived["secrecy"] == "confidential"
    )


@pytest.mark.django_db
def test_no_package_for_a_document_not_sent(client, two_wards):
    from motcua.core.services import api_token_issue

    w = two_wards
    doc = services.document_create(
        unit=w.a, actor=w.a_reception, doc_type="TB", summary="X", signer_name="A"
    )
    r = client.get(
        f"/api/v1/documents/{doc.pk}/edxml",
        HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=w.a_reception)}",
    )
    assert r.status_code == 409 and r.json()["code"] == "not_sent"
