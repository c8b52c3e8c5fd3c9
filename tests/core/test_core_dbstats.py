"""SQLite gets the query planner's statistics (PRAGMA optimize / ANALYZE); PostgreSQL is left to
its autovacuum."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factories import UnitFactory
from motcua.core.tasks import sqlite_optimize_periodic

pytestmark = pytest.mark.django_db


def _stat_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_the_hourly_job_writes_sqlite_statistics():
    for n in range(20):
        UnitFactory(code=f"STAT{n}", agency_code=f"000.00.{n}.S01")
    assert sqlite_optimize_periodic.call_local() is True
    assert _stat_rows("org_unit") > 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_the_hourly_job_does_nothing_on_postgresql():
    with CaptureQueriesContext(connection) as queries:
        assert sqlite_optimize_periodic.call_local() is False
    assert len(queries) == 0


def test_any_database_but_sqlite_gets_no_statement(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "postgresql")
    with CaptureQueriesContext(connection) as queries:
        assert sqlite_optimize_periodic.call_local() is False
    assert len(queries) == 0


def test_migrate_refreshes_the_statistics_and_flush_does_not(monkeypatch):
    from django.apps import apps
    from django.db.models.signals import post_migrate

    from motcua.core import dbstats

    calls: list[str] = []
    monkeypatch.setattr(dbstats, "sqlite_optimize", lambda using="default": calls.append(using))
    core = apps.get_app_config("core")
    signal = {"sender": core, "app_config": core, "verbosity": 0, "interactive": False}
    post_migrate.send(**signal, using="default", plan=[])  # `migrate`, even with nothing to do
    assert calls == ["default"]
    post_migrate.send(**signal, using="default")  # `flush` (a test's teardown) passes no plan
    assert calls == ["default"]
