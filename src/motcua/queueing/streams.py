"""Server-sent events for display boards and live ticket pages.

Each stream re-reads TicketEvent rows with id > last id every ~300 ms (or as soon as this
process commits a change), so boards follow calls made by any process on either database.
Streams end after `max` seconds (default 55); EventSource reconnects by itself and resumes from
Last-Event-ID. `?once=1` ends the stream after the first batch of events (tests, curl).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse

from motcua.org.models import Office
from motcua.queueing import broker, selectors

POLL_S = 0.3
KEEPALIVE_S = 15.0


def _frame(ev: dict[str, Any]) -> str:
    name = "call" if ev["kind"] in ("call", "recall") else "update"
    return f"id: {ev['id']}\nevent: {name}\ndata: {json.dumps(ev, ensure_ascii=False)}\n\n"


def _params(request: HttpRequest, office: Office) -> tuple[int | None, bool, float]:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_id") or ""
    last_id = int(raw) if raw.isdigit() else None
    once = request.GET.get("once") in ("1", "true")
    try:
        max_s = float(request.GET.get("max", "55"))
    except ValueError:
        max_s = 55.0
    max_s = min(max(max_s, 0.5), 300.0)
    return last_id, once, max_s


def _hello(last_id: int) -> str:
    return f"retry: 1000\nid: {last_id}\nevent: ready\ndata: {json.dumps({'last_event_id': last_id})}\n\n"


def _sync_stream(office_id: int, last_id: int | None, once: bool, max_s: float) -> Iterator[str]:
    if last_id is None:
        last_id = selectors.last_event_id(office_id=office_id)
    yield _hello(last_id)
    deadline = time.monotonic() + max_s
    quiet_since = time.monotonic()
    version = broker.version()
    while time.monotonic() < deadline:
        batch = selectors.events_after(office_id=office_id, last_id=last_id)
        for ev in batch:
            last_id = ev["id"]
            yield _frame(ev)
        if batch:
            quiet_since = time.monotonic()
            if once:
                return
        elif time.monotonic() - quiet_since > KEEPALIVE_S:
            quiet_since = time.monotonic()
            yield ": keep-alive\n\n"
        version = broker.wait(version, POLL_S)


async def _async_stream(
    office_id: int, last_id: int | None, once: bool, max_s: float
) -> AsyncIterator[str]:
    if last_id is None:
        last_id = await sync_to_async(selectors.last_event_id)(office_id=office_id)
    yield _hello(last_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_s
    quiet_since = loop.time()
    while loop.time() < deadline:
        batch = await sync_to_async(selectors.events_after)(office_id=office_id, last_id=last_id)
        for ev in batch:
            last_id = ev["id"]
            yield _frame(ev)
        if batch:
            quiet_since = loop.time()
            if once:
                return
        elif loop.time() - quiet_since > KEEPALIVE_S:
            quiet_since = loop.time()
            yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_S)


def event_stream_response(request: HttpRequest, office: Office) -> StreamingHttpResponse:
    last_id, once, max_s = _params(request, office)
    # Under ASGI a sync iterator would be consumed whole before sending; under WSGI an async
    # one would. Pick the kind that streams on the server we are running in.
    if isinstance(request, ASGIRequest):
        content: Any = _async_stream(office.pk, last_id, once, max_s)
    else:
        content = _sync_stream(office.pk, last_id, once, max_s)
    response = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
