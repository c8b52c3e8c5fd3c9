"""Appointment booking: slots from the working calendar, capacity, fair-use rules, cancel, concurrency."""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta

import pytest
from django.db import connection

from factories import CitizenFactory, OfficeFactory, StaffRoleFactory
from motcua.core import clock
from motcua.core.errors import DomainError, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.org.models import Citizen, Role
from motcua.queueing import bookings, services
from motcua.queueing.models import (
    Booking,
    BookingChannel,
    BookingStatus,
    Method,
    QueueSettings,
    Service,
    Status,
)

TUESDAY = date(2026, 11, 17)
NOW = datetime(2026, 11, 17, 9, 0, tzinfo=clock.VN_TZ)
# 24/11/2026 (Vietnam Cultural Day, from 2026) ships unconfirmed in the official calendar and
# counts as a working day until an administrator confirms it: the tests that need a holiday on
# a Tuesday confirm it first (fixture `holiday_confirmed`).
HOLIDAY = date(2026, 11, 24)
SUNDAY = date(2026, 11, 22)
ID_A = "001085012345"
ID_B = "001190054321"


def at_(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=clock.VN_TZ)


@pytest.fixture
def now(freeze):
    freeze(NOW)
    return NOW


@pytest.fixture
def holiday_confirmed(db):
    from motcua.worktime.models import DayStatus, OfficialDay

    assert OfficialDay.objects.filter(date=HOLIDAY).update(status=DayStatus.CONFIRMED) == 1


def book(office, service, slot_start, id_number=ID_A, full_name="Nguyễn Văn An", **kw):
    kw.setdefault("phone", "0912345678")
    kw.setdefault("channel", BookingChannel.PORTAL)
    return bookings.booking_book(
        office=office,
        service=service,
        slot_start=slot_start,
        id_number=id_number,
        full_name=full_name,
        **kw,
    )


# ---------------------------------------------------------------- slots


def test_slots_of_a_working_day_follow_the_office_windows(now, office, svc_a, rules):
    slots = bookings.booking_slots(office=office, service=svc_a, day=TUESDAY + timedelta(days=1))
    starts = [s.start.strftime("%H:%M") for s in slots]
    # 07:30–11:30 and 13:00–17:00 in 30-minute slots: 8 + 8.
    assert starts[:2] == ["07:30", "08:00"] and starts[-1] == "16:30" and len(starts) == 16
    assert "11:30" not in starts and "12:00" not in starts and "13:00" in starts
    assert {s.left for s in slots} == {rules.booking_per_slot}


def test_no_slots_in_the_past_on_sundays_holidays_or_beyond_the_horizon(
    now, office, svc_a, rules, holiday_confirmed
):
    today = bookings.booking_slots(office=office, service=svc_a, day=TUESDAY)
    assert today[0].start == at_(TUESDAY, 9, 30)  # 09:00 has started: only later slots
    assert bookings.booking_slots(office=office, service=svc_a, day=SUNDAY) == []
    assert bookings.booking_slots(office=office, service=svc_a, day=HOLIDAY) == []
    assert bookings.booking_slots(office=office, service=svc_a, day=TUESDAY - timedelta(1)) == []
    horizon = TUESDAY + timedelta(days=rules.booking_days_ahead)  # 1 December, a Tuesday
    assert bookings.booking_slots(office=office, service=svc_a, day=horizon)
    assert bookings.booking_slots(office=office, service=svc_a, day=horizon + timedelta(1)) == []
    days = bookings.booking_days(office=office, service=svc_a)
    assert SUNDAY not in days and HOLIDAY not in days and days[0] == TUESDAY


def test_no_slots_for_an_inactive_or_foreign_service(now, office, svc_a):
    other = Service.objects.create(office=OfficeFactory(), code="A", name="Hộ tịch")
    assert bookings.booking_slots(office=office, service=other, day=TUESDAY) == []
    svc_a.active = False
    svc_a.save()
    assert bookings.booking_slots(office=office, service=svc_a, day=TUESDAY) == []


def test_slot_length_and_capacity_come_from_settings(now, office, svc_a, svc_b, rules):
    rules.booking_slot_minutes, rules.booking_per_slot = 60, 2
    rules.save()
    day = TUESDAY + timedelta(days=1)
    slot = at_(day, 8, 30)
    book(office, svc_a, slot)
    book(office, svc_b, slot, id_number=ID_B, full_name="Trần Thị Bình", phone="0987654321")
    slots = {s.start: s for s in bookings.booking_slots(office=office, service=svc_a, day=day)}
    assert len(slots) == 8  # 4 one-hour slots each half-day
    assert slots[slot].left == 1  # the B booking holds a place of service B only
    assert slots[at_(day, 9, 30)].left == 2


