"""Issue 10: the API lane (web.apilane) answers the queue's write API as Django does: the same
status, body (but for the ticket's number and token, different by design) and headers (but for
Date and Content-Length), through the lane and through Django (the lane off), for success, each
error, an idempotent retry, auth failures, 204, rate limits and bad input; and it steps aside
where it could not be sure."""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import Any

import pytest
from django.core.asgi import get_asgi_application
from queueing_helpers import QR_A, QR_B

from async_helpers import run_async
from motcua.queueing.models import Ticket
from motcua.web.apilane import ApiLane
from motcua.web.bodylimit import BodyLimitASGI

pytestmark = pytest.mark.django_db(transaction=True)

CHECK_IN = "/api/v1/kiosk/check-in"
QR_C = QR_A.replace("001085012345", "001085012399")
QR_D = QR_A.replace("001085012345", "001085012388")


def _apps() -> tuple[ApiLane, Any, Any]:
    """The lane as asgi.py stacks it, and the reference: the same stack without it."""
    django = get_asgi_application()
    lane = ApiLane(django)
    return lane, BodyLimitASGI(lane), BodyLimitASGI(django)


def call_asgi(
    app: Any,
    method: str,
    path: str,
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    *,
    query: bytes = b"",
    scheme: str = "http",
    client: str = "127.0.0.1",
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())]
        + [(k.lower().encode(), v.encode()) for k, v in headers or []],
        "client": (client, 40000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict] = []
    received: list[int] = []

    async def receive() -> dict:
        if not received:
            received.append(1)
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # Django stops listening for a disconnect once it answered
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    run_async(app, scope, receive, send)
    start = sent[0]
    return start["status"], list(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def _headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"date")]


_BY_DESIGN = ("ticket", "token", "url", "people_ahead", "estimated_wait_s")


def _body(raw: bytes, headers: list[tuple[bytes, bytes]]) -> Any:
    if (b"Content-Encoding", b"gzip") in headers:
        raw = gzip.decompress(raw)
    if not raw:
        return None
    data = json.loads(raw)
    if isinstance(data, dict):
        for key in _BY_DESIGN:
            if key in data:
                data[key] = "?"
    return data


def same(
    lane: ApiLane, mine_app: Any, ref: Any, mine_req: tuple, ref_req: tuple | None = None, **kw: Any
) -> tuple[int, list[tuple[bytes, bytes]], Any]:
    """The request (or two requests that differ by design) through the lane and Django: equal."""
    before = lane.stats["lane"]
    mine = call_asgi(mine_app, *mine_req, **kw)
    theirs = call_asgi(ref, *(ref_req or mine_req), **kw)
    assert mine[0] == theirs[0], (mine, theirs)
    assert _headers(mine[1]) == _headers(theirs[1])
    assert _body(mine[2], mine[1]) == _body(theirs[2], theirs[1])
    assert lane.stats["lane"] == before + 1, "the lane did not answer"
    return mine[0], mine[1], _body(mine[2], mine[1])


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()


JSON = [("Content-Type", "application/json")]


def test_check_in_through_the_lane_is_django_s_answer(at, office, counters, svc_a, svc_b):
    lane, mine, ref = _apps()
    # The first answer of the route comes from Django (the lane learns its headers there).
    status, _h, _b = call_asgi(mine, "POST", CHECK_IN, b"{", JSON)
    assert status == 422 and lane.stats == {"lane": 0, "django": 0, "learn": 1}
    same(lane, mine, ref, ("POST", CHECK_IN, b"{", JSON))
    body = {"office": office.code, "service": "A"}
    status, headers, data = same(
        lane, mine, ref,
        ("POST", CHECK_IN, _json({**body, "qr": QR_A}), JSON),
        ("POST", CHECK_IN, _json({**body, "qr": QR_B}), JSON),
    )  # fmt: skip
    assert status == 201 and data["reused"] is False
    status, headers, data = same(
        lane, mine, ref,
        ("POST", CHECK_IN, _json({**body, "qr": QR_A}), JSON),
        ("POST", CHECK_IN, _json({**body, "qr": QR_B}), JSON),
    )  # fmt: skip
    assert status == 200 and data["reused"] is True
    assert Ticket.objects.count() == 2
