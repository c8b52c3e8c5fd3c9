"""The trigram index behind name search (PostgreSQL): present after migrate and usable by the
exact query the search builds; elsewhere search works without it."""

from __future__ import annotations

import pytest
from django.db import connection

from motcua.core.text import fold
from motcua.dossiers.models import Dossier

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_trgm index exists on PostgreSQL only"
)
def test_name_search_can_use_the_trigram_index():
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'dossier_name_folded_trgm'")
        assert cur.fetchone() is not None
        qs = Dossier.objects.filter(citizen_name_folded__contains=fold("Trần Thị Bình"))
        sql, params = qs.query.sql_with_params()
        cur.execute("SET LOCAL enable_seqscan = off")  # a tiny test table: make the planner show it
        cur.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "dossier_name_folded_trgm" in plan, plan


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_trgm index exists on PostgreSQL only"
)
def test_a_missing_index_comes_back_at_the_next_migrate():
    from motcua.dossiers.search_index import INDEX, ensure_after_migrate

    with connection.cursor() as cur:
        cur.execute(f"DROP INDEX {INDEX}")
    ensure_after_migrate(sender=None, using=connection.alias)
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [INDEX])
        assert cur.fetchone() is not None


def test_elsewhere_nothing_happens_and_search_still_works():
    from motcua.dossiers.search_index import ensure_name_index

    if connection.vendor == "postgresql":
        pytest.skip("the SQLite path")
    assert ensure_name_index(connection) is False
    assert list(Dossier.objects.filter(citizen_name_folded__contains="nguyen")) == []
