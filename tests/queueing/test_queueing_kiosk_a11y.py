"""Issue 15.3 and issue 8 B7: the kiosk speaks, works by keys, by touch alone, and at 200% zoom."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from motcua.queueing import voice
from motcua.queueing.kiosk_speech import kiosk_phrase_parts
from motcua.queueing.models import CounterService, Service, Ticket

NO_CAMERA_ANSWER = "navigator.mediaDevices.getUserMedia = () => new Promise(() => {});"


@pytest.fixture
def kiosk_office(db):
    from factories import CitizenFactory, CounterFactory, OfficeFactory

    office = OfficeFactory(code="phuong-thu")
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    Service.objects.create(office=office, code="B", name="Chứng thực")
    CounterService.objects.create(counter=CounterFactory(office=office, number=3), service=svc)
    citizen = CitizenFactory(phone="0912345678")
    return office, citizen


def test_phrases_name_the_keys_in_order_and_read_the_slip():
    parts = kiosk_phrase_parts("services", services=["Hộ tịch", "Chứng thực"])
    assert parts[1:3] == ["Phím một: Hộ tịch.", "Phím hai: Chứng thực."]
    slip = kiosk_phrase_parts("slip", ticket="B001", service="Chứng thực", ahead=2, wait_minutes=15)
    assert slip[0] == "Số thứ tự của bạn là bê một."
    assert "Số người đang chờ trước bạn: hai." in slip
    assert "Thời gian chờ dự kiến khoảng mười lăm phút." in slip
    with pytest.raises(ValueError):
        kiosk_phrase_parts("nowhere")


@pytest.mark.django_db
def test_kiosk_voice_answers_words_and_the_boards_voice(client, kiosk_office):
    office, _ = kiosk_office
    url = f"/can-bo/xep-hang/kiosk/{office.code}/giong-noi/"
    text = client.get(url, {"man-hinh": "slip", "so": "B001", "truoc": "2", "dang": "chu"}).json()
    assert text["text"].startswith("Số thứ tự của bạn là bê một.")
    words = client.get(url, {"man-hinh": "services", "dang": "chu"}).json()["text"]
    assert "Phím một: Hộ tịch. Phím hai: Chứng thực." in words
    assert client.get(url, {"man-hinh": "<script>"}).status_code == 404
    assert client.get(url, {"man-hinh": "slip", "so": "x; rm"}).status_code == 404
    if not voice.available():
        pytest.skip("espeak-ng not installed: the browser's speech reads the words")
    wav = client.get(url, {"man-hinh": "slip", "so": "B001"})
    assert wav["Content-Type"] == "audio/wav" and wav.content[:4] == b"RIFF"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_kiosk_by_touch_alone_with_the_on_screen_keypad(browser, live_server, kiosk_office):
    office, citizen = kiosk_office
    context = browser.new_context(
        locale="vi-VN", has_touch=True, viewport={"width": 1080, "height": 1920}
    )
    context.add_init_script(NO_CAMERA_ANSWER)
    page = context.new_page()
    page.goto(f"{live_server.url}/can-bo/xep-hang/kiosk/{office.code}/")
    page.get_by_role("button", name=re.compile("Chứng thực")).tap()
    page.get_by_role("button", name=re.compile("Không dùng khuôn mặt")).tap()
    keypad = page.get_by_role("group", name="Bàn phím nhập số")
    for digit in "09123456789":  # one too many, then taken back
        keypad.get_by_role("button", name=digit, exact=True).tap()
    keypad.get_by_role("button", name="Xóa chữ số cuối").tap()
    expect(page.get_by_label("Số điện thoại")).to_have_value("0912345678")
    keypad.get_by_role("button", name="Lấy số").tap()
    expect(page.locator("#slip-number")).to_have_text("B001")
    assert Ticket.objects.get().citizen == citizen
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_kiosk_by_keys_alone_reads_its_screens_and_the_number(page, live_server, kiosk_office):
    office, citizen = kiosk_office
    page.add_init_script(NO_CAMERA_ANSWER)
    page.goto(f"{live_server.url}/can-bo/xep-hang/kiosk/{office.code}/")
    spoken = re.compile(r"/giong-noi/\?man-hinh=")
    with page.expect_request(lambda r: "man-hinh=services" in r.url):
        page.keyboard.press("0")  # read the screen
    with page.expect_request(lambda r: "man-hinh=camera" in r.url):
        page.keyboard.press("2")  # the second service read out: Chứng thực
    with page.expect_request(lambda r: "man-hinh=identify" in r.url):
        page.keyboard.press("1")  # no face
    with page.expect_request(lambda r: "man-hinh=services" in r.url):
        page.keyboard.press("Escape")  # back
    page.keyboard.press("2")
    page.keyboard.press("1")
    expect(page.locator("#qr-input")).to_be_focused()
    with page.expect_request(lambda r: "man-hinh=slip" in r.url and "so=B001" in r.url) as req:
        page.keyboard.type("0912345678")  # a numeric keypad types into the focused field
        page.keyboard.press("Enter")
    assert spoken.search(req.value.url)
    expect(page.locator("#slip-number")).to_have_text("B001")
    assert Ticket.objects.get().citizen == citizen
    with page.expect_request(lambda r: "man-hinh=services" in r.url):
        page.keyboard.press("1")  # done


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_kiosk_at_200_percent_zoom_keeps_every_control_in_sight(browser, live_server, kiosk_office):
    office, _ = kiosk_office
    # A 1280×800 kiosk screen at 200% zoom: 640×400 CSS pixels, twice as dense.
    context = browser.new_context(
        locale="vi-VN", viewport={"width": 640, "height": 400}, device_scale_factor=2
    )
    context.add_init_script(NO_CAMERA_ANSWER)
    page = context.new_page()
    page.goto(f"{live_server.url}/can-bo/xep-hang/kiosk/{office.code}/")

    def all_reachable(screen: str) -> None:
        buttons = page.locator(f'[data-screen="{screen}"] button, .kiosk-top button')
        assert buttons.count() > 0
        for i in range(buttons.count()):
            b = buttons.nth(i)
            b.scroll_into_view_if_needed()
            expect(b).to_be_in_viewport()
            box = b.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 640, screen

    all_reachable("services")
    page.get_by_role("button", name=re.compile("Hộ tịch")).click()
    # The camera's picture never pushes the hint and the "no face" button out of sight.
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.locator("#camera-hint")).to_be_in_viewport()
    expect(page.get_by_role("button", name=re.compile("Không dùng khuôn mặt"))).to_be_in_viewport()
    all_reachable("camera")
    page.get_by_role("button", name=re.compile("Không dùng khuôn mặt")).click()
    all_reachable("identify")
    context.close()
