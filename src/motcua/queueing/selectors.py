"""Reads of the queue: positions, wait estimates, board snapshots, the manager's figures."""

from __future__ import annotations

import json
import os
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet

from motcua.core import clock
from motcua.org.models import Counter, Office
from motcua.queueing import ordering
from motcua.queueing.models import (
    CURRENT_STATUSES,
    BlockedAttempt,
    BlockReason,
    EventKind,
    Service,
    Status,
    Ticket,
    TicketEvent,
)
from motcua.queueing.numbering import call_phrase

WAIT = ExpressionWrapper(F("called_at") - F("waiting_since"), output_field=DurationField())
SERVICE_TIME = ExpressionWrapper(F("finished_at") - F("called_at"), output_field=DurationField())


def _settings(office: Office) -> Any:
    from motcua.queueing.services import queue_settings

    return queue_settings(office)


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) / 1_000_000  # SQLite returns microseconds


def line_for_service(
    *, office: Office | int, service: Service | int, now: datetime | None = None
) -> list[int]:
    """Ids of the tickets waiting for a service, in the order the policy would call them."""
    from motcua.queueing.services import candidate_rows, to_candidates

    now = now or clock.now()
    office_id = office if isinstance(office, int) else office.pk
    service_id = service if isinstance(service, int) else service.pk
    rows = candidate_rows(office_id=office_id, service_ids=[service_id], day=now.date())
    targeted = Ticket.objects.filter(
        office_id=office_id,  # the day's line, not the service's history (hotsql.call_read)
        service_id=service_id,
        service_date=now.date(),
        status=Status.WAITING,
        target_counter__isnull=False,
    ).values("id", "waiting_since", "priority__weight", "booking__slot_start", "service_id")
    rows += [dict(r) for r in targeted]
    return [c.id for c in ordering.order(to_candidates(rows), now=now)]


def median_service_seconds(*, service: Service, office: Office) -> float:
    """Median call→finish time of the service's last N finished tickets (office-wide, then a default)."""
    rules = _settings(office)
    qs = Ticket.objects.filter(
        status=Status.DONE, called_at__isnull=False, finished_at__isnull=False
    )
    for scope in (qs.filter(service=service), qs.filter(office=office)):
        rows = list(
            scope.order_by("-finished_at").values_list("called_at", "finished_at")[
                : rules.history_size
            ]
        )
        if len(rows) >= 3:
            return float(statistics.median((b - a).total_seconds() for a, b in rows if a and b))
    return float(rules.default_service_s)


def seconds_per_person(*, service: Service, office: Office) -> float:
    """How long one person holds a counter of this service, from recent tickets.

    The trimmed mean (middle 80 %) of call→finish of the last N tickets that ended (served or
    no-show: both hold the counter), plus the median turnaround between a counter finishing
    and calling the next person (a real counter is never instantly ready). The mean, not the
    median, because a queue drains at the mean rate and service times are skewed to the right.
    """
    from motcua.queueing import lookups

    rules = lookups.settings(office.pk)  # the rules and counters remembered per process
    ended = Ticket.objects.filter(
        status__in=(Status.DONE, Status.NO_SHOW), called_at__isnull=False, finished_at__isnull=False
    )
    durations: list[float] = []
    for scope in (ended.filter(service=service), ended.filter(office=office)):
        rows = list(
            scope.order_by("-finished_at").values_list("called_at", "finished_at")[
                : rules.history_size
            ]
        )
        if len(rows) >= 3:
            durations = sorted((b - a).total_seconds() for a, b in rows if a and b)
            break
    if not durations:
        return float(rules.default_service_s)
    cut = int(len(durations) * 0.1)
    kept = durations[cut : len(durations) - cut] or durations
    return sum(kept) / len(kept) + turnaround_seconds(service=service)


TURNAROUND_PAGES = 5  # pages of 3 × limit events read back at most (`turnaround_seconds`)


