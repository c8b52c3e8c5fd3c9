"""Real-browser tests: the kiosk with a fake camera, the counter page, the live display board."""

from __future__ import annotations

import re

import numpy as np
import pytest
from queueing_helpers import QR_A

from motcua.org.models import Role
from motcua.queueing.models import CounterService, Method, Service, Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def write_y4m(path, bgr: np.ndarray, frames: int = 10) -> None:
    """A short Y4M clip of one image: what Chromium's fake camera plays in a loop."""
    import cv2

    h, w = bgr.shape[:2]
    i420 = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + i420)


@pytest.fixture
def queue_office(db):
    from factories import CounterFactory, OfficeFactory

    office = OfficeFactory(code="phuong-thu")
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    Service.objects.create(office=office, code="B", name="Chứng thực")
    counter = CounterFactory(office=office, number=3)
    CounterService.objects.create(counter=counter, service=svc)
    return office, svc, counter


@pytest.fixture
def camera_page(launch_chromium, live_server, tmp_path, fake_engine):
    """A page whose camera shows a fake face (colour = identity for the FakeFaceEngine)."""
    from motcua.biometrics.engine import draw_fake_face

    clip = tmp_path / "face.y4m"
    write_y4m(clip, draw_fake_face((40, 60, 200), radius=120))
    b = launch_chromium(
        "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={clip}"
    )
    context = b.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.grant_permissions(["camera"], origin=live_server.url)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def test_kiosk_first_visit_by_face_and_qr_then_face_alone(camera_page, live_server, queue_office):
    from playwright.sync_api import expect

    office, _svc, _counter = queue_office
    pg = camera_page
    pg.goto(f"{live_server.url}/can-bo/xep-hang/kiosk/{office.code}/")
    pg.get_by_role("button", name=re.compile("Hộ tịch")).click()
    # Unknown face → the first-time consent screen.
    expect(pg.get_by_role("button", name="Chỉ hôm nay")).to_be_visible()
    pg.get_by_role("button", name="Chỉ hôm nay").click()
    # A USB QR scanner types the payload and Enter.
    pg.get_by_label("Mã QR thẻ căn cước").fill(QR_A)
    pg.get_by_label("Mã QR thẻ căn cước").press("Enter")
    expect(pg.locator("#slip-number")).to_have_text("A001")
    expect(pg.locator("#slip-ahead")).to_have_text("0")
    expect(pg.locator("#slip-qr")).to_have_attribute("src", re.compile(r"/ve/[\w-]+/qr\.svg$"))
    ticket = Ticket.objects.get()
    assert ticket.method == Method.QR and ticket.citizen.id_number == "001085012345"
    # Next time: the face alone brings back the same ticket.
    pg.get_by_role("button", name="Xong").click()
    pg.get_by_role("button", name=re.compile("Hộ tịch")).click()
    expect(pg.locator("#slip-reused")).to_be_visible()
    expect(pg.locator("#slip-number")).to_have_text("A001")
    assert Ticket.objects.count() == 1


def test_kiosk_phone_check_in_without_camera(page, live_server, queue_office):
    from playwright.sync_api import expect

    from factories import CitizenFactory

    office, _svc, _counter = queue_office
    citizen = CitizenFactory(phone="0912345678")
    page.goto(f"{live_server.url}/can-bo/xep-hang/kiosk/{office.code}/")
    page.get_by_role("button", name=re.compile("Chứng thực")).click()
    page.get_by_role("button", name=re.compile("Không dùng khuôn mặt")).click()
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    page.get_by_role("button", name="Lấy số").click()
    expect(page.locator("#slip-number")).to_have_text("B001")
    assert Ticket.objects.get().citizen == citizen
    # A second try is refused politely with the existing ticket (no new number).
    page.get_by_role("button", name="Xong").click()
    page.get_by_role("button", name=re.compile("Chứng thực")).click()
    page.get_by_role("button", name=re.compile("Không dùng khuôn mặt")).click()
    page.get_by_label("Số điện thoại").fill("0399999999")
    page.get_by_role("button", name="Lấy số").click()
    expect(page.locator("#error-text")).to_contain_text("Số điện thoại chưa có trong hệ thống")


