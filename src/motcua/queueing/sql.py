"""The check-in's hot-path statements in plain SQL (and the position every ticket page shows).

Why plain SQL: a check-in ran some twenty ORM statements and more than half of its CPU time
was Django compiling them (building the query tree, resolving joins and columns, quoting),
0.3–0.5 ms each, far more than SQLite or PostgreSQL take to run them. The few statements here
run on every check-in; each is one round trip that the ORM would need two or three for (a
UNION ALL of small reads), written once for both databases (standard SQL; FOR UPDATE only where
the database has it), with values adapted and converted by the backend's own functions. Keep
this module small: everything else stays in the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from motcua.org.models import Citizen
from motcua.queueing.models import Booking, BookingStatus, PriorityGroup, QueueDay, Status, Ticket


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _dt_param(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _date_param(value: date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _dt(value: Any) -> datetime | None:
    """A datetime column read by a raw cursor, as the ORM returns it (aware)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = parse_datetime(str(value))
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, connection.timezone)  # SQLite keeps UTC, naive
    return value


def lock_citizen(citizen_id: int) -> None:
    """Serialise one person's check-ins (two kiosks at once) on PostgreSQL; on SQLite the
    transaction already holds the database's write lock (BEGIN IMMEDIATE), so nothing to do."""
    if not connection.features.has_select_for_update:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {_table(Citizen)} WHERE id = %s FOR UPDATE", [citizen_id])  # noqa: S608
        if cursor.fetchone() is None:
            raise Citizen.DoesNotExist()


@dataclass
class Today:
    """What one person's check-in needs to know about today, read at once."""

    closed: bool = False
    # (id, service_id, status, on_behalf_of_id, carried_from_id) of the person's tickets today
    tickets: list[tuple[int, int, str, int | None, int | None]] = field(default_factory=list)
    bookings: list[int] = field(default_factory=list)  # booked for this service today


def person_today(
    *, citizen_id: int, office_id: int, service_id: int, day: date, bookings: bool
) -> Today:
    """In one statement: is the office's queue closed today, the person's tickets today, and
    (with `bookings`) their bookings for this service today still to be checked in."""
    tz = timezone.get_current_timezone()  # `slot_start__date` is the date in this zone
    start = datetime.combine(day, time.min).replace(tzinfo=tz)
    ticket, queue_day, booking = _table(Ticket), _table(QueueDay), _table(Booking)
    # Table names from the models, every value a parameter.
    sql = (
        "SELECT 't', id, service_id, status, on_behalf_of_id, carried_from_id "  # noqa: S608
        f"FROM {ticket} WHERE citizen_id = %s AND service_date = %s "
        f"UNION ALL SELECT 'c', id, NULL, NULL, NULL, NULL FROM {queue_day} "
        "WHERE office_id = %s AND date = %s AND closed_at IS NOT NULL"
    )
    params: list[Any] = [citizen_id, _date_param(day), office_id, _date_param(day)]
    if bookings:
        sql += (
            f" UNION ALL SELECT 'b', id, service_id, status, NULL, NULL FROM {booking} "  # noqa: S608
            "WHERE citizen_id = %s AND service_id = %s AND status = %s "
            "AND slot_start >= %s AND slot_start < %s"
        )
        params += [
            citizen_id,
            service_id,
            str(BookingStatus.BOOKED),
            _dt_param(start),
            _dt_param(datetime.combine(day + timedelta(days=1), time.min).replace(tzinfo=tz)),
        ]
    out = Today()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, pk, svc, status, behalf, carried in cursor.fetchall():
            if kind == "t":
                out.tickets.append((pk, svc, status, behalf, carried))
            elif kind == "c":
                out.closed = True
            else:
                out.bookings.append(pk)
    out.tickets.sort()  # by id, as the ORM read them
    return out


@dataclass(frozen=True)
class Waiting:
    """A service's waiting line today as `people_ahead` needs it."""

    # (id, waiting_since, priority weight, booking slot) of the tickets with a priority group
    # or a booking (few)
    special: list[tuple[int, datetime, int, datetime | None]]
    plain_total: int  # the other waiting tickets, the given one excluded
    plain_before: int  # of those, the ones before it in waiting order


def waiting_line(*, service_id: int, day: date, ticket_id: int, waiting_since: datetime) -> Waiting:
    """One statement: the special tickets read, the plain ones counted (an indexed aggregate)."""
    t, ws, d = _table(Ticket), _dt_param(waiting_since), _date_param(day)
    group, booking = _table(PriorityGroup), _table(Booking)
    # Table names from the models, every value a parameter.
    sql = (
        f"SELECT NULL, t.id, t.waiting_since, p.weight, b.slot_start FROM {t} t "  # noqa: S608
        f"LEFT JOIN {group} p ON p.id = t.priority_id "
        f"LEFT JOIN {booking} b ON b.id = t.booking_id "
        "WHERE t.service_id = %s AND t.service_date = %s AND t.status = %s "
        "AND (t.priority_id IS NOT NULL OR t.booking_id IS NOT NULL) "
        "UNION ALL SELECT COUNT(*), "
        "SUM(CASE WHEN t.waiting_since < %s OR (t.waiting_since = %s AND t.id < %s) "
        "THEN 1 ELSE 0 END), NULL, NULL, NULL "
        f"FROM {t} t WHERE t.service_id = %s AND t.service_date = %s AND t.status = %s "
        "AND t.priority_id IS NULL AND t.booking_id IS NULL AND t.id <> %s"
    )
    waiting = str(Status.WAITING)
    params = [service_id, d, waiting, ws, ws, ticket_id, service_id, d, waiting, ticket_id]
    special: list[tuple[int, datetime, int, datetime | None]] = []
    total = before = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for count, pk, since, weight, slot in cursor.fetchall():
            if count is None:
                special.append((pk, _dt(since), weight or 0, _dt(slot)))  # type: ignore[arg-type]
            else:
                total, before = int(count), int(pk or 0)
    return Waiting(special=special, plain_total=total, plain_before=before)