def turnaround_seconds(*, service: Service, limit: int = 300) -> float:
    """Median pause between a counter ending one ticket and calling the next (pauses > 10 min are breaks)."""
    from motcua.queueing import lookups

    counters = set(lookups.linked_counters(service.pk))
    kinds = (EventKind.CALL, EventKind.FINISH, EventKind.NO_SHOW)
    # The office's newest events, walked back on its (office, id) index a page at a time and
    # picked here: asking the database for "these counters' calls and ends, newest first" made
    # it gather and sort the counters' whole history (bench/queue_history.py). A page holds
    # other services' counters and other kinds too (issues, starts), so the walk goes on until
    # `limit` are found, at most TURNAROUND_PAGES pages back.
    events: list[tuple[int, str, datetime]] = []
    before: int | None = None
    for _ in range(TURNAROUND_PAGES):
        page = TicketEvent.objects.filter(office_id=service.office_id)
        if before is not None:
            page = page.filter(id__lt=before)
        rows = list(page.order_by("-id").values_list("id", "counter_id", "kind", "at")[: limit * 3])
        events += [(c, k, at) for _pk, c, k, at in rows if c in counters and k in kinds]
        if len(events) >= limit or len(rows) < limit * 3:
            break
        before = rows[-1][0]
    events = events[:limit]
    last_end: dict[int, datetime] = {}
    gaps: list[float] = []
    for counter_id, kind, at in reversed(events):
        if kind == EventKind.CALL:
            end = last_end.pop(counter_id, None)
            if end is not None:
                gap = (at - end).total_seconds()
                if 0 <= gap <= 600:
                    gaps.append(gap)
        else:
            last_end[counter_id] = at
    return float(statistics.median(gaps)) if gaps else 0.0


def service_capacity(*, service: Service) -> float:
    """Open counters serving a service; a counter shared by k services counts 1/k."""
    from motcua.queueing import lookups

    return lookups.service_counters(service.pk).capacity


def free_counters(*, service: Service) -> int:
    """Open counters serving a service that have nobody called or in service right now
    (remembered per process a few seconds, forgotten when a counter takes or ends a ticket:
    `lookups.free_counters`)."""
    from motcua.queueing import lookups

    counters = lookups.service_counters(service.pk).counter_ids
    if not counters:
        return 0

    def count() -> int:
        from motcua.queueing import hotsql

        return len(set(counters) - hotsql.busy_counters(counters))

    return lookups.free_counters(service.office_id, service.pk, count)


PACE_FRESH_S = 30  # how long a service's measured pace is reused by check-in answers


def seconds_per_person_recent(*, service: Service, office: Office) -> float:
    """`seconds_per_person`, remembered for PACE_FRESH_S (it reads up to 300 events and the
    last tickets; it moves slowly).

    Only the wait estimate shown with a position (check-in answer, ticket page) uses it. It is
    not forgotten when a ticket ends: one more ticket moves a trimmed mean of up to
    `history_size` tickets little, another process (or a local cache per process) kept its own
    copy for up to PACE_FRESH_S anyway, and forgetting it at every finish made a busy queue
    read it again on almost every check-in (2–3 statements)."""
    from motcua.core.cache import cached_figure

    return cached_figure(
        pace_key(service.pk),
        lambda: seconds_per_person(service=service, office=office),
        fresh_for=PACE_FRESH_S,
    )


def pace_key(service_id: int) -> str:
    return f"queue:pace:{service_id}"


def estimate_wait(*, office: Office, service: Service, position: int, recent: bool = False) -> int:
    """Seconds until a ticket with `position` people ahead is called.

    From the time one person holds a counter (m, `seconds_per_person`) and the open counters
    serving the service (capacity c, a counter shared by k services counts 1/k): free counters
    take the first people at once; everyone else waits for counters to finish, one every m/c on
    average, the first of them after half a service on average (a counter is midway through).
    """
    free = free_counters(service=service)
    if position < free:
        return 0
    capacity = service_capacity(service=service)
    if capacity <= 0:
        capacity = 1.0
    pace = seconds_per_person_recent if recent else seconds_per_person
    per_person = pace(service=service, office=office) / capacity
    return int(round((position - free + 0.5) * per_person))


