"""In a real browser: the citizen pays online on the stand-in gateway and downloads the receipt."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from payments_helpers import receive
from playwright.sync_api import expect

from motcua.core import clock
from motcua.payments.models import Receipt, ReceiptSeries

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _lookup(page, base, code):
    page.goto(f"{base}/tra-cuu/?ma={code}")
    page.get_by_label("4 số cuối CCCD hoặc số điện thoại").fill("0000")
    page.get_by_role("button", name="Tra cứu").click()


def test_citizen_pays_online_and_downloads_the_receipt(page, live_server, ward, standin, settings):
    from pypdf import PdfReader

    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": live_server.url}
    ReceiptSeries.objects.get_or_create(
        unit=ward.unit, template_number="01BLP0-001", symbol="HD-26E", year=clock.today().year
    )
    d = receive(ward, channel="online", copies=1)  # 8.000 + 10.000 đ online
    _lookup(page, live_server.url, d.code)
    expect(page.locator("#lookup-outstanding")).to_have_text("18.000 đồng")
    expect(page.get_by_role("link", name="Tải biên lai (PDF)")).to_have_count(0)
    page.get_by_role("button", name="Thanh toán trực tuyến").click()
    # The gateway's page (wait for it: the lookup page shows the same amount), then pay.
    page.wait_for_url(standin.base_url + "/pay/**")
    expect(page.locator("body")).to_contain_text("18.000 đồng")
    page.get_by_role("button", name="Thanh toán", exact=True).click()
    page.wait_for_url(f"{live_server.url}/tra-cuu/**")
    _lookup(page, live_server.url, d.code)
    expect(page.locator("#lookup-outstanding")).to_have_text("0 đồng")
    link = page.get_by_role("link", name="Tải biên lai (PDF)")
    expect(link).to_have_count(1)
    with page.expect_download() as info:
        link.click()
    pdf = Path(info.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    receipt = Receipt.objects.get()
    assert receipt.method == "online" and receipt.amount == 18000
    assert "Mười tám nghìn đồng" in text and receipt.number_display in text
    # The public PDF shows only the last 4 digits of the payer's ID number.
    assert "********0000" in text and "001085000000" not in text


def test_money_pages_of_a_ward_official_have_no_axe_violations(page, live_server, ward):
    """The reconciliation page (with the account choice) and the cash book, as reception of a
    ward with two accounts sees them."""
    from axe_helpers import axe_violations
    from motcua.payments.models import BankAccount, BankStatementLine

    BankAccount.objects.create(
        unit=ward.unit, bank_bin="970418", account_number="2222333344", account_name="UBND 2"
    )
    BankStatementLine.objects.create(
        transaction_id="FTAXE1",
        booked_on=clock.today(),
        amount=50000,
        description="CHUYEN TIEN NHAM",
        imported_at=clock.now(),
        status="unmatched",
        account=ward.account,
    )
    page.goto(f"{live_server.url}/can-bo/dang-nhap/")
    page.locator("#id_username").fill("tiepnhan")
    page.locator("#id_password").fill("motcua-demo")
    page.locator("#id_password").press("Enter")
    expect(page.locator("#id_username")).to_have_count(0)
    failures = {}
    for path in ["/can-bo/thu-phi/doi-soat/", "/can-bo/thu-phi/so-quy/"]:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        expect(page.locator("main")).to_be_visible()
        if path.endswith("doi-soat/"):
            expect(page.get_by_label("Tài khoản thu")).to_be_visible()
            expect(page.locator("#unmatched")).to_contain_text("FTAXE1")
        found = axe_violations(page)
        if found:
            failures[path] = found
    assert failures == {}
