"""The queue over HTTP against a running server: issue a ticket, call next, board snapshot.

    .venv/bin/python bench/queue_http.py                       # SQLite and PostgreSQL, 1 and 2 workers
    .venv/bin/python bench/queue_http.py --db sqlite --workers 2 --levels 1,16

For each database and worker count the script starts `uvicorn motcua.asgi:application` (the
command `motcua serve --workers N` runs) on 127.0.0.1 with bench/_server.py, on its own
database (SQLite file `var/bench_queue.sqlite3`, PostgreSQL `motcua_bench_queue`, both
recreated), then at each concurrency C (closed loop, C client threads, one new connection per
request, like a kiosk or a counter button):

- issue: `POST /api/v1/kiosk/check-in` by ID-card QR, each request a different citizen;
- call next: C counters, each calling `POST /counters/{id}/call-next` (timed) then finishing the
  ticket with `POST /counters/{id}/tickets/current/finish` (not timed) until the line is empty;
- next, one press: the same number of tickets issued again (not reported), then C counters
  each pressing "next" until the line is empty: `POST /counters/{id}/call-next` with
  `{"end": "finish", "ticket": <the current ticket>}`, which finishes the current ticket and
  calls the next in one request (what a counter's call button does; FQM's call is one request
  too). Every press timed; "citizens/s" is the rate a counter team serves the line at;
- board: `GET /api/v1/queue/{office}/board`;
- `--mixed`, a real office's morning: C/2 kiosks check people in while C/2 counters press
  "next" at the same time, until the kiosks are done and the line is empty (the rates of both,
  and every ticket issued called exactly once). Alone, the issue phase never sees a counter
  move, so it never pays for what a check-in's answer recomputes when one does.

Correctness beside speed: duplicate ticket numbers, tickets called twice, tickets lost (issued
and never called once every counter answers 204), other errors. The kiosk rate limits are
raised through their environment variables (all requests come from 127.0.0.1).

The board rows also print the server's CPU per request and the Python client's own CPU
(`resource.getrusage` of this process: the client shares the machine's cores with the server).
`--lane-off` measures the board a second time on a server started with the board fast lane off
(MOTCUA_BOARD_FASTLANE=0: every request through Django's view), same database, same minutes.
`--wrk` adds the board measured by `wrk` (C connections, 5 s; keep-alive, and `Connection:
close` = one new connection per request like the Python client), its CPU counted apart.
`--port` and `--pg-db` keep concurrent runs (other checkouts) apart.
"""

from __future__ import annotations

import _db  # first: it takes bench/ off the import path (bench/queue.py shadows queue)

# isort: split
import argparse
import http.client
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


_server = _db.load("_bench_server", "_server.py")
Server, machine_busy = _server.Server, _server.machine_busy

PORT = 8766
SQLITE = ROOT / "var" / "bench_queue.sqlite3"
PG_DB = os.environ.get("BENCH_QUEUE_PG_DB", "motcua_bench_queue")
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def p95(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))] if s else 0.0


def _database_url(db: str) -> str:
    return f"sqlite:///{SQLITE}" if db == "sqlite" else f"{PG_URL}/{PG_DB}"


