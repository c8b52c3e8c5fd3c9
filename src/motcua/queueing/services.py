"""Writes of the queue: issue, check in at the kiosk, call, recall, transfer, finish, close the day."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from motcua.core import clock
from motcua.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from motcua.core.services import audit_record, sequence_next
from motcua.org.models import Citizen, Counter, Office, Role
from motcua.org.permissions import has_role
from motcua.queueing import broker, ordering
from motcua.queueing.models import (
    ACTIVE_STATUSES,
    Authorisation,
    BlockedAttempt,
    BlockReason,
    Booking,
    BookingStatus,
    CounterService,
    EndOfDay,
    EventKind,
    Method,
    PriorityGroup,
    QueueDay,
    QueueSettings,
    Service,
    Status,
    Ticket,
    TicketEvent,
)
from motcua.queueing.numbering import ticket_display

log = logging.getLogger(__name__)

CONSENTS = ("today", "remember", "none")
# Who works the guidance desk: proxies, priority on proof, bookings on someone's behalf.
DESK_ROLES = (Role.RECEPTION, Role.MANAGER)
# Plain tickets read per call: more than the counters that can be taking one at the same moment,
# so SKIP LOCKED always finds a free one; when all are taken, the call is retried with every row.
CALL_WINDOW = 40


# ---------------------------------------------------------------- errors


class FairPlayRefused(DomainError):
    status = 409
    reason = BlockReason.OTHER


class DuplicateLimit(FairPlayRefused):
    code = "duplicate_limit"
    status = 429
    reason = BlockReason.CAP
    message = "Bạn đã lấy đủ số phiếu cho phép trong ngày hôm nay. Vui lòng liên hệ cán bộ tại quầy hướng dẫn."


class AuthorisationRequired(FairPlayRefused):
    code = "authorisation_required"
    status = 403
    reason = BlockReason.NO_AUTHORISATION
    message = "Lấy số thay cho người khác cần có giấy ủy quyền đã được cán bộ ghi nhận, ghi rõ cả hai người."


class FaceUnknown(DomainError):
    code = "face_unknown"
    status = 404
    message = (
        "Hệ thống chưa nhận ra khuôn mặt của bạn. Lần đầu, vui lòng quét mã QR trên thẻ căn cước "
        "(hoặc nhập số điện thoại) để lấy số và đăng ký khuôn mặt."
    )


class FaceAmbiguous(DomainError):
    code = "face_ambiguous"
    status = 409
    message = "Chưa xác định chắc chắn được bạn. Vui lòng quét mã QR trên thẻ căn cước hoặc nhập số điện thoại."


class FaceMismatch(DomainError):
    code = "face_mismatch"
    status = 409
    message = (
        "Khuôn mặt không khớp với giấy tờ vừa quét. Vui lòng đến quầy hướng dẫn để được hỗ trợ."
    )


class PhoneUnknown(DomainError):
    code = "phone_unknown"
    status = 404
    message = (
        "Số điện thoại chưa có trong hệ thống. Vui lòng quét mã QR trên thẻ căn cước để lấy số."
    )


class PhoneAmbiguous(DomainError):
    code = "phone_ambiguous"
    status = 409
    message = "Số điện thoại này đăng ký cho nhiều người. Vui lòng quét mã QR trên thẻ căn cước để lấy số."


class NothingToIdentify(ValidationFailed):
    code = "identification_required"
    message = "Vui lòng nhìn vào camera, quét mã QR trên thẻ căn cước hoặc nhập số điện thoại."


class ServiceUnavailable(NotFound):
    code = "service_unavailable"
    message = "Dịch vụ này không có hoặc đang tạm ngừng tại bộ phận một cửa."


class CounterBusy(Conflict):
    code = "counter_busy"
    message = "Quầy đang có số chưa kết thúc. Hãy kết thúc, chuyển hoặc báo vắng số đó trước khi gọi số mới."


class QueueClosed(Conflict):
    code = "queue_closed"
    message = (
        "Bộ phận một cửa đã đóng lấy số hôm nay. Mời bạn quay lại vào ngày làm việc tiếp theo."
    )


class RecallLimit(Conflict):
    code = "recall_limit"
    message = "Đã gọi lại quá số lần cho phép; hãy báo vắng mặt."


# ---------------------------------------------------------------- helpers


@dataclass(frozen=True)
class IssueResult:
    ticket: Ticket
    reused: bool


def queue_settings(office: Office) -> QueueSettings:
    """The office's queue rules (defaults created on first use)."""
    obj, _ = QueueSettings.objects.get_or_create(office=office)
    return obj


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _require_staff(
    officer: Any, office: Office, roles: tuple[str, ...] = (Role.RECEPTION,)
) -> None:
    """Officer None = the system itself (jobs, demo data); otherwise a role in the office's unit."""
    if officer is None or getattr(officer, "is_superuser", False):
        return
    # The role must be held in the office's own unit (or one above it), not anywhere.
    if not has_role(officer, roles, office.unit):
        raise PermissionDenied("Chức năng này dành cho cán bộ tiếp nhận tại quầy của đơn vị này.")


