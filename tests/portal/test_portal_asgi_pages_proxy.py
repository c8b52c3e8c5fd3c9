"""The pages lane believes X-Forwarded-Proto only from a trusted proxy, as Django does (review
finding: a client reaching a worker directly got the https copy where Django redirects)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from async_helpers import run_async
from motcua.core import cache as pages
from motcua.portal.asgi_pages import CachedPagesASGI


@pytest.fixture
def _clean_lane(monkeypatch):
    from django.core.cache import caches

    monkeypatch.setattr(pages, "PAGE_VERSION_MEMO", 600.0)
    caches["shared"].clear()
    pages.forget_local_pages()
    yield
    caches["shared"].clear()
    pages.forget_local_pages()
    pages.lane["active"] = False


def _get_from(app, path: str, client: str, **headers: str):  # type: ignore[no-untyped-def]
    import asyncio

    raw = [(b"host", b"testserver")]
    raw += [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": (client, 50000),
        "server": ("testserver", 80),
    }
    out: dict = {"body": b""}
    sent: list = []

    async def receive():  # type: ignore[no-untyped-def]
        if not sent:
            sent.append(1)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()

    async def send(message):  # type: ignore[no-untyped-def]
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = [(bytes(k).lower(), bytes(v)) for k, v in message["headers"]]
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    run_async(app, scope, receive, send)
    return out


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_clean_lane")
def test_pages_lane_believes_x_forwarded_proto_from_an_untrusted_peer():
    """The lane's key holds the raw X-Forwarded-Proto header but not whether the peer is a
    trusted proxy. Once nginx (trusted) fetched "/" over https, a client reaching the worker
    directly with `X-Forwarded-Proto: https` over plain http gets the page (200, with the
    learnt HSTS header and `secure` cookies) where Django redirects it (301)."""
    from django.core.handlers.asgi import ASGIHandler

    with override_settings(
        SECURE_SSL_REDIRECT=True,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        TRUSTED_PROXIES=["127.0.0.1"],
    ):
        django_app = ASGIHandler()
        app = CachedPagesASGI(django_app)
        for _ in range(3):  # rendered, hit (headers learnt), lane
            via_proxy = _get_from(app, "/", "127.0.0.1", x_forwarded_proto="https")
            assert via_proxy["status"] == 200
        direct_django = _get_from(django_app, "/", "203.0.113.9", x_forwarded_proto="https")
        assert direct_django["status"] == 301
        direct_lane = _get_from(app, "/", "203.0.113.9", x_forwarded_proto="https")
        assert direct_lane["status"] == direct_django["status"]