# ---------------------------------------------------------------- book


def test_book_creates_citizen_and_a_readable_code(now, office, svc_a, rules):
    b = book(office, svc_a, at_(TUESDAY, 14, 0), phone="+84 912 345 678")
    assert re.fullmatch(r"LH-[2-9A-HJ-NP-Z]{6}", b.code)
    assert not set(b.code[3:]) & set("01OI")
    assert b.status == BookingStatus.BOOKED and b.channel == BookingChannel.PORTAL
    assert b.phone == "0912345678" and b.created_by is None
    citizen = Citizen.objects.get(id_number=ID_A)
    assert citizen.full_name == "Nguyễn Văn An" and citizen.phone == "0912345678"
    assert b.citizen == citizen and b.slot_start == at_(TUESDAY, 14, 0)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"id_number": "12345"}, "id_number_format"),
        ({"id_number": "999085012345"}, "id_number_province"),
        ({"full_name": "  "}, "full_name_required"),
        ({"phone": "12345"}, "phone_invalid"),
        ({"phone": ""}, "phone_required"),
    ],
)
def test_book_validates_identity_input(now, office, svc_a, kwargs, code):
    with pytest.raises(ValidationFailed) as exc:
        book(office, svc_a, at_(TUESDAY, 14, 0), **kwargs)
    assert exc.value.code == code
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "slot",
    [
        at_(TUESDAY, 8, 0),  # already passed
        at_(TUESDAY, 14, 10),  # not a slot boundary
        at_(TUESDAY, 12, 0),  # lunch break
        at_(SUNDAY, 9, 0),
        at_(HOLIDAY, 9, 0),
        at_(TUESDAY + timedelta(days=30), 9, 0),
    ],
)
def test_book_refuses_a_slot_that_is_not_offered(now, office, svc_a, slot, holiday_confirmed):
    with pytest.raises(bookings.BookingSlotInvalid):
        book(office, svc_a, slot)


def test_full_slot_is_refused(now, office, svc_a, rules):
    rules.booking_per_slot = 2
    rules.save()
    slot = at_(TUESDAY, 10, 0)
    people = CitizenFactory.create_batch(3)
    for c in people[:2]:
        bookings.booking_book(
            office=office, service=svc_a, slot_start=slot, id_number=c.id_number,
            full_name=c.full_name, phone=c.phone, channel=BookingChannel.PORTAL,
        )  # fmt: skip
    with pytest.raises(bookings.BookingSlotFull) as exc:
        bookings.booking_book(
            office=office, service=svc_a, slot_start=slot, id_number=people[2].id_number,
            full_name=people[2].full_name, phone=people[2].phone, channel=BookingChannel.PORTAL,
        )  # fmt: skip
    assert exc.value.code == "booking_slot_full" and exc.value.status == 409
    left = {
        s.start: s.left for s in bookings.booking_slots(office=office, service=svc_a, day=TUESDAY)
    }
    assert left[slot] == 0
    # A cancelled booking frees its place.
    Booking.objects.filter(citizen=people[0]).update(status=BookingStatus.CANCELLED)
    left = {
        s.start: s.left for s in bookings.booking_slots(office=office, service=svc_a, day=TUESDAY)
    }
    assert left[slot] == 1


def test_one_booking_per_service_per_day(now, office, svc_a, svc_b):
    book(office, svc_a, at_(TUESDAY, 10, 0))
    with pytest.raises(bookings.BookingDuplicate) as exc:
        book(office, svc_a, at_(TUESDAY, 15, 0))
    assert exc.value.code == "booking_duplicate"
    # Another service the same day, or the same service another day, is fine (up to the limit).
    book(office, svc_b, at_(TUESDAY, 15, 0))
    assert Booking.objects.count() == 2


def test_at_most_two_active_future_bookings_per_office(now, office, svc_a, svc_b):
    book(office, svc_a, at_(TUESDAY, 10, 0))
    book(office, svc_b, at_(TUESDAY, 10, 0))
    with pytest.raises(bookings.BookingLimit) as exc:
        book(office, svc_a, at_(TUESDAY + timedelta(days=1), 10, 0))
    assert exc.value.code == "booking_limit"
    # Another office counts separately.
    other = OfficeFactory()
    svc_other = Service.objects.create(office=other, code="A", name="Hộ tịch")
    book(other, svc_other, at_(TUESDAY, 10, 0))
    # Cancelling one frees a place under the limit.
    first = Booking.objects.filter(office=office).order_by("id").first()
    bookings.booking_cancel(code=first.code, id_last4_or_phone=ID_A[-4:])
    book(office, svc_a, at_(TUESDAY + timedelta(days=1), 10, 0))


