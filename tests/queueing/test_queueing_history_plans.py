"""The reads of a day's waiting line stay bounded by the day, however many years of tickets are
behind it: each one reaches the ticket table through the office's index of the day (or the
counter's, or the person's), never through the booking's unique index ("booking_id IS NULL"
is every ticket without a booking, of every office and every day) nor the service's (its whole
history). SQLite plans without statistics until the statistics job has run on the data
(core.dbstats), so the statement itself must lead it (the test database has none);
PostgreSQL plans from its statistics (bench/queue_history.py measures both)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from queueing_helpers import history

from motcua.core import clock
from motcua.queueing import hotsql, selectors
from motcua.queueing.models import Method, Ticket
from motcua.queueing.services import ticket_issue

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's planner, which has no statistics"
)

# The indexes a read of the day's line may take on the ticket table.
ALLOWED = (
    "queueing_ti_office_",
    "queueing_ti_counter_",
    "queueing_ti_citizen_",
    "ticket_special_line",
)


def _plans(fn, *, every: bool = False) -> list[str]:
    """How the statements `fn` runs reach the ticket tables (`every`: all the plan's lines)."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    out = []
    with connection.cursor() as cur:
        for query in ctx.captured_queries:
            if "queueing_ticket" not in query["sql"]:
                continue
            cur.execute("EXPLAIN QUERY PLAN " + query["sql"])
            out += [
                str(row[3])
                for row in cur.fetchall()
                if every
                or str(row[3]).startswith(
                    ("SEARCH t ", "SCAN t ", "SEARCH queueing_ticket", "SCAN queueing_ticket")
                )
            ]
    return out


@pytest.mark.django_db
def test_the_days_line_is_read_through_the_days_index(at, office, counters, svc_a, svc_b):
    today = clock.now().date()
    Ticket.objects.bulk_create(history(office, (svc_a, svc_b) * 20, days=29))
    tickets = [
        ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF).ticket
        for _ in range(3)
    ]
    last = tickets[-1]
    reads = {
        "call": lambda: hotsql.call_read(
            counter_id=counters[0].pk, office_id=office.pk, service_ids=[svc_a.pk, svc_b.pk],
            day=today, lanes=3, regular_limit=16,
        ),
        "check-in": lambda: hotsql.person_today(
            citizen_id=0, office_id=office.pk, service_id=svc_a.pk, day=today, bookings=True,
            line_at=clock.now(), number_key="x",
        ),
        "place": lambda: hotsql.waiting_line(
            office_id=office.pk, service_id=svc_a.pk, day=today, ticket_id=last.pk,
            waiting_since=last.waiting_since,
        ),
        "board line": lambda: selectors.line_for_service(office=office.pk, service=svc_a.pk),
    }  # fmt: skip
    for name, fn in reads.items():
        plans = _plans(fn)
        assert plans, name
        for plan in plans:
            assert " USING " in plan and "INDEX " in plan, (name, plan)  # never a table scan
            index = plan.split("INDEX ", 1)[1].split(" ", 1)[0]
            assert index.startswith(ALLOWED), (name, plan)
    # The line's priority and booked tickets (every one is read) come from their own partial
    # index: through the day's index that read walked the whole line at every call.
    for name in ("call", "check-in", "place"):
        plans = _plans(reads[name])
        assert any("INDEX ticket_special_line " in p for p in plans), (name, plans)
    # A call takes the oldest plain tickets by walking the line in order: no sort of it.
    assert not any("TEMP B-TREE" in p for p in _plans(reads["call"], every=True))
    # The wait estimate's pace: the service's last ended tickets walked back on its
    # (service, finished_at) index, the office's last events on its (office, id) index.
    plans = _plans(lambda: selectors.seconds_per_person(service=svc_a, office=office))
    assert any("queueing_ti_service_" in p and "finished_at" in p for p in plans), plans
    assert not any("queueing_ticket_service_id" in p or "USING INDEX" not in p for p in plans)
    # And the reads answer as before: the line of the day only.
    line = hotsql.waiting_line(
        office_id=office.pk, service_id=svc_a.pk, day=today, ticket_id=last.pk,
        waiting_since=last.waiting_since,
    )  # fmt: skip
    assert (line.plain_total, line.plain_before) == (2, 2)
    assert selectors.line_for_service(office=office.pk, service=svc_a.pk) == [t.pk for t in tickets]