# getUserMedia that answers only when the test says so, and records whether tracks were stopped.
SLOW_CAMERA = """
(() => {
  window.__camera = { stopped: 0 };
  const track = { stop: () => { window.__camera.stopped += 1; } };
  const stream = { getTracks: () => [track] };
  navigator.mediaDevices.getUserMedia = () => new Promise((resolve, reject) => {
    window.__camera.fail = () => reject(new DOMException("no camera", "NotFoundError"));
    window.__camera.open = () => resolve(stream);
  });
})();
"""


@pytest.mark.parametrize("late_answer", ["fail", "open"])
def test_a_late_camera_answer_never_takes_the_slip_away(
    page, live_server, queue_office, late_answer
):
    """The citizen declines the camera before the browser has opened it, and gets a slip; the
    camera's late failure must not switch screens, and a late stream must be closed at once."""
    from playwright.sync_api import expect

    from factories import CitizenFactory

    office, _svc, _counter = queue_office
    CitizenFactory(phone="0912345678")
    page.add_init_script(SLOW_CAMERA)
    page.goto(f"{live_server.url}/can-bo/xep-hang/kiosk/{office.code}/")
    page.get_by_role("button", name=re.compile("Chứng thực")).click()
    page.get_by_role("button", name=re.compile("Không dùng khuôn mặt")).click()
    page.get_by_label("Số điện thoại").fill("0912345678")
    page.get_by_role("button", name="Lấy số").click()
    expect(page.locator("#slip-number")).to_have_text("B001")
    page.evaluate(f"window.__camera.{late_answer}()")
    page.wait_for_timeout(1800)  # longer than the kiosk's 1.5 s "camera failed" pause
    expect(page.locator("#slip-number")).to_be_visible()
    assert page.evaluate("document.getElementById('kiosk').dataset.current") == "slip"
    if late_answer == "open":
        assert page.evaluate("window.__camera.stopped") == 1


def _login(page, live_server, user):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_counter_calls_and_board_shows_it_live(
    page, browser, live_server, queue_office, settings, request
):
    from playwright.sync_api import expect

    from factories import CitizenFactory, StaffRoleFactory
    from motcua.queueing.services import ticket_issue

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    office, svc, counter = queue_office
    t = ticket_issue(office=office, service=svc, citizen=CitizenFactory(), method=Method.QR).ticket
    officer = StaffRoleFactory(unit=office.unit, role=Role.RECEPTION).user

    board_ctx = browser.new_context(locale="vi-VN")
    request.addfinalizer(board_ctx.close)
    board = board_ctx.new_page()
    # Streams of 2 s: the board must reconnect by itself (and no stream outlives the test).
    board.goto(f"{live_server.url}/can-bo/xep-hang/bang/{office.code}/?sse_max=2")
    expect(board.locator("#waiting")).to_have_text("1")
    board.wait_for_function("document.getElementById('board').dataset.live === '1'")
    board.wait_for_timeout(
        2500
    )  # past the first stream's end: the call below arrives on a reconnected one

    _login(page, live_server, officer)
    page.goto(f"{live_server.url}/can-bo/xep-hang/quay/{counter.pk}/")
    page.get_by_role("button", name="Gọi số tiếp theo", exact=True).click()
    expect(page.locator("#current-ticket")).to_have_text("A001")
    expect(page.locator("#receive-link")).to_have_attribute(
        "href", re.compile(rf"citizen={t.citizen.id_number}&ticket={t.pk}")
    )

    # The board gets the call over server-sent events, without reloading.
    expect(board.locator('tr[data-counter="3"] .ticket')).to_have_text("A001")
    expect(board.locator("#callout")).to_have_text("Mời công dân có số thứ tự A001 đến quầy số 3")
    expect(board.locator("#waiting")).to_have_text("0")

    page.get_by_role("button", name="Bắt đầu phục vụ").click()
    # One press: A001 finished and the next citizen, who came meanwhile, called.
    ticket_issue(office=office, service=svc, citizen=CitizenFactory(), method=Method.QR)
    expect(board.locator("#waiting")).to_have_text("1")
    page.get_by_role("button", name="Kết thúc và gọi số tiếp theo").click()
    expect(page.locator("#current-ticket")).to_have_text("A002")
    expect(board.locator('tr[data-counter="3"] .ticket')).to_have_text("A002")
    page.get_by_role("button", name="Kết thúc", exact=True).click()
    expect(page.get_by_role("button", name="Gọi số tiếp theo", exact=True)).to_be_visible()
    t.refresh_from_db()
    assert t.status == Status.DONE and t.officer == officer
    board.wait_for_timeout(2100)  # let the last 2 s stream end before the database goes away
