"""A request with no client address (an ASGI scope without `client`: a Unix socket, some proxies)
is answered normally by the rate-limited operations: it counts in one shared bucket."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.test import RequestFactory

from motcua.core.throttle import limited
from motcua.web.proxy import ADDRESSLESS, ratelimit_address


def _asgi(method: str, path: str, query: str = "", body: bytes = b"") -> tuple[int, bytes]:
    """A request through Django's ASGI handler with a scope that has no `client`."""
    headers = [(b"host", b"testserver")]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": headers,
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []
    asked: list[bool] = []

    async def receive() -> dict[str, Any]:
        if asked:  # the handler listens for a disconnect that never comes
            await asyncio.Event().wait()
        asked.append(True)
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # In a thread of its own: asyncio.run needs no event loop in this one (another test's may run).
    worker = threading.Thread(target=lambda: asyncio.run(ASGIHandler()(scope, receive, send)))
    worker.start()
    worker.join()
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body


@pytest.mark.django_db(transaction=True)
def test_public_lookup_without_a_client_address_answers_then_limits(settings):
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_LOOKUP_PER_MINUTE": 3}
    path = "/api/v1/public/dossiers/000.00.20.H26-260310-9999"
    statuses = [_asgi("GET", path, "verify=2345")[0] for _ in range(4)]
    assert statuses == [404, 404, 404, 429]  # not found, then the shared bucket is full


@pytest.mark.django_db(transaction=True)
def test_portal_page_without_a_client_address():
    status, body = _asgi("GET", "/tra-cuu/")
    assert status == 200 and "Tra cứu".encode() in body


@pytest.mark.django_db(transaction=True)
def test_login_without_a_client_address(settings):
    settings.AXES_ENABLED = True
    body = b'{"username": "nobody", "password": "wrong"}'
    status, answer = _asgi("POST", "/api/v1/auth/token", body=body)
    assert status == 401 and b'"code"' in answer


@pytest.mark.django_db
@pytest.mark.parametrize("meta", [{}, {"REMOTE_ADDR": ""}, {"REMOTE_ADDR": "unix:/run/x.sock"}])
def test_the_rate_limit_key_of_a_request_without_a_usable_address(meta):
    request = RequestFactory().get("/")
    del request.META["REMOTE_ADDR"]
    request.META.update(meta)
    assert ratelimit_address(request) == ADDRESSLESS
    assert limited(request, "test.addressless", "2/m") is False  # counted, no KeyError


def test_a_real_address_is_its_own_key():
    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7")
    assert ratelimit_address(request) == "198.51.100.7"
