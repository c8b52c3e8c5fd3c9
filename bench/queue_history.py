"""The queue's hot-path reads with a year of tickets behind the day, against the same reads
on the same day with no history.

    .venv/bin/python bench/queue_history.py                     # SQLite, var/motcua_bench_history.sqlite3
    .venv/bin/python bench/queue_history.py --db postgres       # database motcua_bench_history
    .venv/bin/python bench/queue_history.py --days 365 --per-day 400 --waiting 300 -n 300

Every other queue bench starts from an empty database, where a read that walks the whole
history of the tickets costs nothing. An office that has run for a year has `days × per-day`
finished tickets behind today (the defaults: 146,000, a busy ward office), and `waiting`
tickets wait today. The script builds that (bulk inserts, one office, two services, a tenth of
the tickets with a priority group), then, in this process, times the reads every check-in,
every call and every board rebuild make:

- `call_read`: a call's candidates (call-next, the counter's services);
- `person_today`: the check-in's one read (the person's day, the line the ticket joins);
- `waiting_line`: a waiting ticket's place in line (the ticket page, the answer to a call);
- `line_for_service`: a service's line in calling order (the board, the counter page);
- `seconds_per_person`: the pace of the wait estimate (the service's last ended tickets and
  the office's last calls and ends), read again every 30 s per service and process.

Each read `-n` times (median and p95 in ms), first with the year behind the day, then after
deleting every ticket older than `--keep` days (7: a week; same run, same day, same waiting
line), and the ratio of the medians: 1.0 means the read does not grow with the history. The
statistics are as a deployment has them: on SQLite `core.dbstats.sqlite_optimize` (run by
migrate, by `serve` at start and hourly) after the fill and after the deletion, and the reads
are also timed once before it (a database filled since the last run: the planner guesses); on
PostgreSQL the tables are analysed after the fill and after the deletion, as autovacuum would.
The plans the database chose are printed. The previous version of a read is measured by
running this script in a checkout of it.
"""

from __future__ import annotations

import _db  # first: it takes bench/ off the import path (bench/queue.py shadows queue)

# isort: split
import argparse
import inspect
import os
import random
import statistics
import time
from datetime import datetime, timedelta
from typing import Any

ROOT = _db.ROOT
NAME = os.environ.get("BENCH_HISTORY_DB", "motcua_bench_history")


def _fill(days: int, per_day: int, waiting: int, events: bool) -> dict[str, Any]:
    from django.db import transaction

    from motcua.core import clock
    from motcua.org.models import Counter, Office, Unit
    from motcua.queueing.models import (
        CounterService,
        EventKind,
        Method,
        PriorityGroup,
        QueueSettings,
        Service,
        Status,
        Ticket,
        TicketEvent,
    )

    unit = Unit.objects.create(code="QH1", name="Phường Lịch Sử", level="ward")
    office = Office.objects.create(unit=unit, code="qhist", name="Bộ phận một cửa thử")
    QueueSettings.objects.create(office=office)
    services = [
        Service.objects.create(office=office, code=code, name=name)
        for code, name in (("A", "Hộ tịch"), ("B", "Đất đai"))
    ]
    counters = []
    for i in range(4):
        c = Counter.objects.create(office=office, number=i + 1)
        for svc in services:
            CounterService.objects.create(counter=c, service=svc)
        counters.append(c)
    group = PriorityGroup.objects.order_by("-weight").first()
    rng = random.Random(7)
    now = clock.now()
    today = now.date()

    def ticket(day: Any, n: int, status: str, at: datetime) -> Ticket:
        svc = services[n % 2]
        done = status != Status.WAITING
        return Ticket(
            office=office, service=svc, service_date=day, number=n + 1,
            display=f"{svc.code}{n + 1:04d}", method=Method.STAFF, status=status,
            priority=group if group is not None and rng.random() < 0.1 else None,
            issued_at=at, waiting_since=at, called_at=at if done else None,
            finished_at=at if done else None, counter=counters[n % 4] if done else None,
        )  # fmt: skip

    t0 = time.perf_counter()
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        start = now - timedelta(days=back, hours=2)
        rows = [
            ticket(day, n, Status.DONE, start + timedelta(seconds=30 * n)) for n in range(per_day)
        ]
        with transaction.atomic():
            made = Ticket.objects.bulk_create(rows, batch_size=500)
            if events:  # the call and the end of each, as the counters wrote them
                TicketEvent.objects.bulk_create(
                    [
                        TicketEvent(
                            ticket_id=t.pk,
                            office=office,
                            kind=kind,
                            at=t.finished_at,
                            counter=t.counter,
                            detail={},
                        )  # fmt: skip
                        for t in made
                        for kind in (EventKind.CALL, EventKind.FINISH)
                    ],
                    batch_size=500,
                )
    start = now - timedelta(hours=3)
    rows = [
        ticket(today, n, Status.WAITING, start + timedelta(seconds=5 * n)) for n in range(waiting)
    ]
    with transaction.atomic():
        Ticket.objects.bulk_create(rows, batch_size=500)
    return {
        "office": office,
        "services": services,
        "counters": counters,
        "today": today,
        "now": now,
        "fill_s": time.perf_counter() - t0,
    }


def _time(fn: Any, n: int) -> tuple[float, float]:
    fn()  # warm
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    out.sort()
    return statistics.median(out), out[min(len(out) - 1, int(round(0.95 * (len(out) - 1))))]