def people_ahead(ticket: Ticket, now: datetime | None = None, *, line: Any = None) -> int:
    """Tickets before a waiting ticket in its service's calling order (`line_for_service`),
    counted without reading the line: the tickets with a priority group or a booking (few) are
    read, the plain ones counted with one indexed aggregate (one statement, `queueing.hotsql`).

    `line`: the line already read for a ticket just issued (`IssueResult.line`: the others,
    without it), instead of reading it here."""
    from motcua.queueing import hotsql

    now = now or clock.now()
    if line is None:
        line = hotsql.waiting_line(
            office_id=ticket.office_id,
            service_id=ticket.service_id,
            day=now.date(),
            ticket_id=ticket.pk,
            waiting_since=ticket.waiting_since,
        )
        me = None
    else:  # the new ticket is not in it: as the database would give its row
        group, booking = ticket.priority, ticket.booking
        me = ordering.Candidate(
            id=ticket.pk,
            waiting_since=ticket.waiting_since,
            priority_weight=(group.weight or 0) if group is not None else 0,
            slot_start=booking.slot_start if booking is not None else None,
        )
    special = [
        ordering.Candidate(id=pk, waiting_since=since, priority_weight=weight, slot_start=slot)
        for pk, since, weight, slot in line.special
    ]
    if me is None:
        me = next((c for c in special if c.id == ticket.pk), None)
    if me is None:
        me = ordering.Candidate(id=ticket.pk, waiting_since=ticket.waiting_since)
    others = [c for c in special if c.id != ticket.pk]
    if ticket.service_date != now.date():  # not in today's line: behind everyone
        return len(others) + line.plain_total
    return ordering.ahead(
        me, others, plain_before=line.plain_before, plain_total=line.plain_total, now=now
    )


def ticket_position(ticket: Ticket, *, line: Any = None) -> dict[str, Any]:
    """Where a ticket stands: people ahead and estimated wait (0 once it is called).

    `line`: see `people_ahead`."""
    if ticket.status != Status.WAITING:
        return {"position": None, "people_ahead": 0, "estimated_wait_s": 0}
    ahead = people_ahead(ticket, line=line)
    return {
        "position": ahead + 1,
        "people_ahead": ahead,
        "estimated_wait_s": estimate_wait(
            office=ticket.office, service=ticket.service, position=ahead, recent=True
        ),
    }


def ticket_view(ticket: Ticket, *, line: Any = None) -> dict[str, Any]:
    """What the kiosk slip and the live ticket page show (`line`: see `people_ahead`)."""
    pos = ticket_position(ticket, line=line)
    return {
        "ticket": ticket.display,
        "service": ticket.service.name,
        "service_code": ticket.service.code,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "people_ahead": pos["people_ahead"],
        "position": pos["position"],
        "estimated_wait_s": pos["estimated_wait_s"],
        "counter": ticket.counter.number if ticket.counter is not None else None,
        "date": ticket.service_date.isoformat(),
        "token": ticket.token,
    }


def offices_with_queues() -> list[dict[str, Any]]:
    """Offices, their services and counters (for kiosks and partner systems)."""
    out = []
    for office in Office.objects.filter(is_active=True).order_by("code"):
        out.append(
            {
                "id": office.pk,
                "code": office.code,
                "name": office.name,
                "services": [
                    {"code": s.code, "name": s.name}
                    for s in Service.objects.filter(office=office, active=True).order_by(
                        "sort", "code"
                    )
                ],
                "counters": [
                    {"id": c.pk, "number": c.number, "name": c.name}
                    for c in Counter.objects.filter(office=office, is_active=True).order_by(
                        "number"
                    )
                ],
            }
        )
    return out