def test_known_citizen_is_never_overwritten_and_a_wrong_name_is_refused(now, office, svc_a):
    known = CitizenFactory(
        id_number=ID_A, full_name="Nguyễn Văn An", date_of_birth=date(1985, 5, 17),
        phone="0901111111",
    )  # fmt: skip
    with pytest.raises(bookings.BookingIdentityMismatch) as exc:
        book(office, svc_a, at_(TUESDAY, 10, 0), full_name="Trần Văn Bảo", phone="0987654321")
    assert exc.value.code == "booking_identity_mismatch" and "Họ và tên không khớp" in str(
        exc.value
    )
    assert not Booking.objects.exists()
    # Same name typed without diacritics and in capitals is the same person.
    b = book(office, svc_a, at_(TUESDAY, 10, 0), full_name="NGUYEN  VAN AN", phone="0987654321")
    known.refresh_from_db()
    assert b.citizen == known and b.phone == "0987654321"
    assert known.full_name == "Nguyễn Văn An" and known.phone == "0901111111"
    assert known.date_of_birth == date(1985, 5, 17)


def test_staff_booking_needs_a_role_and_is_audited(now, office, svc_a):
    officer = StaffRoleFactory(unit=office.unit, role=Role.RECEPTION).user
    stranger = StaffRoleFactory(role=Role.RECEPTION).user  # another unit
    with pytest.raises(PermissionDenied):
        book(office, svc_a, at_(TUESDAY, 10, 0), channel=BookingChannel.STAFF, created_by=stranger)
    b = book(
        office, svc_a, at_(TUESDAY, 10, 0), channel=BookingChannel.STAFF, created_by=officer,
        phone="",
    )  # fmt: skip
    assert b.channel == BookingChannel.STAFF and b.created_by == officer
    ev = AuditEvent.objects.get(action="queue.booking.create")
    assert ev.actor == officer and ev.object_id == str(b.pk) and ev.detail["code"] == b.code


# ---------------------------------------------------------------- cancel


def test_citizen_cancels_by_code_with_last4_or_phone(now, office, svc_a):
    b1 = book(office, svc_a, at_(TUESDAY, 10, 0))
    b2 = book(office, svc_a, at_(TUESDAY + timedelta(days=1), 10, 0))
    for wrong in ("9999", "0987654321", "", "abc"):
        with pytest.raises(bookings.BookingNotFound):
            bookings.booking_cancel(code=b1.code, id_last4_or_phone=wrong)
    with pytest.raises(bookings.BookingNotFound):
        bookings.booking_cancel(code="LH-ZZZZZZ", id_last4_or_phone=ID_A[-4:])
    # Lower case, without the dash: what people type back from a slip.
    done = bookings.booking_cancel(
        code=b1.code.lower().replace("-", " "), id_last4_or_phone=ID_A[-4:], reason="Bận việc"
    )
    assert done.status == BookingStatus.CANCELLED and done.cancel_reason == "Bận việc"
    assert done.cancelled_at == now
    done2 = bookings.booking_cancel(code=b2.code, id_last4_or_phone="+84912345678")
    assert done2.status == BookingStatus.CANCELLED
    with pytest.raises(bookings.BookingNotCancellable) as exc:
        bookings.booking_cancel(code=b1.code, id_last4_or_phone=ID_A[-4:])
    assert exc.value.code == "booking_not_cancellable"


def test_staff_cancel_only_in_their_unit(now, office, svc_a):
    b = book(office, svc_a, at_(TUESDAY, 10, 0))
    stranger = StaffRoleFactory(role=Role.RECEPTION).user
    with pytest.raises(PermissionDenied):
        bookings.booking_cancel_by_staff(booking=b, user=stranger, reason="Thử")
    manager = StaffRoleFactory(unit=office.unit, role=Role.MANAGER).user
    with pytest.raises(ValidationFailed):
        bookings.booking_cancel_by_staff(booking=b, user=manager, reason=" ")
    bookings.booking_cancel_by_staff(booking=b, user=manager, reason="Công dân gọi điện hủy")
    b.refresh_from_db()
    assert b.status == BookingStatus.CANCELLED and b.cancel_reason == "Công dân gọi điện hủy"
    assert AuditEvent.objects.filter(action="queue.booking.cancel", actor=manager).exists()


