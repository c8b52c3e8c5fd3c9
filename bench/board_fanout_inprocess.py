"""The server's own cost of one event fanned out to N board streams, without sockets or client.

    .venv/bin/python bench/board_fanout_inprocess.py --streams 1000 --calls 6 [--profile]

N streams go through Django's whole ASGI application (`motcua.asgi:application`: middleware,
the events view, the streaming response) in one event loop, each with an ASGI `send` that only
notes when a `call` frame passes; a throw-away SQLite database (var/bench_fanout.sqlite3, no
Redis: in-process wake-ups). Each call is made in a worker thread (call-next, then finish);
printed per call: the event loop thread's CPU from the call until every stream has sent the
frame (the fan-out's whole cost on the loop: wake-ups, frames, Django's response path), and the
first and last arrival after the call's answer. `--profile`: cProfile of the loop thread.
"""

from __future__ import annotations

import _db  # first: it takes bench/ off the import path

# isort: split
import argparse
import asyncio
import cProfile
import io
import os
import pstats
import time
from typing import Any

DB = _db.ROOT / "var" / "bench_fanout.sqlite3"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=6)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{DB}{suffix}"):
            os.unlink(f"{DB}{suffix}")
    _db.django_setup(f"sqlite:///{DB}")

    from django.db import connection

    from motcua.org.models import Counter, Office, Role, StaffRole, Unit, User
    from motcua.queueing.models import CounterService, Method, QueueSettings, Service
    from motcua.queueing.services import ticket_call_next, ticket_finish, ticket_issue

    unit = Unit.objects.create(code="QBFAN", name="Phường Thử Nghiệm", level="ward")
    office = Office.objects.create(unit=unit, code="qfan", name="Bộ phận một cửa thử nghiệm")
    QueueSettings.objects.create(office=office)
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    counter = Counter.objects.create(office=office, number=1)
    CounterService.objects.create(counter=counter, service=svc)
    user = User.objects.create(username="qfan", full_name="Cán bộ thử nghiệm")
    StaffRole.objects.create(user=user, unit=unit, role=Role.RECEPTION)
    for _ in range(args.calls):
        ticket_issue(office=office, service=svc, citizen=None, method=Method.STAFF)
    connection.close()

    from motcua.asgi import application

    n = args.streams
    arrivals: list[float] = []
    opened = 0
    path = f"/api/v1/queue/{office.code}/events"

    async def stream(i: int, all_open: asyncio.Event, gone: asyncio.Event) -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"max=300", "root_path": "", "headers": [(b"host", b"127.0.0.1")],
            "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 10000 + i),
        }  # fmt: skip
        asked = False

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            body = message.get("body", b"")
            if b"event: ready" in body:
                _opened()
                if opened == n:
                    all_open.set()
            elif b"event: call" in body:
                arrivals.append(time.perf_counter())

        await application(scope, receive, send)

    def _opened() -> None:
        nonlocal opened
        opened += 1

    def call() -> float:
        ticket = ticket_call_next(counter=counter, officer=user)
        answered = time.perf_counter()
        ticket_finish(ticket=ticket, officer=user)
        connection.close()
        return answered

    async def run() -> None:
        loop = asyncio.get_running_loop()
        all_open, gone = asyncio.Event(), asyncio.Event()
        tasks = [asyncio.create_task(stream(i, all_open, gone)) for i in range(n)]
        await asyncio.wait_for(all_open.wait(), 600)
        await asyncio.sleep(1)
        profile = cProfile.Profile() if args.profile else None
        rows = []
        for _ in range(args.calls):
            arrivals.clear()
            if profile:
                profile.enable()
            cpu0 = time.thread_time()
            answered = await loop.run_in_executor(None, call)
            deadline = time.perf_counter() + 30
            while len(arrivals) < n and time.perf_counter() < deadline:
                await asyncio.sleep(0.001)
            cpu = time.thread_time() - cpu0
            if profile:
                profile.disable()
            rows.append((cpu, min(arrivals) - answered, max(arrivals) - answered, len(arrivals)))
            await asyncio.sleep(0.3)
        print(f"machine: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("| call | loop-thread CPU ms | first / last arrival after the answer ms | streams |")
        print("|---:|---:|---|---:|")
        for i, (cpu, first, last, got) in enumerate(rows, 1):
            print(f"| {i} | {cpu * 1000:.1f} | {first * 1000:.1f} / {last * 1000:.1f} | {got} |")
        if profile:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(25)
            print(out.getvalue())
        gone.set()
        await asyncio.wait(tasks, timeout=30)

    asyncio.run(run())


if __name__ == "__main__":
    main()