def _average_wait_counted(*, office_id: int, day: date) -> tuple[float, int]:
    agg = Ticket.objects.filter(
        office_id=office_id, service_date=day, called_at__isnull=False
    ).aggregate(w=Avg(WAIT), n=Count("id"))
    return (_seconds(agg["w"]) or 0.0) * agg["n"], agg["n"]


def wait_tally_rebuild(*, office_id: int, day: date) -> None:
    """Count the day's total wait from its tickets into QueueDay (first call of a day)."""
    from motcua.queueing.models import QueueDay

    row, _ = QueueDay.objects.select_for_update().get_or_create(office_id=office_id, date=day)
    row.wait_sum_s, row.wait_count = _average_wait_counted(office_id=office_id, day=day)
    row.save(update_fields=["wait_sum_s", "wait_count"])


def average_wait_seconds(*, office: Office, day: date) -> float | None:
    """The day's average wait of the tickets called: kept on QueueDay, else from the tickets."""
    from motcua.queueing.models import QueueDay

    kept = (
        QueueDay.objects.filter(office=office, date=day, wait_count__gte=0)
        .values_list("wait_sum_s", "wait_count")
        .first()
    )
    if kept is None:
        total, n = _average_wait_counted(office_id=office.pk, day=day)
    else:
        total, n = kept
    return total / n if n > 0 else None


# The calling order depends on the time too (bookings, anti-starvation): a board is rebuilt at
# least this often. MOTCUA_BOARD_FRESH_S changes it (tests of invalidation use a long one).
BOARD_FRESH_S = float(os.environ.get("MOTCUA_BOARD_FRESH_S") or 5)


def board_snapshot(*, office: Office, next_count: int = 5) -> dict[str, Any]:
    """Everything a display board shows: current call per counter, next numbers, waiting, average wait."""
    body, _etag = board_body(office=office, next_count=next_count)
    return json.loads(body)  # type: ignore[no-any-return]


# A built board: the office's newest event id when built, the build time, the JSON without "at".
BoardBuild = tuple[int, datetime, bytes]
# Per process: office id, next_count → the last board built.
_BOARDS: dict[tuple[int, int], BoardBuild] = {}


def board_body(*, office: Office, next_count: int = 5) -> tuple[bytes, str]:
    """The board snapshot as JSON bytes, and its ETag.

    Built once per event and per process, kept pre-serialised: while the office's newest event
    is the one it was built at (one indexed read, no ORM) and it is younger than BOARD_FRESH_S,
    a request costs that read and the time stamp. Forgotten with the office's rows
    (`lookups.clear`). The ETag names the event and the build, so a board that polls with
    `If-None-Match` gets 304 while nothing happened. (Under ASGI the board fast lane,
    `queueing.fastlane`, answers without the read while the event feed is live.)
    """
    now = clock.now()
    newest = newest_event_id(office.pk)
    hit = _BOARDS.get((office.pk, next_count))
    if not (hit is not None and hit[0] == newest and board_fresh(hit[1], now)):
        hit = board_build(office=office, next_count=next_count, now=now, newest=newest)
    return board_answer(office.pk, hit, now)


def board_fresh(built: datetime, now: datetime) -> bool:
    """A board built at `built` may still be shown at `now` (same day, younger than BOARD_FRESH_S)."""
    return (
        built <= now < built + timedelta(seconds=BOARD_FRESH_S)
        and clock.local(built).date() == clock.local(now).date()
    )


def board_build(
    *, office: Office, next_count: int = 5, now: datetime, newest: int | None = None
) -> BoardBuild:
    """Build the board now (reads the office's newest event id unless given) and remember it."""
    from motcua.queueing import lookups

    generation = lookups.generation()
    if newest is None:
        newest = newest_event_id(office.pk)
    snapshot = _board_build(office=office, next_count=next_count, now=now, newest=newest)
    del snapshot["at"]
    head = json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"))[:-1].encode()
    hit = (newest, now, head)
    if generation == lookups.generation():
        _BOARDS[(office.pk, next_count)] = hit
    return hit


