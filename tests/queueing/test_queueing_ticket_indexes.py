"""The ticket table keeps few indexes: each update of a ticket (called, served, ended) writes an
entry in every full index on PostgreSQL, so a column has an index of its own only when no other
index starts with it, and the references set on few tickets have a partial one (migration
0008). Every reference can still be followed back through an index (a delete of the row it
points to looks its tickets up that way)."""

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


@pytest.mark.django_db
def test_a_ticket_update_writes_twelve_indexes_at_most():
    indexes = _indexes(Ticket._meta.db_table)
    full = sorted(name for name, (_, partial) in indexes.items() if not partial)
    assert len(full) <= 12, full
    # No index is the bare first column of another (it would be written for nothing).
    firsts = [cols for cols, _ in indexes.values()]
    for name, (cols, partial) in indexes.items():
        if partial or len(cols) != 1:
            continue
        longer = [c for c in firsts if len(c) > 1 and c[0] == cols[0]]
        assert not longer, (name, longer)
    if connection.vendor == "postgresql":  # its LIKE twin of the token's unique index is gone
        assert not [n for n in indexes if n.endswith("_like")], sorted(indexes)


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Ticket, TicketEvent])
def test_every_reference_is_the_first_column_of_an_index(model):
    indexes = _indexes(model._meta.db_table)
    firsts = {cols[0]: partial for cols, partial in indexes.values() if cols}
    for f in model._meta.concrete_fields:
        if f.is_relation:
            assert f.column in firsts, f.column


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
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL enable_seqscan = off")  # an empty table: a scan is cheaper
            cur.execute("EXPLAIN " + sql)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " ".join(str(cell) for row in cur.fetchall() for cell in row)
    assert name in plan, plan
