"""Plain SQL for the queue's hot statements: the kiosk check-in, call-next and the counter buttons.

Why not the ORM here: a call-next made 15 ORM statements and a check-in some twenty, and Django
spent more CPU compiling them (lookups, joins, aliases, the WHERE tree; 0.3–0.5 ms each) than
the database spent running them, 55–58% of the request. The few statements of these paths are
written once here as portable SQL for SQLite and PostgreSQL (RETURNING where the SQLite has it,
3.35 or newer; else one read more; a UNION ALL of small reads where the ORM needed two or three
round trips), and run through `rawsql.prepared_cursor()` (on PostgreSQL prepared once per
connection: parsing and planning them was a tenth of a request's time there; elsewhere the
ordinary cursor) with values adapted by the backend's own functions. Rows become ordinary model instances through Django's own converters
(`core/rawsql.py`), so callers see the same objects as before. Locking is the same as the ORM
code it replaces: the counter row `FOR UPDATE`, a ticket taken with `FOR UPDATE SKIP LOCKED`, a
person's check-ins serialised on their row (PostgreSQL; SQLite serialises writers with BEGIN
IMMEDIATE). Only model table and column names go into the SQL text, and the two statuses of a
counter's current ticket (constants of the code, `_CURRENT` says why); every other value is a
bound parameter. Keep this module small: everything else stays in the ORM.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from motcua.core.models import Sequence as NumberSequence
from motcua.core.rawsql import columns, converter, insert_select, instance, prepared_cursor, vendor
from motcua.core.rawsql import quote as _q
from motcua.org.models import Citizen, Counter
from motcua.queueing.models import (
    ACTIVE_STATUSES,
    CURRENT_STATUSES,
    Booking,
    BookingStatus,
    EventKind,
    PriorityGroup,
    QueueDay,
    Status,
    Ticket,
    TicketEvent,
)
from motcua.queueing.numbering import ticket_display_sql

log = logging.getLogger(__name__)


def _postgres() -> bool:
    return vendor() == "postgresql"


def _prep(model: type[Model], name: str, value: Any) -> Any:
    """`value` as a parameter for the column of field `name`, adapted as the ORM adapts it."""
    field: Any = model._meta.get_field(name)
    return field.get_db_prep_save(value, connection)


# A counter's current ticket: called or being served. Written into the statements as literals,
# not parameters: these reads are prepared on PostgreSQL, which after five runs may keep a generic
# plan, planned without the values. Without them it guessed that thousands of a counter's tickets
# match ("counter_id = $1 AND status IN ($2, $3)" from the column's average), so that a LIMIT 1
# would stop early on a scan of the whole ticket table, which then read every ticket of every day
# (166,000 tickets of history: 35-55 ms at every call, found in review), and the finish's look-up
# sorted every ticket of the counter. With the statuses known, its statistics say how rare they
# are, and the (counter, status) index finds the few rows.
_CURRENT = "({})".format(", ".join(f"'{s.value}'" for s in CURRENT_STATUSES))
# Not ended yet: written exactly as the condition of the partial index `ticket_open`
# (Ticket.Meta), literals in the same order, so that SQLite takes it.
_OPEN = "({})".format(", ".join(f"'{s.value}'" for s in ACTIVE_STATUSES))


# A waiting ticket with a priority group or a booking (few: every one of them is read). Written
# exactly as the condition of the partial index `ticket_special_line` (Ticket.Meta): SQLite takes
# a partial index only for a statement that repeats its condition (the two halves swapped, it
# walked the whole line again).
_SPECIAL = "(t.priority_id IS NOT NULL OR t.booking_id IS NOT NULL)"


def _typed_null(kind: str) -> str:
    if not _postgres():
        return "NULL"
    return {"dt": "NULL::timestamptz", "int": "NULL::bigint", "text": "NULL::text"}[kind]


# ---------------------------------------------------------------- call-next


def lock_counter(counter_id: int) -> bool:
    """PostgreSQL: lock the counter row (calls at one counter queue here); False if none.

    SQLite needs no lock: BEGIN IMMEDIATE already serialises every writer."""
    with prepared_cursor() as cur:
        cur.execute(
            f"SELECT 1 FROM {_q(Counter._meta.db_table)} WHERE id = %s FOR UPDATE", [counter_id]
        )
        return cur.fetchone() is not None


# The reads of a day's waiting line name the office, the day and the status: the index
# Ticket(office, service_date, status, waiting_since, id) then bounds them by the day's line,
# whatever the years behind it, and gives a call its oldest plain tickets in order (the walk
# stops at the window, no sort of the line). On SQLite "no booking" is written
# `+t.booking_id IS NULL`: the unary plus keeps the planner off the booking's unique index,
# which it took for "booking_id IS NULL" (a unique index promises one row per value) and which
# holds every ticket without a booking, of every office and every day, whenever it plans
# without statistics: a database whose data grew since the statistics job last ran
# (core.dbstats: at migrate, `serve` start, hourly). bench/queue_history.py: 32 ms at a year's
# 146,000 tickets of one office, growing with them. PostgreSQL plans from its statistics,
# which an expression would hide (it would guess 0.5 % of the rows): the column stays bare.
def _no_booking() -> str:
    return "t.booking_id IS NULL" if _postgres() else "+t.booking_id IS NULL"


def call_read(
    *,
    counter_id: int,
    office_id: int,
    service_ids: Sequence[int],
    day: date,
    lanes: int,
    regular_limit: int | None,
) -> dict[str, Any]:
    """Everything a call needs, in one statement (UNION ALL of tagged rows), read after the
    counter lock: the counter row, whether it has a ticket called or being served, the lanes
    of its last `lanes` calls (newest first), and its candidates: every waiting priority or
    booked ticket plus the oldest `regular_limit` plain ones (all of them with None).

    Returns {"counter": Counter | None, "busy": bool, "lanes": [...], "rows": [dict, ...]}.
    """
    t, ev, c = (_q(m._meta.db_table) for m in (Ticket, TicketEvent, Counter))
    pg, bk = _q(PriorityGroup._meta.db_table), _q(Booking._meta.db_table)
    dt, n, s = _typed_null("dt"), _typed_null("int"), _typed_null("text")
    lane = "e.detail ->> 'lane'" if _postgres() else "json_extract(e.detail, '$.lane')"
    active = "CASE WHEN c.is_active THEN 1 ELSE 0 END"
    in_services = ", ".join(["%s"] * len(service_ids))
    waiting = (
        f"t.office_id = %s AND t.service_date = %s AND t.status = %s "
        f"AND t.service_id IN ({in_services}) "
        f"AND (t.target_counter_id IS NULL OR t.target_counter_id = %s)"
    )
    day_db = _prep(Ticket, "service_date", day)
    waiting_params = [office_id, day_db, Status.WAITING, *service_ids, counter_id]
    cand = (
        "t.id, t.waiting_since, b.slot_start, t.called_at, p.weight, t.service_id, "
        "t.citizen_id, t.booking_id, t.display"
    )
    joins = (
        f"FROM {t} t LEFT JOIN {pg} p ON p.id = t.priority_id "
        f"LEFT JOIN {bk} b ON b.id = t.booking_id"
    )
    plain = (
        f"SELECT 'p' AS tag, {cand} {joins} WHERE {waiting} "
        f"AND t.priority_id IS NULL AND {_no_booking()} ORDER BY t.waiting_since, t.id"
    )
    plain_params = list(waiting_params)
    if regular_limit is not None:
        plain += " LIMIT %s"
        plain_params.append(regular_limit)
    sql = (
        f"SELECT 'c' AS tag, c.id, {dt}, {dt}, {dt}, {active}, c.number, c.office_id, {n}, c.name "
        f"FROM {c} c WHERE c.id = %s "
        "UNION ALL SELECT * FROM ("
        f"SELECT 'b' AS tag, t.id, {dt}, {dt}, {dt}, {n}, {n}, {n}, {n}, {s} FROM {t} t "
        f"WHERE t.counter_id = %s AND t.status IN {_CURRENT} LIMIT 1) busy "
        "UNION ALL SELECT * FROM ("
        f"SELECT 'l' AS tag, e.id, {dt}, {dt}, {dt}, {n}, {n}, {n}, {n}, {lane} FROM {ev} e "
        "WHERE e.counter_id = %s AND e.kind = %s ORDER BY e.id DESC LIMIT %s) lanes "
        f"UNION ALL SELECT 's' AS tag, {cand} {joins} WHERE {waiting} "
        f"AND {_SPECIAL} "
        f"UNION ALL SELECT * FROM ({plain}) plain"
    )
    params = [
        counter_id,
        counter_id,
        counter_id,
        EventKind.CALL,
        lanes,
        *waiting_params,
        *plain_params,
    ]
    out: dict[str, Any] = {"counter": None, "busy": False, "lanes": [], "rows": []}
    lane_rows: list[tuple[int, Any]] = []
    since_of, slot_of = converter(Ticket, "waiting_since"), converter(Booking, "slot_start")
    called_of = converter(Ticket, "called_at")
    with prepared_cursor() as cur:
        cur.execute(sql, params)
        for tag, pk, a, b, called, n1, n2, n3, n4, text in cur.fetchall():
            if tag in ("s", "p"):
                out["rows"].append(
                    {
                        "id": pk,
                        "waiting_since": since_of(a),
                        "booking__slot_start": slot_of(b),
                        "called_at": called_of(called),
                        "priority__weight": n1,
                        "service_id": n2,
                        "citizen_id": n3,
                        "booking_id": n4,
                        "display": text,
                        "plain": tag == "p",  # neither priority nor booking
                    }
                )
            elif tag == "l":
                lane_rows.append((pk, text))
            elif tag == "b":
                out["busy"] = True
            else:
                out["counter"] = Counter.from_db(
                    DEFAULT_DB_ALIAS,
                    ["id", "office_id", "number", "name", "is_active"],
                    [pk, n3, n2, text, bool(n1)],
                )
    out["lanes"] = [value for _, value in sorted(lane_rows, reverse=True)]
    return out


def take(
    ids: Sequence[int], *, now: datetime, counter_id: int, officer_id: int | None
) -> tuple[Ticket, datetime | None] | None:
    """Call the first ticket of `ids` (in that order) still waiting that no other counter is
    taking: (the updated ticket, its `called_at` before), or None when every one is gone.

    PostgreSQL: one UPDATE whose sub-select locks with FOR UPDATE SKIP LOCKED (a ticket another
    counter is taking is skipped, not waited for; one taken meanwhile no longer matches).
    SQLite: writers are serialised, so the first id is still waiting; `called_at` before is the
    caller's (read in this transaction), None is returned here in its place.
    """
    t = _q(Ticket._meta.db_table)
    cols = columns(Ticket, "t")
    called_at = _prep(Ticket, "called_at", now)
    params_set = [Status.CALLED, called_at, counter_id, officer_id]
    set_sql = (
        "status = %s, called_at = %s, counter_id = %s, target_counter_id = NULL, officer_id = %s"
    )
    with prepared_cursor() as cur:
        if _postgres():
            cur.execute(
                f"UPDATE {t} AS t SET {set_sql} FROM ("
                f"SELECT id, called_at FROM {t} WHERE id = ANY(%s::bigint[]) AND status = %s "
                "ORDER BY array_position(%s::bigint[], id) LIMIT 1 FOR UPDATE SKIP LOCKED"
                f") AS pick WHERE t.id = pick.id RETURNING {cols}, pick.called_at",
                [*params_set, list(ids), Status.WAITING, list(ids)],
            )
            row = cur.fetchone()
            if row is None:
                return None
            return instance(Ticket, row[:-1]), row[-1]
        returning = connection.features.can_return_columns_from_insert
        for pk in ids:
            cur.execute(
                f"UPDATE {t} SET {set_sql} WHERE id = %s AND status = %s"
                + (f" RETURNING {columns(Ticket)}" if returning else ""),
                [*params_set, pk, Status.WAITING],
            )
            if returning:
                row = cur.fetchone()
            elif cur.rowcount:
                cur.execute(f"SELECT {columns(Ticket)} FROM {t} WHERE id = %s", [pk])
                row = cur.fetchone()
            else:
                row = None
            if row is not None:
                return instance(Ticket, row), None
    return None


# ---------------------------------------------------------------- the counter's buttons


def current_ticket_id(counter_id: int) -> int | None:
    """The ticket called or being served at the counter (the latest called), if any."""
    with prepared_cursor() as cur:
        cur.execute(
            f"SELECT id FROM {_q(Ticket._meta.db_table)} WHERE counter_id = %s "  # noqa: S608
            f"AND status IN {_CURRENT} ORDER BY called_at DESC, id DESC LIMIT 1",
            [counter_id],
        )
        row = cur.fetchone()
    return row[0] if row else None


def busy_counters(counter_ids: Sequence[int]) -> set[int]:
    """Those of `counter_ids` that have a ticket called or being served (through the index
    Ticket(counter, status); a check-in's wait estimate counts the free ones)."""
    if not counter_ids:
        return set()  # "IN ()" is an error on PostgreSQL
    marks = ", ".join(["%s"] * len(counter_ids))
    with prepared_cursor() as cur:
        cur.execute(
            f"SELECT DISTINCT counter_id FROM {_q(Ticket._meta.db_table)} "  # noqa: S608
            f"WHERE counter_id IN ({marks}) AND status IN {_CURRENT}",
            list(counter_ids),
        )
        return {row[0] for row in cur.fetchall()}


def lock_ticket(ticket_id: int) -> tuple[Ticket, Counter | None]:
    """The ticket row, locked on PostgreSQL (FOR UPDATE OF the ticket only), with its counter
    row read in the same statement. Ticket.DoesNotExist when there is none."""
    found = _ticket_with_counter("t.id = %s", [ticket_id])
    if found is None:
        raise Ticket.DoesNotExist("Ticket matching query does not exist.")
    return found


def lock_current_ticket(counter_id: int) -> tuple[Ticket, Counter | None] | None:
    """`current_ticket_id` and `lock_ticket` in one statement: the counter's current ticket
    (the latest called of its called or served ones), locked on PostgreSQL, with its counter;
    None when it has none. On PostgreSQL a row changed while the lock was awaited is checked
    again and skipped when it no longer qualifies (`services.counters._lock_current` says what
    that means for the caller)."""
    return _ticket_with_counter(
        f"t.counter_id = %s AND t.status IN {_CURRENT} ORDER BY t.called_at DESC, t.id DESC "
        "LIMIT 1",
        [counter_id],
    )


def _ticket_with_counter(where: str, params: list[Any]) -> tuple[Ticket, Counter | None] | None:
    t, c = _q(Ticket._meta.db_table), _q(Counter._meta.db_table)
    lock = " FOR UPDATE OF t" if _postgres() else ""
    with prepared_cursor() as cur:
        cur.execute(
            f"SELECT {columns(Ticket, 't')}, {columns(Counter, 'c')} FROM {t} t "  # noqa: S608
            f"LEFT JOIN {c} c ON c.id = t.counter_id WHERE {where}{lock}",
            params,
        )
        row = cur.fetchone()
    if row is None:
        return None
    n = len(Ticket._meta.concrete_fields)
    ticket = instance(Ticket, row[:n])
    counter = instance(Counter, row[n:]) if row[n] is not None else None
    return ticket, counter


def update_statement(obj: Model, fields: Sequence[str]) -> tuple[str, list[Any]]:
    """`obj.save(update_fields=fields)` for a model without save() logic, as one UPDATE: its
    statement and parameters (`event_insert` runs it, on PostgreSQL inside the event's
    statement)."""
    model = type(obj)
    sets, params = [], []
    for name in fields:
        f: Any = model._meta.get_field(name)
        sets.append(f"{_q(f.column)} = %s")
        params.append(f.get_db_prep_save(getattr(obj, f.attname), connection))
    return (
        f"UPDATE {_q(model._meta.db_table)} SET {', '.join(sets)} WHERE id = %s",
        [*params, obj.pk],
    )


def _with_update(
    statement: tuple[str, list[Any]] | None, sql: str, params: list[Any]
) -> tuple[str, list[Any]]:
    """`sql` (a statement that starts with WITH) with `statement` (an UPDATE of
    `update_statement`) as one more data-modifying WITH query: one statement, one snapshot,
    one round trip (PostgreSQL). Nothing refers to the UPDATE, so PostgreSQL runs it after the
    main query, the event's INSERT; both take effect together, in this transaction that holds
    the ticket's row, and neither reads the other's rows (no trigger of ours on either table;
    the event's foreign key is checked at the statement's end)."""
    if statement is None:
        return sql, params
    assert sql.startswith("WITH ")
    return f"WITH u AS ({statement[0]}), {sql[5:]}", [*statement[1], *params]


# The NOTIFY an event's INSERT sends (PostgreSQL): `broker.signal_template`'s payload with each
# `broker.ID_SLOT` (chr(1)) replaced by the new event's id; parameters: channel, template.
_NOTICE = "pg_notify(%s, replace(%s, chr(1), e.id::text))"


def _told(notify: str | None, notice: str | None) -> tuple[str, list[Any]]:
    """The select-list item of an event's statement that sends its NOTIFY (`_NOTICE`), and its
    parameters (the statement's last); NULL when there is no channel to tell."""
    return (_NOTICE, [notify, notice]) if notify is not None else ("NULL", [])


# The columns of a TicketEvent INSERT, in the order of `_event_values`.
_EVENT_COLUMNS = "(ticket_id, office_id, kind, at, counter_id, actor_id, detail)"


def _event_values(
    ticket_id: int,
    office_id: int,
    kind: str,
    at: datetime,
    counter_id: int | None,
    actor_id: int | None,
    detail: dict[str, Any],
) -> list[Any]:
    """The parameters of a TicketEvent INSERT, in the column order of the two statements."""
    return [
        ticket_id,
        office_id,
        kind,
        _prep(TicketEvent, "at", at),
        counter_id,
        actor_id,
        _prep(TicketEvent, "detail", detail),
    ]


def event_insert(
    *,
    ticket_id: int,
    office_id: int,
    kind: str,
    at: datetime,
    counter_id: int | None,
    actor_id: int | None,
    detail: dict[str, Any],
    notify: str | None = None,
    notice: str | None = None,
    ticket_update: tuple[str, list[Any]] | None = None,
) -> int:
    """Insert a TicketEvent row; its id.

    `notify` (PostgreSQL): a channel told `notice` by the same statement (`pg_notify`,
    delivered at commit as `broker.publish` does it), one round trip less; `notice` is
    `broker.signal_template`'s, each `broker.ID_SLOT` in it replaced by the new event's id.
    `ticket_update`: the ticket's UPDATE (`update_statement`): on PostgreSQL in the same
    statement (`_with_update`), one round trip less again; elsewhere run just before."""
    values = _event_values(ticket_id, office_id, kind, at, counter_id, actor_id, detail)
    sql = (
        f"INSERT INTO {_q(TicketEvent._meta.db_table)} "
        f"{_EVENT_COLUMNS} "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)"
    )
    with prepared_cursor() as cur:
        if ticket_update is not None and not _postgres():
            cur.execute(*ticket_update)
            ticket_update = None
        if _postgres() and (notify is not None or ticket_update is not None):
            told, told_params = _told(notify, notice)
            cur.execute(
                *_with_update(
                    ticket_update,
                    f"WITH e AS ({sql} RETURNING id) SELECT e.id, {told} FROM e",
                    [*values, *told_params],
                )
            )
            return int(cur.fetchone()[0])
        if connection.features.can_return_columns_from_insert:
            cur.execute(sql + " RETURNING id", values)
            return int(cur.fetchone()[0])
        cur.execute(sql, values)
        return int(cur.lastrowid)


