"""The receipt as XML data with an XML digital signature (XML-DSig, enveloped, RSA-SHA256).

The agency signs with its certificate: production loads the private key and certificate from
the files named by RECEIPT_SIGNING_KEY and RECEIPT_SIGNING_CERT (PEM; environment or
settings.MOTCUA); the demo uses a test certificate made by `motcua receipts-certificate`,
stored under var/receipt-signing/ by default.

The XML is signed once, when the receipt is issued (`receipt_sign_at_issue`), stored on the
receipt and served as stored: what was issued is what is served (Decree 254/2026/NĐ-CP
Art. 5(1)-(2): e-documents kept safe and whole as data messages, ready to be printed or looked
up). A cancellation does not touch it; it is a later fact recorded beside the receipt.

The element names follow the receipt's printed fields. The tax authority's current XML data
standard (the Tax Department's 2025 decision on the XML components of invoices and documents
that followed Decision 1510/QĐ-TCT) could not be read on this machine, so this is our own
schema (namespace below), not the authority's; see STATUS.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path
from typing import Any

from django.conf import settings

from motcua.core import clock
from motcua.core.errors import ValidationFailed

NAMESPACE = "urn:motcua:bien-lai-phi-le-phi:1"
C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


def _setting(name: str) -> str:
    value = getattr(settings, "MOTCUA", {}).get(name) or os.environ.get(name, "")
    return str(value)


def default_dir() -> Path:
    return Path(settings.MEDIA_ROOT).parent / "receipt-signing"


def signing_paths() -> tuple[Path, Path]:
    key = _setting("RECEIPT_SIGNING_KEY") or str(default_dir() / "key.pem")
    cert = _setting("RECEIPT_SIGNING_CERT") or str(default_dir() / "cert.pem")
    return Path(key), Path(cert)


def signing_material() -> tuple[bytes, bytes]:
    key, cert = signing_paths()
    try:
        return key.read_bytes(), cert.read_bytes()
    except OSError as exc:
        raise ValidationFailed(
            "Chưa có chứng thư số để ký biên lai điện tử: quản trị viên cần cấu hình "
            "RECEIPT_SIGNING_KEY và RECEIPT_SIGNING_CERT (bản trình diễn: chạy "
            "«motcua receipts-certificate»).",
            code="signing_certificate_missing",
        ) from exc


def create_test_certificate(
    directory: Path, *, agency: str = "Đơn vị thu phí (thử nghiệm)", days: int = 730
) -> tuple[Path, Path]:
    """A self-signed RSA-2048 certificate for the demo (never for production)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, "Chứng thư thử nghiệm ký biên lai – motcua"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / "key.pem", directory / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(key_path, 0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def ensure_test_certificate() -> str:
    """The demo's certificate: made once when no signing files are configured or present."""
    key, cert = signing_paths()
    if key.exists() and cert.exists():
        return "có sẵn"
    if _setting("RECEIPT_SIGNING_KEY") or _setting("RECEIPT_SIGNING_CERT"):
        return "đã cấu hình nhưng thiếu tệp"
    create_test_certificate(default_dir())
    return "đã tạo chứng thư thử nghiệm"


def _el(parent: Any, tag: str, text: Any = None, **attrs: str) -> Any:
    from lxml import etree

    node = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", **attrs)
    if text is not None:
        node.text = str(text)
    return node


def receipt_tree(receipt: Any, *, payer_id: str) -> Any:
    """The receipt's data as an XML tree (unsigned)."""
    from lxml import etree

    root = etree.Element(f"{{{NAMESPACE}}}BienLai", nsmap={None: NAMESPACE})
    head = _el(root, "ThongTinChung")
    _el(head, "MauSo", receipt.series.template_number)
    _el(head, "KyHieu", receipt.series.symbol)
    _el(head, "So", receipt.number_display)
    _el(head, "NgayLap", clock.local(receipt.issued_at).isoformat())
    _el(head, "HinhThucThanhToan", receipt.get_method_display(), ma=receipt.method)
    _el(head, "MaTraCuu", receipt.public_id)
    agency = _el(root, "DonViThu")
    _el(agency, "Ten", receipt.agency_name)
    if receipt.series.tax_code:
        _el(agency, "MaSoThue", receipt.series.tax_code)
    payer = _el(root, "NguoiNop")
    _el(payer, "HoTen", receipt.payer_name)
    if payer_id:
        _el(payer, "SoDinhDanh", payer_id)
    if receipt.payer_address:
        _el(payer, "DiaChi", receipt.payer_address)
    dossier = _el(root, "HoSo")
    _el(dossier, "Ma", receipt.dossier.code)
    _el(dossier, "ThuTuc", receipt.dossier.procedure_version.name)
    lines = _el(root, "CacKhoanThu")
    for i, line in enumerate(receipt.lines, 1):
        item = _el(lines, "Khoan", stt=str(i))
        _el(item, "Ten", line.get("name", ""))
        _el(item, "Loai", line.get("kind_label", ""), ma=str(line.get("kind", "")))
        _el(item, "SoTien", int(line.get("amount", 0)))
    _el(root, "TongTien", int(receipt.amount), donVi="VND")
    _el(root, "TongTienBangChu", receipt.amount_in_words)
    state = _el(root, "TrangThai", "Đã hủy" if receipt.cancelled_at else "Hợp lệ")
    if receipt.cancelled_at:
        state.set("ngayHuy", clock.local(receipt.cancelled_at).isoformat())
        _el(root, "LyDoHuy", receipt.cancel_reason)
    if receipt.replaces_id:
        old = receipt.replaces
        _el(root, "ThayTheBienLai", f"{old.series.symbol} {old.number_display}")
    return root


@functools.lru_cache(maxsize=4)
def _private_key(pem: bytes) -> Any:
    """The parsed private key, kept: loading checks the RSA key (~80 ms), signing takes ~2 ms,
    and receipts are signed while the series' counter is locked."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(pem, password=None)


def receipt_xml(
    receipt: Any, *, payer_id: str, material: tuple[bytes, bytes] | None = None
) -> bytes:
    """Sign a receipt's XML now (enveloped XML-DSig with the agency's certificate)."""
    from lxml import etree
    from signxml import XMLSigner, methods

    pem, cert = material or signing_material()
    try:
        key = _private_key(pem)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(
            "Khóa ký biên lai điện tử không đọc được (cần khóa riêng PEM không đặt mật khẩu).",
            code="signing_certificate_missing",
        ) from exc
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm="rsa-sha256",
        digest_algorithm="sha256",
        c14n_algorithm=C14N,
    )
    signed = signer.sign(receipt_tree(receipt, payer_id=payer_id), key=key, cert=cert.decode())
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def receipt_sign_at_issue(receipt: Any) -> dict[str, str]:
    """The fields to store on a receipt being issued: its signed XML and the public copy.

    Raises ValidationFailed (signing_certificate_missing) when the agency's certificate is not
    there: an e-receipt is not issued unsigned.
    """
    import hashlib

    from motcua.payments.documents import masked_id

    material = signing_material()
    full = receipt_xml(receipt, payer_id=receipt.payer_id_number, material=material)
    public = receipt_xml(receipt, payer_id=masked_id(receipt.payer_id_number), material=material)
    return {
        "signed_xml": full.decode("utf-8"),
        "public_xml": public.decode("utf-8"),
        "xml_sha256": hashlib.sha256(full).hexdigest(),
    }


def stored_xml(receipt: Any, *, public: bool) -> bytes:
    """The XML as issued (staff: whole; the public handle: the masked copy).

    Receipts issued before the XML was stored at issue are signed once, on first request, and
    kept from then on.
    """
    if not receipt.signed_xml:
        from django.db import transaction

        from motcua.payments.models import Receipt

        with transaction.atomic():
            locked = Receipt.objects.select_for_update().get(pk=receipt.pk)
            if not locked.signed_xml:
                for name, value in receipt_sign_at_issue(locked).items():
                    setattr(locked, name, value)
                locked.save(update_fields=["signed_xml", "public_xml", "xml_sha256"])
            receipt = locked
    return (receipt.public_xml if public else receipt.signed_xml).encode("utf-8")
