"""Appointment booking for the check-in queue: free slots of a day, book, cancel.

A booking holds a place in a slot; it becomes a ticket only when its owner checks in at the
kiosk (`services._ticket_issue` turns the day's booking into the ticket). Slots come from the
office's working calendar (holidays, swaps, the office's opening windows); capacity is per
service and slot (`QueueSettings.booking_per_slot`).
"""

from __future__ import annotations

import dataclasses
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from motcua.core import clock
from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.core.services import audit_record
from motcua.core.text import ascii_digits, normalize_name
from motcua.org.idcard import validate_id_number
from motcua.org.models import Citizen, Office, Role
from motcua.org.permissions import require_role
from motcua.org.phone import normalize_phone
from motcua.queueing.models import (
    Booking,
    BookingChannel,
    BookingStatus,
    QueueDay,
    QueueSettings,
    Service,
)
from motcua.queueing.services import ServiceUnavailable, queue_settings

# Active future bookings one person may hold at one office (all services together).
ACTIVE_LIMIT = 2
# Booking codes: no 0/O or 1/I, so a code read over the phone or from paper is unambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_PREFIX = "LH-"
CODE_LENGTH = 6
# Statuses that hold a place in a slot.
HOLDING = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN)
STAFF_ROLES = (Role.RECEPTION, Role.MANAGER)


# ---------------------------------------------------------------- errors


class BookingSlotInvalid(ValidationFailed):
    code = "booking_slot_invalid"
    message = (
        "Khung giờ hẹn không hợp lệ: ngày nghỉ, ngoài giờ làm việc, đã qua hoặc quá xa. "
        "Vui lòng chọn lại khung giờ còn trống."
    )


class BookingSlotFull(Conflict):
    code = "booking_slot_full"
    message = "Khung giờ này vừa hết chỗ. Vui lòng chọn khung giờ khác."


class BookingDuplicate(Conflict):
    code = "booking_duplicate"
    message = (
        "Bạn đã có lịch hẹn cho dịch vụ này trong ngày đã chọn. Mỗi người chỉ đặt một lịch hẹn "
        "cho mỗi dịch vụ trong một ngày; nếu muốn đổi giờ, hãy hủy lịch hẹn cũ trước."
    )


class BookingLimit(Conflict):
    code = "booking_limit"
    message = (
        f"Bạn đang có {ACTIVE_LIMIT} lịch hẹn chưa đến ngày hẹn tại bộ phận một cửa này, là số "
        "tối đa cho phép. Vui lòng hủy bớt hoặc đặt lịch mới sau khi đã đến làm thủ tục."
    )


class BookingIdentityMismatch(Conflict):
    code = "booking_identity_mismatch"
    message = (
        "Họ và tên không khớp với thông tin đã lưu của số CCCD này. Vui lòng nhập đúng họ và tên "
        "như trên thẻ căn cước, hoặc liên hệ bộ phận một cửa để được hỗ trợ."
    )


class BookingNotFound(NotFound):
    code = "booking_not_found"
    message = (
        "Không tìm thấy lịch hẹn khớp với mã lịch hẹn và thông tin xác minh đã nhập. "
        "Vui lòng kiểm tra lại."
    )


class BookingNotCancellable(Conflict):
    code = "booking_not_cancellable"
    message = "Lịch hẹn này không còn hiệu lực nên không thể hủy."


# ---------------------------------------------------------------- slots


@dataclass(frozen=True)
class Slot:
    """One bookable slot of a service: its start and end, and the places still free."""

    start: datetime
    end: datetime
    left: int

    @property
    def full(self) -> bool:
        return self.left <= 0


def _office_calendar(office: Office) -> Any:
    """The working calendar of the office's unit, with this office's own opening windows."""
    from motcua.worktime.selectors import calendar_for_unit

    calendar = calendar_for_unit(office.unit)
    windows = (
        (office.morning_start, office.morning_end),
        (office.afternoon_start, office.afternoon_end),
    )
    if all(isinstance(t, time) for w in windows for t in w):
        try:
            return dataclasses.replace(calendar, windows=windows)
        except ValueError:
            pass  # inconsistent hours on the office: the unit's windows stand
    return calendar


def _slot_starts(office: Office, day: date, minutes: int) -> list[tuple[datetime, datetime]]:
    calendar = _office_calendar(office)
    if not calendar.is_working_day(day):
        return []
    step = timedelta(minutes=max(1, minutes))
    out: list[tuple[datetime, datetime]] = []
    for start, end in calendar.windows:
        at = datetime.combine(day, start, tzinfo=clock.VN_TZ)
        close = datetime.combine(day, end, tzinfo=clock.VN_TZ)
        while at + step <= close:
            out.append((at, at + step))
            at += step
    return out


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=clock.VN_TZ)
    return start, start + timedelta(days=1)