def _event(
    ticket: Ticket, kind: str, *, counter: Counter | None = None, actor: Any = None, **detail: Any
) -> TicketEvent:
    ev = TicketEvent.objects.create(
        ticket=ticket,
        office_id=ticket.office_id,
        kind=kind,
        at=clock.now(),
        counter=counter,
        actor=actor if getattr(actor, "pk", None) else None,
        detail=detail,
    )
    broker.publish(ticket.office_id, ev.pk)  # pg_notify in this transaction, else on commit
    if kind in (EventKind.FINISH, EventKind.NO_SHOW):
        from django.core.cache import cache

        from motcua.queueing.selectors import pace_key

        key = pace_key(ticket.service_id)
        transaction.on_commit(lambda: cache.delete(key))
    return ev


def _lock(model: Any, pk: int) -> Any:
    return model.objects.select_for_update().get(pk=pk)


def _lock_ticket(ticket: Ticket) -> Ticket:
    """The ticket row locked (its office and service rows are only read, not locked)."""
    of = ("self",) if _is_postgres() else ()
    return (
        Ticket.objects.select_for_update(of=of)
        .select_related("service", "office__unit")
        .get(pk=ticket.pk)
    )


def _check_status(ticket: Ticket, allowed: tuple[str, ...], action: str) -> None:
    if ticket.status not in allowed:
        raise Conflict(
            f"Số {ticket.display} đang ở trạng thái “{ticket.get_status_display()}”, không thể {action}.",
            code="invalid_transition",
        )


def _wait_tally(ticket: Ticket, before: datetime | None) -> None:
    """Keep the day's total wait on QueueDay after `ticket.called_at` changed from `before`."""
    from django.db.models import F

    delta_s, delta_n = 0.0, 0
    for called_at, sign in ((before, -1), (ticket.called_at, 1)):
        if called_at is not None:
            delta_s += sign * (called_at - ticket.waiting_since).total_seconds()
            delta_n += sign
    if not (delta_s or delta_n):
        return
    kept = QueueDay.objects.filter(
        office_id=ticket.office_id, date=ticket.service_date, wait_count__gte=0
    ).update(wait_sum_s=F("wait_sum_s") + delta_s, wait_count=F("wait_count") + delta_n)
    if not kept:  # first call of the day, or a row from before: count what is there (this
        # ticket's change is saved already, so it is included)
        from motcua.queueing.selectors import wait_tally_rebuild

        wait_tally_rebuild(office_id=ticket.office_id, day=ticket.service_date)


