"""Shared by the queue's services: errors with their codes, rules lookup, permission check, event log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from motcua.core import clock
from motcua.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from motcua.core.rawsql import insert, vendor
from motcua.org.models import Citizen, Counter, Office, Role
from motcua.org.permissions import has_role
from motcua.queueing import broker, hotsql, lookups
from motcua.queueing.models import (
    BlockedAttempt,
    BlockReason,
    EventKind,
    QueueSettings,
    Service,
    Ticket,
    TicketEvent,
)

CONSENTS = ("today", "remember", "none")
# Who works the guidance desk: proxies, priority on proof, bookings on someone's behalf.
DESK_ROLES = (Role.RECEPTION, Role.MANAGER)
# Plain tickets read per call: more than the counters that can be taking one at the same moment,
# so SKIP LOCKED always finds a free one; when all are taken, the call is retried with every row.
CALL_WINDOW = 40
# The same on a database that serialises its writers (SQLite): no other counter can be taking a
# ticket while a call runs, so the first of the line is always free, and a call uses only the
# first places of its counter's line: the ticket it calls and the one told "3 ahead"
# (notifications.NEAR_AHEAD + 1 places after it). Plain tickets are called first come first
# served among themselves, so the line's first places are exact from its first plain tickets
# (every priority or booked one is read). Reading 40 parsed 40 rows' times and sorted them at
# every call, inside the write lock.
SERIAL_CALL_WINDOW = 8
# Tickets a call tries to take in one statement (PostgreSQL, `hotsql.take`), in its line's order:
# the statement reads every ticket it is given to find the first still free (40 rows, ~87
# buffers and 0.6 ms of PostgreSQL's time per call under 16 counters: bench/README.md, eleventh
# pass), while only the calls running at that moment can be ahead of this one on the same
# tickets. When all of a batch are taken, the next batch is tried.
TAKE_BATCH = 8


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


class TicketNotCurrent(Conflict):
    code = "ticket_not_current"
    message = (
        "Số được nêu không còn là số hiện tại của quầy (đã được kết thúc, chuyển hoặc quầy đã "
        "gọi số khác). Hãy xem lại số đang gọi tại quầy."
    )


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
    # A new ticket's waiting line as read while it was issued (`hotsql.person_today`), for its
    # position in the answer (`selectors.ticket_view(..., line=...)`); None: read it then.
    line: hotsql.Waiting | None = None


def queue_settings(office: Office) -> QueueSettings:
    """The office's queue rules (defaults created on first use)."""
    obj, _ = QueueSettings.objects.get_or_create(office=office)
    return obj


def _is_postgres() -> bool:
    return vendor() == "postgresql"


def _require_staff(
    officer: Any, office: Office, roles: tuple[str, ...] = (Role.RECEPTION,)
) -> None:
    """Officer None = the system itself (jobs, demo data); otherwise a role in the office's unit.

    The officer's roles come from the per-process lookups (queueing/lookups.py): a role granted
    or revoked in this process counts at once, in another process within LOOKUP_FRESH_S
    seconds. A role held in a unit above (or a predecessor of) the office's unit is checked in
    the database as before."""
    if officer is None or getattr(officer, "is_superuser", False):
        return
    if (
        getattr(officer, "is_authenticated", False)
        and getattr(officer, "is_active", False)
        and any(
            unit_id == office.unit_id and role in roles
            for unit_id, role in lookups.staff_roles(officer.pk)
        )
    ):
        return  # the common case: a role in the office's own unit
    # The role must be held in the office's own unit (or one above it), not anywhere.
    if not has_role(officer, roles, office.unit):
        raise PermissionDenied("Chức năng này dành cho cán bộ tiếp nhận tại quầy của đơn vị này.")


_UNCHANGED = object()


def _event(
    ticket: Ticket,
    kind: str,
    *,
    counter: Counter | None = None,
    actor: Any = None,
    wait_from: Any = _UNCHANGED,
    save_fields: Sequence[str] = (),
    **detail: Any,
) -> TicketEvent:
    """Log an event of `ticket` (one INSERT, plain SQL: hotsql.py) and tell the streams (on
    PostgreSQL the INSERT itself sends the NOTIFY `broker.publish` would send, event carried).

    `wait_from`: when the event moved the ticket's `called_at`, its value before: the day's
    wait tally is kept as `_wait_tally` keeps it (on PostgreSQL by the event's statement).
    `save_fields`: the ticket's fields the event's change saves (`ticket.save(update_fields=…)`
    without the compile), written with the event: on PostgreSQL by the event's statement,
    elsewhere by an UPDATE just before its INSERT."""
    ev = TicketEvent(
        ticket=ticket,
        office_id=ticket.office_id,
        kind=kind,
        at=clock.now(),
        counter=counter,
        actor=actor if getattr(actor, "pk", None) else None,
        detail=detail,
    )
    in_insert = broker.signal_mode() == "postgres"
    delta = _tally_delta(ticket, wait_from) if wait_from is not _UNCHANGED else None
    sent = _carried(ev)
    row: dict[str, Any] = {
        "ticket_id": ticket.pk,
        "office_id": ev.office_id,
        "kind": kind,
        "at": ev.at,
        "counter_id": ev.counter_id,
        "actor_id": ev.actor_id,
        "detail": detail,
        "notify": broker.CHANNEL if in_insert else None,
        "notice": broker.signal_template(ticket.office_id, sent) if in_insert else None,
    }
    if save_fields:
        row["ticket_update"] = hotsql.update_statement(ticket, save_fields)
    if in_insert and delta is not None:
        ev.pk, kept = hotsql.event_insert_tallied(
            **row, day=ticket.service_date, seconds=delta[0], count=delta[1]
        )
        if not kept:
            _tally_rebuild(ticket)
        delta = None
    else:
        ev.pk = hotsql.event_insert(**row)
    _event_written(ev, sent, in_insert=in_insert)
    # The service's pace (selectors.seconds_per_person_recent) is not forgotten here: it only
    # feeds the wait estimate, moves slowly and is refreshed every PACE_FRESH_S anyway.
    if delta is not None:
        _tally_add(ticket, *delta)
    return ev


