"""Browser tests: booking on a phone, the officer receiving offline, dispatch reassigning."""

from __future__ import annotations

import io
import re

import pytest
from homeservice_helpers import book_kwargs
from PIL import Image
from playwright.sync_api import expect

from motcua.dossiers.models import Dossier, DossierEvent
from motcua.homeservice import services
from motcua.homeservice.models import HomeVisit, HomeVisitEvent

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
pytestmark = pytest.mark.django_db(transaction=True)


def _phone(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def _login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/can-bo/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("motcua-demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/can-bo/")


def _assigned(home, officer="tainha"):  # type: ignore[no-untyped-def]
    visit = services.visit_book(**book_kwargs(home))
    services.visit_act(code=visit.code, action="assign", key="a", actor=home.quanly,
                       params={"officer": officer})  # fmt: skip
    return visit


def test_booking_a_home_visit_on_a_phone(home, browser, live_server):
    context, page = _phone(browser)
    try:
        page.goto(f"{live_server.url}/dat-lich-tai-nha/")
        page.get_by_label("Phường, xã nơi ở").select_option(label="Phường Quang Lãng")
        page.get_by_label("Thủ tục cần làm").select_option(label="Trợ cấp xã hội hằng tháng")
        page.get_by_label("Thủ tục bảo trợ xã hội").check()
        page.get_by_label("Họ và tên người làm thủ tục").fill("Nguyễn Thị Hoa")
        page.get_by_label("Số định danh cá nhân (CCCD) của người làm thủ tục").fill("001040123456")
        page.get_by_label("Số điện thoại liên hệ").fill("0912345678")
        page.get_by_label("Địa chỉ nơi cán bộ đến").fill("Số 5 ngõ 12, tổ dân phố 3")
        page.get_by_label("Ngày mong muốn").fill("2026-11-17")
        page.get_by_label("Buổi sáng").check()
        page.get_by_label("Cần hỗ trợ gì").fill("Xe lăn")
        page.get_by_label("Tôi đồng ý").check()
        page.get_by_role("button", name="Đặt lịch").click()
        expect(page.locator("#visit-code")).to_have_text(re.compile(r"^TN-[0-9A-Z]{6}$"))
        assert page.inner_text("#visit-code") == HomeVisit.objects.get().code
        # The page fits the phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_officer_receives_offline_then_online_exactly_once(home, browser, live_server):
    visit = _assigned(home)
    context, page = _phone(browser)
    try:
        _login(page, live_server.url, "tainha")
        page.goto(f"{live_server.url}/can-bo/tai-nha/hom-nay/")
        card = page.locator(f'.visit-card[data-code="{visit.code}"]')
        expect(card.get_by_role("link", name="Gọi 0912345678")).to_have_attribute(
            "href", "tel:0912345678"
        )
        expect(card).to_contain_text("Tờ khai đề nghị trợ giúp xã hội")
        expect(page.locator("#net-status")).to_have_text("Đang có mạng.")
        context.set_offline(True)
        expect(page.locator("#net-status")).to_contain_text("Mất mạng")
        card.get_by_text("Tiếp nhận hồ sơ tại nhà").click()
        buf = io.BytesIO()
        Image.new("RGB", (800, 600), (180, 170, 150)).save(buf, "JPEG")
        card.get_by_label("Chụp ảnh giấy tờ").set_input_files(
            {"name": "giay-to.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}
        )
        canvas = card.locator("canvas.signature")
        box = canvas.bounding_box()
        # A finger stroke on the pad (pointer events, as a touch screen sends them).
        points = [(20, 20), (60, 45), (120, 60), (200, 30)]
        for i, (dx, dy) in enumerate(points):
            kind = "pointerdown" if i == 0 else "pointermove"
            canvas.dispatch_event(kind, {"clientX": box["x"] + dx, "clientY": box["y"] + dy,
                                         "pointerId": 1, "pointerType": "touch"})  # fmt: skip
        canvas.dispatch_event("pointerup", {"pointerId": 1, "pointerType": "touch"})
        expect(canvas).to_have_attribute("data-signed", "1")
        card.get_by_role("button", name="Tiếp nhận hồ sơ").click()
        expect(page.locator("#queue-status")).to_contain_text("Còn 1 thao tác")
        assert Dossier.objects.count() == 0
        context.set_offline(False)
        expect(page.locator("#queue-status")).to_have_text("Mọi thao tác đã được gửi.")
        expect(card.locator(".visit-status")).to_have_text("Đã tiếp nhận hồ sơ")
        dossier = Dossier.objects.get()
        expect(card.locator(".dossier-code")).to_have_text(dossier.code)
        assert dossier.channel == "home"
        # One set of events: the reception and the choice to bring the result home.
        actions = sorted(
            DossierEvent.objects.filter(dossier=dossier).values_list("action", flat=True)
        )
        assert actions == ["delivery_choose", "receive"]
        assert dossier.delivery.method == "home" and dossier.delivery.address == visit.address
        assert HomeVisitEvent.objects.filter(visit=visit, action="receive").count() == 1
        kinds = sorted(dossier.attachments.values_list("content_type", flat=True))
        assert kinds == ["image/jpeg", "image/png"]
    finally:
        context.close()


def test_dispatch_reassigns_a_visit(home, page, live_server):
    visit = _assigned(home)
    _login(page, live_server.url, "quanly")
    page.goto(f"{live_server.url}/can-bo/tai-nha/?ngay=2026-11-17")
    row = page.locator(f'ol[data-officer="tainha"] li[data-code="{visit.code}"]')
    row.get_by_label("Giao lại cho").select_option(label="Cán bộ tainha2")
    row.get_by_role("button", name="Giao lại").click()
    expect(page.locator(f'ol[data-officer="tainha2"] li[data-code="{visit.code}"]')).to_be_visible()
    expect(page.locator(f'ol[data-officer="tainha"] li[data-code="{visit.code}"]')).to_have_count(0)
    visit.refresh_from_db()
    assert visit.officer == home.tainha2


def test_officer_page_opens_again_without_signal_and_sends_later(home, browser, live_server):
    """The page reloaded in a lane with no signal: the service worker's copy opens, the action
    waits on the phone and goes once when the signal returns."""
    visit = _assigned(home)
    context, page = _phone(browser)
    try:
        _login(page, live_server.url, "tainha")
        page.goto(f"{live_server.url}/can-bo/tai-nha/hom-nay/")
        expect(page.locator("#home-today")).to_have_attribute("data-offline-ready", "1")
        context.set_offline(True)
        page.reload()
        card = page.locator(f'.visit-card[data-code="{visit.code}"]')
        expect(card).to_contain_text("Số 5 ngõ 12, tổ dân phố 3")
        expect(page.locator("#saved-copy")).to_be_visible()
        expect(page.locator("#net-status")).to_contain_text("Mất mạng")
        card.get_by_role("button", name="Đã đến").click()
        expect(page.locator("#queue-status")).to_contain_text("Còn 1 thao tác")
        assert not HomeVisitEvent.objects.filter(visit=visit, action="arrive").exists()
        context.set_offline(False)
        expect(page.locator("#queue-status")).to_have_text("Mọi thao tác đã được gửi.")
        expect(card.locator(".visit-status")).to_have_text("Cán bộ đã đến")
        assert HomeVisitEvent.objects.filter(visit=visit, action="arrive").count() == 1
    finally:
        context.close()