def event_insert_tallied(
    *,
    ticket_id: int,
    office_id: int,
    kind: str,
    at: datetime,
    counter_id: int | None,
    actor_id: int | None,
    detail: dict[str, Any],
    notify: str | None,
    notice: str | None,
    day: date,
    seconds: float,
    count: int,
    ticket_update: tuple[str, list[Any]] | None = None,
) -> tuple[int, bool]:
    """PostgreSQL: `event_insert` and `wait_tally_add` in one statement (data-modifying WITH
    queries, each run once), with the ticket's UPDATE when given (as `event_insert`); (the
    event's id, whether the tally was kept)."""
    assert _postgres()
    values = _event_values(ticket_id, office_id, kind, at, counter_id, actor_id, detail)
    told, told_params = _told(notify, notice)
    sql = (
        f"WITH e AS (INSERT INTO {_q(TicketEvent._meta.db_table)} "  # noqa: S608
        f"{_EVENT_COLUMNS} "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id), "
        f"d AS (UPDATE {_q(QueueDay._meta.db_table)} SET wait_sum_s = wait_sum_s + %s, "
        "wait_count = wait_count + %s WHERE office_id = %s AND date = %s AND wait_count >= 0 "
        f"RETURNING 1) SELECT e.id, (SELECT COUNT(*) FROM d), {told} FROM e"
    )
    params = [*values, seconds, count, office_id, _prep(QueueDay, "date", day), *told_params]
    with prepared_cursor() as cur:
        cur.execute(*_with_update(ticket_update, sql, params))
        pk, kept, _ = cur.fetchone()
    return int(pk), bool(kept)