def board_etag(office_id: int, hit: BoardBuild) -> str:
    return f'W/"board-{office_id}-{hit[0]}-{int(hit[1].timestamp() * 1000)}"'


def board_bytes(hit: BoardBuild, now: datetime) -> bytes:
    """The body of a built board answered at `now`."""
    return hit[2] + b',"at":"' + now.isoformat().encode() + b'"}'


def board_answer(office_id: int, hit: BoardBuild, now: datetime) -> tuple[bytes, str]:
    """The body of a built board answered at `now`, and its ETag."""
    return board_bytes(hit, now), board_etag(office_id, hit)


def newest_event_id(office_id: int) -> int:
    """The office's newest event id: plain SQL on the (office, id) index, no query building."""
    from django.db import connection

    table = connection.ops.quote_name(TicketEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {table} WHERE office_id = %s", [office_id])  # noqa: S608
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0


def _board_build(*, office: Office, next_count: int, now: datetime, newest: int) -> dict[str, Any]:
    day = now.date()
    counters = list(Counter.objects.filter(office=office, is_active=True).order_by("number"))
    current = {
        t.counter_id: t
        for t in Ticket.objects.filter(office=office, service_date=day, status__in=CURRENT_STATUSES)
        .select_related("service")
        .order_by("called_at")
    }  # fmt: skip
    services = []
    total = 0
    for s in Service.objects.filter(office=office, active=True).order_by("sort", "code"):
        line = line_for_service(office=office.pk, service=s.pk, now=now)
        total += len(line)
        displays = dict(
            Ticket.objects.filter(pk__in=line[:next_count]).values_list("id", "display")
        )
        services.append(
            {
                "code": s.code,
                "name": s.name,
                "waiting": len(line),
                "next": [displays[i] for i in line[:next_count]],
            }
        )
    last_call = (
        TicketEvent.objects.filter(
            office=office, kind__in=(EventKind.CALL, EventKind.RECALL), at__date=day
        )
        .order_by("-id")
        .first()
    )
    avg = average_wait_seconds(office=office, day=day)
    return {
        "office": {"id": office.pk, "code": office.code, "name": office.name},
        "counters": [
            {
                "id": c.pk,
                "number": c.number,
                "name": c.name,
                "current": (
                    {
                        "ticket": current[c.pk].display,
                        "service": current[c.pk].service.name,
                        "status": current[c.pk].status,
                        "called_at": current[c.pk].called_at.isoformat()  # type: ignore[union-attr]
                        if current[c.pk].called_at
                        else None,
                    }
                    if c.pk in current
                    else None
                ),
            }
            for c in counters
        ],
        "services": services,
        "waiting": total,
        "average_wait_s": int(avg) if avg is not None else None,
        "last_call": event_payload(last_call) if last_call else None,
        "last_event_id": newest,
        "at": now.isoformat(),
    }


def event_payload(ev: TicketEvent) -> dict[str, Any]:
    """One board event as sent over server-sent events."""
    detail = ev.detail or {}
    body: dict[str, Any] = {
        "id": ev.pk,
        "kind": ev.kind,
        "at": ev.at.isoformat(),
        "ticket": detail.get("display"),
    }
    if ev.kind in (EventKind.CALL, EventKind.RECALL) and detail.get("counter_number") is not None:
        body["counter"] = detail["counter_number"]
        body["phrase"] = call_phrase(detail["display"], detail["counter_number"])
    return body


def events_after(*, office_id: int, last_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """Board events of an office after `last_id` (oldest first)."""
    rows = TicketEvent.objects.filter(office_id=office_id, id__gt=last_id).order_by("id")[:limit]
    return [event_payload(ev) for ev in rows]


def last_event_id(*, office_id: int) -> int:
    return TicketEvent.objects.filter(office_id=office_id).aggregate(m=Max("id"))["m"] or 0


# ---------------------------------------------------------------- manager figures


def report_tickets(*, office: Office, start: date, end: date) -> QuerySet[Ticket]:
    return Ticket.objects.filter(office=office, service_date__range=(start, end))


def report_summary(*, office: Office, start: date, end: date) -> list[dict[str, Any]]:
    """Per day, counter, officer and identification method: served, no-shows, waiting and service times."""
    rows = (
        report_tickets(office=office, start=start, end=end)
        .filter(status__in=(Status.DONE, Status.NO_SHOW))
        .values(
            "service_date", "counter__number", "officer__username", "officer__full_name", "method"
        )
        .annotate(
            served=Count("id", filter=Q(status=Status.DONE)),
            no_shows=Count("id", filter=Q(status=Status.NO_SHOW)),
            avg_wait=Avg(WAIT),
            avg_service=Avg(SERVICE_TIME, filter=Q(status=Status.DONE)),
        )
        .order_by("service_date", "counter__number", "officer__username", "method")
    )
    out = []
    for r in rows:
        out.append(
            {
                "date": r["service_date"],
                "counter": r["counter__number"],
                "officer": r["officer__full_name"] or r["officer__username"] or "",
                "method": r["method"],
                "served": r["served"],
                "no_shows": r["no_shows"],
                "avg_wait_s": _round(_seconds(r["avg_wait"])),
                "avg_service_s": _round(_seconds(r["avg_service"])),
            }
        )
    return out


def _round(v: float | None) -> int | None:
    return None if v is None else int(round(v))


def report_blocked(*, office: Office, start: date, end: date) -> dict[str, dict[str, int]]:
    """Blocked check-ins per day and reason."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    rows = (
        BlockedAttempt.objects.filter(office=office, at__date__range=(start, end))
        .values("at__date", "reason")
        .annotate(n=Count("id"))
        .order_by("at__date")
    )
    for r in rows:
        out[r["at__date"].isoformat()][r["reason"]] = r["n"]
    return dict(out)


def report_totals(*, office: Office, start: date, end: date) -> dict[str, Any]:
    qs = report_tickets(office=office, start=start, end=end)
    agg = qs.aggregate(
        issued=Count("id", filter=Q(carried_from__isnull=True)),
        served=Count("id", filter=Q(status=Status.DONE)),
        no_shows=Count("id", filter=Q(status=Status.NO_SHOW)),
        avg_wait=Avg(WAIT),
        avg_service=Avg(SERVICE_TIME, filter=Q(status=Status.DONE)),
    )
    by_method = dict(
        qs.filter(status=Status.DONE).values_list("method").annotate(n=Count("id")).order_by()
    )
    blocked = dict(
        BlockedAttempt.objects.filter(office=office, at__date__range=(start, end))
        .values_list("reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "issued": agg["issued"],
        "served": agg["served"],
        "no_shows": agg["no_shows"],
        "avg_wait_s": _round(_seconds(agg["avg_wait"])),
        "avg_service_s": _round(_seconds(agg["avg_service"])),
        "by_method": by_method,
        "blocked": blocked,
        "blocked_duplicates": blocked.get(BlockReason.DUPLICATE, 0)
        + blocked.get(BlockReason.CAP, 0),
    }


def report_served(*, office: Office, start: date, end: date) -> QuerySet[Ticket]:
    """The citizens served, one row per finished ticket (for the per-day list and exports)."""
    return (
        report_tickets(office=office, start=start, end=end)
        .filter(status__in=(Status.DONE, Status.NO_SHOW))
        .select_related("citizen", "service", "counter", "officer")
        .annotate(wait=WAIT, service_time=SERVICE_TIME)
        .order_by("service_date", "called_at", "id")
    )
