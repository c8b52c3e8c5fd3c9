"""Issue 9 point 8: limits shared across processes and doors; the token API's lockouts."""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connections
from django.test import RequestFactory

from factories import UserFactory

TOKEN = "/api/v1/auth/token"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def token(client, username, password, ip="127.0.0.1"):
    return client.post(
        TOKEN,
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


@pytest.mark.django_db
def test_the_portal_page_and_the_api_share_one_lookup_count(client, settings):
    n = settings.MOTCUA["PUBLIC_LOOKUP_PER_MINUTE"]
    half = n // 2
    for i in range(half):  # distinct codes: a code alone is locked sooner
        assert client.post("/tra-cuu/", {"code": f"W{i}", "verify": "1234"}).status_code == 404
    for i in range(n - half):
        assert client.get(f"/api/v1/public/dossiers/A{i}", {"verify": "1234"}).status_code == 404
    api = client.get("/api/v1/public/dossiers/A-last", {"verify": "1234"})
    assert api.status_code == 429 and api.json()["code"] == "rate_limited"
    assert client.post("/tra-cuu/", {"code": "W-last", "verify": "1234"}).status_code == 429


@pytest.mark.django_db
def test_a_successful_token_resets_the_failure_count(client, settings):
    UserFactory(username="hay-go-sai")
    for _ in range(2):  # twice (limit - 1) failures, a success between: never locked
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert token(client, "hay-go-sai", "sai").status_code == 401
        assert token(client, "hay-go-sai", "motcua-demo").status_code == 200


@pytest.mark.django_db
def test_a_lockout_answers_json_from_the_failure_that_locks(client, settings):
    UserFactory(username="bi-khoa")
    answers = [token(client, "bi-khoa", "sai") for _ in range(settings.AXES_FAILURE_LIMIT + 1)]
    for r in answers:
        assert r["Content-Type"].startswith("application/json"), r.content[:200]
        assert set(r.json()) >= {"code", "message"}
    assert answers[-1].status_code == 429 and answers[-1].json()["code"] == "locked_out"


@pytest.mark.django_db
def test_password_spraying_from_one_address_is_limited(client, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = "5/h"
    UserFactory(username="that")
    for i in range(5):  # one try per username: axes' per-username lock never triggers
        assert token(client, f"nguoi-{i}", "motcua-demo").status_code == 401
    r = token(client, "that", "motcua-demo")
    assert r.status_code == 429 and r.json()["code"] == "login_rate_limited"
    # The web login page counts in the same place.
    page = client.post("/can-bo/dang-nhap/", {"username": "that", "password": "motcua-demo"})
    assert page.status_code == 429
    # Another address is not affected.
    assert token(client, "that", "motcua-demo", ip="10.0.0.9").status_code == 200


def _count_in_child(n: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from motcua.core.throttle import public_lookup_limited

    connections.close_all()
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1")
    queue.put(sum(not public_lookup_limited(request) for _ in range(n)))
    connections.close_all()


def _redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", ["database", "redis"])
def test_two_processes_share_one_count(settings, backend):
    """Two server processes (forked here) each see 15 lookups from one client: 20 pass in all.

    With the database table (no REDIS_URL) and with Redis (REDIS_URL set), the two backends
    `settings.CACHES["ratelimit"]` chooses between.
    """
    import uuid

    if backend == "redis":
        if not _redis_reachable():
            pytest.skip("no Redis on 127.0.0.1:6379")
        settings.CACHES = {
            **settings.CACHES,
            "ratelimit": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/0",
                "KEY_PREFIX": f"motcua-test-{uuid.uuid4().hex}",  # never another run's keys
                "TIMEOUT": 120,
            },
        }
    limit = settings.MOTCUA["PUBLIC_LOOKUP_PER_MINUTE"]
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_count_in_child, args=(15, queue)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert queue.get(timeout=5) + queue.get(timeout=5) == limit


def _count_both_ways(request, first_limited):
    """Five requests counted in two windows at once, then the counts django-ratelimit reads."""
    from django_ratelimit.core import get_usage

    over = [first_limited(request, [("t.all", "4/m"), ("t.some", "2/m")]) for _ in range(5)]
    usage = [
        get_usage(request, group=g, key="ip", rate=r)["count"]
        for g, r in (("t.all", "4/m"), ("t.some", "2/m"))
    ]
    return over, usage


@pytest.mark.django_db
def test_several_windows_counted_at_once_as_one_by_one(settings):
    """`first_limited` counts like `is_ratelimited` group after group, stopping at the first
    over its limit (the later one is then not counted), in the same keys: here on the database
    cache, one transaction for both windows."""
    from django.test.utils import CaptureQueriesContext

    from motcua.core.throttle import first_limited

    request = RequestFactory().post("/", REMOTE_ADDR="10.9.8.7")
    over, usage = _count_both_ways(request, first_limited)
    # 1, 2: both counted; 3: t.some over; 4: t.some over again; 5: t.all over, t.some not counted
    assert over == [None, None, "t.some", "t.some", "t.all"]
    assert usage == [5, 4]
    with CaptureQueriesContext(connections["default"]) as ctx:
        first_limited(RequestFactory().post("/", REMOTE_ADDR="10.9.8.7"), [("t.x", "9/m")])
        first_limited(request, [("t.all", "90/m"), ("t.some", "90/m")])  # new windows (rates)
        n_new = len(ctx.captured_queries)
        first_limited(request, [("t.all", "90/m"), ("t.some", "90/m")])
    # One read, one write, and the transaction (here a savepoint and its release: the test's own
    # transaction is around it; a request has BEGIN on SQLite, nothing counted on PostgreSQL).
    assert len(ctx.captured_queries) - n_new <= 4


def test_several_windows_counted_at_once_on_redis(settings):
    """The same counts on Redis (one pipeline), when a Redis server is there to try."""
    import os
    import uuid

    redis = pytest.importorskip("redis")
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception:  # noqa: BLE001
        pytest.skip("no Redis server")
    from django.core.cache import caches

    from motcua.core.throttle import first_limited

    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        },
    }
    try:
        request = RequestFactory().post("/", REMOTE_ADDR="10.9.8.6")
        over, usage = _count_both_ways(request, first_limited)
        assert over == [None, None, "t.some", "t.some", "t.all"]
        assert usage == [5, 4]
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        caches["ratelimit"].close()