def issue_insert(
    ticket: Ticket,
    *,
    number_key: str,
    prefix: str,
    event_at: datetime,
    event_detail: dict[str, Any],
    notify: str | None,
    notice: str | None,
) -> tuple[int, int, str, int] | None:
    """PostgreSQL: the ticket's number taken (`core.services.sequence_next`'s UPDATE of the
    `number_key` row), the ticket inserted with it and its display (`numbering`), its ISSUE
    event inserted and (`notify`) the signal sent, in one statement; (ticket id, number,
    display, event id). None, and nothing written, when the key has no row yet (the day's
    first ticket of the service: `sequence_next` makes it) or the ticket can't be inserted
    plainly (`rawsql.insert_select`).

    Why one statement: the number's row stays locked from its UPDATE to the commit (numbers
    without gaps), and every round trip and every bit of Python between them made the other
    check-ins of the service wait: three statements and the work between them were half of
    the time the row was held (`pg_stat_activity` sampled under load)."""
    assert _postgres()
    parts = insert_select(
        ticket,
        {"number": ("n.value", []), "display": (ticket_display_sql("n.value"), [prefix])},
    )
    if parts is None:
        return None
    insert_ticket, ticket_params = parts
    seq, key, value = _q(NumberSequence._meta.db_table), _q("key"), _q("value")
    told, told_params = _told(notify, notice)
    sql = (
        f"WITH n AS (UPDATE {seq} SET {value} = {value} + 1 WHERE {key} = %s "  # noqa: S608
        f"RETURNING {value}), "
        f"t AS ({insert_ticket} FROM n RETURNING id, number, display), "
        f"e AS (INSERT INTO {_q(TicketEvent._meta.db_table)} "
        f"{_EVENT_COLUMNS} "
        "SELECT t.id, %s, %s, %s, NULL, NULL, %s FROM t RETURNING id) "
        f"SELECT t.id, t.number, t.display, e.id, {told} FROM t, e"
    )
    params = [number_key, *ticket_params]
    params += [
        ticket.office_id,
        str(EventKind.ISSUE),
        _prep(TicketEvent, "at", event_at),
        _prep(TicketEvent, "detail", event_detail),
        *told_params,
    ]
    with prepared_cursor() as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    if row is None:
        return None
    return int(row[0]), int(row[1]), str(row[2]), int(row[3])


