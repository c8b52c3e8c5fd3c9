"""Issue 10: under ASGI the feed's wake-up pass writes a sleeping stream's new frames with the
server's `send` itself (streams._Direct), instead of waking the stream's task; a `send` that has
to wait (flow control) goes on by itself and the stream's later frames follow it in order; a
`send` that fails ends the stream, and a reconnect with its Last-Event-ID loses nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from async_helpers import run_async
from motcua.queueing import broker, streams
from motcua.queueing.models import Method
from motcua.queueing.services import ticket_call_next, ticket_issue


def _scope(office_id: int, query: bytes = b"max=30") -> dict[str, Any]:
    path = f"/api/v1/queue/{office_id}/events"
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"accept", b"text/event-stream")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


class _Client:
    """One stream through the whole ASGI application, as a server would drive it."""

    def __init__(self, office_id: int, send_hook: Any = None) -> None:
        self.office_id = office_id
        self.bodies: list[bytes] = []
        self.arrived = asyncio.Event()
        self.gone = asyncio.Event()
        self.hook = send_hook
        self.request_sent = False

    async def receive(self) -> dict[str, Any]:
        if not self.request_sent:
            self.request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if self.hook is not None and message["type"] == "http.response.body":
            await self.hook(message)
        if message.get("body"):
            self.bodies.append(message["body"])
            self.arrived.set()

    def text(self) -> str:
        return b"".join(self.bodies).decode()

    async def until(self, needle: str, count: int = 1) -> None:
        while self.text().count(needle) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 30)


def _call(counters, officer, n: int) -> str:
    """Call the next A ticket at the `n`-th counter serving A (1 or 2: counters 1 and 3)."""
    counter = counters[0] if n == 1 else counters[2]
    return ticket_call_next(counter=counter, officer=officer).display


def _count_pushes(monkeypatch) -> list[bool]:
    written: list[bool] = []
    real = streams._Direct.push

    def counting(self: streams._Direct) -> bool:
        done = real(self)
        written.append(done)
        return done

    monkeypatch.setattr(streams._Direct, "push", counting)
    return written


def _calls(text: str) -> list[str]:
    """The tickets of the stream's call frames, in order (ready and update frames skipped)."""
    import json

    out = []
    for block in text.split("\n\n"):
        if "event: call" in block:
            data = block.split("data: ", 1)[1]
            out.append(json.loads(data)["ticket"])
    return out


async def _open(application: Any, clients: list[_Client]) -> list[asyncio.Task[Any]]:
    tasks = [
        asyncio.create_task(application(_scope(c.office_id), c.receive, c.send)) for c in clients
    ]
    for c in clients:
        await c.until("event: ready")
    return tasks


async def _close(clients: list[_Client], tasks: list[asyncio.Task[Any]]) -> None:
    for c in clients:
        c.gone.set()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)


@pytest.mark.django_db(transaction=True)
def test_the_wake_up_pass_writes_the_call_to_a_sleeping_asgi_stream(
    office, counters, svc_a, officer, monkeypatch
):
    from motcua.asgi import application

    for _ in range(2):
        ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)
    written = _count_pushes(monkeypatch)

    async def scenario() -> tuple[list[str], list[str]]:
        clients = [_Client(office.pk) for _ in range(3)]
        tasks = await _open(application, clients)
        try:
            shown = []
            for n in (1, 2):
                shown.append(
                    await sync_to_async(_call, thread_sensitive=False)(counters, officer, n)
                )
                for c in clients:
                    await c.until("event: call", n)
            return shown, [c.text() for c in clients]
        finally:
            await _close(clients, tasks)

    try:
        shown, texts = run_async(scenario)
    finally:
        broker.stop_listener()
    for text in texts:
        assert _calls(text) == shown  # each call once, in order
    assert written.count(True) >= 3 * 2  # every stream, every call: written by the pass


@pytest.mark.django_db(transaction=True)
def test_a_write_that_has_to_wait_goes_on_and_later_frames_follow_in_order(
    office, counters, svc_a, officer
):
    """The client stops reading (the server's `send` waits for it): the frame being written
    is finished later, and the call that came meanwhile is sent after it, once."""
    from motcua.asgi import application

    for _ in range(2):
        ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)

    async def scenario() -> tuple[list[str], list[str]]:
        reading = asyncio.Event()
        reading.set()
        waited: list[int] = []

        async def flow_control(message: dict[str, Any]) -> None:
            if not reading.is_set():
                waited.append(1)
                await reading.wait()

        client = _Client(office.pk, flow_control)
        tasks = await _open(application, [client])
        try:
            reading.clear()
            first = await sync_to_async(_call, thread_sensitive=False)(counters, officer, 1)
            while not waited:  # the pass began the write; it waits for the client
                await asyncio.sleep(0.01)
            second = await sync_to_async(_call, thread_sensitive=False)(counters, officer, 2)
            await asyncio.sleep(0.2)
            assert "event: call" not in client.text()  # nothing passed the waiting write
            reading.set()
            await client.until("event: call", 2)
            return [first, second], _calls(client.text())
        finally:
            await _close([client], tasks)

    try:
        shown, calls = run_async(scenario)
    finally:
        broker.stop_listener()
    assert calls == shown


@pytest.mark.django_db(transaction=True)
def test_a_failed_write_ends_the_stream_and_a_reconnect_loses_nothing(
    office, counters, svc_a, officer
):
    from motcua.asgi import application

    for _ in range(2):
        ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)

    async def scenario() -> tuple[list[str], str, str]:
        broken = asyncio.Event()

        async def failing(message: dict[str, Any]) -> None:
            if broken.is_set():
                raise OSError("connection reset")

        client = _Client(office.pk, failing)
        tasks = await _open(application, [client])
        last_id = client.text().split("id: ", 1)[1].split("\n", 1)[0]
        broken.set()
        first = await sync_to_async(_call, thread_sensitive=False)(counters, officer, 1)
        # The stream ends by itself (Django's answer ends with the failed connection).
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
        second = await sync_to_async(_call, thread_sensitive=False)(counters, officer, 2)
        again = _Client(office.pk)
        scope = _scope(office.pk, b"max=30")
        scope["headers"] = [*scope["headers"], (b"last-event-id", last_id.encode())]
        task = asyncio.create_task(application(scope, again.receive, again.send))
        try:
            await again.until("event: call", 2)
        finally:
            await _close([again], [task])
        return [first, second], client.text(), again.text()

    try:
        shown, before, after = run_async(scenario)
    finally:
        broker.stop_listener()
    assert "event: call" not in before
    assert _calls(after) == shown