def _bookable_day(office: Office, day: date, rules: QueueSettings) -> bool:
    today = clock.today()
    if day < today or day > today + timedelta(days=rules.booking_days_ahead):
        return False
    if day == today:
        return not QueueDay.objects.filter(
            office=office, date=day, closed_at__isnull=False
        ).exists()
    return True


def booking_slots(*, office: Office, service: Service, day: date) -> list[Slot]:
    """The slots of a day a citizen may still book for a service, with the places left in each."""
    if service.office_id != office.pk or not service.active or not office.is_active:
        return []
    rules = queue_settings(office)
    if not _bookable_day(office, day, rules):
        return []
    now = clock.now()
    bounds = [(s, e) for s, e in _slot_starts(office, day, rules.booking_slot_minutes) if s > now]
    if not bounds:
        return []
    lo, hi = _day_bounds(day)
    taken: dict[datetime, int] = {}
    for start in Booking.objects.filter(
        service=service, status__in=HOLDING, slot_start__gte=lo, slot_start__lt=hi
    ).values_list("slot_start", flat=True):
        key = clock.local(start)
        taken[key] = taken.get(key, 0) + 1
    return [
        Slot(start=s, end=e, left=max(0, rules.booking_per_slot - taken.get(s, 0)))
        for s, e in bounds
    ]


def booking_days(*, office: Office, service: Service) -> list[date]:
    """The days from today to the booking horizon on which the office works (slots may be full)."""
    if service.office_id != office.pk or not service.active or not office.is_active:
        return []
    rules = queue_settings(office)
    calendar = _office_calendar(office)
    today = clock.today()
    return [
        d
        for d in (today + timedelta(days=i) for i in range(rules.booking_days_ahead + 1))
        if calendar.is_working_day(d) and _bookable_day(office, d, rules)
    ]


# ---------------------------------------------------------------- book


def new_code(prefix: str = CODE_PREFIX) -> str:
    """A fresh random code `<prefix>XXXXXX` (also used for home-visit codes)."""
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_prefixed_code(code: str, prefix: str) -> str:
    """'tn 7k3p9q' / '7K3P9Q' / 'TN-7K3P9Q' → 'TN-7K3P9Q' for a prefix such as 'TN-'."""
    bare = prefix.rstrip("-")
    text = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    if text.startswith(bare) and len(text) == len(bare) + CODE_LENGTH:
        text = text[len(bare) :]
    return prefix + text if text else ""


def normalize_code(code: str) -> str:
    """'lh 7k3p9q' / '7K3P9Q' / 'LH-7K3P9Q' → 'LH-7K3P9Q' (what a citizen types back)."""
    return normalize_prefixed_code(code, CODE_PREFIX)


def citizen_for_booking(*, id_number: str, full_name: str, phone: str, actor: Any) -> Citizen:
    """The citizen with this CCCD; created (unverified) from the booking when unknown.

    What a stranger typed never changes a known person's record; a name that differs from a
    verified record is refused, while an unverified one (itself only typed) cannot lock the
    real person out: the booking keeps the name given with it.
    """
    from motcua.org.services import citizen_upsert

    try:
        return citizen_upsert(
            id_number=id_number, full_name=full_name, phone=phone, actor=actor,
            verified=False, source="booking",
        )  # fmt: skip
    except ValidationFailed as exc:
        if exc.code == "citizen_name_mismatch":
            raise BookingIdentityMismatch() from None
        raise


def _slot_of_day(office: Office, service: Service, slot_start: datetime) -> Slot:
    local = clock.local(slot_start)
    for slot in booking_slots(office=office, service=service, day=local.date()):
        if slot.start == local:
            return slot
    raise BookingSlotInvalid()


