"""Back-office and public pages: cash at the counter, the VietQR on screen and on the slip."""

from __future__ import annotations

import pytest
from payments_helpers import receive, vn

from motcua.payments.models import Payment, Receipt
from motcua.payments.vietqr import parse


@pytest.fixture(autouse=True)
def _day(freeze):
    freeze(vn(2026, 3, 10, 10, 0))


def test_reception_takes_cash_and_gets_the_receipt(client, ward):
    d = receive(ward)
    client.force_login(ward.tiepnhan)
    page = client.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    assert "Thu tiền mặt 31.000 đồng và lập biên lai" in page
    assert f"/can-bo/thu-phi/ho-so/{d.code}/vietqr.png" in page
    key = page.split('name="key" value="', 1)[1].split('"', 1)[0]
    r = client.post(f"/can-bo/thu-phi/ho-so/{d.code}/tien-mat/", {"key": key}, follow=True)
    html = r.content.decode()
    assert "Đã thu 31.000 đồng tiền mặt, biên lai HD-26E số 0000001" in html
    assert "In biên lai" in html and "Thu tiền mặt" not in html
    # A double click (same key) takes no second payment.
    client.post(f"/can-bo/thu-phi/ho-so/{d.code}/tien-mat/", {"key": key})
    assert Payment.objects.count() == Receipt.objects.count() == 1


def test_specialist_cannot_take_cash(client, ward):
    d = receive(ward)
    client.force_login(ward.chuyenvien)
    assert "Thu tiền mặt" not in client.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    r = client.post(f"/can-bo/thu-phi/ho-so/{d.code}/tien-mat/", {"key": "x"}, follow=True)
    assert "không có quyền" in r.content.decode() and not Receipt.objects.exists()


def test_counter_vietqr_png_carries_account_amount_and_code(client, ward):
    import zxingcpp
    from PIL import Image

    d = receive(ward)
    client.force_login(ward.tiepnhan)
    r = client.get(f"/can-bo/thu-phi/ho-so/{d.code}/vietqr.png")
    assert r["Content-Type"] == "image/png"
    import io

    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.content)))
    qr = parse(found.text)  # the CRC is checked by the parser
    assert (qr.amount, qr.account, qr.purpose) == (31000, "113366668888", d.code[:25])


def test_slip_prints_the_vietqr_until_paid(client, ward):
    from motcua.documents.dossier_forms import dossier_form_context

    d = receive(ward)
    assert dossier_form_context(dossier=d, code="01")["vietqr"].startswith("data:image/svg")
    client.force_login(ward.tiepnhan)
    client.post(f"/can-bo/thu-phi/ho-so/{d.code}/tien-mat/", {"key": "k"})
    assert dossier_form_context(dossier=d, code="01")["vietqr"] == ""
