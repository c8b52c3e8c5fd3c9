"""Issue 10 point 3: public pages kept whole in the shared cache, dropped when their data changes,
never given from one visitor's session to another."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import Client

from motcua.catalog.models import Field
from motcua.portal.models import WebLink


@pytest.fixture(autouse=True)
def _clean_shared_cache():
    from motcua.core.cache import forget_local_pages

    caches["shared"].clear()
    forget_local_pages()
    yield
    caches["shared"].clear()
    forget_local_pages()


def _get(path: str, client: Client | None = None) -> str:
    response = (client or Client()).get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_home_is_cached_and_dropped_when_a_link_changes():
    _get("/")
    link = WebLink.objects.create(title="Cổng thử nghiệm XYZ", url="https://example.gov.vn/")
    assert "Cổng thử nghiệm XYZ" in _get("/")
    # A change that no signal sees (a raw update) is not shown until the next bump.
    WebLink.objects.filter(pk=link.pk).update(title="Tên mới ABC")
    assert "Tên mới ABC" not in _get("/")
    link.refresh_from_db()
    link.save()
    assert "Tên mới ABC" in _get("/")


@pytest.mark.django_db(transaction=True)
def test_procedures_list_dropped_when_a_field_is_added():
    _get("/thu-tuc/")
    Field.objects.create(code="ZZTEST", name="Lĩnh vực thử nghiệm QWE")
    assert "Lĩnh vực thử nghiệm QWE" in _get("/thu-tuc/")


@pytest.mark.django_db(transaction=True)
def test_each_visitor_gets_its_own_csrf_token_and_logged_in_pages_are_not_shared(django_user_model):
    a, b = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_a, page_b = _get("/", a), _get("/", b)
    token_a = page_a.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    token_b = page_b.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert "@@motcua-csrf@@" not in page_b and token_a != token_b
    from django.middleware.csrf import _unmask_cipher_token

    assert _unmask_cipher_token(token_b) == b.cookies["csrftoken"].value  # b's own secret
    # A visitor with a session (logged in, or messages waiting) is never served the shared copy.
    link = WebLink.objects.create(title="Liên kết cũ", url="https://example.gov.vn/")
    _get("/")
    WebLink.objects.filter(pk=link.pk).update(title="Liên kết riêng JKL")  # no bump
    staff = django_user_model.objects.create_user(username="pagecache", password="x")
    c = Client()
    c.force_login(staff)
    assert "Liên kết riêng JKL" in _get("/", c)
    assert "Liên kết riêng JKL" not in _get("/")


def _masked(page: str) -> str:
    """The page with its CSRF token value blanked (the one per-visitor part of it)."""
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]+"', "CSRF", page)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/", "/tinh-hinh-giai-quyet/"])
def test_cached_page_equals_the_uncached_page_for_an_anonymous_visitor(path):
    from motcua.core import cache as pages

    visitor = Client()  # one visitor: the visit counts on the page do not move
    fresh = _get(path, visitor)  # rendered (a miss), then kept
    assert pages._pages, "kept in this process's memory"
    hit = _get(path, visitor)  # from memory
    pages.forget_local_pages()
    shared = _get(path, visitor)  # from the shared store
    caches["shared"].clear()
    pages.forget_local_pages()
    again = _get(path, visitor)  # rendered anew
    assert _masked(fresh) == _masked(hit) == _masked(shared) == _masked(again)
    # Vietnamese text intact through the byte copies.
    assert "Tình hình giải quyết hồ sơ" in hit and "Tra cứu hồ sơ" in hit


@pytest.mark.django_db(transaction=True)
def test_another_process_change_shows_within_the_version_memo(monkeypatch):
    """Another process's bump (a new version token in the shared store) is seen once this
    process's memo of the token (PAGE_VERSION_MEMO, 1 s) has run out; a bump made here at once."""
    import uuid

    from motcua.core import cache as pages

    clock_now = [pages.time.monotonic()]  # the memo's clock, moved by hand only
    monkeypatch.setattr(pages.time, "monotonic", lambda: clock_now[0])
    link = WebLink.objects.create(title="Liên kết một", url="https://example.gov.vn/")
    assert "Liên kết một" in _get("/")
    WebLink.objects.filter(pk=link.pk).update(title="Liên kết hai")  # no signal here
    caches["shared"].set(pages.PAGE_VERSION.format(group="home"), uuid.uuid4().hex, None)
    assert "Liên kết một" in _get("/")  # the memo of the old token, under a second old
    clock_now[0] += pages.PAGE_VERSION_MEMO + 0.1
    assert "Liên kết hai" in _get("/")