@transaction.atomic
def booking_book(
    *,
    office: Office,
    service: Service,
    slot_start: datetime,
    id_number: str,
    full_name: str,
    phone: str,
    channel: str = BookingChannel.PORTAL,
    created_by: Any = None,
) -> Booking:
    """Book a place in a slot for the holder of a CCCD; returns the booking with its code."""
    if channel not in BookingChannel.values:
        raise ValidationFailed("Kênh đặt lịch không hợp lệ.", code="booking_channel_invalid")
    if channel == BookingChannel.STAFF:
        require_role(created_by, STAFF_ROLES, office.unit)
    else:
        created_by = None
    if service.office_id != office.pk or not service.active or not office.is_active:
        raise ServiceUnavailable()
    id_number = (id_number or "").strip()
    validate_id_number(id_number)
    name = normalize_name(full_name or "")
    if not name:
        raise ValidationFailed("Vui lòng nhập họ và tên.", code="full_name_required")
    if len(name) > 200 or any(ch.isdigit() for ch in name):
        raise ValidationFailed("Họ và tên không hợp lệ.", code="full_name_invalid")
    phone = normalize_phone(phone or "")
    if not phone and channel == BookingChannel.PORTAL:
        raise ValidationFailed(
            "Vui lòng nhập số điện thoại di động để nhận diện khi đến và để hủy lịch khi cần.",
            code="phone_required",
        )
    citizen = citizen_for_booking(
        id_number=id_number, full_name=name, phone=phone, actor=created_by
    )

    # One office's bookings are serialised on its settings row: the capacity count, the
    # duplicate check and the insert below see every booking committed before them.
    rules = queue_settings(office)
    QueueSettings.objects.select_for_update().get(pk=rules.pk)
    slot = _slot_of_day(office, service, slot_start)
    if slot.full:
        raise BookingSlotFull()
    lo, hi = _day_bounds(slot.start.date())
    if Booking.objects.filter(
        citizen=citizen,
        service=service,
        status__in=HOLDING,
        slot_start__gte=lo,
        slot_start__lt=hi,
    ).exists():
        raise BookingDuplicate()
    now = clock.now()
    active = Booking.objects.filter(
        citizen=citizen, office=office, status=BookingStatus.BOOKED, slot_start__gt=now
    ).count()
    if active >= ACTIVE_LIMIT:
        raise BookingLimit()

    booking: Booking | None = None
    for _ in range(8):
        try:
            with transaction.atomic():
                booking = Booking.objects.create(
                    office=office,
                    service=service,
                    citizen=citizen,
                    slot_start=slot.start,
                    created_at=now,
                    code=new_code(),
                    full_name=name,
                    phone=phone,
                    channel=channel,
                    created_by=created_by if getattr(created_by, "pk", None) else None,
                )
            break
        except IntegrityError:
            continue  # the code was taken (about one in a billion): draw another
    if booking is None:
        raise Conflict("Không tạo được mã lịch hẹn, vui lòng thử lại.", code="booking_code")
    if channel == BookingChannel.STAFF:
        audit_record(
            action="queue.booking.create",
            actor=created_by,
            obj=booking,
            detail={
                "code": booking.code,
                "citizen": citizen.id_number,
                "service": service.code,
                "slot_start": slot.start.isoformat(),
            },
        )
    return booking


# ---------------------------------------------------------------- cancel


def proof_matches(*, id_number: str, phones: tuple[str, ...], proof: str) -> bool:
    """True when `proof` is the last 4 digits of the CCCD or one of the phone numbers."""
    proof = (proof or "").strip()
    if not proof:
        return False
    if ascii_digits(proof) and len(proof) == 4:
        return hmac.compare_digest(id_number[-4:], proof)
    try:
        phone = normalize_phone(proof)
    except ValidationFailed:
        return False
    known = {p for p in phones if p}
    return any(hmac.compare_digest(phone, p) for p in known)


def _verified(booking: Booking, proof: str) -> bool:
    return proof_matches(
        id_number=booking.citizen.id_number,
        phones=(booking.phone, booking.citizen.phone),
        proof=proof,
    )


def _cancel(booking: Booking, reason: str) -> Booking:
    if booking.status != BookingStatus.BOOKED:
        raise BookingNotCancellable(
            f"Lịch hẹn {booking.code or ''} đang ở trạng thái "
            f"“{booking.get_status_display().lower()}”, không thể hủy."
        )
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = clock.now()
    booking.cancel_reason = (reason or "").strip()[:200]
    booking.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    return booking


@transaction.atomic
def booking_cancel(*, code: str, id_last4_or_phone: str, reason: str = "") -> Booking:
    """The citizen cancels a booking: its code plus the last 4 CCCD digits or the phone number."""
    normal = normalize_code(code)
    booking = (
        Booking.objects.select_for_update()
        .select_related("citizen", "office", "service")
        .filter(code=normal)
        .first()
        if normal
        else None
    )
    # One answer for an unknown code and a wrong proof: a code alone reveals nothing.
    if booking is None or not _verified(booking, id_last4_or_phone):
        raise BookingNotFound()
    return _cancel(booking, reason or "Công dân hủy lịch hẹn")


@transaction.atomic
def booking_cancel_by_staff(*, booking: Booking, user: Any, reason: str) -> Booking:
    """Staff of the office's unit cancel a booking (the citizen asked by phone, the office closes)."""
    booking = (
        Booking.objects.select_for_update()
        .select_related("citizen", "office__unit", "service")
        .get(pk=booking.pk)
    )
    require_role(user, STAFF_ROLES, booking.office.unit)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Vui lòng ghi lý do hủy lịch hẹn.", code="cancel_reason_required")
    _cancel(booking, reason)
    audit_record(
        action="queue.booking.cancel",
        actor=user,
        obj=booking,
        detail={"code": booking.code or "", "reason": booking.cancel_reason},
    )
    return booking