def _plan(statements: list[str]) -> str:
    """How each captured statement reaches the ticket and event tables (its values written in
    by the driver's quoting)."""
    from django.db import connection

    out = []
    with connection.cursor() as cur:
        for sql in statements:
            if "queueing_ticket" not in sql:
                continue
            if connection.vendor == "sqlite":
                cur.execute("EXPLAIN QUERY PLAN " + sql)
                out += [
                    str(r[3])
                    for r in cur.fetchall()
                    if str(r[3]).startswith(("SEARCH", "SCAN"))
                    and (
                        "queueing_ticket" in str(r[3]) or " t " in f"{r[3]} " or " e " in f"{r[3]} "
                    )
                ]
            else:
                cur.execute("EXPLAIN " + sql)
                out += [
                    r[0].strip().lstrip("-> ").split("  (")[0]
                    for r in cur.fetchall()
                    if " on queueing_ticket" in r[0]
                ]
    return "; ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgres"))
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=400)
    parser.add_argument("--waiting", type=int, default=300)
    parser.add_argument("-n", type=int, default=300, help="timed runs of each read")
    parser.add_argument(
        "--keep", type=int, default=7, help="days of history kept for the second measure"
    )
    parser.add_argument(
        "--no-events", action="store_true", help="no call/finish events for the history"
    )
    args = parser.parse_args()
    _db.django_setup(_db.fresh(args.db, NAME))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from motcua.queueing import hotsql, selectors
    from motcua.queueing.models import Status, Ticket

    s = _fill(args.days, args.per_day, args.waiting, not args.no_events)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:  # what autovacuum does in a running deployment
            cur.execute("ANALYZE queueing_ticket, queueing_ticketevent")
    office, services, today, now = s["office"], s["services"], s["today"], s["now"]
    # (a checkout from before waiting_line took the office: its baseline)
    office_arg = (
        {"office_id": office.pk}
        if "office_id" in inspect.signature(hotsql.waiting_line).parameters
        else {}
    )
    last = Ticket.objects.filter(service_date=today, status=Status.WAITING).order_by("-id").first()
    assert last is not None
    reads = {
        "call_read (call-next)": lambda: hotsql.call_read(
            counter_id=s["counters"][0].pk, office_id=office.pk,
            service_ids=[svc.pk for svc in services], day=today, lanes=3, regular_limit=16,
        ),
        "person_today (check-in)": lambda: hotsql.person_today(
            citizen_id=0, office_id=office.pk, service_id=services[0].pk, day=today,
            bookings=True, line_at=now, number_key=f"ticket:{office.pk}:A:{today.isoformat()}",
        ),
        "waiting_line (ticket's place)": lambda: hotsql.waiting_line(
            **office_arg, service_id=last.service_id, day=today,
            ticket_id=last.pk, waiting_since=last.waiting_since,
        ),
        "line_for_service (board)": lambda: selectors.line_for_service(
            office=office.pk, service=services[0].pk, now=now,
        ),
        "seconds_per_person (the pace, every 30 s)": lambda: selectors.seconds_per_person(
            service=services[0], office=office,
        ),
    }  # fmt: skip
    statements = {}
    for name, fn in reads.items():
        with CaptureQueriesContext(connection) as ctx:
            fn()
        statements[name] = [q["sql"] for q in ctx.captured_queries]

    total = Ticket.objects.count()
    bare: dict[str, tuple[float, float]] = {}
    if connection.vendor == "sqlite":
        # Before the statistics job's first run (a new database, `serve` not restarted since
        # the data came): the planner guesses.
        bare = {name: _time(fn, args.n) for name, fn in reads.items()}
        from motcua.core.dbstats import sqlite_optimize

        sqlite_optimize()  # what migrate, `serve` at start and the hourly job run
    with_history = {name: _time(fn, args.n) for name, fn in reads.items()}
    plans = {name: _plan(sql) for name, sql in statements.items()}
    from motcua.queueing.models import TicketEvent

    cut = today - timedelta(days=args.keep)
    old_events = TicketEvent.objects.filter(ticket__service_date__lt=cut)
    old_events._raw_delete(old_events.db)
    history = Ticket.objects.filter(service_date__lt=cut)
    history._raw_delete(history.db)  # nothing else refers to them (bulk-inserted)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:  # the dead rows out of the indexes too
            cur.execute("VACUUM ANALYZE queueing_ticket, queueing_ticketevent")
    else:
        sqlite_optimize()
    without = {name: _time(fn, args.n) for name, fn in reads.items()}
    print(
        f"# {connection.vendor}: {total:,} tickets ({args.days} days × {args.per_day} finished, "
        f"{args.waiting} waiting today, 2 services, 1 in 10 with a priority group); "
        f"filled in {s['fill_s']:.0f} s; {args.n} runs per read; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )  # fmt: skip
    print()
    head = f"| read | {args.days} days behind: median / p95 ms | {args.keep} days behind | ratio (medians) |"
    rule = "|---|---:|---:|---:|"
    if bare:
        head = head.replace("| read |", "| read | no statistics yet, median / p95 ms |")
        rule += "---:|"
    print(head)
    print(rule)
    for name in reads:
        (h50, h95), (e50, e95) = with_history[name], without[name]
        first = f" {bare[name][0]:.3f} / {bare[name][1]:.3f} |" if bare else ""
        print(
            f"| {name} |{first} {h50:.3f} / {h95:.3f} | {e50:.3f} / {e95:.3f} | ×{h50 / e50:.2f} |"
        )
    print()
    print("Plans with the history (the ticket table's part):")
    for name, plan in plans.items():
        print(f"- {name}: {plan}")


if __name__ == "__main__":
    main()
