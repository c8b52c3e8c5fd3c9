"""The public booking pages (/dat-lich/, /dat-lich/huy/) and the booking API endpoints."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from challenge_helpers import challenge_header
from factories import CitizenFactory, OfficeFactory
from motcua.core import clock
from motcua.queueing.models import Booking, BookingStatus, QueueSettings, Service

NOW = datetime(2026, 11, 17, 9, 0, tzinfo=clock.VN_TZ)  # a Tuesday
DAY = date(2026, 11, 18)
ID_A = "001085012345"
URL = "/dat-lich/"


@pytest.fixture
def office(db, freeze):
    freeze(NOW)
    office = OfficeFactory(code="ha-dong", name="Bộ phận một cửa phường Hà Đông")
    Service.objects.create(office=office, code="A", name="Hộ tịch", sort=1)
    Service.objects.create(office=office, code="B", name="Chứng thực", sort=2)
    Service.objects.create(office=office, code="C", name="Tạm ngừng", active=False)
    return office


def _post(client, solve, **over):
    data = {
        "bo-phan": "ha-dong",
        "dich-vu": "A",
        "ngay": DAY.isoformat(),
        "gio": "14:00",
        "id_number": ID_A,
        "full_name": "Nguyễn Văn An",
        "phone": "0912 345 678",
        "consent": "on",
        "altcha": solve() if "altcha" not in over else None,
    }
    data.update(over)
    return client.post(URL, {k: v for k, v in data.items() if v is not None})


def test_nav_and_home_link_to_booking(client, office):
    html = client.get("/").content.decode()
    assert 'href="/dat-lich/"' in html and "Đặt lịch hẹn" in html
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)
    assert "Đặt lịch hẹn" in nav


def test_choose_office_service_day_and_slot_with_plain_links(client, office):
    from motcua.worktime.models import DayStatus, OfficialDay

    # 24/11/2026 ships unconfirmed (a working day by default); the administrator confirms it.
    OfficialDay.objects.filter(date=date(2026, 11, 24)).update(status=DayStatus.CONFIRMED)
    html = client.get(URL).content.decode()
    assert "Chọn bộ phận một cửa" in html and "?bo-phan=ha-dong" in html

    html = client.get(URL, {"bo-phan": "ha-dong"}).content.decode()
    assert "Hộ tịch" in html and "Chứng thực" in html and "Tạm ngừng" not in html

    html = client.get(URL, {"bo-phan": "ha-dong", "dich-vu": "A"}).content.decode()
    assert "Thứ Ba, 17/11/2026" in html and "Thứ Tư, 18/11/2026" in html
    assert "22/11/2026" not in html  # a Sunday
    assert "24/11/2026" not in html  # a public holiday (Vietnam Cultural Day)

    html = client.get(
        URL, {"bo-phan": "ha-dong", "dich-vu": "A", "ngay": "2026-11-17"}
    ).content.decode()
    assert "09:00–09:30" not in html and "09:30–10:00" in html  # 09:00 has started
    assert "còn 4 chỗ" in html and "12:00" not in html

    resp = client.get(
        URL, {"bo-phan": "ha-dong", "dich-vu": "A", "ngay": DAY.isoformat(), "gio": "14:00"}
    )
    html = resp.content.decode()
    assert "Thông tin người đến làm thủ tục" in html
    assert "14:00–14:30, Thứ Tư, 18/11/2026" in html
    assert "Nghị định 13/2023/NĐ-CP" in html and 'name="altcha"' in html


def test_full_slot_is_shown_and_cannot_be_chosen(client, office):
    QueueSettings.objects.update_or_create(office=office, defaults={"booking_per_slot": 1})
    citizen = CitizenFactory()
    Booking.objects.create(
        office=office,
        service=office.queue_services.get(code="A"),
        citizen=citizen,
        slot_start=datetime(2026, 11, 18, 14, 0, tzinfo=clock.VN_TZ),
        created_at=NOW,
    )
    html = client.get(
        URL, {"bo-phan": "ha-dong", "dich-vu": "A", "ngay": DAY.isoformat()}
    ).content.decode()
    assert "14:00–14:30 <small>Hết chỗ</small>" in html
    html = client.get(
        URL, {"bo-phan": "ha-dong", "dich-vu": "A", "ngay": DAY.isoformat(), "gio": "14:00"}
    ).content.decode()
    assert "không còn trống" in html and 'name="id_number"' not in html


def test_book_shows_code_office_time_and_what_to_do(client, office, solve_challenge):
    resp = _post(client, solve_challenge)
    assert resp.status_code == 200
    html = resp.content.decode()
    b = Booking.objects.get()
    assert b.code and b.code in html and b.status == BookingStatus.BOOKED
    assert b.phone == "0912345678" and b.channel == "portal"
    assert b.slot_start == datetime(2026, 11, 18, 14, 0, tzinfo=clock.VN_TZ)
    for text in (
        "Đã đặt lịch hẹn thành công",
        "Bộ phận một cửa phường Hà Đông",
        "Số 1 Quang Trung, Hà Đông, Hà Nội",
        "Hộ tịch",
        "Thứ Tư, 18/11/2026",
        "14:00–14:30",
        "Đến kiosk và nhận diện bằng khuôn mặt, mã QR căn cước hoặc số điện thoại để lấy số; "
        "lịch hẹn được ưu tiên trong khung giờ hẹn",
    ):
        assert text in html, text


@pytest.mark.parametrize(
    ("over", "text"),
    [
        ({"altcha": "sai"}, "Mã xác minh chống gửi tự động không hợp lệ"),
        ({"altcha": ""}, "Thiếu mã xác minh chống gửi tự động"),
        ({"consent": None}, "Vui lòng đồng ý"),
        ({"id_number": "123"}, "Số CCCD phải gồm đúng 12 chữ số"),
        ({"id_number": "999085012345"}, "không thuộc danh mục mã tỉnh"),
        ({"phone": "12345"}, "Số điện thoại “12345” không hợp lệ"),
    ],
)
def test_invalid_input_is_explained_and_nothing_is_booked(
    client, office, solve_challenge, over, text
):
    resp = _post(client, solve_challenge, **over)
    assert resp.status_code in (400, 422)
    assert text in resp.content.decode()
    assert not Booking.objects.exists()


def test_identity_mismatch_and_duplicate_are_refused_in_vietnamese(client, office, solve_challenge):
    CitizenFactory(id_number=ID_A, full_name="Lê Thị Hoa")
    resp = _post(client, solve_challenge)
    assert resp.status_code == 409
    assert "Họ và tên không khớp với thông tin đã lưu" in resp.content.decode()
    assert _post(client, solve_challenge, full_name="LE THI HOA").status_code == 200
    resp = _post(client, solve_challenge, full_name="Lê Thị Hoa", gio="15:00")
    assert resp.status_code == 409 and "Bạn đã có lịch hẹn cho dịch vụ này" in resp.content.decode()
    assert Booking.objects.count() == 1


def test_booking_posts_are_rate_limited(client, office, solve_challenge):
    codes = [_post(client, solve_challenge, altcha="sai").status_code for _ in range(11)]
    assert codes[:10] == [400] * 10 and codes[10] == 429


def test_cancel_page(client, office, solve_challenge):
    _post(client, solve_challenge)
    b = Booking.objects.get()
    html = client.get("/dat-lich/huy/", {"ma": b.code}).content.decode()
    assert f'value="{b.code}"' in html

    resp = client.post("/dat-lich/huy/", {"code": b.code, "verify": "0000"})
    assert resp.status_code == 404
    assert "Không tìm thấy lịch hẹn" in resp.content.decode()
    b.refresh_from_db()
    assert b.status == BookingStatus.BOOKED

    resp = client.post(
        "/dat-lich/huy/", {"code": b.code.lower(), "verify": ID_A[-4:], "reason": "Bận việc"}
    )
    html = resp.content.decode()
    assert resp.status_code == 200 and f"Đã hủy lịch hẹn {b.code}" in html
    assert "14:00, Thứ Tư, 18/11/2026" in html
    b.refresh_from_db()
    assert b.status == BookingStatus.CANCELLED and b.cancel_reason == "Bận việc"

    resp = client.post("/dat-lich/huy/", {"code": b.code, "verify": "0912345678"})
    assert resp.status_code == 409 and "không thể hủy" in resp.content.decode()


def test_cancel_page_is_rate_limited(client, office):
    # A different code each time: one code alone is locked sooner (test_verifier_locks).
    codes = [
        client.post("/dat-lich/huy/", {"code": f"LH-ZZZZ{i:02d}", "verify": "1234"}).status_code
        for i in range(11)
    ]
    assert codes[:10] == [404] * 10 and codes[10] == 429


# ---------------------------------------------------------------- API


def test_api_slots(client, office):
    resp = client.get("/api/v1/queue/ha-dong/slots", {"service": "A", "day": "2026-11-17"})
    assert resp.status_code == 200
    body = resp.json()
    assert body[0] == {"start": "2026-11-17T09:30:00+07:00", "left": 4}
    assert body[-1]["start"] == "2026-11-17T16:30:00+07:00"
    sunday = client.get("/api/v1/queue/ha-dong/slots", {"service": "A", "day": "2026-11-22"})
    assert sunday.status_code == 200 and sunday.json() == []
    bad = client.get("/api/v1/queue/ha-dong/slots", {"service": "A", "day": "22/11/2026"})
    assert bad.status_code == 422 and bad.json()["code"] == "day_invalid"
    gone = client.get("/api/v1/queue/ha-dong/slots", {"service": "C", "day": "2026-11-17"})
    assert gone.status_code == 404 and gone.json()["code"] == "service_unavailable"
    nowhere = client.get("/api/v1/queue/khong-co/slots", {"service": "A", "day": "2026-11-17"})
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "office_not_found"


def _api_book(client, **over):
    data = {
        "office": "ha-dong",
        "service": "A",
        "slot_start": "2026-11-18T14:00:00+07:00",
        "id_number": ID_A,
        "full_name": "Nguyễn Văn An",
        "phone": "0912345678",
    }
    data.update(over)
    return client.post(
        "/api/v1/public/bookings", data, content_type="application/json", **challenge_header()
    )


def test_api_book_and_errors(client, office, monkeypatch):
    from motcua.portal import api as portal_api

    monkeypatch.setattr(portal_api, "RATE_API_BOOKING", ("50/m",))  # limits: tested below
    resp = _api_book(client)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    b = Booking.objects.get()
    assert body == {
        "code": b.code,
        "slot_start": "2026-11-18T14:00:00+07:00",
        "office": "ha-dong",
        "service": "A",
    }
    left = client.get("/api/v1/queue/ha-dong/slots", {"service": "A", "day": "2026-11-18"}).json()
    assert {"start": "2026-11-18T14:00:00+07:00", "left": 3} in left

    dup = _api_book(client, slot_start="2026-11-18T15:00:00+07:00")
    assert dup.status_code == 409 and dup.json()["code"] == "booking_duplicate"
    assert "message" in dup.json()
    # The record made by the first booking is only what was typed: a different name is not
    # refused (it could lock the real person out) but kept on the booking.
    other = _api_book(client, full_name="Trần Văn Bảo", slot_start="2026-11-19T09:00:00+07:00")
    assert other.status_code == 201
    assert Booking.objects.get(code=other.json()["code"]).full_name == "Trần Văn Bảo"
    assert not b.citizen.verified and b.citizen.full_name != "Trần Văn Bảo"
    # Once the record is verified (ID card scanned at the office), the name must match.
    type(b.citizen).objects.filter(pk=b.citizen_id).update(verified=True)
    wrong = _api_book(client, full_name="Trần Văn Bảo", slot_start="2026-11-20T09:00:00+07:00")
    assert wrong.status_code == 409 and wrong.json()["code"] == "booking_identity_mismatch"
    sunday = _api_book(client, id_number="001190054321", slot_start="2026-11-22T09:00:00+07:00")
    assert sunday.status_code == 422 and sunday.json()["code"] == "booking_slot_invalid"
    # A naive time is read as Vietnam time.
    ok = _api_book(client, id_number="001190054321", slot_start="2026-11-18T14:00:00")
    assert ok.status_code == 201 and ok.json()["slot_start"] == "2026-11-18T14:00:00+07:00"


def test_api_booking_is_rate_limited(client, office):
    codes = [
        _api_book(client, id_number="123").status_code for _ in range(6)
    ]  # every attempt counts, valid or not
    assert codes[:5] == [422] * 5 and codes[5] == 429
    assert _api_book(client).json()["code"] == "rate_limited"


def test_api_booking_retried_with_its_key_books_once(client, office):
    """Issue 9 point 6: the booking API replays the first answer for the same Idempotency-Key."""
    data = {
        "office": "ha-dong",
        "service": "A",
        "slot_start": "2026-11-18T14:00:00+07:00",
        "id_number": ID_A,
        "full_name": "Nguyễn Văn An",
        "phone": "0912345678",
    }
    url = "/api/v1/public/bookings"
    kw = {
        "content_type": "application/json",
        "HTTP_IDEMPOTENCY_KEY": "book-1",
        **challenge_header(),
    }
    first = client.post(url, data, **kw)
    again = client.post(url, data, **kw)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and Booking.objects.count() == 1


def test_a_booking_code_is_locked_after_wrong_verifiers_from_anywhere(client, office):
    """Issue 9 point 8: the lock is keyed on the booking code, not on the client."""
    from motcua.core.throttle import CODE_FAILURES

    assert _api_book(client).status_code == 201
    b = Booking.objects.get()
    for i in range(CODE_FAILURES):
        r = client.post(
            "/dat-lich/huy/", {"code": b.code, "verify": f"{1000 + i}"}, REMOTE_ADDR=f"10.1.0.{i}"
        )
        assert r.status_code == 404
    right = client.post(
        "/dat-lich/huy/", {"code": b.code, "verify": "0912345678"}, REMOTE_ADDR="10.2.0.1"
    )
    assert right.status_code == 429 and "tạm khóa 1 giờ" in right.content.decode()
    b.refresh_from_db()
    assert b.status == BookingStatus.BOOKED


def test_a_scripted_burst_of_bookings_without_work_is_refused(client, office, monkeypatch):
    """Issue 15.1: the challenge that replaced the captcha still stops scripted bookings."""
    from motcua.portal import api as portal_api

    monkeypatch.setattr(portal_api, "RATE_API_BOOKING", ("100/m",))  # only the challenge here
    url = "/api/v1/public/bookings"
    body = {
        "office": "ha-dong",
        "service": "A",
        "slot_start": "2026-11-18T14:00:00+07:00",
        "full_name": "Người Máy",
        "phone": "0912345678",
    }
    unsolved = [
        client.post(url, {**body, "id_number": f"0010850{i:05d}"}, content_type="application/json")
        for i in range(10)
    ]
    assert {r.status_code for r in unsolved} == {403}
    assert {r.json()["code"] for r in unsolved} == {"challenge_required"}
    # One real solution books once; replaying it (the cheap way to script a burst) fails.
    header = challenge_header()
    first = client.post(url, {**body, "id_number": ID_A}, content_type="application/json", **header)
    assert first.status_code == 201
    replays = [
        client.post(
            url,
            {**body, "id_number": f"0011900{i:05d}", "slot_start": "2026-11-18T15:00:00+07:00"},
            content_type="application/json",
            **header,
        )
        for i in range(5)
    ]
    assert {r.json()["code"] for r in replays} == {"challenge_used"}
    assert Booking.objects.count() == 1
    # The page form is held to the same rule.
    page = _post(client, lambda: "", id_number="001190012345")
    assert page.status_code == 400 and Booking.objects.count() == 1


def test_challenge_answers_are_checked(client, office, monkeypatch):
    import base64
    import json

    from motcua.core.challenge import challenge_solve
    from motcua.portal import api as portal_api

    monkeypatch.setattr(portal_api, "RATE_API_BOOKING", ("100/m",))

    ch = client.get("/api/v1/public/challenge").json()
    assert set(ch) == {"algorithm", "challenge", "maxnumber", "salt", "signature"}
    assert ch["algorithm"] == "SHA-256" and ch["maxnumber"] == 200
    good = json.loads(base64.b64decode(challenge_solve(ch)))

    def book(solution: dict) -> str:
        header = base64.b64encode(json.dumps(solution).encode()).decode()
        r = client.post(
            "/api/v1/public/bookings",
            {
                "office": "x",
                "service": "A",
                "slot_start": "2026-11-18T14:00:00+07:00",
                "id_number": ID_A,
                "full_name": "An",
                "phone": "0912345678",
            },
            content_type="application/json",
            HTTP_X_ALTCHA=header,
        )
        return r.json()["code"]

    assert book({**good, "number": good["number"] + 1}) == "challenge_invalid"
    assert book({**good, "signature": "0" * 64}) == "challenge_invalid"
    assert book({**good, "salt": good["salt"] + "0"}) == "challenge_invalid"
    # A signed challenge whose time is up.
    with clock.frozen(clock.now() + timedelta(hours=1)):
        assert book(good) == "challenge_expired"
    # The unit does not exist: the challenge passed, then the booking failed on its own terms.
    assert book(good) == "office_not_found"
    assert book(good) == "challenge_used"


def test_staff_tokens_book_without_the_challenge(client, office):
    from factories import UserFactory
    from motcua.core.services import api_token_issue

    token = api_token_issue(user=UserFactory())
    r = client.post(
        "/api/v1/public/bookings",
        {
            "office": "ha-dong",
            "service": "A",
            "slot_start": "2026-11-18T14:00:00+07:00",
            "id_number": ID_A,
            "full_name": "Nguyễn Văn An",
            "phone": "0912345678",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 201, r.content