def wait_tally_add(*, office_id: int, day: date, seconds: float, count: int) -> bool:
    """Add to the day's wait tally; False when the row is missing or not kept yet (-1)."""
    with prepared_cursor() as cur:
        cur.execute(
            f"UPDATE {_q(QueueDay._meta.db_table)} SET wait_sum_s = wait_sum_s + %s, "
            "wait_count = wait_count + %s WHERE office_id = %s AND date = %s AND wait_count >= 0",
            [seconds, count, office_id, _prep(QueueDay, "date", day)],
        )
        return bool(cur.rowcount)


# --- the kiosk check-in (and the position every ticket page shows) ---------------------------


# PostgreSQL advisory locks of an office's queue day: (DAY_LOCK, office id). A ticket being
# issued holds it shared until its transaction ends; closing the day takes it exclusive, so it
# waits for the tickets in flight (and sweeps them) and the tickets after it see the day closed.
# Without it a check-in that read "open" before the close committed left its ticket waiting on
# a closed day: the close's sweep could not see the uncommitted row (READ COMMITTED).
DAY_LOCK = 0x6D6F  # "mo": a namespace of our own for the two-key advisory locks


def lock_citizen(citizen_id: int, *, office_id: int) -> None:
    """Serialise one person's check-ins (two kiosks at once) and hold the office's day open
    (above) on PostgreSQL, in one statement; on SQLite the transaction already holds the
    database's write lock (BEGIN IMMEDIATE), so nothing to do."""
    if not _postgres():
        return
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {_q(Citizen._meta.db_table)} AS c, pg_advisory_xact_lock_shared(%s, %s) AS d "  # noqa: S608
            "WHERE c.id = %s FOR UPDATE OF c",
            [DAY_LOCK, office_id, citizen_id],
        )
        if cursor.fetchone() is None:
            raise Citizen.DoesNotExist()


