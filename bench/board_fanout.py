"""Many open board streams on one server process: freshness, idle cost, database connections.

    .venv/bin/python bench/board_fanout.py --db postgres --streams 1000 --calls 20

Starts `uvicorn motcua.asgi:application` with one worker (bench/_server.py) on its own database
(the one bench/queue_http.py creates), opens N server-sent-event streams of one office
(`/api/v1/queue/{office}/events`, asyncio client, one connection each), then:

- idle: `--settle` seconds after every stream is open (the pool closes what the openings
  took), the server's CPU seconds over `--idle` seconds with nothing happening, and
  (PostgreSQL) the connections the server holds at the end;
- freshness: `--calls` calls made over HTTP one after the other; for each call and each stream,
  the time from the call's answer (the event is committed) to the `call` event arriving on
  the stream, and from the moment the call request was sent (both taken in the thread that
  made the call). Medians and p95 over all (call, stream) pairs; streams that missed a call are
  counted. CPU per call: the server's (the call-next request and the fan-out) and this
  client's (taking 1,000 arrivals), from the call until every stream has it.

The client shares the machine's cores with the server, so its own cost is in the figure.
`--reader lean` (default): uvloop, one protocol object per stream, arrival time taken when the
bytes are handed over, only a call frame's data line parsed. `--reader lines`: the first
client (a task per stream, a readline per line, every line decoded), to compare.
"""

from __future__ import annotations

import _db  # first: it takes bench/ off the import path (bench/queue.py shadows queue)

# isort: split
import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import time
from typing import Any

qh = _db.load("_bench_queue_http", "queue_http.py")
qh.PG_DB = os.environ.get("BENCH_PG_DB", qh.PG_DB)  # a scratch database of one's own
Server = qh.Server

PORT = int(os.environ.get("BENCH_PORT", "8767"))


class _Board(asyncio.Protocol):
    """One stream read the lean way: no task, no line splitting; the arrival time is taken
    when the bytes are handed to the client, and only a `call` frame's data line is parsed."""

    def __init__(self, path: str, seen: dict[str, list[float]], ready: asyncio.Event) -> None:
        self.path = path
        self.seen = seen
        self.ready = ready
        self.buf = b""

    def connection_made(self, transport: Any) -> None:  # uvloop's is no asyncio.Transport
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buf = self.buf + data
        end = buf.rfind(b"\n\n")  # whole frames only (a chunk may end inside one)
        if end < 0:
            self.buf = buf
            return
        self.buf = buf[end + 2 :]
        frames = buf[: end + 2]
        if not self.ready.is_set() and b"event: ready" in frames:
            self.ready.set()
        at = frames.find(CALL)
        while at >= 0:
            start = at + len(CALL)
            line = frames[start : frames.index(b"\n", start)]
            self.seen.setdefault(json.loads(line)["ticket"], []).append(now)
            at = frames.find(CALL, start)


CALL = b"event: call\ndata: "


async def _follow_lines(
    reader: asyncio.StreamReader, seen: dict[str, list[float]], ready: asyncio.Event
) -> None:
    """The first client's reader (`--reader lines`): a task per stream, a readline per line,
    every data line decoded and parsed."""
    event = ""
    while True:
        line = await reader.readline()
        if not line:
            return
        text = line.decode().rstrip("\r\n")
        if text.startswith("event: "):
            event = text[7:]
            if event == "ready":
                ready.set()
        elif text.startswith("data: ") and event == "call":
            ticket = json.loads(text[6:]).get("ticket")
            seen.setdefault(ticket, []).append(time.perf_counter())


async def _open_lines(
    path: str, seen: dict[str, list[float]], ready: asyncio.Event
) -> tuple[asyncio.StreamWriter, asyncio.Task[None]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT, limit=1 << 20)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    return writer, asyncio.create_task(_follow_lines(reader, seen, ready))


