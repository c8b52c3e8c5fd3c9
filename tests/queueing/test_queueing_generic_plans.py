"""PostgreSQL keeps the queue's hot statements prepared (`core.rawsql.prepared_cursor`), and after
five runs it may plan them once for any values (a generic plan). A counter's current ticket must
then still be found through the (counter, status) index: planned without the statuses, the
call's check that the counter is free ("LIMIT 1") became a scan of the whole ticket table, every
ticket of every day read at each call. The statements are prepared here as psycopg prepares
them and explained with the generic plan forced, over a history the planner has statistics of."""

from __future__ import annotations

import contextlib
import re
from typing import Any

import pytest
from django.db import connection, transaction
from queueing_helpers import history

from motcua.core import clock
from motcua.queueing import hotsql
from motcua.queueing.models import Ticket

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's generic plans of prepared statements"
)


class _Capture:
    """A cursor that keeps what it is asked to run and finds nothing."""

    def __init__(self, into: list[tuple[str, list[Any]]]) -> None:
        self.into = into

    def execute(self, sql: str, params: list[Any]) -> None:
        self.into.append((sql, list(params)))

    def fetchall(self) -> list[Any]:
        return []

    def fetchone(self) -> Any:
        return None


def _statements(monkeypatch, fn) -> list[tuple[str, list[Any]]]:
    out: list[tuple[str, list[Any]]] = []

    @contextlib.contextmanager
    def capture():
        yield _Capture(out)

    with monkeypatch.context() as m:
        m.setattr(hotsql, "prepared_cursor", capture)
        fn()
    return out


def _generic_plan(sql: str, params: list[Any]) -> str:
    counter = iter(range(1, len(params) + 1))
    numbered = re.sub(r"%s", lambda _m: f"${next(counter)}", sql)
    with connection.cursor() as cur:
        cur.execute("SET LOCAL plan_cache_mode = force_generic_plan")  # the test's transaction
        cur.execute(f"PREPARE hot AS {numbered}")
        try:
            with transaction.atomic():  # a failure here leaves the connection usable
                args = ", ".join(["%s"] * len(params))
                cur.execute(f"EXPLAIN EXECUTE hot({args})", params)
                return "\n".join(row[0] for row in cur.fetchall())
        finally:
            cur.execute("DEALLOCATE hot")  # a prepared statement outlives any rollback


# A plan node on the ticket table (not the event table), and its estimated rows.
_TICKET_NODE = re.compile(r"on queueing_ticket\b(?!event).*rows=(\d+)")
_COUNTER = re.compile(r"(?<!target_)counter_id")  # the ticket's counter (not a transfer's)


def _counter_reads(plan: str) -> list[tuple[str, int]]:
    """Each node of `plan` on the ticket table whose condition names the counter: (its line,
    the rows the planner expects from it)."""
    out: list[tuple[str, int]] = []
    node: tuple[str, int] | None = None
    for line in plan.splitlines():
        found = _TICKET_NODE.search(line)
        if "cost=" in line:
            node = (line.strip(), int(found.group(1))) if found else None
        elif node is not None and _COUNTER.search(line):
            out.append(node)
            node = None
    return out


@pytest.mark.django_db
def test_a_counters_current_ticket_is_found_through_its_index_in_a_generic_plan(
    monkeypatch, at, office, counters, svc_a, svc_b
):
    today = clock.now().date()
    past = history(office, [svc_a] * 400, days=30, counters=counters[:2])
    Ticket.objects.bulk_create(past, batch_size=5000)
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {Ticket._meta.db_table}")
    counter = counters[0]
    reads = {
        "call": lambda: hotsql.call_read(
            counter_id=counter.pk, office_id=office.pk, service_ids=[svc_a.pk, svc_b.pk],
            day=today, lanes=3, regular_limit=40,
        ),
        "the buttons and the press": lambda: hotsql.lock_current_ticket(counter.pk),
        "the press's second look": lambda: hotsql.current_ticket_id(counter.pk),
        "check-in's free counters": lambda: hotsql.busy_counters([c.pk for c in counters]),
    }  # fmt: skip
    for name, fn in reads.items():
        statements = _statements(monkeypatch, fn)
        assert statements, name
        reads = [
            node
            for sql, params in statements
            for node in _counter_reads(_generic_plan(sql, params))
        ]
        assert reads, name  # the counter's current ticket is looked up
        for line, rows in reads:
            # Through an index, expecting the few current tickets: not a scan of the table (the
            # call's check with LIMIT 1), nor every ticket of the counter sorted (the buttons').
            assert "Seq Scan" not in line and rows < 50, (name, line)
