"""In a real browser: book an appointment on the portal, then check in at the kiosk by phone."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from factories import CounterFactory, OfficeFactory
from motcua.core import clock
from motcua.queueing.models import Booking, BookingStatus, CounterService, Method, Service, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NOW = datetime(2026, 11, 17, 9, 0, tzinfo=clock.VN_TZ)  # a Tuesday, a working day


def test_book_on_portal_then_check_in_by_phone_turns_booking_into_ticket(
    page, live_server, freeze, solve_challenge
):
    freeze(NOW)
    office = OfficeFactory(code="ha-dong", name="Bộ phận một cửa phường Hà Đông")
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    Service.objects.create(office=office, code="B", name="Chứng thực")
    counter = CounterFactory(office=office, number=1)
    CounterService.objects.create(counter=counter, service=svc)

    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Đặt lịch hẹn"
    ).click()
    expect(page.get_by_role("heading", name="Chọn bộ phận một cửa")).to_be_visible()
    page.get_by_role("link", name=re.compile("Bộ phận một cửa phường Hà Đông")).click()
    page.get_by_role("link", name=re.compile("Hộ tịch")).click()
    page.get_by_role("link", name="Thứ Ba, 17/11/2026").click()
    # 09:00 has started: the first slot offered is 09:30.
    expect(page.get_by_role("link", name=re.compile("^09:00"))).to_have_count(0)
    page.get_by_role("link", name=re.compile("^09:30–10:00")).click()

    page.get_by_label("Số định danh cá nhân (CCCD)").fill("001085012345")
    page.get_by_label("Họ và tên (như trên thẻ căn cước)").fill("Nguyễn Văn An")
    page.get_by_label("Số điện thoại di động").fill("0912 345 678")
    page.get_by_label(re.compile("^Tôi đồng ý")).check()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-booking-form.png"), full_page=True)
    page.get_by_role("button", name="Đặt lịch hẹn").click()

    expect(page.locator("#booking-code")).to_have_text(re.compile(r"^LH-[2-9A-HJ-NP-Z]{6}$"))
    main = page.locator("main")
    expect(main).to_contain_text("Thứ Ba, 17/11/2026")
    expect(main).to_contain_text("09:30–10:00")
    expect(main).to_contain_text("Đến kiosk và nhận diện bằng khuôn mặt")
    page.screenshot(path=str(ARTIFACTS / "portal-booking-done.png"), full_page=True)
    booking = Booking.objects.get()
    assert page.locator("#booking-code").inner_text() == booking.code
    assert booking.status == BookingStatus.BOOKED

    # At the office, a little before the slot: check in by phone at the kiosk.
    freeze(datetime(2026, 11, 17, 9, 25, tzinfo=clock.VN_TZ))
    page.goto(f"{live_server.url}/can-bo/xep-hang/kiosk/{office.code}/")
    page.get_by_role("button", name=re.compile("Hộ tịch")).click()
    page.get_by_role("button", name=re.compile("Không dùng khuôn mặt")).click()
    page.get_by_label("Số điện thoại").fill("0912345678")
    page.get_by_role("button", name="Lấy số").click()
    expect(page.locator("#slip-number")).to_have_text("A001")
    # The slip says the appointment counts (its slot starts at the booked time).
    expect(page.locator("#slip-booking")).to_be_visible()
    slot = f"{clock.local(booking.slot_start):%H:%M}"
    expect(page.locator("#slip-booking-time")).to_have_text(slot)
    expect(page.locator("#slip-priority")).to_be_hidden()

    ticket = Ticket.objects.get()
    booking.refresh_from_db()
    assert ticket.booking == booking and ticket.method == Method.PHONE
    assert booking.status == BookingStatus.CHECKED_IN
    assert ticket.citizen.id_number == "001085012345"