def _peek_as_get(request):  # type: ignore[no-untyped-def]
    """`count_and_peek` reads a key as `cache.get` does (missing, a value, expired) while it
    counts the window like `first_limited`."""
    from django.core.cache import caches

    from motcua.core.throttle import count_and_peek

    cache = caches["ratelimit"]
    cache.set("peek:live", 3, 60)
    cache.set("peek:dict", {"a": [1, "b"]}, 60)
    cache.set("peek:gone", 7, 60)
    limits = [("t.peek", "2/m")]
    keys = ["peek:live", "peek:missing", "peek:dict"]
    assert count_and_peek(request, limits, keys) == (None, [3, None, {"a": [1, "b"]}])
    assert count_and_peek(request, limits, ["peek:live"]) == (None, [3])
    assert count_and_peek(request, limits, ["peek:live"]) == ("t.peek", [3])  # 3rd: over
    assert [cache.get(k) for k in keys] == [3, None, {"a": [1, "b"]}]


@pytest.mark.django_db
def test_count_and_peek_on_the_database_cache(settings):
    """One read for the window and the peeked keys; an expired key reads None (and is dropped,
    as `get` drops it)."""
    from datetime import timedelta

    from django.core.cache import caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from motcua.core.throttle import count_and_peek

    cache = caches["ratelimit"]
    if not hasattr(cache, "_table"):
        pytest.skip("the rate limits are in Redis here (REDIS_URL): see the Redis test")
    request = RequestFactory().get("/", REMOTE_ADDR="10.9.8.5")
    _peek_as_get(request)
    cache.set("peek:old", 5, 60)
    made = cache.make_and_validate_key("peek:old")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(cache._table)} SET expires = %s WHERE cache_key = %s",
            [timezone.now() - timedelta(seconds=1), made],
        )
    other = RequestFactory().get("/", REMOTE_ADDR="10.9.8.4")
    with CaptureQueriesContext(connection) as ctx:
        count_and_peek(other, [("t.peek2", "9/m")], ["peek:live"])  # opens the window
        n_open = len(ctx.captured_queries)
        assert count_and_peek(other, [("t.peek2", "9/m")], ["peek:live", "peek:old"]) == (
            None,
            [3, None],
        )
    reads = [q for q in ctx.captured_queries[n_open:] if q["sql"].lstrip().startswith("SELECT")]
    assert len(reads) == 1  # the windows and the peeked keys in one read
    assert cache.get("peek:old") is None and not cache.has_key("peek:old")


def test_count_and_peek_on_redis(settings):
    import os
    import uuid

    redis = pytest.importorskip("redis")
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception:  # noqa: BLE001
        pytest.skip("no Redis server")
    from django.core.cache import caches

    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        },
    }
    try:
        _peek_as_get(RequestFactory().get("/", REMOTE_ADDR="10.9.8.3"))
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        caches["ratelimit"].close()


@pytest.mark.django_db(transaction=True)
def test_windows_counted_by_many_at_once_all_count_and_none_fails(settings):
    """Outside any transaction (as a request): the same windows counted from 8 threads at once,
    new at first, then open. Every hit counts once and none fails: on PostgreSQL the rows are
    locked in key order and a window is opened before any row is locked (two requests once
    deadlocked, one locking the windows it found while the other opened one)."""
    import threading

    from motcua.core.throttle import first_limited

    over, usage = _count_both_ways(
        RequestFactory().post("/", REMOTE_ADDR="10.9.8.6"), first_limited
    )
    assert over == [None, None, "t.some", "t.some", "t.all"] and usage == [5, 4]
    errors: list[Exception] = []
    barrier = threading.Barrier(8)
    windows = [("t.many.b", "100000/m"), ("t.many.a", "100000/m")]

    def hit() -> None:
        try:
            barrier.wait()
            request = RequestFactory().post("/", REMOTE_ADDR="10.9.8.5")
            for _ in range(25):
                assert first_limited(request, windows) is None
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    from django_ratelimit.core import get_usage

    request = RequestFactory().post("/", REMOTE_ADDR="10.9.8.5")
    counts = [get_usage(request, group=g, key="ip", rate=r)["count"] for g, r in windows]
    assert counts == [200, 200]