def _recreate(db: str) -> None:
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
    env = _db.environ(_database_url(db))  # demo mode: the bench's own database only
    subprocess.run(
        [sys.executable, "-m", "motcua", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


SETUP = r"""
import json, django
django.setup()
from motcua.core.services import api_token_issue
from motcua.org.models import Counter, Office, Role, StaffRole, Unit, User
from motcua.queueing.models import CounterService, QueueSettings, Service
tag = "{tag}"
unit = Unit.objects.create(code=f"QB{{tag}}", name=f"Phường Thử Nghiệm {{tag}}", level="ward")
office = Office.objects.create(unit=unit, code=f"qbench-{{tag}}", name="Bộ phận một cửa thử nghiệm")
QueueSettings.objects.create(office=office)
svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
counters = []
for i in range({counters}):
    c = Counter.objects.create(office=office, number=i + 1)
    CounterService.objects.create(counter=c, service=svc)
    counters.append(c.pk)
user = User.objects.create(username=f"qbench{{tag}}", full_name="Cán bộ thử nghiệm")
StaffRole.objects.create(user=user, unit=unit, role=Role.RECEPTION)
print(json.dumps({{"office": office.code, "counters": counters, "token": api_token_issue(user=user)}}))
"""


def _setup(db: str, tag: str, counters: int) -> dict[str, Any]:
    env = _db.environ(_database_url(db))
    done = subprocess.run(
        [sys.executable, "-c", SETUP.format(tag=tag, counters=counters)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _qr(n: int) -> str:
    """A well-formed chip-card QR of a made-up citizen (Hà Nội, male, born 1985)."""
    letters = "".join(chr(97 + (n // 26**k) % 26) for k in range(3))
    return (
        f"0010850{n:05d}||Nguyễn Văn {letters.capitalize()}|17051985|Nam|Hà Đông, Hà Nội|01072021"
    )


def _request(
    port: int, method: str, path: str, body: Any = None, token: str = ""
) -> tuple[int, Any, float]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=headers
        )
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    elapsed = time.perf_counter() - t0
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = None
    return response.status, data, elapsed


def _check_in(office: str, n: int, port: int | None = None) -> tuple[int, Any, float]:
    """A kiosk's check-in by QR of citizen number `n` (on PORT, or `port`)."""
    return _request(
        port or PORT,
        "POST",
        "/api/v1/kiosk/check-in",
        {"qr": _qr(n), "office": office, "service": "A"},
    )


def _run(c: int, jobs: list[Any], fn: Any) -> tuple[list[Any], float]:
    """C threads take jobs from a shared list; returns the results and the wall time."""
    lock = threading.Lock()
    results: list[Any] = []
    queue = list(jobs)

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            out = fn(job)
            with lock:
                results.append(out)

    threads = [threading.Thread(target=worker) for _ in range(c)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - t0


def _line(name: str, c: int, latencies: list[float], wall: float, n: int, extra: str = "") -> str:
    ms = [x * 1000 for x in latencies]
    return f"| {name} | {c} | {n} | {n / wall:,.0f}/s | {statistics.median(ms):.1f} | {p95(ms):.1f} | {extra} |"


def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _board_rows(
    server: Any, office: str, levels: list[int], n_board: int, label: str, use_wrk: bool
) -> list[str]:
    """The board at each C: Python client (CPU of server and client), then wrk if asked."""
    rows: list[str] = []
    path = f"/api/v1/queue/{office}/board"
    for _ in range(20):  # warm-up: office resolved, listener started, board built
        _request(PORT, "GET", path)
    time.sleep(0.5)
    for c in levels:
        cpu0, client0 = server.cpu_seconds(), _cpu_self()
        res, wall = _run(c, list(range(n_board)), lambda _: _request(PORT, "GET", path))
        cpu, client = server.cpu_seconds() - cpu0, _cpu_self() - client0
        bad = sum(1 for r in res if r[0] != 200)
        n = len(res)
        rows.append(
            _line(f"board snapshot{label}", c, [r[2] for r in res], wall, n,
                  f"errors {bad}; server CPU {1e6 * cpu / n:.0f} µs/req, "
                  f"Python client CPU {1e6 * client / n:.0f} µs/req")
        )  # fmt: skip
        if use_wrk:
            for close in (False, True):
                rows.append(_wrk_row(server, path, c, label, close))
    return rows


WRK_LUA = r"""
statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  io.write(string.format("BENCH %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
      + summary.errors.timeout))
end
"""


def _wrk_row(server: Any, path: str, c: int, label: str, close: bool) -> str:
    script = ROOT / "var" / "bench_queue_wrk.lua"
    script.write_text(WRK_LUA)
    args = ["wrk", f"-t{min(2, c)}", f"-c{c}", "-d5s", "-s", str(script)]
    if close:
        args += ["-H", "Connection: close"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0 = server.cpu_seconds()
    out = subprocess.run([*args, f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True, timeout=120)  # fmt: skip
    cpu = server.cpu_seconds() - cpu0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    n, dur_us, p50, p95, errors = (int(x) for x in line.split()[1:])
    wrk_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    mode = "new connection each" if close else "keep-alive"
    return (
        f"| board snapshot{label}, wrk {mode} | {c} | {n} | {n / (dur_us / 1e6):,.0f}/s | "
        f"{p50 / 1000:.1f} | {p95 / 1000:.1f} | errors {errors}; server CPU "
        f"{1e6 * cpu / max(n, 1):.0f} µs/req, wrk CPU {1e6 * wrk_cpu / max(n, 1):.0f} µs/req |"
    )


class _Cpu:
    """CPU used between start and `text(n)`: the server's, this client's and the machine's."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.server0, self.client0 = server.cpu_seconds(), _cpu_self()
        self.busy0, self.total0 = machine_busy()

    def text(self, n: int) -> str:
        server = self.server.cpu_seconds() - self.server0
        client = _cpu_self() - self.client0
        busy, total = machine_busy()
        share = (busy - self.busy0) / max(total - self.total0, 1)
        return (
            f"server CPU {1e3 * server / max(n, 1):.2f} ms/req, client {1e3 * client / max(n, 1):.2f}"
            f" ms/req, machine {100 * share:.0f} % busy"
        )


def _counters_together(counters: list[int], loop: Any) -> float:
    """`loop(counter_id)` in a thread per counter, all at once; the wall time until all end."""
    threads = [threading.Thread(target=loop, args=(cid,)) for cid in counters]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def _press_row(server: Any, c: int, counters: list[int], token: str, issued: set[str]) -> str:
    """C counters pressing "next" (call-next naming the current ticket to finish: one request
    per citizen) until the line is empty; every press timed."""
    called: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    errors = 0

    def counter_loop(counter_id: int) -> None:
        nonlocal errors
        current: str | None = None
        failed = 0
        while True:
            body = {"end": "finish", "ticket": current} if current else None
            status, answer, elapsed = _request(
                PORT, "POST", f"/api/v1/counters/{counter_id}/call-next", body=body, token=token
            )
            with lock:
                latencies.append(elapsed)
            if status == 204:
                return
            if status != 200:
                with lock:
                    errors += 1
                failed += 1
                if failed >= 5:  # the same press refused again and again: stop this counter
                    return
                continue  # the same press again (a retry)
            failed = 0
            current = answer["ticket"]
            with lock:
                called.append(current)

    cpu = _Cpu(server)
    wall = _counters_together(counters, counter_loop)
    twice = sum(v - 1 for v in Counter(called).values() if v > 1)
    lost = len(issued - set(called))
    return _line("next, one press (finishes the current)", c, latencies, wall, len(latencies),
                 f"called twice {twice}, lost {lost}, errors {errors}; citizens/s "
                 f"{len(called) / wall:,.0f}; {cpu.text(len(latencies))}")  # fmt: skip


def _mixed_row(
    server: Any, c: int, counters: list[int], token: str, office: str, numbers: list[int]
) -> str:
    """A real office's morning: C/2 kiosks checking people in while C/2 counters press "next"
    (one request per citizen), at once, until the kiosks are done and the line is empty. A
    counter that finds nobody waiting (204) while the kiosks still work tries again 20 ms later.
    Each check-in's answer counts the free counters again whenever one moved (a lone issue phase
    never pays that), and the calls take tickets issued a moment before."""
    kiosks, desks = max(1, c // 2), counters[: max(1, c - c // 2)]
    called: list[str] = []
    press_latencies: list[float] = []
    lock = threading.Lock()
    kiosks_done = threading.Event()
    errors = {"press": 0}
    polls = {"empty": 0}

    def desk(counter_id: int) -> None:
        current: str | None = None
        failed = 0
        while True:
            # Read before the press: a 204 to a press sent after every check-in had returned
            # means the line is empty for good (one sent earlier may have been answered before
            # the last check-in committed).
            done = kiosks_done.is_set()
            body = {"end": "finish", "ticket": current} if current else None
            status, answer, elapsed = _request(
                PORT, "POST", f"/api/v1/counters/{counter_id}/call-next", body=body, token=token
            )
            with lock:
                if status != 204 or current:  # a press that ended or called someone
                    press_latencies.append(elapsed)
                else:  # nobody to end, nobody waiting: a poll, kept out of the figures
                    polls["empty"] += 1
            if status == 204:
                current = None  # the press ended the current ticket and found nobody
                if done:
                    return
                time.sleep(0.02)
                continue
            if status != 200:
                with lock:
                    errors["press"] += 1
                failed += 1
                if failed >= 5:
                    return
                continue
            failed = 0
            current = answer["ticket"]
            with lock:
                called.append(current)

    cpu = _Cpu(server)
    threads = [threading.Thread(target=desk, args=(cid,)) for cid in desks]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    issued, issue_wall = _run(kiosks, numbers, lambda n: _check_in(office, n))
    kiosks_done.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ok = [r for r in issued if r[0] == 201]
    displays = Counter(r[1]["ticket"] for r in ok)
    dup = sum(v - 1 for v in displays.values() if v > 1)
    twice = sum(v - 1 for v in Counter(called).values() if v > 1)
    lost = len(set(displays) - set(called))
    requests = len(issued) + len(press_latencies)  # the empty polls left out
    issue_ms = sorted(1000 * r[2] for r in issued)
    press_ms = sorted(1000 * x for x in press_latencies)
    return _line(
        f"mixed: {kiosks} kiosks issue while {len(desks)} counters press",
        c, [r[2] for r in issued] + press_latencies, wall, requests,
        f"issue {len(ok) / issue_wall:,.0f}/s (p50 {statistics.median(issue_ms):.1f}, p95 "
        f"{p95(issue_ms):.1f} ms), press p50 {statistics.median(press_ms):.1f} / p95 "
        f"{p95(press_ms):.1f} ms, citizens served/s {len(called) / wall:,.0f}; duplicates {dup}, "
        f"called twice {twice}, lost {lost}, errors {len(issued) - len(ok) + errors['press']}; "
        f"{cpu.text(requests)} ({polls['empty']} empty polls not counted, their CPU included)",
    )  # fmt: skip


def run_config(
    db: str,
    workers: int,
    levels: list[int],
    n_issue: int,
    n_board: int,
    lane_off: bool = False,
    use_wrk: bool = False,
    presses: bool = True,
    mixed: bool = False,
) -> list[str]:
    rows: list[str] = []
    env = {
        **_db.environ(_database_url(db)),
        "KIOSK_CHECK_IN_PER_MINUTE": "1000000000",
        "KIOSK_IDENTIFY_PER_MINUTE": "1000000000",
    }
    tag = f"{db[:2]}{workers}{random.randint(1000, 9999)}"
    setup = _setup(db, tag, counters=max(levels))
    office, token, counters = setup["office"], setup["token"], setup["counters"]
    citizen = 0
    with Server(env=env, port=PORT, workers=workers) as server:
        for c in levels:
            # issue
            numbers = list(range(citizen, citizen + n_issue))
            citizen += n_issue

            def issue(n: int) -> tuple[int, Any, float]:
                return _check_in(office, n)

            cpu0 = server.cpu_seconds()
            res, wall = _run(c, numbers, issue)
            cpu = server.cpu_seconds() - cpu0
            ok = [r for r in res if r[0] == 201]
            displays = Counter(r[1]["ticket"] for r in ok)
            dup = sum(v - 1 for v in displays.values() if v > 1)
            errors = len(res) - len(ok)
            kinds = Counter(
                f"{r[0]} {(r[1] or {}).get('code', '')}".strip() for r in res if r[0] != 201
            )
            what = f" ({', '.join(f'{k} ×{v}' for k, v in kinds.items())})" if kinds else ""
            rows.append(_line("issue a ticket", c, [r[2] for r in res], wall, len(res),
                              f"duplicates {dup}, errors {errors}{what}, server CPU {cpu:.1f} s"))  # fmt: skip
            # call next: C counters until the line is empty
            called: list[str] = []
            latencies: list[float] = []
            lock = threading.Lock()
            errors = 0

            def counter_loop(counter_id: int) -> None:
                nonlocal errors
                while True:
                    status, body, elapsed = _request(
                        PORT, "POST", f"/api/v1/counters/{counter_id}/call-next", token=token
                    )
                    with lock:
                        latencies.append(elapsed)
                    if status == 204:
                        return
                    if status != 200:
                        with lock:
                            errors += 1
                        continue
                    with lock:
                        called.append(body["ticket"])
                    _request(
                        PORT,
                        "POST",
                        f"/api/v1/counters/{counter_id}/tickets/current/finish",
                        body={},
                        token=token,
                    )

            cpu = _Cpu(server)
            wall = _counters_together(counters[:c], counter_loop)
            twice = sum(v - 1 for v in Counter(called).values() if v > 1)
            lost = len(set(displays) - set(called))
            rows.append(_line("call next (+ finish, untimed)", c, latencies, wall, len(latencies),
                              f"called twice {twice}, lost {lost}, errors {errors}; calls/s incl. finish "
                              f"{len(called) / wall:,.0f}; {cpu.text(2 * len(called))} (call and finish)"))  # fmt: skip
            if presses:
                numbers = list(range(citizen, citizen + n_issue))
                citizen += n_issue
                res, _ = _run(c, numbers, issue)  # a new line (not reported again)
                displays = Counter(r[1]["ticket"] for r in res if r[0] == 201)
                rows.append(_press_row(server, c, counters[:c], token, set(displays)))
            if mixed and c >= 2:
                numbers = list(range(citizen, citizen + n_issue))
                citizen += n_issue
                rows.append(_mixed_row(server, c, counters, token, office, numbers))
        # the board, on the day's state after all the levels' tickets
        rows += _board_rows(server, office, levels, n_board, "", use_wrk)
    if lane_off:
        with Server(
            env={**env, "MOTCUA_BOARD_FASTLANE": "0"}, port=PORT, workers=workers
        ) as server:
            rows += _board_rows(server, office, levels, n_board, " (lane off)", use_wrk)
    return rows


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
        "?",
    )  # fmt: skip
    load = Path("/proc/loadavg").read_text().split()[:3]
    return f"{os.cpu_count()} vCPU {cpu}; load average before {' '.join(load)}"


def main() -> None:
    global PORT, PG_DB
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--levels", default="1,4,16")
    parser.add_argument("--issue", type=int, default=240, help="tickets issued per level")
    parser.add_argument("--board", type=int, default=1000, help="board requests per level")
    parser.add_argument("--lane-off", action="store_true", help="the board again, fast lane off")
    parser.add_argument("--wrk", action="store_true", help="the board with wrk too")
    parser.add_argument(
        "--mixed", action="store_true", help="also kiosks and counters at once (C ≥ 2: half each)"
    )
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--pg-db", default=PG_DB, help="PostgreSQL database (dropped, created)")
    args = parser.parse_args()
    PORT, PG_DB = args.port, args.pg_db
    if args.wrk and not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install -y wrk")
    levels = [int(x) for x in args.levels.split(",")]
    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    for db in args.db.split(","):
        _recreate(db)
        for workers in (int(x) for x in args.workers.split(",")):
            print(f"\n### {db}, {workers} worker(s)\n")
            print("| operation | C | requests | rate | p50 ms | p95 ms | correctness |")
            print("|---|---:|---:|---:|---:|---:|---|")
            for row in run_config(
                db, workers, levels, args.issue, args.board, args.lane_off, args.wrk,
                mixed=args.mixed,
            ):  # fmt: skip
                print(row, flush=True)


if __name__ == "__main__":
    main()