def _carried(ev: TicketEvent) -> dict[str, Any]:
    """What the signal carries: the event as streams send it, with its time as a read of the
    row gives it (UTC), so that the feeds need not read it. Its id is not known before the
    INSERT: on PostgreSQL the statement fills it in (broker.signal_template), else
    `_event_written` publishes it with its id."""
    from motcua.queueing.selectors import event_payload

    at = ev.at
    ev.at = at.astimezone(UTC)
    try:
        ev.pk = 0
        return event_payload(ev)
    finally:
        ev.at, ev.pk = at, None


def _event_written(ev: TicketEvent, sent: dict[str, Any], *, in_insert: bool) -> None:
    """After an event's plain INSERT (its id set): the instance as the ORM leaves a saved one,
    the signal (on commit) unless the INSERT sent it, the lookups told (no post_save)."""
    ev._state.adding = False
    ev._state.db = "default"
    if not in_insert:  # on commit (Redis, or this process alone)
        broker.publish(ev.office_id, ev.pk, {**sent, "id": ev.pk})
    lookups.event_written(ev.office_id, ev.kind)


def _issue_at_once(ticket: Ticket, *, number_key: str, prefix: str, **detail: Any) -> bool:
    """PostgreSQL: the unsaved `ticket`'s number taken, the ticket and its ISSUE event written
    and the signal sent in one statement (`hotsql.issue_insert`: the number's row is locked for
    one statement and the commit, not for three and the work between them); the ticket's id,
    number and display set. False, and nothing written, elsewhere or when the statement can't
    be used (the key's first number of the day, a ticket `insert` would `save()`): the
    caller then takes the number and writes them one by one."""
    if not _is_postgres():
        return False
    ev = TicketEvent(
        office_id=ticket.office_id, kind=EventKind.ISSUE, at=clock.now(), detail=detail
    )
    sent = _carried(ev)
    in_insert = broker.signal_mode() == "postgres"
    taken = hotsql.issue_insert(
        ticket,
        number_key=number_key,
        prefix=prefix,
        event_at=ev.at,
        event_detail=detail,
        notify=broker.CHANNEL if in_insert else None,
        notice=broker.signal_template(ticket.office_id, sent) if in_insert else None,
    )
    if taken is None:
        return False
    ticket.pk, ticket.number, ticket.display, ev.pk = taken
    ticket._state.adding = False
    ticket._state.db = "default"
    ev.ticket = ticket
    _event_written(ev, sent, in_insert=in_insert)
    return True


def _lock(model: Any, pk: int) -> Any:
    return model.objects.select_for_update().get(pk=pk)


def _lock_ticket(ticket: Ticket) -> Ticket:
    """The ticket row locked, with its counter (read with it); its office and service (only
    read, not locked) from the per-process lookups."""
    return _with_lookups(*hotsql.lock_ticket(ticket.pk))


def _with_lookups(locked: Ticket, counter: Counter | None) -> Ticket:
    """A ticket row just read, with its counter (read with it) and its office and service from
    the per-process lookups."""
    office = lookups.office_row(locked.office_id)
    if office is not None:
        locked.office = office
    service = lookups.service_row(locked.service_id)
    if service is not None:
        locked.service = service
    if counter is not None:
        locked.counter = counter
    return locked


def _check_status(ticket: Ticket, allowed: tuple[str, ...], action: str) -> None:
    if ticket.status not in allowed:
        raise Conflict(
            f"Số {ticket.display} đang ở trạng thái “{ticket.get_status_display()}”, không thể {action}.",
            code="invalid_transition",
        )


def _wait_tally(ticket: Ticket, before: datetime | None) -> None:
    """Keep the day's total wait on QueueDay after `ticket.called_at` changed from `before`."""
    delta = _tally_delta(ticket, before)
    if delta is not None:
        _tally_add(ticket, *delta)


def _tally_delta(ticket: Ticket, before: datetime | None) -> tuple[float, int] | None:
    """(seconds, tickets) to add to the day's wait tally; None: nothing changes."""
    delta_s, delta_n = 0.0, 0
    for called_at, sign in ((before, -1), (ticket.called_at, 1)):
        if called_at is not None:
            delta_s += sign * (called_at - ticket.waiting_since).total_seconds()
            delta_n += sign
    return (delta_s, delta_n) if (delta_s or delta_n) else None


def _tally_add(ticket: Ticket, seconds: float, count: int) -> None:
    kept = hotsql.wait_tally_add(
        office_id=ticket.office_id, day=ticket.service_date, seconds=seconds, count=count
    )
    if not kept:
        _tally_rebuild(ticket)


def _tally_rebuild(ticket: Ticket) -> None:
    """First call of the day, or a row from before: count what is there (this ticket's change
    is saved already, so it is included)."""
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
    insert(  # create() without the ORM's compiler (a reused ticket's check-in writes one)
        BlockedAttempt(
            office=office,
            service=service,
            citizen=citizen,
            reason=reason,
            method=method,
            at=clock.now(),
            device=device[:80],
            ticket=ticket,
        )
    )
