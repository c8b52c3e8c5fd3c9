"""Tickets: issue (kiosk, desk, booking), fair-play rules, priority by age or on proof, kiosk check-in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction

from motcua.core import clock
from motcua.core.errors import Conflict, ValidationFailed
from motcua.core.rawsql import first_by, insert
from motcua.core.services import audit_record, sequence_next
from motcua.org.models import Citizen, Office
from motcua.queueing import hotsql, lookups
from motcua.queueing.models import (
    ACTIVE_STATUSES,
    Authorisation,
    BlockReason,
    Booking,
    BookingStatus,
    EventKind,
    Method,
    PriorityGroup,
    QueueDay,
    Service,
    Status,
    Ticket,
)
from motcua.queueing.numbering import ticket_display
from motcua.queueing.services.base import (
    CONSENTS,
    DESK_ROLES,
    AuthorisationRequired,
    DuplicateLimit,
    FaceAmbiguous,
    FaceMismatch,
    FaceUnknown,
    FairPlayRefused,
    IssueResult,
    NothingToIdentify,
    PhoneAmbiguous,
    PhoneUnknown,
    QueueClosed,
    ServiceUnavailable,
    _blocked_record,
    _check_status,
    _event,
    _issue_at_once,
    _lock,
    _lock_ticket,
    _require_staff,
)

# ---------------------------------------------------------------- issue


def ticket_issue(
    *,
    office: Office,
    service: Service,
    citizen: Citizen | None,
    method: str,
    booking: Booking | None = None,
    priority: PriorityGroup | None = None,
    on_behalf_of: Citizen | None = None,
    authorisation: Authorisation | None = None,
    device: str = "",
) -> IssueResult:
    """Issue a ticket under the fair-play rules; a person with an active ticket gets it back.

    A refused attempt is logged in its own transaction after the refusal, so call this outside
    any outer transaction for the log row to survive.
    """
    try:
        with transaction.atomic():
            return _ticket_issue(
                office=office, service=service, citizen=citizen, method=method, booking=booking,
                priority=priority, on_behalf_of=on_behalf_of, authorisation=authorisation, device=device,
            )  # fmt: skip
    except FairPlayRefused as exc:
        with transaction.atomic():
            _blocked_record(
                office=office,
                service=service,
                citizen=citizen,
                reason=exc.reason,
                method=method,
                device=device,
            )
        raise


def _ticket_issue(
    *,
    office: Office,
    service: Service,
    citizen: Citizen | None,
    method: str,
    booking: Booking | None,
    priority: PriorityGroup | None,
    on_behalf_of: Citizen | None,
    authorisation: Authorisation | None,
    device: str,
) -> IssueResult:
    if method not in Method.values:
        raise ValidationFailed("Cách nhận diện không hợp lệ.", code="method_invalid")
    if service.office_id != office.pk or not service.active:
        raise ServiceUnavailable()
    if citizen is None and method != Method.STAFF:
        raise ValidationFailed("Chưa xác định được công dân.", code="citizen_required")
    now = clock.now()
    today = now.date()
    rules = lookups.settings(office.pk)
    number_key = f"ticket:{office.pk}:{service.code}:{today.isoformat()}"
    if citizen is None:
        hotsql.hold_day_open(office.pk)  # closing the day waits for this ticket (hotsql.DAY_LOCK)
        if QueueDay.objects.filter(office=office, date=today, closed_at__isnull=False).exists():
            raise QueueClosed()
        booked: list[int] = []
        line, numbered = None, 0
    else:
        # Serialises check-ins of one person (two kiosks at once) so the rules below hold.
        # Also holds the office's day open: closing it waits for this ticket (hotsql.DAY_LOCK).
        hotsql.lock_citizen(citizen.pk, office_id=office.pk)
        # One read answers the day's state, both fair-play rules (the active ticket they already
        # hold for this service, given back, and the day's cap) and the booking that turns into
        # this ticket (`queueing.hotsql`: plain SQL, the check-in's hot path).
        day = hotsql.person_today(
            citizen_id=citizen.pk,
            office_id=office.pk,
            service_id=service.pk,
            day=today,
            bookings=booking is None,
            line_at=now,  # the line the new ticket joins: its position needs no read of its own
            number_key=number_key,
        )
        if day.closed:
            raise QueueClosed()
        if on_behalf_of is not None:
            if on_behalf_of.pk == citizen.pk:
                on_behalf_of = None
            elif (
                authorisation is None
                or authorisation.principal_id != on_behalf_of.pk
                or authorisation.agent_id != citizen.pk
                or authorisation.office_id != office.pk
                or not (authorisation.valid_from <= today <= authorisation.valid_to)
                or authorisation.revoked_at is not None
            ):
                raise AuthorisationRequired()
        held = day.tickets
        booked = day.bookings
        line, numbered = day.line, day.numbered
        behalf_id = on_behalf_of.pk if on_behalf_of is not None else None
        existing_id = next(
            (
                pk
                for pk, service_id, status, behalf, _carried in held
                if service_id == service.pk and status in ACTIVE_STATUSES and behalf == behalf_id
            ),
            None,
        )
        if existing_id is not None:
            existing = first_by(Ticket, "id", existing_id)
            assert existing is not None  # read in this transaction, the person's row locked
            existing.office, existing.service = office, service  # its own: matched above
            _blocked_record(
                office=office, service=service, citizen=citizen, reason=BlockReason.DUPLICATE,
                method=method, device=device, ticket=existing,
            )  # fmt: skip
            return IssueResult(ticket=existing, reused=True)
        issued_today = sum(1 for *_rest, carried in held if carried is None)
        if issued_today >= rules.daily_cap:
            raise DuplicateLimit()

    if priority is None and citizen is not None:
        # Age-based groups (the elderly) need no staff check: the birth date is on the ID card.
        # The age that counts is the person standing in the queue, not the one they act for.
        priority = priority_by_age(citizen, today)

    if booking is None and len(booked) > 1:
        # A booking of this person for this service today turns into this ticket (the earliest).
        booking = Booking.objects.filter(pk__in=booked).order_by("slot_start").first()
    elif booking is None and booked:
        booking = Booking(pk=booked[0])
    if booking is not None:
        booking = _lock(Booking, booking.pk)
        if booking.status != BookingStatus.BOOKED or booking.service_id != service.pk:
            raise Conflict("Lịch hẹn không còn hiệu lực.", code="booking_invalid")
        booking.status = BookingStatus.CHECKED_IN
        booking.save(update_fields=["status"])

    ticket = Ticket(
        office=office,
        service=service,
        service_date=today,
        citizen=citizen,
        on_behalf_of=on_behalf_of,
        authorisation=authorisation if on_behalf_of else None,
        method=method,
        priority=priority,
        booking=booking,
        issued_at=now,
        waiting_since=now,
        device=device[:80],
    )
    # The number is taken last: its row stays locked until the commit (no gaps), so nothing
    # else is done while it is held. On PostgreSQL number, ticket, event and signal are one
    # statement; else (and for the service's first number of the day) one by one.
    # (`numbered` 0 from the person's day: the key has no row yet, the one statement would
    # find none; a ticket issued by staff has no such read and tries.)
    at_once = citizen is None or numbered > 0
    if not at_once or not _issue_at_once(
        ticket, number_key=number_key, prefix=service.code, method=method, device=device[:80]
    ):
        ticket.number = sequence_next(key=number_key)
        ticket.display = ticket_display(service.code, ticket.number)
        insert(ticket)  # the ORM's create() without its query compiler (core.rawsql)
        _event(ticket, EventKind.ISSUE, method=method, device=device[:80])
    if ticket.number != numbered + 1:
        # Another check-in of this service took a number after `line` was read (PostgreSQL:
        # its ticket was not committed yet, and is ahead of this one): the answer reads the
        # line after the commit instead, as it did before the line was read here.
        line = None
    return IssueResult(ticket=ticket, reused=False, line=line)


def age_on(date_of_birth: date, day: date) -> int:
    return (
        day.year
        - date_of_birth.year
        - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))
    )


def priority_by_age(citizen: Citizen, day: date) -> PriorityGroup | None:
    """The strongest priority group granted by age alone (None when none applies)."""
    if citizen.date_of_birth is None:
        return None
    age = age_on(citizen.date_of_birth, day)
    return next((group for min_age, group in lookups.age_groups() if min_age <= age), None)


@transaction.atomic
def ticket_set_priority(
    *, ticket: Ticket, group: PriorityGroup | None, officer: Any, note: str = ""
) -> Ticket:
    """Staff confirm (or withdraw) a waiting citizen's priority group after seeing the proof."""
    ticket = _lock_ticket(ticket)
    _require_staff(officer, ticket.office, roles=DESK_ROLES)
    _check_status(ticket, (Status.WAITING,), "thay đổi diện ưu tiên")
    if ticket.priority_id == (group.pk if group else None):
        return ticket
    before = ticket.priority.code if ticket.priority else ""
    ticket.priority = group
    ticket.save(update_fields=["priority"])
    _event(
        ticket,
        EventKind.PRIORITY,
        actor=officer,
        group=group.code if group else "",
        before=before,
        note=note[:200],
    )
    audit_record(
        action="queue.ticket.priority",
        actor=officer,
        obj=ticket,
        detail={"group": group.code if group else "", "before": before},
    )
    return ticket