def hold_day_open(office_id: int) -> None:
    """A ticket without a citizen: only the office's day held open (PostgreSQL)."""
    if _postgres():
        with prepared_cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [DAY_LOCK, office_id])


def lock_day_for_closing(office_id: int) -> None:
    """Closing the day: wait for the office's tickets being issued (PostgreSQL)."""
    if _postgres():
        with prepared_cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [DAY_LOCK, office_id])


def open_ticket_ids(office_id: int, day: date) -> list[int]:
    """The office's tickets of `day` or before not ended yet (waiting, called, being served,
    parked), through the partial index `ticket_open`: the day's close sweeps them.

    SQLite is told the index (`INDEXED BY`): without statistics (a database filled since the
    statistics job last ran) it preferred walking the line's index over the office's whole
    history, which holds the status too. Where SQLite refuses the hint (the index missing: code
    ahead of its migration, or a condition no longer written as the index's), the read runs
    without it, slower, and says so in the log: the day's close of every office depends on it.
    """
    t = _q(Ticket._meta.db_table)
    params = [office_id, _prep(Ticket, "service_date", day)]

    def read(hint: str) -> list[int]:
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT t.id FROM {t} t{hint} WHERE t.office_id = %s "  # noqa: S608
                f"AND t.service_date <= %s AND t.status IN {_OPEN}",
                params,
            )
            return [row[0] for row in cur.fetchall()]

    if not _postgres():
        try:
            with transaction.atomic():  # a savepoint: the close's transaction stays usable
                return read(" INDEXED BY ticket_open")
        except OperationalError as exc:
            log.warning("open tickets read without the index ticket_open: %s", exc)
    return read("")


