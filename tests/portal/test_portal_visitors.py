"""Visitor counter: totals reach the database in batches, online-now counts distinct visitors."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.core import clock
from motcua.portal import visitors
from motcua.portal.models import VisitCount

pytestmark = pytest.mark.django_db


def test_n_visits_become_n_after_flush(client, freeze):
    freeze(datetime(2026, 3, 10, 9, 0))
    n = 7
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(n):
            fresh = client.__class__()  # a new visitor each time (no cookie)
            assert fresh.get("/tin-tuc/").status_code == 200
    writes = [
        q
        for q in ctx.captured_queries
        if "portal_visitcount" in q["sql"] and q["sql"].split()[0].upper() in {"INSERT", "UPDATE"}
    ]
    # At most one batched flush a minute (an UPDATE, plus an INSERT on a new day), not a write per visit.
    assert len(writes) <= 2
    visitors.visits_flush()
    assert VisitCount.objects.get().count == n
    assert visitors.visits_flush() == 0  # nothing counted twice


def test_page_views_of_one_visitor_are_one_visit(client):
    for _ in range(5):
        client.get("/tin-tuc/")
    visitors.visits_flush()
    assert VisitCount.objects.get().count == 1


def test_page_view_does_not_write_to_the_database(client):
    client.get("/tin-tuc/")  # warm up
    with CaptureQueriesContext(connection) as ctx:
        client.__class__().get("/tin-tuc/")
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].split()[0].upper() in {"INSERT", "UPDATE"}
    ]
    assert writes == []


def test_visits_counted_during_a_flush_are_kept():
    from django.core.cache import cache

    today = clock.today().isoformat()
    key = f"portal:visits:pending:{today}"
    cache.set(key, 3)
    original = visitors._visit_add

    def add_and_visit(**kw):
        cache.incr(key, 2)  # two visits arrive while the flush writes
        return original(**kw)

    visitors._visit_add = add_and_visit
    try:
        assert visitors.visits_flush() == 3
    finally:
        visitors._visit_add = original
    assert visitors.visits_flush() == 2
    assert VisitCount.objects.get().count == 5


def test_home_shows_totals_with_flush_on_read(client):
    for _ in range(3):
        client.__class__().get("/tin-tuc/")
    html = client.get("/").content.decode()
    # 3 earlier visitors + this one; the read flushed the pending count to the day row.
    assert 'id="visits-total">4<' in html
    assert 'id="visits-online">4<' in html
    visitors.visits_flush()
    assert VisitCount.objects.get().count == 4


def test_online_now_counts_distinct_recent_visitors(freeze):
    from django.test import RequestFactory

    rf = RequestFactory()
    start = datetime(2026, 3, 10, 9, 0)
    freeze(start)

    def visit(token: str) -> None:
        request = rf.get("/")
        request.COOKIES[visitors.COOKIE] = token
        visitors.visit_touch(request)

    a, b = "a" * 32, "b" * 32
    visit(a)
    visit(b)
    freeze(start + timedelta(minutes=2))
    visit(a)  # same visitor in a later minute: still one
    assert visitors.online_now() == 2
    freeze(start + timedelta(minutes=6))
    assert visitors.online_now() == 1  # b left more than 5 minutes ago
    freeze(start + timedelta(minutes=8))
    assert visitors.online_now() == 0


def test_no_ip_or_personal_data_is_stored(client):
    client.get("/tin-tuc/", REMOTE_ADDR="203.0.113.7")
    visitors.visits_flush()
    assert {f.name for f in VisitCount._meta.fields} == {"id", "day", "count"}
    from django.core.cache import cache

    cookie = client.cookies[visitors.COOKIE].value
    keys = list(getattr(cache, "_cache", {}).keys())
    assert keys, "LocMem cache expected in tests"
    assert not any("203.0.113.7" in k or cookie in k for k in keys)


def test_periodic_task_flushes():
    from django.core.cache import cache

    from motcua.portal.tasks import visits_flush_task

    cache.set(f"portal:visits:pending:{clock.today().isoformat()}", 4)
    assert visits_flush_task.call_local() == 4
    assert VisitCount.objects.get().count == 4
