"""Counters: call next (never one ticket to two counters), recall, no-show, start, finish, park, resume, transfer, cancel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from motcua.core import clock
from motcua.core.errors import Conflict, ValidationFailed
from motcua.org.models import Counter
from motcua.queueing import hotsql, lookups, ordering
from motcua.queueing.models import (
    ACTIVE_STATUSES,
    CURRENT_STATUSES,
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
    SERIAL_CALL_WINDOW,
    TAKE_BATCH,
    CounterBusy,
    RecallLimit,
    ServiceUnavailable,
    TicketNotCurrent,
    _check_status,
    _event,
    _is_postgres,
    _lock_ticket,
    _require_staff,
    _with_lookups,
)

# ---------------------------------------------------------------- counter


def counter_services(counter: Counter) -> list[int]:
    return lookups.counter_services(counter.pk)


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

    One transaction; `_call_next` says how."""
    return _call_next(counter=counter, officer=officer)


def _call_next(*, counter: Counter, officer: Any = None) -> Ticket | None:
    """`ticket_call_next` inside a transaction the caller opened (the press: no savepoint).

    PostgreSQL: the counter row is locked first (two calls at one counter queue there), then
    one read gives the counter, whether it still has a ticket, its recent lanes and its
    candidates; they are ordered by the policy and the first one this transaction can lock with
    SKIP LOCKED and still finds waiting is taken, in one UPDATE; a ticket another counter is
    taking is skipped instead of waited for. SQLite: writers are serialised by the IMMEDIATE
    transaction, so the same code is safe there without the lock.

    `counter` may be an unsaved `Counter(pk=...)`: the row is read here (Counter.DoesNotExist
    when there is none). The statements are plain SQL (queueing/hotsql.py says why); the staff
    roles, the counter's office and its services come from the per-process lookups.
    """
    known = lookups.counter(counter.pk)  # its office (and unit): slow-changing
    if known is None:
        raise Counter.DoesNotExist("Counter matching query does not exist.")
    office = known.office
    _require_staff(officer, office)
    # Only the counter row is locked: locking its office too made every call of an office wait
    # for the one before.
    if _is_postgres() and not hotsql.lock_counter(counter.pk):
        raise Counter.DoesNotExist("Counter matching query does not exist.")
    rules = lookups.settings(office.pk)
    now = clock.now()
    services = lookups.counter_services(counter.pk)
    picked: Ticket | None = None
    rest: list[ordering.Candidate] = []
    rows_by_id: dict[int, dict[str, Any]] = {}
    window = SERIAL_CALL_WINDOW if connection.vendor == "sqlite" else CALL_WINDOW
    for limit in (window, None):
        read = hotsql.call_read(
            counter_id=counter.pk,
            office_id=office.pk,
            service_ids=services or [0],
            day=now.date(),
            lanes=rules.max_priority_streak + 1,
            regular_limit=limit,
        )
        fresh = read["counter"]
        if fresh is None:
            raise Counter.DoesNotExist("Counter matching query does not exist.")
        if fresh.office_id != office.pk:  # moved to another office since it was remembered
            lookups.clear()
            return _call_next(counter=counter, officer=officer)
        fresh.office = office
        if not fresh.is_active:
            raise Conflict("Quầy đang đóng.", code="counter_closed")
        if read["busy"]:
            raise CounterBusy()
        if not services:
            return None
        rows = read["rows"]
        rows_by_id = {r["id"]: r for r in rows}
        line = ordering.order(
            to_candidates(rows),
            now=now,
            streak=ordering.streak_after(read["lanes"]),
            max_streak=rules.max_priority_streak,
        )
        picked, rest = _take_first(line, counter=fresh, officer=officer, now=now, rows=rows_by_id)
        plain = sum(1 for r in rows if r["plain"])
        if picked is not None or limit is None or plain < limit:
            break
    from motcua.notifications.services import NEAR_AHEAD, notification_ticket_called

    # "Your turn", and "3 people ahead of you" to the 4th of this counter's line (the order
    # the counter follows, priority policy included): same transaction, built from the
    # candidates already read.
    near = _near_ticket(rows_by_id[rest[NEAR_AHEAD].id], office) if len(rest) > NEAR_AHEAD else None
    notification_ticket_called(ticket=picked, near=near)
    return picked


