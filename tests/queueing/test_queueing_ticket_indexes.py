"""The ticket table keeps few indexes: each update of a ticket (called, served, ended) writes an
entry in every full index on PostgreSQL, so a column has an index of its own only when no other
index starts with it, and the references set on few tickets have a partial one (migration
0008). Every reference can still be followed back through an index (a delete of the row it
points to looks its tickets up that way), and the day's close finds the open tickets without
reading the office's history."""

from __future__ import annotations

import pytest
from django.db import connection

from motcua.queueing.models import Ticket, TicketEvent


def _indexes(table: str) -> dict[str, tuple[list[str], bool]]:
    """{index name: (its columns, partial)} from the database itself."""
    found = connection.introspection.get_constraints(connection.cursor(), table)
    out: dict[str, tuple[list[str], bool]] = {}
    with connection.cursor() as cur:
        for name, info in found.items():
            if not info["index"] and not info["unique"] and not info["primary_key"]:
                continue  # a foreign key or check constraint, not an index
            if connection.vendor == "postgresql":
                cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
            else:
                cur.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name]
                )
            row = cur.fetchone()
            sql = (row[0] or "") if row else ""  # SQLite's automatic indexes have no SQL
            out[name] = (list(info["columns"]), " WHERE " in sql.upper())
    return out


def _plan(sql: str) -> str:
    """The plan the database chooses for `sql`, as one line of text."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL enable_seqscan = off")  # an empty table: a scan is cheaper
            cur.execute("EXPLAIN " + sql)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql)
        return " ".join(str(cell) for row in cur.fetchall() for cell in row)


# Every index of the two tables: (columns, partial). A full index is written at every update of
# a ticket (every insert of an event); one more needs a reason, and a place here.
TICKET = sorted(
    [
        (("id",), False),
        (("token",), False),
        (("booking_id",), False),
        (("officer_id",), False),  # a user's deletion sets it NULL; set on every ticket called
        (("service_date",), False),  # the reports' periods, across offices
        (("office_id", "service_date", "display"), False),
        (("office_id", "service_date", "status", "waiting_since", "id"), False),
        (("citizen_id", "service_date"), False),
        (("counter_id", "status"), False),
        (("service_id", "finished_at"), False),
        (("office_id", "service_date"), True),  # ticket_open
        (("office_id", "service_date", "status", "waiting_since", "id"), True),  # special line
        (("on_behalf_of_id",), True),
        (("authorisation_id",), True),
        (("priority_id",), True),
        (("target_counter_id",), True),
        (("transferred_from_id",), True),
        (("carried_from_id",), True),
    ]
)
EVENT = sorted(
    [
        (("id",), False),
        (("ticket_id",), False),
        (("actor_id",), False),
        (("at",), False),
        (("office_id", "id"), False),
        (("counter_id", "kind", "id"), False),
    ]
)


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "expected"), [(Ticket, TICKET), (TicketEvent, EVENT)])
def test_the_tables_keep_exactly_these_indexes(model, expected):
    found = sorted(
        (tuple(cols), partial) for cols, partial in _indexes(model._meta.db_table).values()
    )
    assert found == expected
    assert sum(1 for _, partial in found if not partial) <= 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    "column",
    [
        "on_behalf_of_id",
        "authorisation_id",
        "priority_id",
        "target_counter_id",
        "transferred_from_id",
        "carried_from_id",
    ],
)
def test_a_rare_reference_is_followed_through_its_partial_index(column):
    """What a delete of the row it points to asks (`= id`) can use the partial index over the
    tickets that have one (`IS NOT NULL`): both planners prove the one from the other."""
    name = f"ticket_{column.removesuffix('_id')}_set"
    assert _indexes(Ticket._meta.db_table)[name] == ([column], True)
    sql = f"SELECT id FROM {Ticket._meta.db_table} WHERE {column} = 1"
    plan = _plan(sql)
    assert name in plan, plan


@pytest.mark.django_db
def test_the_days_close_reads_the_open_tickets_through_their_index(office):
    """The close's read (`hotsql.open_ticket_ids`) repeats the partial index's condition, so
    both databases take it (SQLite only for a statement that repeats it, literals included)."""
    from django.test.utils import CaptureQueriesContext

    from motcua.core import clock
    from motcua.queueing import hotsql

    with CaptureQueriesContext(connection) as ctx:
        hotsql.open_ticket_ids(office.pk, clock.now().date())
    (query,) = [q["sql"] for q in ctx.captured_queries if "queueing_ticket" in q["sql"]]
    plan = _plan(query)
    assert "ticket_open" in plan, plan


@pytest.mark.django_db
def test_the_days_close_still_finds_the_open_tickets_without_their_index(office, caplog):
    """SQLite: where the index is missing (code ahead of its migration), the hint is refused
    and the read runs without it, logged, instead of failing every office's close."""
    if connection.vendor != "sqlite":
        pytest.skip("the INDEXED BY hint is SQLite's")
    from motcua.core import clock
    from motcua.queueing import hotsql
    from motcua.queueing.models import Method, Service
    from motcua.queueing.services import ticket_issue

    svc = Service.objects.create(office=office, code="Z", name="Thử")
    ticket = ticket_issue(office=office, service=svc, citizen=None, method=Method.STAFF).ticket
    with connection.cursor() as cur:
        cur.execute("DROP INDEX ticket_open")  # rolled back with the test's transaction
    assert hotsql.open_ticket_ids(office.pk, clock.now().date()) == [ticket.pk]
    assert "ticket_open" in caplog.text