def test_booking_turns_into_ticket_at_phone_check_in(now, freeze, office, svc_a):
    b = book(office, svc_a, at_(TUESDAY, 10, 0))
    freeze(at_(TUESDAY, 9, 50))
    result = services.kiosk_check_in(office=office, service=svc_a, phone="0912345678")
    b.refresh_from_db()
    assert result.ticket.booking == b and b.status == BookingStatus.CHECKED_IN
    assert result.ticket.method == Method.PHONE and result.ticket.status == Status.WAITING
    # A checked-in booking still holds its place in the slot, and cannot be cancelled.
    with pytest.raises(bookings.BookingNotCancellable):
        bookings.booking_cancel(code=b.code, id_last4_or_phone=ID_A[-4:])


def test_known_citizen_checks_in_with_the_phone_given_when_booking(now, freeze, office, svc_a):
    """A known person keeps their saved phone; the booking's number still finds them today."""
    CitizenFactory(id_number=ID_B, full_name="Trần Thị Bình", phone="0987000111")
    b = book(office, svc_a, at_(TUESDAY, 10, 0), id_number=ID_B, full_name="Trần Thị Bình",
             phone="0912999888")  # fmt: skip
    freeze(at_(TUESDAY, 9, 55))
    result = services.kiosk_check_in(office=office, service=svc_a, phone="0912 999 888")
    assert result.ticket.citizen.id_number == ID_B and result.ticket.booking == b
    # Another office, or another day, does not know that number.
    other = OfficeFactory()
    other_svc = Service.objects.create(office=other, code="A", name="Hộ tịch")
    with pytest.raises(services.PhoneUnknown):
        services.kiosk_check_in(office=other, service=other_svc, phone="0912999888")


def test_a_family_phone_is_ambiguous_and_a_lost_slip_comes_back(now, freeze, office, svc_a):
    mother = CitizenFactory(id_number=ID_A, full_name="Nguyễn Thị Mẹ", phone="0912999888")
    CitizenFactory(id_number=ID_B, full_name="Trần Văn Con", phone="0987000111")
    book(office, svc_a, at_(TUESDAY, 10, 0), id_number=ID_B, full_name="Trần Văn Con",
         phone="0912999888")  # fmt: skip
    freeze(at_(TUESDAY, 9, 55))
    # The number is the mother's saved phone and the son's booking phone: the QR decides.
    with pytest.raises(services.PhoneAmbiguous):
        services.kiosk_check_in(office=office, service=svc_a, phone="0912999888")
    mother.phone = ""
    mother.save()
    first = services.kiosk_check_in(office=office, service=svc_a, phone="0912999888")
    assert first.ticket.citizen.id_number == ID_B and not first.reused
    # After checking in, the same number brings back the same ticket (a lost slip).
    again = services.kiosk_check_in(office=office, service=svc_a, phone="0912999888")
    assert again.reused and again.ticket == first.ticket


def test_no_second_booking_for_a_service_already_checked_in_today(now, freeze, office, svc_a):
    b = book(office, svc_a, at_(TUESDAY, 10, 0))
    freeze(at_(TUESDAY, 9, 55))
    services.kiosk_check_in(office=office, service=svc_a, phone="0912345678")
    b.refresh_from_db()
    assert b.status == BookingStatus.CHECKED_IN
    with pytest.raises(bookings.BookingDuplicate):
        book(office, svc_a, at_(TUESDAY, 15, 0))


# ---------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
def test_concurrent_booking_of_the_last_places_never_overbooks(freeze):
    freeze(NOW)
    office = OfficeFactory()
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    QueueSettings.objects.create(office=office, booking_per_slot=3)
    slot = at_(TUESDAY, 15, 0)
    n = 10
    people = [(f"0010850{i:05d}", f"Công Dân {chr(65 + i)}", f"09{i:08d}") for i in range(n)]
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(id_number: str, name: str, phone: str) -> None:
        try:
            barrier.wait()
            bookings.booking_book(
                office=office, service=svc, slot_start=slot, id_number=id_number,
                full_name=name, phone=phone, channel=BookingChannel.PORTAL,
            )  # fmt: skip
            result = "ok"
        except DomainError as exc:
            result = exc.code
        except Exception as exc:  # a database error would be a bug: make it visible
            result = f"error:{exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=p) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["booking_slot_full"] * (n - 3) + ["ok"] * 3, (
        connection.vendor,
        outcomes,
    )
    assert Booking.objects.filter(slot_start=slot, status=BookingStatus.BOOKED).count() == 3
    assert Booking.objects.values("code").distinct().count() == 3