@transaction.atomic
def ticket_call_next_ending(
    *, counter: Counter, officer: Any = None, end: str, display: str, must_end: bool = False
) -> Ticket | None:
    """One press of "next" at a counter: end its current ticket, the one numbered `display`,
    as served (`end` "finish") or absent ("no-show"), then call the next ticket; one
    transaction. None when nobody waits (the current ticket is ended all the same).
    `must_end` (the counter page, which says what it ended): a counter with no current ticket
    is refused (`ticket_not_current`) instead of just calling.

    The press names the ticket it ends, as the page or the call button last showed it: a
    second press of the same button (a double press, a retry without `Idempotency-Key`) finds
    another ticket current and is refused (`ticket_not_current`) instead of ending the
    citizen the first press just called. A counter with no current ticket calls the next one.
    The official's role at the counter's office is checked before any row is locked; then the
    current ticket's row is locked and checked to be still this counter's, called or being
    served, and the one named (two presses at once: the second finds it ended and is refused
    the same way). Locks: the current ticket's row, then (PostgreSQL) the counter's, as a
    finish followed by a call would take them."""
    ending = _ENDINGS.get(end)
    if ending is None:
        raise ValidationFailed(
            "Cách kết thúc số hiện tại không hợp lệ (finish hoặc no-show).", code="end_invalid"
        )
    known = lookups.counter(counter.pk)
    if known is None:
        raise Counter.DoesNotExist("Counter matching query does not exist.")
    _require_staff(officer, known.office)
    locked = _lock_current(counter.pk)
    if locked is not None:
        if locked.office_id != known.office.pk:  # a counter moved since the ticket was called
            _require_staff(officer, locked.office)
        if (
            locked.counter_id != counter.pk
            or locked.status not in CURRENT_STATUSES
            or locked.display.casefold() != display.strip().casefold()
        ):
            raise TicketNotCurrent()
        # The ending and the call in this transaction, without a savepoint each (a failure
        # anywhere rolls the whole press back), the ticket locked once.
        _ticket_action(locked, officer=officer, locked=True, **ending)
    elif must_end:
        raise TicketNotCurrent()
    return _call_next(counter=counter, officer=officer)


def _lock_current(counter_id: int, *, second_look: bool = True) -> Ticket | None:
    """The counter's current ticket, its row locked, with its counter and lookups' office and
    service; None when it has none.

    One statement (`hotsql.lock_current_ticket`). On PostgreSQL, a ticket ended by a press
    that committed while this one waited for its lock is skipped by the locked read, and the
    ticket that press called is not in this statement's snapshot: the read comes back empty
    though the counter has a current ticket. So an empty answer is checked again the two-step
    way (the current ticket's id in a new statement, then its row locked), and a second press
    of the same button is refused as before instead of calling past the citizen just called.
    `second_look=False` (a button that names no ticket, `CurrentOf`): the empty answer stands."""
    found = hotsql.lock_current_ticket(counter_id)
    if found is None and second_look and _is_postgres():
        current = hotsql.current_ticket_id(counter_id)
        if current is not None:
            found = hotsql.lock_ticket(current)
    if found is None:
        return None
    return _with_lookups(*found)


def _near_ticket(row: dict[str, Any], office: Any) -> Ticket:
    """The waiting ticket told "3 ahead", from its candidate row: the fields the notice needs
    (any other field is read from the database if ever touched, as a deferred field is)."""
    known = {
        "id": row["id"],
        "office_id": office.pk,
        "service_id": row["service_id"],
        "citizen_id": row["citizen_id"],
        "booking_id": row["booking_id"],
        "display": row["display"],
        "status": Status.WAITING,
        "waiting_since": row["waiting_since"],
        "called_at": row["called_at"],
    }
    names = [f.attname for f in Ticket._meta.concrete_fields if f.attname in known]
    near = Ticket.from_db("default", names, [known[n] for n in names])
    near.office = office
    service = lookups.service_row(row["service_id"])
    if service is not None:
        near.service = service
    return near


def _take_first(
    line: list[ordering.Candidate],
    *,
    counter: Counter,
    officer: Any,
    now: datetime,
    rows: dict[int, dict[str, Any]],
) -> tuple[Ticket | None, list[ordering.Candidate]]:
    """The first ticket of `line` still waiting, called at `counter`; with the line after it."""
    officer_id = officer.pk if getattr(officer, "pk", None) else None
    position = {cand.id: i for i, cand in enumerate(line)}
    for start in range(0, len(line), TAKE_BATCH):
        batch = [cand.id for cand in line[start : start + TAKE_BATCH]]
        taken = hotsql.take(batch, now=now, counter_id=counter.pk, officer_id=officer_id)
        if taken is None:
            continue  # every one taken by other counters a moment ago
        ticket, before = taken
        i = position[ticket.pk]
        if not _is_postgres():  # serialised: the row read in this transaction is current
            before = rows[ticket.pk]["called_at"]
        ticket.office = counter.office  # the line is this office's: read with the counter
        service = lookups.service_row(ticket.service_id)
        if service is not None:
            ticket.service = service
        ticket.counter = counter
        if officer_id is not None:
            ticket.officer = officer
        _event(
            ticket,
            EventKind.CALL,
            counter=counter,
            actor=officer,
            wait_from=before,  # the day's wait tally (in the event's statement on PostgreSQL)
            lane=ordering.lane(line[i], now),
            counter_number=counter.number,
            display=ticket.display,
        )
        return ticket, line[i + 1 :]
    return None, []


