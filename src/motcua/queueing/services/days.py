"""The queue day: closing (cancel or carry over the unserved tickets) and re-opening."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction

from motcua.core import clock
from motcua.core.services import audit_record, sequence_next
from motcua.org.models import Office
from motcua.queueing import hotsql
from motcua.queueing.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    EndOfDay,
    EventKind,
    QueueDay,
    Status,
    Ticket,
)
from motcua.queueing.numbering import ticket_display
from motcua.queueing.services.base import (
    _event,
    queue_settings,
)

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
    # Waits for the tickets being issued at this office, so that the sweep below sees them, and
    # the check-ins after it see the day closed (PostgreSQL; SQLite serialises every writer).
    hotsql.lock_day_for_closing(office.pk)
    qday, _ = QueueDay.objects.select_for_update().get_or_create(office=office, date=day)
    rules = queue_settings(office)
    counts = {"cancelled": 0, "carried_over": 0}
    # Found through the open tickets' index, then locked and checked again (PostgreSQL: one
    # ended meanwhile by a counter no longer matches).
    unserved = list(
        Ticket.objects.select_for_update()
        .filter(pk__in=hotsql.open_ticket_ids(office.pk, day), status__in=ACTIVE_STATUSES)
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
