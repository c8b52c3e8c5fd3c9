"""Issue 9 point 10: the ASGI wrapper refuses oversized bodies without reading them."""

from __future__ import annotations

import asyncio
import json
import threading

from motcua.web.bodylimit import BodyLimitASGI


async def reading_app(scope, receive, send):  # type: ignore[no-untyped-def]
    """Reads the body as Django's ASGI handler does; gives up on a disconnect."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def run(headers, chunks, cap=1000):  # type: ignore[no-untyped-def]
    sent: list[dict] = []
    pulled = 0
    queue = list(chunks)

    async def receive():  # type: ignore[no-untyped-def]
        nonlocal pulled
        pulled += 1
        body = queue.pop(0) if queue else b""
        return {"type": "http.request", "body": body, "more_body": bool(queue)}

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    scope = {"type": "http", "path": "/api/v1/dossiers", "headers": headers}
    app = BodyLimitASGI(reading_app, limit=lambda: cap)
    # A fresh thread: a browser test on the same worker (Playwright's sync API) can leave an
    # event loop running in this one, and asyncio.run() refuses to nest.
    worker = threading.Thread(target=lambda: asyncio.run(app(scope, receive, send)))
    worker.start()
    worker.join()
    return sent, pulled


def test_an_announced_oversized_body_is_refused_before_any_byte_is_read():
    sent, pulled = run([(b"content-length", b"1073741824")], [b"x" * 10])
    assert pulled == 0
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["code"] == "payload_too_large"


def test_a_chunked_body_is_cut_at_the_cap():
    sent, pulled = run([(b"transfer-encoding", b"chunked")], [b"x" * 600] * 50)
    assert pulled == 2  # stopped at the chunk that crossed 1000 bytes, not after all 50
    assert sent[0]["status"] == 413


def test_a_body_under_the_cap_passes():
    sent, _ = run([(b"content-length", b"600")], [b"x" * 600])
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"ok"
