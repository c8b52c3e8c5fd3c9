"""The visitor counter on Redis (shared by all processes): exact totals under concurrent flushes."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory, override_settings

from live_servers import private_redis
from motcua.portal import visitors
from motcua.portal.models import VisitCount


@pytest.fixture
def redis_cache():
    """A private redis-server on a free port (never a shared one), stopped after the test."""
    with private_redis() as url:
        redis_caches = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
            }
        }
        # The caches go back to the test settings before the server stops: other fixtures'
        # teardowns clear the default cache and must not meet a stopped Redis.
        with override_settings(CACHES={**settings.CACHES, **redis_caches}):
            cache.clear()
            yield
        cache.clear()


@pytest.mark.django_db(transaction=True)
def test_concurrent_visits_and_flushes_count_exactly(redis_cache):
    rf = RequestFactory()
    per_thread, threads_n = 40, 4

    def visit_many(t: int) -> None:
        try:
            for i in range(per_thread):
                request = rf.get("/")
                request.COOKIES[visitors.COOKIE] = f"visitor-{t:02d}-{i:04d}-" + "x" * 12
                visitors.visit_touch(request)
        finally:
            connection.close()

    def flush_many() -> None:
        try:
            for _ in range(20):
                visitors.visits_flush()
        finally:
            connection.close()

    workers = [threading.Thread(target=visit_many, args=(t,)) for t in range(threads_n)]
    workers += [threading.Thread(target=flush_many) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    visitors.visits_flush()
    assert sum(VisitCount.objects.values_list("count", flat=True)) == per_thread * threads_n
    assert visitors.pending_visits() == 0
    assert visitors.online_now() == per_thread * threads_n
