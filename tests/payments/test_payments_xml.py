"""The receipt XML signed with the agency's certificate, checked by two independent verifiers."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from payments_helpers import receive, vn

from motcua.core.services import api_token_issue
from motcua.payments import services
from motcua.payments.models import Method
from motcua.payments.xmlsign import create_test_certificate


@pytest.fixture(autouse=True)
def _day(freeze):
    freeze(vn(2026, 3, 10, 10, 0))


@pytest.fixture
def cert(tmp_path, settings):
    key, cert = create_test_certificate(tmp_path / "ks", agency="Phường Hà Đông")
    settings.MOTCUA = {
        **settings.MOTCUA,
        "RECEIPT_SIGNING_KEY": str(key),
        "RECEIPT_SIGNING_CERT": str(cert),
    }
    return cert


def _receipt(ward):
    d = receive(ward)
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    return services.payment_confirm(payment=p, actor=ward.tiepnhan)


def _xmlsec1(path, cert):
    return subprocess.run(
        ["xmlsec1", "--verify", "--pubkey-cert-pem", str(cert), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_signature_verified_by_xmlsec1_and_signxml_and_broken_by_one_byte(
    client, ward, cert, tmp_path
):
    from signxml import InvalidSignature, XMLVerifier

    r = _receipt(ward)
    token = api_token_issue(user=ward.tiepnhan)
    resp = client.get(f"/api/v1/receipts/{r.public_id}.xml", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/xml"
    data = resp.content
    text = data.decode()
    assert "<So>0000001</So>" in text and '<TongTien donVi="VND">31000</TongTien>' in text
    assert "Ba mươi mốt nghìn đồng" in text and "<SoDinhDanh>001085000000</SoDinhDanh>" in text
    cert_pem = cert.read_bytes()
    XMLVerifier().verify(data, x509_cert=cert_pem)  # signxml's verifier
    good = tmp_path / "good.xml"
    good.write_bytes(data)
    if shutil.which("xmlsec1"):
        result = _xmlsec1(good, cert)
        assert result.returncode == 0 and "OK" in result.stderr + result.stdout
    # One changed byte in the signed data: 31000 -> 31001.
    i = data.index(b">31000<") + 5
    bad_data = data[:i] + b"1" + data[i + 1 :]
    assert len(bad_data) == len(data) and bad_data != data
    with pytest.raises(InvalidSignature):
        XMLVerifier().verify(bad_data, x509_cert=cert_pem)
    if shutil.which("xmlsec1"):
        bad = tmp_path / "bad.xml"
        bad.write_bytes(bad_data)
        assert _xmlsec1(bad, cert).returncode != 0


def test_xml_is_signed_at_issue_and_served_as_issued(client, ward, cert, settings):
    """What is issued is what is served: the stored bytes, not a new signature; a cancellation
    does not touch them; the public copy (signed at the same moment) masks the ID number."""
    from motcua.payments.models import Receipt

    r = _receipt(ward)
    r.refresh_from_db()
    assert r.signed_xml.startswith("<?xml") and len(r.xml_sha256) == 64
    token = api_token_issue(user=ward.tiepnhan)
    staff = client.get(
        f"/api/v1/receipts/{r.public_id}.xml", HTTP_AUTHORIZATION=f"Bearer {token}"
    ).content
    public = client.get(f"/api/v1/receipts/{r.public_id}.xml").content
    assert staff == r.signed_xml.encode() and public == r.public_xml.encode()
    assert "<SoDinhDanh>********0000</SoDinhDanh>" in public.decode()
    assert "001085000000" not in public.decode()
    import hashlib

    assert hashlib.sha256(staff).hexdigest() == r.xml_sha256
    # A new certificate (or none) changes nothing already issued.
    settings.MOTCUA = {**settings.MOTCUA, "RECEIPT_SIGNING_KEY": "/nonexistent/key.pem"}
    again = client.get(f"/api/v1/receipts/{r.public_id}.xml", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert again.status_code == 200 and again.content == staff
    # The receipt itself is never edited.
    with pytest.raises(ValueError):
        r.payer_name = "Người khác"
        r.save()
    with pytest.raises(ValueError):
        Receipt.objects.get(pk=r.pk).save(update_fields=["amount"])
    # Without the certificate no receipt is issued (and the money is not recorded as taken).
    d = receive(ward, i=5)
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    from motcua.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.payment_confirm(payment=p, actor=ward.tiepnhan)
    assert exc.value.code == "signing_certificate_missing"
    p.refresh_from_db()
    assert p.status == "pending" and not p.receipts.exists()


def test_cancelled_receipt_keeps_its_issued_xml_and_the_replacement_names_it(client, ward, cert):
    from signxml import XMLVerifier

    r = _receipt(ward)
    r.refresh_from_db()
    issued = r.signed_xml
    new = services.receipt_cancel(receipt=r, actor=ward.lanhdao, reason="Sai tên", replace=True)
    r.refresh_from_db()
    assert r.cancelled_at is not None and r.signed_xml == issued
    new.refresh_from_db()
    assert f"<ThayTheBienLai>{r.series.symbol} {r.number_display}</ThayTheBienLai>" in (
        new.signed_xml
    )
    XMLVerifier().verify(new.signed_xml.encode(), x509_cert=cert.read_bytes())


def test_certificate_command(tmp_path):
    from django.core.management import call_command

    call_command("receipts_certificate", "--dir", str(tmp_path / "c"))
    assert (tmp_path / "c" / "cert.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