@transaction.atomic
def booking_create(
    *, office: Office, service: Service, citizen: Citizen, slot_start: datetime
) -> Booking:
    """A booking row without the booking rules (demo history, tests of the call order).

    Citizens and officials book through `queueing.bookings.booking_book`, which checks the
    slot, its capacity and the per-person limits.
    """
    if service.office_id != office.pk:
        raise ServiceUnavailable()
    return Booking.objects.create(
        office=office,
        service=service,
        citizen=citizen,
        slot_start=slot_start,
        created_at=clock.now(),
    )


# ---------------------------------------------------------------- kiosk


def _citizen_from_qr(qr: str) -> Citizen:
    from motcua.org.services import citizen_from_qr

    return citizen_from_qr(payload=qr)


def _citizen_from_phone(phone: str, office: Office | None = None) -> Citizen:
    from motcua.org.phone import normalize_phone

    normal = normalize_phone(phone)
    if not normal:
        raise PhoneUnknown()
    ids = list(Citizen.objects.filter(phone=normal).values_list("pk", flat=True)[:2])
    if office is not None:
        # Someone who booked here today with this number (a known citizen keeps their saved
        # phone; the booking's contact number is on the booking). A number that points at two
        # people (a family phone) is ambiguous: the ID card QR decides.
        ids += Citizen.objects.filter(
            queue_bookings__office=office,
            queue_bookings__phone=normal,
            queue_bookings__status__in=(BookingStatus.BOOKED, BookingStatus.CHECKED_IN),
            queue_bookings__slot_start__date=clock.today(),
        ).values_list("pk", flat=True)[:2]
    found = list(Citizen.objects.filter(pk__in=set(ids))[:2])
    if not found:
        raise PhoneUnknown()
    if len(found) > 1:
        raise PhoneAmbiguous()
    return found[0]