@dataclass
class Today:
    """What one person's check-in needs to know about today, read at once."""

    closed: bool = False
    # (id, service_id, status, on_behalf_of_id, carried_from_id) of the person's tickets today
    tickets: list[tuple[int, int, str, int | None, int | None]] = field(default_factory=list)
    bookings: list[int] = field(default_factory=list)  # booked for this service today
    # With `line`: the service's waiting line as a ticket issued now (waiting since `now`)
    # will see it (`waiting_line` for a ticket not written yet).
    line: Waiting | None = None
    # With `line` and `number_key`: the last number committed under that key when the line
    # was read. The new ticket's number is this + 1 unless another check-in took one in
    # between (PostgreSQL: it read before that one committed), whose ticket `line` misses.
    numbered: int = 0


def person_today(
    *,
    citizen_id: int,
    office_id: int,
    service_id: int,
    day: date,
    bookings: bool,
    line_at: datetime | None = None,
    number_key: str | None = None,
) -> Today:
    """In one statement: is the office's queue closed today, the person's tickets today,
    (with `bookings`) their bookings for this service today still to be checked in, and (with
    `line_at`) the service's waiting line today as `waiting_line` reads it for a ticket issued
    now, waiting since `line_at`: it is then the newest (the highest id), so every plain
    ticket waiting since then or before is ahead of it; the check-in's answer needs no read of
    its own (people_ahead)."""
    tz = timezone.get_current_timezone()  # `slot_start__date` is the date in this zone
    start = datetime.combine(day, time.min).replace(tzinfo=tz)
    ticket, queue_day, booking = (_q(m._meta.db_table) for m in (Ticket, QueueDay, Booking))
    group = _q(PriorityGroup._meta.db_table)
    dt = _typed_null("dt")
    day_db = _prep(Ticket, "service_date", day)
    # Table names from the models, every value a parameter. Columns: kind, id, service id,
    # status, on_behalf_of id (a special ticket's weight), carried_from id (the count of the
    # plain ones before), waiting since, slot.
    sql = (
        "SELECT 't', id, service_id, status, on_behalf_of_id, carried_from_id, "  # noqa: S608
        f"{dt}, {dt} FROM {ticket} WHERE citizen_id = %s AND service_date = %s "
        f"UNION ALL SELECT 'c', id, NULL, NULL, NULL, NULL, NULL, NULL FROM {queue_day} "
        "WHERE office_id = %s AND date = %s AND closed_at IS NOT NULL"
    )
    params: list[Any] = [citizen_id, day_db, office_id, _prep(QueueDay, "date", day)]
    if bookings:
        sql += (
            f" UNION ALL SELECT 'b', id, service_id, status, NULL, NULL, NULL, NULL "  # noqa: S608
            f"FROM {booking} WHERE citizen_id = %s AND service_id = %s AND status = %s "
            "AND slot_start >= %s AND slot_start < %s"
        )
        params += [
            citizen_id,
            service_id,
            str(BookingStatus.BOOKED),
            _prep(Booking, "slot_start", start),
            _prep(
                Booking,
                "slot_start",
                datetime.combine(day + timedelta(days=1), time.min).replace(tzinfo=tz),
            ),
        ]
    if line_at is not None:
        # The office named (see above `call_read`): a service's tickets alone would be read
        # over its whole history.
        waiting = "t.office_id = %s AND t.service_date = %s AND t.status = %s AND t.service_id = %s"
        sql += (
            " UNION ALL SELECT 's', t.id, NULL, NULL, p.weight, NULL, "  # noqa: S608
            f"t.waiting_since, b.slot_start FROM {ticket} t "
            f"LEFT JOIN {group} p ON p.id = t.priority_id "
            f"LEFT JOIN {booking} b ON b.id = t.booking_id WHERE {waiting} "
            f"AND {_SPECIAL} "
            "UNION ALL SELECT 'n', COUNT(*), NULL, NULL, NULL, "
            "SUM(CASE WHEN t.waiting_since <= %s THEN 1 ELSE 0 END), NULL, NULL "
            f"FROM {ticket} t WHERE {waiting} AND t.priority_id IS NULL AND {_no_booking()}"
        )
        status = str(Status.WAITING)
        params += [office_id, day_db, status, service_id, _prep(Ticket, "waiting_since", line_at)]
        params += [office_id, day_db, status, service_id]
        if number_key is not None:
            sql += (
                f" UNION ALL SELECT 'q', {_q('value')}, NULL, NULL, NULL, NULL, NULL, NULL "  # noqa: S608
                f"FROM {_q(NumberSequence._meta.db_table)} WHERE {_q('key')} = %s"
            )
            params.append(number_key)
    out = Today()
    special: list[tuple[int, datetime, int, datetime | None]] = []
    total = before = 0
    since_of, slot_of = converter(Ticket, "waiting_since"), converter(Booking, "slot_start")
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        for kind, pk, svc, status, behalf, carried, since, slot in cursor.fetchall():
            if kind == "t":
                out.tickets.append((pk, svc, status, behalf, carried))
            elif kind == "c":
                out.closed = True
            elif kind == "b":
                out.bookings.append(pk)
            elif kind == "s":
                special.append((pk, since_of(since), behalf or 0, slot_of(slot)))
            elif kind == "q":
                out.numbered = int(pk)
            else:
                total, before = int(pk or 0), int(carried or 0)
    out.tickets.sort()  # by id, as the ORM read them
    if line_at is not None:
        out.line = Waiting(special=special, plain_total=total, plain_before=before)
    return out


