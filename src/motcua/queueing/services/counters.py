"""Counters: call next (never one ticket to two counters), recall, no-show, start, finish, park, resume, transfer, cancel."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from motcua.core import clock
from motcua.core.errors import Conflict, ValidationFailed
from motcua.org.models import Counter
from motcua.queueing import ordering
from motcua.queueing.models import (
    ACTIVE_STATUSES,
    CounterService,
    EventKind,
    QueueSettings,
    Service,
    Status,
    Ticket,
    TicketEvent,
)
from motcua.queueing.services.base import (
    CALL_WINDOW,
    CounterBusy,
    RecallLimit,
    ServiceUnavailable,
    _check_status,
    _event,
    _is_postgres,
    _lock_ticket,
    _require_staff,
    _wait_tally,
    queue_settings,
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
    from motcua.notifications.services import notification_ticket_called  # noqa: I001

    notification_ticket_called(ticket=picked)  # "your turn", "3 ahead": same transaction
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