def kiosk_check_in(
    *,
    office: Office,
    service: Service,
    image: bytes | None = None,
    qr: str | None = None,
    phone: str | None = None,
    consent: str = "today",
    device: str = "",
    priority: PriorityGroup | None = None,
) -> IssueResult:
    """Check a citizen in at the kiosk and return their ticket (new, or the one they already hold).

    - image alone: the face is searched in the office gallery; a match issues the ticket by face;
      no match → `face_unknown` (scan the ID card QR or give a phone number, once);
      a borderline match → `face_ambiguous` (same).
    - image + qr (or image + phone): first visit; the QR/phone identifies the person, and with
      consent "today" or "remember" the face is enrolled so the next check-in needs only the face.
      If the face already belongs to someone else → `face_mismatch` (one face, one ticket).
    - qr or phone alone (consent declined): ticket by QR/phone, no face data kept.
    """
    from motcua.biometrics import services as bio

    if consent not in CONSENTS:
        raise ValidationFailed(
            "Lựa chọn đồng ý không hợp lệ (today, remember hoặc none).", code="consent_invalid"
        )
    if service.office_id != office.pk or not service.active:
        raise ServiceUnavailable()
    qr = (qr or "").strip() or None
    phone = (phone or "").strip() or None
    if not image and not qr and not phone:
        raise NothingToIdentify()

    citizen: Citizen | None = None
    method = Method.FACE
    if qr:
        citizen, method = _citizen_from_qr(qr), Method.QR
    elif phone:
        citizen, method = _citizen_from_phone(phone, office), Method.PHONE

    if image:
        probe = bio.face_analyse(image=image)
        found = bio.face_identify(office=office, probe=probe, device=device)
        if citizen is None:
            if found.status == "match":
                citizen = found.citizen
            elif found.status == "ambiguous":
                raise FaceAmbiguous()
            else:
                raise FaceUnknown()
        else:
            if (
                found.status == "match"
                and found.citizen is not None
                and found.citizen.pk != citizen.pk
            ):
                with transaction.atomic():
                    _blocked_record(
                        office=office,
                        service=service,
                        citizen=citizen,
                        reason=BlockReason.OTHER,
                        method=method,
                        device=device,
                    )
                raise FaceMismatch()
            if found.status != "match" and consent in ("today", "remember"):
                bio.face_enrol(
                    citizen=citizen, office=office, probe=probe, scope=consent, device=device
                )
    assert citizen is not None
    return ticket_issue(
        office=office,
        service=service,
        citizen=citizen,
        method=method,
        priority=priority,
        device=device,
    )