@dataclass(frozen=True)
class Waiting:
    """A service's waiting line today as `people_ahead` needs it."""

    # (id, waiting_since, priority weight, booking slot) of the tickets with a priority group
    # or a booking (few)
    special: list[tuple[int, datetime, int, datetime | None]]
    plain_total: int  # the other waiting tickets, the given one excluded
    plain_before: int  # of those, the ones before it in waiting order


def waiting_line(
    *, office_id: int, service_id: int, day: date, ticket_id: int, waiting_since: datetime
) -> Waiting:
    """One statement: the special tickets read, the plain ones counted (an indexed aggregate
    over the office's line of the day: see above `call_read`)."""
    t, group, booking = (_q(m._meta.db_table) for m in (Ticket, PriorityGroup, Booking))
    ws, d = _prep(Ticket, "waiting_since", waiting_since), _prep(Ticket, "service_date", day)
    waiting = "t.office_id = %s AND t.service_date = %s AND t.status = %s "  # see call_read
    # Table names from the models, every value a parameter.
    sql = (
        f"SELECT NULL, t.id, t.waiting_since, p.weight, b.slot_start FROM {t} t "  # noqa: S608
        f"LEFT JOIN {group} p ON p.id = t.priority_id "
        f"LEFT JOIN {booking} b ON b.id = t.booking_id "
        f"WHERE {waiting} AND t.service_id = %s "
        f"AND {_SPECIAL} "
        "UNION ALL SELECT COUNT(*), "
        "SUM(CASE WHEN t.waiting_since < %s OR (t.waiting_since = %s AND t.id < %s) "
        "THEN 1 ELSE 0 END), NULL, NULL, NULL "
        f"FROM {t} t WHERE {waiting} AND t.service_id = %s "
        f"AND t.priority_id IS NULL AND {_no_booking()} AND t.id <> %s"
    )
    status = str(Status.WAITING)
    params = [office_id, d, status, service_id, ws, ws, ticket_id]
    params += [office_id, d, status, service_id, ticket_id]
    special: list[tuple[int, datetime, int, datetime | None]] = []
    total = before = 0
    since_of, slot_of = converter(Ticket, "waiting_since"), converter(Booking, "slot_start")
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        for count, pk, since, weight, slot in cursor.fetchall():
            if count is None:
                special.append((pk, since_of(since), weight or 0, slot_of(slot)))
            else:
                total, before = int(count), int(pk or 0)
    return Waiting(special=special, plain_total=total, plain_before=before)
