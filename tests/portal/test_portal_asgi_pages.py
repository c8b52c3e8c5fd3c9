"""The cached-pages lane (portal.asgi_pages): an anonymous visitor's GET of a kept page answered
before Django's request handling, the same answer Django gives, with the visitor's own cookies."""

from __future__ import annotations

import asyncio
import gzip
import re

import pytest
from django.core.cache import caches
from django.core.handlers.asgi import ASGIHandler

from async_helpers import run_async
from motcua.core import cache as pages
from motcua.portal.asgi_pages import CachedPagesASGI


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    # The lane answers while the version memo is fresh (1 s): long enough for these tests on
    # a busy machine; changes made here bump it at once anyway.
    monkeypatch.setattr(pages, "PAGE_VERSION_MEMO", 600.0)
    caches["shared"].clear()
    pages.forget_local_pages()
    yield
    caches["shared"].clear()
    pages.forget_local_pages()
    pages.lane["active"] = False


class _Spy:
    def __init__(self) -> None:
        self.inner = ASGIHandler()
        self.calls = 0

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        self.calls += 1
        await self.inner(scope, receive, send)


def _get(app, path: str, cookie: str = "", **headers: str):  # type: ignore[no-untyped-def]
    raw = [(b"host", b"testserver")]
    if cookie:
        raw.append((b"cookie", cookie.encode()))
    raw += [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    out: dict = {"body": b""}

    sent = []

    async def receive():  # type: ignore[no-untyped-def]
        if not sent:
            sent.append(1)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected

    async def send(message):  # type: ignore[no-untyped-def]
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = [(bytes(k).lower(), bytes(v)) for k, v in message["headers"]]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    run_async(app, scope, receive, send)
    return out


def _plain(headers: list) -> list:  # type: ignore[type-arg]
    return sorted((k, v) for k, v in headers if k not in (b"set-cookie", b"content-length"))


def _cookies(headers: list) -> dict:  # type: ignore[type-arg]
    out = {}
    for k, v in headers:
        if k == b"set-cookie":
            name, _, rest = v.decode().partition("=")
            out[name] = rest
    return out


def _token(body: bytes) -> str:
    return re.search(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"', body).group(1).decode()


def _masked(body: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[A-Za-z0-9]+"', b"CSRF", body)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/", "/tinh-hinh-giai-quyet/"])
def test_the_lane_answers_as_django_does(path):
    spy = _Spy()
    app = CachedPagesASGI(spy)
    visitor = "mc_vid=" + "a" * 32
    _get(app, path, visitor)  # rendered and kept
    django = _get(app, path, visitor)  # a hit through Django: the lane learns its headers
    assert spy.calls == 2
    lane = _get(app, path, visitor)
    assert spy.calls == 2, "answered by the lane"
    assert lane["status"] == django["status"] == 200
    assert _plain(lane["headers"]) == _plain(django["headers"])
    assert all(k != pages.LANE_HEADER.lower().encode() for k, _ in django["headers"])
    assert _masked(lane["body"]) == _masked(django["body"])
    assert "Tình hình giải quyết hồ sơ".encode() in lane["body"]
    # Each visitor's own CSRF secret: a new one (cookie set) for a visitor without one...
    from django.middleware.csrf import _unmask_cipher_token

    if b"csrfmiddlewaretoken" in django["body"]:
        secret = _cookies(lane["headers"])["csrftoken"].split(";")[0]
        assert _unmask_cipher_token(_token(lane["body"])) == secret
        assert set(_cookies(lane["headers"])) == set(_cookies(django["headers"]))
        # ...and the visitor's own secret when they have one.
        mine = "b" * 32
        again = _get(app, path, f"{visitor}; csrftoken={mine}")
        assert spy.calls == 2
        assert _unmask_cipher_token(_token(again["body"])) == mine
    # gzip when accepted, like CompressionMiddleware.
    packed = _get(app, path, visitor, accept_encoding="gzip, deflate")
    assert spy.calls == 2
    assert (b"content-encoding", b"gzip") in packed["headers"]
    assert _masked(gzip.decompress(packed["body"])) == _masked(django["body"])


@pytest.mark.django_db(transaction=True)
def test_a_new_visitor_gets_the_visitor_cookie_and_is_counted():
    from motcua.portal import visitors

    app = CachedPagesASGI(_Spy())
    _get(app, "/")
    _get(app, "/")
    before = visitors.pending_visits()
    lane = _get(app, "/")
    assert "mc_vid" in _cookies(lane["headers"])
    assert visitors.pending_visits() == before + 1


@pytest.mark.django_db(transaction=True)
def test_sessions_queries_and_other_methods_go_to_django(django_user_model):
    from django.test import Client

    spy = _Spy()
    app = CachedPagesASGI(spy)
    _get(app, "/")
    _get(app, "/")
    calls = spy.calls
    staff = django_user_model.objects.create_user(username="lane", password="x")
    c = Client()
    c.force_login(staff)
    session = c.cookies["sessionid"].value
    _get(app, "/", f"sessionid={session}")
    _get(app, "/", "messages=abc")
    _get(app, "/?cd=CDABCDEF.zalo")
    _get(app, "/", hx_request="true")
    assert spy.calls == calls + 4
    # A kept page with a query string goes to Django; the marker never leaves the layer.
    _get(app, "/thu-tuc/?linh-vuc=HT")
    listed = _get(app, "/thu-tuc/?linh-vuc=HT")
    assert spy.calls == calls + 6
    assert all(k != pages.LANE_HEADER.lower().encode() for k, _ in listed["headers"])
    # A change in this process drops the lane's copy at once (new version, Django renders).
    from motcua.portal.models import WebLink

    WebLink.objects.create(title="Liên kết của làn nhanh", url="https://example.gov.vn/")
    assert "Liên kết của làn nhanh".encode() in _get(app, "/")["body"]
    assert spy.calls == calls + 7
