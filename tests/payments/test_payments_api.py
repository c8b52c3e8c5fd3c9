"""The payments API: fees statement, paying cash and by VietQR, receipt PDF, cancelling, errors."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from django.core.cache import cache
from payments_helpers import receive, vn
from PIL import Image

from motcua.core.services import api_token_issue
from motcua.payments import vietqr
from motcua.payments.models import Payment, Receipt

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _day(freeze):
    freeze(vn(2026, 3, 10, 10, 0))


@pytest.fixture
def api(client, ward):
    cache.clear()

    def call(method, path, user=None, body=None, **extra):
        headers = {}
        if user is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {api_token_issue(user=getattr(ward, user))}"
        fn = getattr(client, method)
        if body is not None:
            return fn(
                f"/api/v1{path}", data=body, content_type="application/json", **headers, **extra
            )
        return fn(f"/api/v1{path}", **headers, **extra)

    return call


def test_fees_statement_for_staff_and_for_the_citizen(api, ward):
    d = receive(ward, copies=3)
    body = api("get", f"/dossiers/{d.code}/fees", "tiepnhan").json()
    assert body["total"] == 39000 and body["paid"] == 0 and body["outstanding"] == 39000
    assert [line["kind_label"] for line in body["lines"]] == ["Lệ phí", "Phí"]
    assert body["exemptions"] == []
    # The citizen: the last 4 digits of the ID number, as in the public lookup.
    assert api("get", f"/dossiers/{d.code}/fees?verify=0000").json()["total"] == 39000
    r = api("get", f"/dossiers/{d.code}/fees?verify=9999")
    assert r.status_code == 404 and r.json()["code"] == "dossier_not_found"
    # Another ward's official does not see it.
    assert api("get", f"/dossiers/{d.code}/fees", "tiepnhan_khac").status_code == 404


def test_cash_at_the_counter_then_pdf_receipt(api, ward):
    from pypdf import PdfReader

    d = receive(ward)
    r = api("post", f"/dossiers/{d.code}/payments", "tiepnhan", {"method": "cash", "key": "a"})
    assert r.status_code == 201, r.content
    pay = r.json()
    assert pay["amount"] == 31000 and pay["status"] == "pending" and "qr_payload" not in pay
    r = api("post", f"/payments/{pay['id']}/confirm", "tiepnhan", {})
    assert r.status_code == 200, r.content
    receipt = r.json()["receipt"]
    assert receipt["number"] == "0000001" and receipt["symbol"] == "HD-26E"
    assert receipt["amount_in_words"] == "Ba mươi mốt nghìn đồng"
    pdf = api("get", receipt["pdf_url"].removeprefix("/api/v1"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in (
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "01BLP0-001",
        "HD-26E",
        "0000001",
        "Nguyễn Thị Hoa 0",
        "Ba mươi mốt nghìn đồng",
        "31.000",
        d.code,
    ):
        assert expected in text, expected
    fees = api("get", f"/dossiers/{d.code}/fees", "tiepnhan").json()
    assert (fees["paid"], fees["outstanding"]) == (31000, 0)


def test_vietqr_payment_by_the_citizen_decodes_from_the_png(api, ward):
    d = receive(ward)
    r = api("post", f"/dossiers/{d.code}/payments", None, {"method": "vietqr", "verify": "0000"})
    assert r.status_code == 201, r.content
    pay = r.json()
    png = api("get", pay["qr_png_url"].removeprefix("/api/v1"))
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert [b.text for b in decoded] == [pay["qr_payload"]]
    qr = vietqr.parse(decoded[0].text)  # CRC checked
    assert (qr.amount, qr.purpose, qr.account) == (31000, d.code, "113366668888")


def test_citizen_cannot_open_a_cash_payment_or_confirm(api, ward):
    d = receive(ward)
    r = api("post", f"/dossiers/{d.code}/payments", None, {"method": "cash", "verify": "0000"})
    assert r.status_code == 403 and r.json()["code"] == "payment_forbidden"
    assert "quầy" in r.json()["message"]
    r = api("post", f"/dossiers/{d.code}/payments", None, {"method": "bitcoin", "verify": "0000"})
    assert r.status_code == 422 and r.json()["code"] == "payment_method_invalid"
    pay = api("post", f"/dossiers/{d.code}/payments", "tiepnhan", {"method": "cash"}).json()
    assert api("post", f"/payments/{pay['id']}/confirm", None, {}).status_code == 401


def test_idempotency_key_replays_the_payment(api, ward):
    d = receive(ward)
    headers = {"HTTP_IDEMPOTENCY_KEY": "pay-1"}
    a = api("post", f"/dossiers/{d.code}/payments", "tiepnhan", {"method": "cash"}, **headers)
    b = api("post", f"/dossiers/{d.code}/payments", "tiepnhan", {"method": "cash"}, **headers)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"] and b["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1


def test_cancel_and_replace_through_the_api(api, ward):
    d = receive(ward)
    pay = api("post", f"/dossiers/{d.code}/payments", "tiepnhan", {"method": "cash"}).json()
    receipt = api("post", f"/payments/{pay['id']}/confirm", "tiepnhan", {}).json()["receipt"]
    r = api("post", f"/receipts/{receipt['id']}/cancel", "tiepnhan", {"reason": "Sai"})
    assert r.status_code == 403 and r.json()["code"] == "payment_forbidden"
    r = api("post", f"/receipts/{receipt['id']}/cancel", "lanhdao", {"reason": "", "replace": True})
    assert r.status_code == 422 and r.json()["code"] == "cancel_reason_required"
    r = api(
        "post",
        f"/receipts/{receipt['id']}/cancel",
        "lanhdao",
        {"reason": "Sai địa chỉ người nộp", "replace": True},
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["cancelled"]["cancelled"] is True
    assert body["replacement"]["number"] == "0000002"
    assert body["replacement"]["replaces"] == receipt["id"]
    again = api("post", f"/receipts/{receipt['id']}/cancel", "lanhdao", {"reason": "x"})
    assert again.status_code == 409 and again.json()["code"] == "receipt_already_cancelled"
    assert Receipt.objects.filter(cancelled_at__isnull=True).count() == 1
    assert api("get", "/receipts/khong-co.pdf").json()["code"] == "receipt_not_found"