# ---------------------------------------------------------------- the counter's buttons

_SAME = object()


@dataclass
class _Step:
    """What one button does to a locked ticket: the event it logs and the fields it saved."""

    kind: str
    fields: list[str]
    detail: dict[str, Any] = field(default_factory=dict)
    counter: Any = _SAME  # the event's counter: the ticket's, unless given
    called_before: Any = _SAME  # when given, called_at changed from it: keep the day's wait


class NoCurrentTicket(Conflict):
    code = "no_current_ticket"
    message = "Quầy chưa có số nào đang được gọi hoặc đang phục vụ."


@dataclass(frozen=True)
class CurrentOf:
    """The current ticket of this counter, for a button that names no ticket (the API's
    `.../tickets/current/{action}`, a hardware button): the button's own transaction reads and
    locks it in one statement (`hotsql.lock_current_ticket`), NoCurrentTicket when there is none.

    On PostgreSQL a ticket another request ended while this one waited for its lock is skipped
    by that read, which then answers "none": the button is refused (no_current_ticket) rather
    than acting on whatever ticket the other request may have called since."""

    counter_id: int


def _ticket_action(
    ticket: Ticket | CurrentOf,
    *,
    officer: Any,
    allowed: tuple[str, ...],
    verb: str,
    apply: Callable[[Ticket], _Step],
    locked: bool = False,
) -> Ticket:
    """Every button of the counter: lock the ticket row, check the officer's role in its office
    and the status, change it (`apply`), save the changed fields with the event it logs (the
    board and streams follow it; on PostgreSQL one statement), keep the day's average wait when
    the call time moved.

    `locked`: the caller locked the row in this transaction and checked the officer's role at
    the ticket's office already (`_lock_current`, one press of "next")."""
    if isinstance(ticket, CurrentOf):
        current = _lock_current(ticket.counter_id, second_look=False)
        if current is None:
            raise NoCurrentTicket()
        ticket = current
        _require_staff(officer, ticket.office)
    elif not locked:
        ticket = _lock_ticket(ticket)
        _require_staff(officer, ticket.office)
    _check_status(ticket, allowed, verb)
    counter = ticket.counter  # before the change (transfer and resume clear it)
    step = apply(ticket)
    _event(
        ticket,
        step.kind,
        counter=counter if step.counter is _SAME else step.counter,
        actor=officer,
        save_fields=step.fields,
        **({} if step.called_before is _SAME else {"wait_from": step.called_before}),
        **step.detail,
    )
    return ticket


@transaction.atomic
def ticket_recall(*, ticket: Ticket | CurrentOf, officer: Any = None) -> Ticket:
    """Call the same ticket again (the citizen did not come yet)."""

    def apply(t: Ticket) -> _Step:
        if t.recall_count >= lookups.settings(t.office_id).recall_limit:
            raise RecallLimit()
        t.recall_count += 1
        return _Step(
            EventKind.RECALL,
            ["recall_count"],
            {
                "counter_number": t.counter.number if t.counter else None,
                "display": t.display,
                "recall": t.recall_count,
            },
        )

    return _ticket_action(
        ticket, officer=officer, allowed=(Status.CALLED,), verb="gọi lại", apply=apply
    )


def _no_show(t: Ticket) -> _Step:
    t.status = Status.NO_SHOW
    t.finished_at = clock.now()
    return _Step(EventKind.NO_SHOW, ["status", "finished_at"])


_NO_SHOW: dict[str, Any] = {"allowed": (Status.CALLED,), "verb": "báo vắng mặt", "apply": _no_show}


@transaction.atomic
def ticket_no_show(*, ticket: Ticket | CurrentOf, officer: Any = None) -> Ticket:
    """The called citizen did not come."""
    return _ticket_action(ticket, officer=officer, **_NO_SHOW)


@transaction.atomic
def ticket_start(*, ticket: Ticket | CurrentOf, officer: Any = None) -> Ticket:
    """The citizen is at the counter: service starts."""

    def apply(t: Ticket) -> _Step:
        t.status = Status.SERVING
        t.started_at = clock.now()
        if getattr(officer, "pk", None):
            t.officer = officer
        return _Step(EventKind.START, ["status", "started_at", "officer"])

    return _ticket_action(
        ticket, officer=officer, allowed=(Status.CALLED,), verb="bắt đầu phục vụ", apply=apply
    )