def _pg_connections(db: str) -> int | None:
    if db != "postgres":
        return None
    import psycopg

    with psycopg.connect(f"{qh.PG_URL}/postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [qh.PG_DB]
        ).fetchone()
    return int(row[0]) if row else None


STAGES = ("notified", "read", "loop", "fired", "written")


def _trace_lines(path: str, offset: int) -> tuple[dict[str, float], int]:
    """The first time of each stage the server wrote to the trace file after `offset`."""
    try:
        with open(path) as f:
            f.seek(offset)
            text = f.read()
            offset = f.tell()
    except FileNotFoundError:
        return {}, offset
    first: dict[str, float] = {}
    for line in text.splitlines():
        stage, _, at = line.split()
        first.setdefault(stage, float(at))
    return first, offset


async def run(
    db: str,
    n_streams: int,
    n_calls: int,
    idle_s: float,
    reader: str,
    trace: str = "",
    settle_s: float = 25.0,
) -> None:
    setup = qh._setup(db, f"fan{os.getpid() % 10000}{reader[:2]}", counters=1)
    office, token, counter = setup["office"], setup["token"], setup["counters"][0]
    env = {
        **_db.environ(qh._database_url(db)),
        "KIOSK_CHECK_IN_PER_MINUTE": "1000000000",
        "KIOSK_IDENTIFY_PER_MINUTE": "1000000000",
    }
    if trace:
        env["MOTCUA_FANOUT_TRACE"] = trace
        with open(trace, "w"):
            pass
    with Server(env=env, port=PORT, workers=1) as server:
        loop = asyncio.get_running_loop()
        base = random.randrange(10000, 99000 - n_calls)  # new citizens (one ticket a day each)
        for i in range(n_calls):  # the tickets to call, issued before the streams open
            body = {"qr": qh._qr(base + i), "office": office, "service": "A"}
            status, answer, _ = await loop.run_in_executor(
                None, lambda b=body: qh._request(PORT, "POST", "/api/v1/kiosk/check-in", b)
            )
            assert status in (200, 201), (status, answer)
        conns_before = _pg_connections(db)
        # Every arrival of a ticket's call, all streams together (a stream gets a call once).
        seen: dict[str, list[float]] = {}
        readies = [asyncio.Event() for _ in range(n_streams)]
        closers = []
        t0 = time.perf_counter()
        path = f"/api/v1/queue/{office}/events?max=300"
        for i in range(n_streams):
            if reader == "lines":
                writer, task = await _open_lines(path, seen, readies[i])
                closers += [writer.close, task.cancel]
            else:
                transport, _ = await loop.create_connection(
                    lambda i=i: _Board(path, seen, readies[i]), "127.0.0.1", PORT
                )
                closers.append(transport.close)
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=300)
        opened = time.perf_counter() - t0
        # Let the connections the opening requests took go back to the pool and be closed (one
        # unused connection closed every DB_POOL_MAX_IDLE, 5 s; `--settle`).
        await asyncio.sleep(settle_s)
        cpu0 = server.cpu_seconds()
        await asyncio.sleep(idle_s)
        idle_cpu = server.cpu_seconds() - cpu0
        conns_idle = _pg_connections(db)

        def call() -> tuple[float, int, dict, float]:
            # Timed in the calling thread: the answer's moment is not delayed by the event
            # loop, which may be busy taking the arrivals.
            sent = time.perf_counter()
            status, body, _ = qh._request(PORT, "POST", f"/api/v1/counters/{counter}/call-next", token=token)  # fmt: skip
            return sent, status, body, time.perf_counter()

        from_answer: list[float] = []
        from_request: list[float] = []
        missed = 0
        server_cpu = client_cpu = 0.0
        stages: dict[str, list[float]] = {}  # --trace: ms from the request sent, per stage
        offset = os.path.getsize(trace) if trace else 0
        for _ in range(n_calls):
            s0, c0 = server.cpu_seconds(), time.process_time()
            sent, status, body, answered = await loop.run_in_executor(None, call)
            assert status == 200, status
            ticket = body["ticket"]
            deadline = time.perf_counter() + 10
            while time.perf_counter() < deadline and len(seen.get(ticket, ())) < n_streams:
                await asyncio.sleep(0.002)
            server_cpu += server.cpu_seconds() - s0
            client_cpu += time.process_time() - c0
            arrived = seen.get(ticket, [])
            if trace:
                first, offset = _trace_lines(trace, offset)
                marks = {**first, "answered": answered}
                if arrived:
                    marks["first arrival"] = min(arrived)
                    marks["median arrival"] = statistics.median(arrived)
                    marks["last arrival"] = max(arrived)
                for stage, at in marks.items():
                    stages.setdefault(stage, []).append((at - sent) * 1000)
            from_answer += [max(0.0, a - answered) for a in arrived]
            from_request += [a - sent for a in arrived]
            missed += n_streams - len(arrived)
            await loop.run_in_executor(
                None, lambda: qh._request(PORT, "POST", f"/api/v1/counters/{counter}/tickets/current/finish", body={}, token=token)
            )  # fmt: skip
            await asyncio.sleep(0.2)  # the finish's own frames are not timed
            if trace:
                offset = os.path.getsize(trace)
        for close in closers:
            close()
    ms_a = [x * 1000 for x in from_answer]
    ms_r = [x * 1000 for x in from_request]
    print(f"| {db} | {n_streams} | {reader} | {opened:.1f} s | {idle_cpu / idle_s * 100:.1f}% of a core | "
          f"{conns_before} → {conns_idle} | {statistics.median(ms_a):.1f} / {qh.p95(ms_a):.1f} | "
          f"{statistics.median(ms_r):.1f} / {qh.p95(ms_r):.1f} | {missed} | "
          f"{server_cpu / n_calls * 1000:.0f} / {client_cpu / n_calls * 1000:.0f} ms |")  # fmt: skip
    if stages:
        order = [*STAGES, "answered", "first arrival", "median arrival", "last arrival"]
        print("  path of a call (ms after the request was sent, median / p95 over the calls): "
              + "; ".join(f"{k} {statistics.median(v):.1f} / {qh.p95(v):.1f}"
                          for k in sorted(stages, key=lambda k: order.index(k) if k in order else 99)
                          for v in [stages[k]]))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="postgres")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument(
        "--settle",
        type=float,
        default=25.0,
        help="seconds between the streams being open and the idle measurement (the pool "
        "closes the connections the openings took, one every DB_POOL_MAX_IDLE)",
    )
    parser.add_argument("--recreate", action="store_true")
    parser.add_argument(
        "--reader",
        default="lean",
        help="lean (a protocol per stream, the default) or lines (a task and a readline per "
        "line, the first client); comma-separated to run both",
    )
    parser.add_argument(
        "--trace",
        default="",
        help="a file for the server to write the stages of each event's way to the streams "
        "(broker.TRACE_FILE); prints where the time goes",
    )
    args = parser.parse_args()
    print(f"machine: {qh.machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| db | streams | client reader | all open after | server CPU while idle | "
          "DB connections before → idle | freshness from answer p50 / p95 ms | "
          "from request p50 / p95 ms | missed | CPU per call: server / client |")  # fmt: skip
    print("|---|---:|---|---:|---:|---|---|---|---:|---|")
    for db in args.db.split(","):
        if args.recreate or (db == "sqlite" and not qh.SQLITE.exists()):
            qh._recreate(db)
        for reader in args.reader.split(","):
            if reader == "lean":
                with contextlib.suppress(ImportError):  # the client's loop: uvloop when there
                    import uvloop

                    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
            else:
                asyncio.set_event_loop_policy(None)
            asyncio.run(
                run(db, args.streams, args.calls, args.idle, reader, args.trace, args.settle)
            )


if __name__ == "__main__":
    main()
