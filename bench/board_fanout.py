"""Many open board streams on one server process: freshness, idle cost, database connections.

    .venv/bin/python bench/board_fanout.py --db postgres --streams 1000 --calls 20

Starts `uvicorn motcua.asgi:application` with one worker (bench/_server.py) on its own database
(the one bench/queue_http.py creates), opens N server-sent-event streams of one office
(`/api/v1/queue/{office}/events`, asyncio client, one connection each), then:

- idle: the server's CPU seconds over `--idle` seconds with every stream open and nothing
  happening, and (PostgreSQL) the connections the server holds meanwhile;
- freshness: `--calls` calls made over HTTP one after the other; for each call and each stream,
  the time from the call's answer (the event is committed) to the `call` event arriving on
  the stream, and from the moment the call request was sent. Medians and p95 over all
  (call, stream) pairs; streams that missed a call are counted.
"""

from __future__ import annotations

import _db  # first: it takes bench/ off the import path (bench/queue.py shadows queue)

# isort: split
import argparse
import asyncio
import json
import os
import statistics
import time

qh = _db.load("_bench_queue_http", "queue_http.py")
Server = qh.Server

PORT = 8767


async def _open(path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT, limit=1 << 20)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    return reader, writer


async def _follow(
    reader: asyncio.StreamReader, arrivals: dict[str, float], ready: asyncio.Event
) -> None:
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
            arrivals.setdefault(ticket, time.perf_counter())


def _pg_connections(db: str) -> int | None:
    if db != "postgres":
        return None
    import psycopg

    with psycopg.connect(f"{qh.PG_URL}/postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [qh.PG_DB]
        ).fetchone()
    return int(row[0]) if row else None


async def run(db: str, n_streams: int, n_calls: int, idle_s: float) -> None:
    setup = qh._setup(db, f"fan{os.getpid() % 10000}", counters=1)
    office, token, counter = setup["office"], setup["token"], setup["counters"][0]
    env = {
        **_db.environ(qh._database_url(db)),
        "KIOSK_CHECK_IN_PER_MINUTE": "1000000000",
        "KIOSK_IDENTIFY_PER_MINUTE": "1000000000",
    }
    with Server(env=env, port=PORT, workers=1) as server:
        loop = asyncio.get_running_loop()
        for i in range(n_calls):  # the tickets to call, issued before the streams open
            body = {"qr": qh._qr(90000 + i), "office": office, "service": "A"}
            status, _, _ = await loop.run_in_executor(
                None, lambda b=body: qh._request(PORT, "POST", "/api/v1/kiosk/check-in", b)
            )
            assert status in (200, 201), status
        conns_before = _pg_connections(db)
        arrivals: list[dict[str, float]] = [{} for _ in range(n_streams)]
        readies = [asyncio.Event() for _ in range(n_streams)]
        writers = []
        tasks = []
        t0 = time.perf_counter()
        for i in range(n_streams):
            reader, writer = await _open(f"/api/v1/queue/{office}/events?max=300")
            writers.append(writer)
            tasks.append(asyncio.create_task(_follow(reader, arrivals[i], readies[i])))
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=300)
        opened = time.perf_counter() - t0
        await asyncio.sleep(2)  # let the connections of the opening requests go back
        cpu0 = server.cpu_seconds()
        await asyncio.sleep(idle_s)
        idle_cpu = server.cpu_seconds() - cpu0
        conns_idle = _pg_connections(db)
        from_answer: list[float] = []
        from_request: list[float] = []
        missed = 0
        for _ in range(n_calls):
            sent = time.perf_counter()
            status, body, _ = await loop.run_in_executor(
                None, lambda: qh._request(PORT, "POST", f"/api/v1/counters/{counter}/call-next", token=token)
            )  # fmt: skip
            answered = time.perf_counter()
            assert status == 200, status
            ticket = body["ticket"]
            deadline = time.perf_counter() + 10
            while time.perf_counter() < deadline and sum(ticket in a for a in arrivals) < n_streams:
                await asyncio.sleep(0.005)
            for a in arrivals:
                if ticket in a:
                    from_answer.append(max(0.0, a[ticket] - answered))
                    from_request.append(a[ticket] - sent)
                else:
                    missed += 1
            await loop.run_in_executor(
                None, lambda: qh._request(PORT, "POST", f"/api/v1/counters/{counter}/tickets/current/finish", body={}, token=token)
            )  # fmt: skip
        if missed and os.environ.get("BENCH_DEBUG"):
            print("calls seen per stream:", sorted(len(a) for a in arrivals))
        for w in writers:
            w.close()
        for t in tasks:
            t.cancel()
    ms_a = [x * 1000 for x in from_answer]
    ms_r = [x * 1000 for x in from_request]
    print(f"| {db} | {n_streams} | {opened:.1f} s | {idle_cpu / idle_s * 100:.1f}% of a core | "
          f"{conns_before} → {conns_idle} | {statistics.median(ms_a):.1f} / {qh.p95(ms_a):.1f} | "
          f"{statistics.median(ms_r):.1f} / {qh.p95(ms_r):.1f} | {missed} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="postgres")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--recreate", action="store_true")
    args = parser.parse_args()
    print(f"machine: {qh.machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| db | streams | all open after | server CPU while idle | DB connections before → idle | "
          "freshness from answer p50 / p95 ms | from request p50 / p95 ms | missed |")  # fmt: skip
    print("|---|---:|---:|---:|---|---|---|---:|")
    for db in args.db.split(","):
        if args.recreate or (db == "sqlite" and not qh.SQLITE.exists()):
            qh._recreate(db)
        asyncio.run(run(db, args.streams, args.calls, args.idle))


if __name__ == "__main__":
    main()