def _finish(t: Ticket) -> _Step:
    now = clock.now()
    if t.started_at is None:
        t.started_at = t.called_at or now
    t.status = Status.DONE
    t.finished_at = now
    return _Step(
        EventKind.FINISH,
        ["status", "started_at", "finished_at"],
        {"service_s": (now - (t.called_at or now)).total_seconds()},
    )


_FINISH: dict[str, Any] = {
    "allowed": CURRENT_STATUSES,
    "verb": "kết thúc",
    "apply": _finish,
}


@transaction.atomic
def ticket_finish(*, ticket: Ticket | CurrentOf, officer: Any = None) -> Ticket:
    """Service finished (a called ticket finished directly counts as started when called)."""
    return _ticket_action(ticket, officer=officer, **_FINISH)


@transaction.atomic
def ticket_park(*, ticket: Ticket | CurrentOf, officer: Any = None) -> Ticket:
    """Set a called/serving ticket aside (the citizen must fetch a paper); resume it with ticket_resume."""

    def apply(t: Ticket) -> _Step:
        t.status = Status.PARKED
        return _Step(EventKind.PARK, ["status"])

    return _ticket_action(
        ticket,
        officer=officer,
        allowed=CURRENT_STATUSES,
        verb="tạm hoãn",
        apply=apply,
    )


@transaction.atomic
def ticket_resume(*, ticket: Ticket, officer: Any = None) -> Ticket:
    """A parked ticket goes back to the line at its counter, keeping its original waiting time."""

    def apply(t: Ticket) -> _Step:
        t.status = Status.WAITING
        t.target_counter = t.counter
        t.counter = None
        return _Step(
            EventKind.TRANSFER,
            ["status", "target_counter", "counter"],
            {"resumed": True},
            counter=t.target_counter,
        )

    return _ticket_action(
        ticket,
        officer=officer,
        allowed=(Status.PARKED,),
        verb="đưa lại vào hàng chờ",
        apply=apply,
    )


@transaction.atomic
def ticket_transfer(
    *,
    ticket: Ticket | CurrentOf,
    to_service: Service | None = None,
    to_counter: Counter | None = None,
    officer: Any = None,
) -> Ticket:
    """Send a ticket to another service and/or counter; it waits again with its original waiting time."""

    def apply(t: Ticket) -> _Step:
        if to_service is None and to_counter is None:
            raise ValidationFailed(
                "Chọn dịch vụ hoặc quầy cần chuyển đến.", code="transfer_target_required"
            )
        if to_service is not None and (
            to_service.office_id != t.office_id or not to_service.active
        ):
            raise ServiceUnavailable()
        if to_counter is not None:
            if to_counter.office_id != t.office_id:
                raise ValidationFailed(
                    "Quầy chuyển đến không thuộc bộ phận một cửa này.", code="counter_invalid"
                )
            target_service = to_service or t.service
            if not CounterService.objects.filter(
                counter=to_counter, service=target_service
            ).exists():
                raise ValidationFailed(
                    f"{to_counter} không phục vụ dịch vụ {target_service.name}.",
                    code="counter_service_mismatch",
                )
        from_counter = t.counter
        detail: dict[str, Any] = {
            "from_service": t.service.code,
            "from_counter": from_counter.number if from_counter else None,
        }
        if to_service is not None and to_service.pk != t.service_id:
            # The ticket keeps its number (the citizen holds the slip), only its line changes.
            t.service = to_service
        before = t.called_at
        t.status = Status.WAITING
        t.counter = None
        t.target_counter = to_counter
        t.called_at = None
        t.started_at = None
        t.recall_count = 0
        detail.update(
            to_service=t.service.code, to_counter=to_counter.number if to_counter else None
        )
        fields = ["service", "status", "counter", "target_counter", "called_at", "started_at"]
        return _Step(EventKind.TRANSFER, [*fields, "recall_count"], detail, called_before=before)

    return _ticket_action(
        ticket,
        officer=officer,
        allowed=(Status.WAITING, Status.CALLED, Status.SERVING, Status.PARKED),
        verb="chuyển",
        apply=apply,
    )


@transaction.atomic
def ticket_cancel(*, ticket: Ticket, reason: str, officer: Any = None) -> Ticket:
    """Cancel an active ticket (the citizen leaves, a mistaken issue)."""

    def apply(t: Ticket) -> _Step:
        t.status = Status.CANCELLED
        t.close_reason = reason[:200]
        t.finished_at = clock.now()
        return _Step(
            EventKind.CLOSE,
            ["status", "close_reason", "finished_at"],
            {"reason": reason[:200], "outcome": "cancelled"},
        )

    return _ticket_action(ticket, officer=officer, allowed=ACTIVE_STATUSES, verb="hủy", apply=apply)


# How one press of "next" ends the current ticket (`ticket_call_next_ending`).
_ENDINGS: dict[str, dict[str, Any]] = {"finish": _FINISH, "no-show": _NO_SHOW}