@pytest.mark.django_db(transaction=True)
def test_a_logged_in_visitor_never_gets_nor_fills_the_anonymous_copy(django_user_model):
    from motcua.core import cache as pages

    staff = django_user_model.objects.create_user(username="pagecache2", password="x")
    c = Client()
    c.force_login(staff)
    _get("/", c)
    assert not pages._pages  # nothing kept from a session's page
    assert _get("/").count('name="csrfmiddlewaretoken"') == 1


@pytest.mark.django_db(transaction=True)
def test_a_cold_page_is_rendered_once_for_requests_in_flight():
    """Single flight: 8 requests for a missing page at once render it once."""
    import threading
    import time

    from django.db import connections
    from django.http import HttpResponse
    from django.test import RequestFactory

    from motcua.core.cache import shared_page

    calls = []

    @shared_page("single-flight-test", ttl=60)
    def view(request):
        calls.append(1)
        time.sleep(0.3)
        return HttpResponse("Trang dùng chung", content_type="text/html; charset=utf-8")

    factory = RequestFactory()
    bodies: list[bytes] = []

    def visit() -> None:
        try:
            request = factory.get("/x/")
            request.user = None
            bodies.append(view(request).content)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=visit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(calls) == 1
    assert bodies == ["Trang dùng chung".encode()] * 8


@pytest.fixture
def private_redis():
    """A redis-server of this test alone, on a free port; its URL."""
    from live_servers import private_redis as start

    with start() as url:
        yield url


def _http_get(port: int, path: str) -> str:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    assert response.status == 200
    return response.read().decode()


@pytest.mark.django_db(transaction=True)
def test_a_change_reaches_the_cached_page_of_every_process_through_redis(private_redis):
    """Two server processes sharing Redis: both serve the kept page; a change saved in a third
    process (this one) bumps the version in Redis and both show it within the memo (1 s)."""
    import time

    from django.conf import settings
    from django.db import connection
    from django.test import override_settings

    from live_servers import serve

    link = WebLink.objects.create(title="Liên kết Redis một", url="https://example.gov.vn/")
    connection.close()
    env = {"REDIS_URL": private_redis, "DB_POOL": "0"}
    shared = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": private_redis,
        "KEY_PREFIX": "pg",  # settings.CACHES["shared"] of a process with REDIS_URL
    }
    with serve(env=env) as (_a, port_a), serve(env=env) as (_b, port_b):
        for port in (port_a, port_b):
            assert "Liên kết Redis một" in _http_get(port, "/")
        WebLink.objects.filter(pk=link.pk).update(title="Liên kết Redis hai")  # no signal
        for port in (port_a, port_b):
            assert "Liên kết Redis hai" not in _http_get(port, "/")  # the kept copy
        with override_settings(CACHES={**settings.CACHES, "shared": shared}):
            link.refresh_from_db()
            link.save()  # the signal bumps the version in Redis after the commit
        deadline = time.monotonic() + 10
        seen = set()
        while len(seen) < 2 and time.monotonic() < deadline:
            for port in (port_a, port_b):
                if "Liên kết Redis hai" in _http_get(port, "/"):
                    seen.add(port)
            time.sleep(0.2)
        assert seen == {port_a, port_b}
