"""Issue 15: the portal by keyboard alone (booking with its anti-bot check, a lookup), focus
moved to the answer, and the browser's text-size setting enlarging the text."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from factories import OfficeFactory
from motcua.core import clock
from motcua.queueing.models import Booking, Service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 11, 17, 9, 0, tzinfo=clock.VN_TZ)  # a Tuesday, a working day


def tab_to(page, name: str | re.Pattern[str], *, limit: int = 120) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until the focused element's accessible text matches `name` (a user reading
    the focus as it moves); fail when it never comes."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate(
            """() => { const el = document.activeElement; if (!el) return '';
              const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
              return (el.getAttribute('aria-label') || label || el.innerText || el.value || '').trim(); }"""
        )
        if name.search(text) if isinstance(name, re.Pattern) else text == name:
            return
    raise AssertionError(f"{name!r} never received the keyboard focus")


def test_booking_by_keyboard_alone(page, live_server, freeze):
    freeze(NOW)
    office = OfficeFactory(code="ha-dong", name="Bộ phận một cửa phường Hà Đông")
    Service.objects.create(office=office, code="A", name="Hộ tịch")
    page.goto(f"{live_server.url}/")
    tab_to(page, "Đặt lịch hẹn")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Chọn bộ phận một cửa")).to_be_visible()
    tab_to(page, re.compile("^Bộ phận một cửa phường Hà Đông"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("^Chọn dịch vụ"))).to_be_visible()
    tab_to(page, re.compile("^Hộ tịch"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Chọn ngày")).to_be_visible()
    tab_to(page, "Thứ Ba, 17/11/2026")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("^Chọn giờ hẹn"))).to_be_visible()
    tab_to(page, re.compile("^09:30–10:00"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Thông tin người đến làm thủ tục")).to_be_visible()

    # First try without the consent box: refused, and the focus lands on that box.
    tab_to(page, "Số định danh cá nhân (CCCD)")
    page.keyboard.type("001085012345")
    page.keyboard.press("Tab")
    page.keyboard.type("Nguyễn Văn An")
    page.keyboard.press("Tab")
    page.keyboard.type("0912345678")
    tab_to(page, "Đặt lịch hẹn")
    page.keyboard.press("Enter")
    consent = page.get_by_label(re.compile("^Tôi đồng ý"))
    expect(consent).to_be_focused()
    expect(consent).to_have_attribute("aria-invalid", "true")
    assert not Booking.objects.exists()
    page.keyboard.press("Space")
    tab_to(page, "Đặt lịch hẹn")
    page.keyboard.press("Enter")  # the browser proves its work by itself (core/challenge.py)
    expect(page.locator("#booking-code")).to_have_text(re.compile(r"^LH-"))
    assert Booking.objects.get().full_name == "Nguyễn Văn An"


def test_lookup_by_keyboard_alone_lands_on_the_answer(page, live_server, make_dossier):
    from factories import CitizenFactory

    citizen = CitizenFactory(id_number="001085012345")
    dossier = make_dossier(citizen=citizen)
    page.goto(f"{live_server.url}/")
    tab_to(page, "Tra cứu hồ sơ")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Nhập mã hồ sơ")).to_be_visible()
    tab_to(page, re.compile("^Mã hồ sơ"))
    page.keyboard.type(dossier.code)
    page.keyboard.press("Tab")
    page.keyboard.type("2345")
    page.keyboard.press("Enter")
    answer = page.locator("#ket-qua")
    expect(answer).to_be_focused()
    expect(answer).to_contain_text(dossier.code)
    # A wrong verifier: the focus goes to the message that says so.
    page.get_by_label("4 số cuối CCCD hoặc số điện thoại").fill("9999")
    page.keyboard.press("Enter")
    expect(page.locator("#ket-qua")).to_be_focused()
    expect(page.locator("#ket-qua .error")).to_be_visible()


def _sizes(page) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """() => Object.fromEntries(['body', 'main p', 'nav a', 'label', 'input', 'h1']
             .filter(s => document.querySelector(s))
             .map(s => [s, parseFloat(getComputedStyle(document.querySelector(s)).fontSize)]))"""
    )


@pytest.mark.parametrize("path", ["/tra-cuu/", "/can-bo/dang-nhap/"])
def test_the_browsers_text_size_doubles_the_text(browser, live_server, path):
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.goto(live_server.url + path)
    normal = _sizes(page)
    # The browser's own "font size" setting (Settings › Appearance), as a user changes it.
    cdp = context.new_cdp_session(page)
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    page.reload()
    large = _sizes(page)
    context.close()
    assert normal["body"] == 16
    for selector, size in normal.items():
        if selector in large:
            assert large[selector] == pytest.approx(2 * size), selector