def _blocked_record(
    *,
    office: Office,
    service: Service | None,
    citizen: Citizen | None,
    reason: str,
    method: str,
    device: str,
    ticket: Ticket | None = None,
) -> None:
    BlockedAttempt.objects.create(
        office=office,
        service=service,
        citizen=citizen,
        reason=reason,
        method=method,
        at=clock.now(),
        device=device[:80],
        ticket=ticket,
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
    if QueueDay.objects.filter(office=office, date=today, closed_at__isnull=False).exists():
        raise QueueClosed()
    rules = queue_settings(office)

    if citizen is not None:
        # Serialises check-ins of one person (two kiosks at once) so the rules below hold.
        _lock(Citizen, citizen.pk)
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
        existing = (
            Ticket.objects.filter(
                citizen=citizen, service=service, service_date=today, status__in=ACTIVE_STATUSES,
                on_behalf_of=on_behalf_of,
            )
            .order_by("id")
            .first()
        )  # fmt: skip
        if existing is not None:
            _blocked_record(
                office=office, service=service, citizen=citizen, reason=BlockReason.DUPLICATE,
                method=method, device=device, ticket=existing,
            )  # fmt: skip
            return IssueResult(ticket=existing, reused=True)
        issued_today = Ticket.objects.filter(
            citizen=citizen, service_date=today, carried_from__isnull=True
        ).count()
        if issued_today >= rules.daily_cap:
            raise DuplicateLimit()

    if priority is None and citizen is not None:
        # Age-based groups (the elderly) need no staff check: the birth date is on the ID card.
        # The age that counts is the person standing in the queue, not the one they act for.
        priority = priority_by_age(citizen, today)

    if booking is None and citizen is not None:
        # A booking of this person for this service today turns into this ticket.
        booking = (
            Booking.objects.filter(
                citizen=citizen,
                service=service,
                status=BookingStatus.BOOKED,
                slot_start__date=today,
            )
            .order_by("slot_start")
            .first()
        )
    if booking is not None:
        booking = _lock(Booking, booking.pk)
        if booking.status != BookingStatus.BOOKED or booking.service_id != service.pk:
            raise Conflict("Lịch hẹn không còn hiệu lực.", code="booking_invalid")
        booking.status = BookingStatus.CHECKED_IN
        booking.save(update_fields=["status"])

    number = sequence_next(key=f"ticket:{office.pk}:{service.code}:{today.isoformat()}")
    ticket = Ticket.objects.create(
        office=office,
        service=service,
        service_date=today,
        number=number,
        display=ticket_display(service.code, number),
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
    _event(ticket, EventKind.ISSUE, method=method, device=device[:80])
    return IssueResult(ticket=ticket, reused=False)


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
    return (
        PriorityGroup.objects.filter(min_age__isnull=False, min_age__lte=age)
        .order_by("-weight", "code")
        .first()
    )


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


def authorisation_current(
    *, office: Office, principal: Citizen, agent: Citizen
) -> Authorisation | None:
    today = clock.today()
    return (
        Authorisation.objects.filter(
            office=office, principal=principal, agent=agent, valid_from__lte=today,
            valid_to__gte=today, revoked_at__isnull=True,
        )
        .order_by("-valid_to")
        .first()
    )  # fmt: skip


@transaction.atomic
def authorisation_revoke(*, authorisation: Authorisation, officer: Any) -> Authorisation:
    """End an authorisation today (tickets already issued under it stay valid)."""
    auth = _lock(Authorisation, authorisation.pk)
    _require_staff(officer, auth.office, roles=DESK_ROLES)
    if auth.revoked_at is None:
        auth.revoked_at = clock.now()
        auth.revoked_by = officer
        auth.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(action="queue.authorisation.revoke", actor=officer, obj=auth)
    return auth


def ticket_issue_for_proxy(
    *,
    office: Office,
    service: Service,
    agent: Citizen,
    principal: Citizen,
    officer: Any,
    document: str = "",
    valid_to: date | None = None,
) -> IssueResult:
    """At the guidance desk: a ticket for `agent` acting for `principal`.

    Uses the authorisation on record, or records one from the paper the officer has just seen
    (its reference is required), so every ticket for someone else names both people.
    """
    _require_staff(officer, office, roles=DESK_ROLES)
    if agent.pk == principal.pk:
        raise ValidationFailed(
            "Người ủy quyền và người được ủy quyền phải là hai người khác nhau.",
            code="authorisation_same_person",
        )
    auth = authorisation_current(office=office, principal=principal, agent=agent)
    if auth is None:
        if not document.strip():
            raise ValidationFailed(
                "Chưa có ủy quyền còn hiệu lực: cần ghi số, ngày của giấy ủy quyền đã kiểm tra.",
                code="authorisation_document_required",
            )
        if valid_to is not None and valid_to < clock.today():
            raise ValidationFailed(
                "Ngày hết hiệu lực của ủy quyền đã qua.", code="authorisation_expired"
            )
        auth = authorisation_record(
            office=office, principal=principal, agent=agent, document=document.strip()[:200],
            valid_to=valid_to, recorded_by=officer,
        )  # fmt: skip
    return ticket_issue(
        office=office, service=service, citizen=agent, method=Method.STAFF,
        on_behalf_of=principal, authorisation=auth, device=f"staff:{getattr(officer, 'pk', '')}",
    )  # fmt: skip


@transaction.atomic
def authorisation_record(
    *,
    office: Office,
    principal: Citizen,
    agent: Citizen,
    document: str = "",
    valid_to: date | None = None,
    recorded_by: Any = None,
) -> Authorisation:
    """Record that `agent` may take tickets on behalf of `principal` (names both people)."""
    if principal.pk == agent.pk:
        raise ValidationFailed(
            "Người ủy quyền và người được ủy quyền phải là hai người khác nhau.",
            code="authorisation_same_person",
        )
    _require_staff(recorded_by, office, roles=DESK_ROLES)
    today = clock.today()
    auth = Authorisation.objects.create(
        office=office, principal=principal, agent=agent, document=document, valid_from=today,
        valid_to=valid_to or today, recorded_by=recorded_by, recorded_at=clock.now(),
    )  # fmt: skip
    audit_record(
        action="queue.authorisation.record",
        actor=recorded_by,
        obj=auth,
        detail={"principal": principal.id_number, "agent": agent.id_number},
    )
    return auth


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


# ---------------------------------------------------------------- counter


def counter_services(counter: Counter) -> list[int]:
    return list(
        CounterService.objects.filter(counter=counter, service__active=True).values_list(
            "service_id", flat=True
        )
    )


def candidate_rows(
    *,
    office_id: int,
    service_ids: list[int],
    day: date,
    counter_id: int | None = None,
    regular_limit: int | None = None,
) -> list[dict[str, Any]]:
    """Waiting tickets a counter may call (tickets transferred to another counter excluded).

    With `regular_limit`, only the oldest few plain tickets are read (the regular lane is strict
    FIFO, so the rest cannot come first) plus every priority or booked ticket: calling stays
    cheap however long the line is.
    """
    qs = Ticket.objects.filter(
        office_id=office_id, service_date=day, status=Status.WAITING, service_id__in=service_ids
    )
    if counter_id is not None:
        qs = qs.filter(Q(target_counter__isnull=True) | Q(target_counter_id=counter_id))
    else:
        qs = qs.filter(target_counter__isnull=True)
    fields = ("id", "waiting_since", "priority__weight", "booking__slot_start", "service_id")
    if regular_limit is None:
        return list(qs.values(*fields))
    special = list(qs.filter(Q(priority__isnull=False) | Q(booking__isnull=False)).values(*fields))
    plain = list(
        qs.filter(priority__isnull=True, booking__isnull=True)
        .order_by("waiting_since", "id")
        .values(*fields)[:regular_limit]
    )
    return special + plain


def to_candidates(rows: list[dict[str, Any]]) -> list[ordering.Candidate]:
    return [
        ordering.Candidate(
            id=r["id"],
            waiting_since=r["waiting_since"],
            priority_weight=r["priority__weight"] or 0,
            slot_start=r["booking__slot_start"],
        )  # fmt: skip
        for r in rows
    ]


def counter_streak(counter: Counter, rules: QueueSettings) -> int:
    lanes = (
        TicketEvent.objects.filter(counter=counter, kind=EventKind.CALL)
        .order_by("-id")
        .values_list("detail__lane", flat=True)[: rules.max_priority_streak + 1]
    )
    return ordering.streak_after(lanes)


@transaction.atomic
def ticket_call_next(*, counter: Counter, officer: Any = None) -> Ticket | None:
    """Call the next ticket for this counter (None when nobody waits); never one ticket to two counters.

    PostgreSQL: candidates are read without locks, ordered by the policy, and the first one this
    transaction can lock with SKIP LOCKED and still finds waiting is taken; a ticket another
    counter is taking is skipped instead of waited for. SQLite: writers are serialised by the
    IMMEDIATE transaction, so the same code is safe there.
    """
    # Only the counter row is locked: locking its office too (a plain FOR UPDATE over the join)
    # made every call of an office wait for the one before.
    counter = (
        Counter.objects.select_for_update(of=("self",) if _is_postgres() else ())
        .select_related("office__unit")
        .get(pk=counter.pk)
    )
    office = counter.office
    _require_staff(officer, office)
    if not counter.is_active:
        raise Conflict("Quầy đang đóng.", code="counter_closed")
    if Ticket.objects.filter(counter=counter, status__in=(Status.CALLED, Status.SERVING)).exists():
        raise CounterBusy()
    rules = queue_settings(office)
    now = clock.now()
    services = counter_services(counter)
    if not services:
        return None
    rows = candidate_rows(
        office_id=office.pk,
        service_ids=services,
        day=now.date(),
        counter_id=counter.pk,
        regular_limit=CALL_WINDOW,
    )
    line = ordering.order(
        to_candidates(rows),
        now=now,
        streak=counter_streak(counter, rules),
        max_streak=rules.max_priority_streak,
    )
    postgres = _is_postgres()
    picked = _take_first(line, counter=counter, officer=officer, now=now, postgres=postgres)
    if picked is None and len(rows) >= CALL_WINDOW:
        rows = candidate_rows(
            office_id=office.pk, service_ids=services, day=now.date(), counter_id=counter.pk
        )
        line = ordering.order(
            to_candidates(rows),
            now=now,
            streak=counter_streak(counter, rules),
            max_streak=rules.max_priority_streak,
        )
        picked = _take_first(line, counter=counter, officer=officer, now=now, postgres=postgres)
    return picked


def _take_first(
    line: list[ordering.Candidate], *, counter: Counter, officer: Any, now: datetime, postgres: bool
) -> Ticket | None:
    for cand in line:
        qs = Ticket.objects.filter(pk=cand.id, status=Status.WAITING)
        if postgres:
            # OF self: only the ticket row (a join's office and service rows would be locked
            # too, and SKIP LOCKED would then pass over free tickets of a busy office).
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        ticket = qs.select_related("service", "office").first()
        if ticket is None:
            continue  # another counter took it a moment ago
        before = ticket.called_at  # set when a parked ticket was resumed
        ticket.status = Status.CALLED
        ticket.called_at = now
        ticket.counter = counter
        ticket.target_counter = None
        ticket.officer = officer if getattr(officer, "pk", None) else None
        ticket.save(update_fields=["status", "called_at", "counter", "target_counter", "officer"])
        _event(
            ticket,
            EventKind.CALL,
            counter=counter,
            actor=officer,
            lane=ordering.lane(cand, now),
            counter_number=counter.number,
            display=ticket.display,
        )
        _wait_tally(ticket, before)
        return ticket
    return None


@transaction.atomic
def ticket_recall(*, ticket: Ticket, officer: Any = None) -> Ticket:
    """Call the same ticket again (the citizen did not come yet)."""
    ticket = _lock_ticket(ticket)
    _require_staff(officer, ticket.office)
    _check_status(ticket, (Status.CALLED,), "gọi lại")
    if ticket.recall_count >= queue_settings(ticket.office).recall_limit:
        raise RecallLimit()
    ticket.recall_count += 1
    ticket.save(update_fields=["recall_count"])
    counter = ticket.counter
    _event(
        ticket,
        EventKind.RECALL,
        counter=counter,
        actor=officer,
        counter_number=counter.number if counter else None,
        display=ticket.display,
        recall=ticket.recall_count,
    )
    return ticket


@transaction.atomic
def ticket_no_show(*, ticket: Ticket, officer: Any = None) -> Ticket:
    """The called citizen did not come."""
    ticket = _lock_ticket(ticket)
    _require_staff(officer, ticket.office)
    _check_status(ticket, (Status.CALLED,), "báo vắng mặt")
    ticket.status = Status.NO_SHOW
    ticket.finished_at = clock.now()
    ticket.save(update_fields=["status", "finished_at"])
    _event(ticket, EventKind.NO_SHOW, counter=ticket.counter, actor=officer)
    return ticket


@transaction.atomic
def ticket_start(*, ticket: Ticket, officer: Any = None) -> Ticket:
    """The citizen is at the counter: service starts."""
    ticket = _lock_ticket(ticket)
    _require_staff(officer, ticket.office)
    _check_status(ticket, (Status.CALLED,), "bắt đầu phục vụ")
    ticket.status = Status.SERVING
    ticket.started_at = clock.now()
    if getattr(officer, "pk", None):
        ticket.officer = officer
    ticket.save(update_fields=["status", "started_at", "officer"])
    _event(ticket, EventKind.START, counter=ticket.counter, actor=officer)
    return ticket


@transaction.atomic
def ticket_finish(*, ticket: Ticket, officer: Any = None) -> Ticket:
    """Service finished (a called ticket finished directly counts as started when called)."""
    ticket = _lock_ticket(ticket)
    _require_staff(officer, ticket.office)
    _check_status(ticket, (Status.CALLED, Status.SERVING), "kết thúc")
    now = clock.now()
    if ticket.started_at is None:
        ticket.started_at = ticket.called_at or now
    ticket.status = Status.DONE
    ticket.finished_at = now
    ticket.save(update_fields=["status", "started_at", "finished_at"])
    _event(
        ticket,
        EventKind.FINISH,
        counter=ticket.counter,
        actor=officer,
        service_s=(now - (ticket.called_at or now)).total_seconds(),
    )
    return ticket


@transaction.atomic
def ticket_park(*, ticket: Ticket, officer: Any = None) -> Ticket:
    """Set a called/serving ticket aside (the citizen must fetch a paper); resume it with ticket_resume."""
    ticket = _lock_ticket(ticket)
    _require_staff(officer, ticket.office)
    _check_status(ticket, (Status.CALLED, Status.SERVING), "tạm hoãn")
    ticket.status = Status.PARKED
    ticket.save(update_fields=["status"])
    _event(ticket, EventKind.PARK, counter=ticket.counter, actor=officer)
    return ticket


@transaction.atomic
def ticket_resume(*, ticket: Ticket, officer: Any = None) -> Ticket:
    """A parked ticket goes back to the line at its counter, keeping its original waiting time."""
    ticket = _lock_ticket(ticket)
    _require_staff(officer, ticket.office)
    _check_status(ticket, (Status.PARKED,), "đưa lại vào hàng chờ")
    ticket.status = Status.WAITING
    ticket.target_counter = ticket.counter
    ticket.counter = None
    ticket.save(update_fields=["status", "target_counter", "counter"])
    _event(ticket, EventKind.TRANSFER, counter=ticket.target_counter, actor=officer, resumed=True)
    return ticket


@transaction.atomic
def ticket_transfer(
    *,
    ticket: Ticket,
    to_service: Service | None = None,
    to_counter: Counter | None = None,
    officer: Any = None,
) -> Ticket:
    """Send a ticket to another service and/or counter; it waits again with its original waiting time."""
    ticket = _lock_ticket(ticket)
    _require_staff(officer, ticket.office)
    _check_status(ticket, (Status.WAITING, Status.CALLED, Status.SERVING, Status.PARKED), "chuyển")
    if to_service is None and to_counter is None:
        raise ValidationFailed(
            "Chọn dịch vụ hoặc quầy cần chuyển đến.", code="transfer_target_required"
        )
    if to_service is not None and (
        to_service.office_id != ticket.office_id or not to_service.active
    ):
        raise ServiceUnavailable()
    if to_counter is not None:
        if to_counter.office_id != ticket.office_id:
            raise ValidationFailed(
                "Quầy chuyển đến không thuộc bộ phận một cửa này.", code="counter_invalid"
            )
        target_service = to_service or ticket.service
        if not CounterService.objects.filter(counter=to_counter, service=target_service).exists():
            raise ValidationFailed(
                f"{to_counter} không phục vụ dịch vụ {target_service.name}.",
                code="counter_service_mismatch",
            )
    from_counter = ticket.counter
    detail: dict[str, Any] = {
        "from_service": ticket.service.code,
        "from_counter": from_counter.number if from_counter else None,
    }
    if to_service is not None and to_service.pk != ticket.service_id:
        # The ticket keeps its number (the citizen holds the slip), only its line changes.
        ticket.service = to_service
    before = ticket.called_at
    ticket.status = Status.WAITING
    ticket.counter = None
    ticket.target_counter = to_counter
    ticket.called_at = None
    ticket.started_at = None
    ticket.recall_count = 0
    ticket.save(
        update_fields=[
            "service",
            "status",
            "counter",
            "target_counter",
            "called_at",
            "started_at",
            "recall_count",
        ]
    )
    detail.update(
        to_service=ticket.service.code, to_counter=to_counter.number if to_counter else None
    )
    _event(ticket, EventKind.TRANSFER, counter=from_counter, actor=officer, **detail)
    _wait_tally(ticket, before)
    return ticket


@transaction.atomic
def ticket_cancel(*, ticket: Ticket, reason: str, officer: Any = None) -> Ticket:
    """Cancel an active ticket (the citizen leaves, a mistaken issue)."""
    ticket = _lock_ticket(ticket)
    _require_staff(officer, ticket.office)
    _check_status(ticket, ACTIVE_STATUSES, "hủy")
    ticket.status = Status.CANCELLED
    ticket.close_reason = reason[:200]
    ticket.finished_at = clock.now()
    ticket.save(update_fields=["status", "close_reason", "finished_at"])
    _event(
        ticket,
        EventKind.CLOSE,
        counter=ticket.counter,
        actor=officer,
        reason=reason[:200],
        outcome="cancelled",
    )
    return ticket


# ---------------------------------------------------------------- end of day


def next_working_day(day: date) -> date:
    """The next working day (the working calendar when it is installed, else Monday–Friday)."""
    try:
        from motcua.worktime import calendar as wt  # type: ignore[attr-defined]

        fn = getattr(wt, "next_working_day", None)
        if fn is not None:
            return fn(day)
    except ImportError:
        pass
    nxt = day + timedelta(days=1)
    while nxt.weekday() >= 5:
        nxt += timedelta(days=1)
    return nxt


@transaction.atomic
def queue_close_day(*, office: Office, now: datetime | None = None) -> dict[str, int]:
    """Close the day's queue: every unserved ticket is cancelled with the office's reason or carried over."""
    now = now or clock.now()
    day = clock.local(now).date()
    qday, _ = QueueDay.objects.select_for_update().get_or_create(office=office, date=day)
    rules = queue_settings(office)
    counts = {"cancelled": 0, "carried_over": 0}
    unserved = list(
        Ticket.objects.select_for_update()
        .filter(office=office, service_date__lte=day, status__in=ACTIVE_STATUSES)
        .select_related("service")
        .order_by("waiting_since", "id")
    )
    target_day = next_working_day(day)
    for t in unserved:
        t.finished_at = now
        t.close_reason = rules.closing_reason
        if rules.end_of_day == EndOfDay.CARRY_OVER and t.status != Status.SERVING:
            t.status = Status.CARRIED_OVER
            t.save(update_fields=["status", "finished_at", "close_reason"])
            number = sequence_next(
                key=f"ticket:{office.pk}:{t.service.code}:{target_day.isoformat()}"
            )
            carried = Ticket.objects.create(
                office=office, service=t.service, service_date=target_day, number=number,
                display=ticket_display(t.service.code, number), citizen=t.citizen, on_behalf_of=t.on_behalf_of,
                authorisation=t.authorisation, method=t.method, priority=t.priority, issued_at=now,
                waiting_since=t.waiting_since, carried_from=t, device=t.device,
            )  # fmt: skip
            _event(
                t,
                EventKind.CLOSE,
                outcome="carried_over",
                to=carried.display,
                to_date=target_day.isoformat(),
            )
            _event(carried, EventKind.ISSUE, method=t.method, carried_from=t.display)
            counts["carried_over"] += 1
        else:
            # A ticket in service at closing is finished by staff later; here it is closed as cancelled.
            t.status = Status.CANCELLED
            t.save(update_fields=["status", "finished_at", "close_reason"])
            _event(t, EventKind.CLOSE, outcome="cancelled", reason=rules.closing_reason)
            counts["cancelled"] += 1
    Booking.objects.filter(
        office=office, status=BookingStatus.BOOKED, slot_start__date__lte=day
    ).update(status=BookingStatus.MISSED)
    qday.closed_at = now
    qday.save(update_fields=["closed_at"])
    audit_record(
        action="queue.close_day",
        object_type="org.office",
        object_id=str(office.pk),
        detail={"date": day.isoformat(), **counts},
    )
    return counts


@transaction.atomic
def queue_open_day(*, office: Office, day: date | None = None) -> None:
    """Re-open a day closed by mistake (new check-ins allowed again)."""
    QueueDay.objects.filter(office=office, date=day or clock.today()).update(closed_at=None)
