"""Profile the queue's hot paths in one process: check-in by QR, call-next and finish over the API, board.

    .venv/bin/python bench/profile_hotpaths.py                  # SQLite file var/bench_profile.sqlite3
    .venv/bin/python bench/profile_hotpaths.py --db postgres    # database motcua_bench_profile
    .venv/bin/python bench/profile_hotpaths.py --sql            # also list one request's statements
    .venv/bin/python bench/profile_hotpaths.py --via asgi       # through motcua.asgi.application
    .venv/bin/python bench/profile_hotpaths.py --direct         # the service calls alone

Requests go through Django's whole request handler (every middleware, ninja, the views) with
the test client, in this process; the client's own cost is small beside the server's. With
`--via asgi` they go through the ASGI application uvicorn serves (the board and API lanes in
front of Django's ASGI handler; MOTCUA_API_LANE=0 / MOTCUA_BOARD_FASTLANE=0 turn a lane off),
called in this process: CPU and statements then count every thread of it (the cProfile part
only the event loop's thread: the API lane runs the views in its own threads). With
`--direct`, the functions the views call are called instead, without any request handling:
`api.do_check_in` (rate limits, `services.kiosk_check_in`, `api.check_in_response`),
`services.ticket_call_next` then `selectors.ticket_view`, `services.ticket_finish` of the
counter's current ticket then `selectors.ticket_view` (the board is left out). For each
path: statements per request; the CPU time of this process per request, first without the
profiler (-n requests: the figure to compare, little disturbed by other work on the machine;
on PostgreSQL the database server's own time is not in it), then under cProfile (-n more; timer:
this process's CPU time, `--timer wall` for elapsed time): the share of time in each part of
the stack (self time grouped by package) and the top functions by cumulative time. The finish
after each measured call, and the call before each measured finish (and a check-in after it,
to keep the line as long), are made but not measured. The check-in is measured twice: alone,
and with a call and a finish before each (a real office's mix: what a check-in's answer
remembers about the counters is forgotten whenever one moves).
"""

from __future__ import annotations

import _db  # first: it takes bench/ off the import path (bench/queue.py shadows queue)

# isort: split
import argparse
import cProfile
import json
import os
import pstats
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = _db.ROOT
NAME = os.environ.get("BENCH_PROFILE_DB", "motcua_bench_profile")

GROUPS = (  # (label, substring of the file path); first match wins
    ("motcua.queueing", "/motcua/queueing/"),
    ("motcua.notifications", "/motcua/notifications/"),
    ("motcua (other)", "/motcua/"),
    ("django.db (ORM, SQL compile)", "/django/db/"),
    ("database driver (sqlite3/psycopg)", "sqlite3"),
    ("database driver (sqlite3/psycopg)", "/psycopg"),
    ("django middleware/handlers", "/django/middleware/"),
    ("django middleware/handlers", "/django/core/handlers/"),
    ("django contrib (sessions, auth, messages)", "/django/contrib/"),
    ("django test client", "/django/test/"),
    ("django (other)", "/django/"),
    ("ninja + pydantic", "/ninja/"),
    ("ninja + pydantic", "/pydantic"),
    ("ratelimit/axes/htmx/whitenoise", "/django_ratelimit/"),
    ("ratelimit/axes/htmx/whitenoise", "/axes/"),
    ("ratelimit/axes/htmx/whitenoise", "/django_htmx/"),
    ("ratelimit/axes/htmx/whitenoise", "/whitenoise/"),
    ("json", "/json/"),
)


def _group(filename: str) -> str:
    for label, part in GROUPS:
        if part in filename:
            return label
    if filename == "~":
        return "builtins (C calls)"
    return "python stdlib/other"


def _qr(n: int) -> str:
    letters = "".join(chr(97 + (n // 26**k) % 26) for k in range(3))
    return (
        f"0010850{n:05d}||Nguyễn Văn {letters.capitalize()}|17051985|Nam|Hà Đông, Hà Nội|01072021"
    )


def _summary(prof: cProfile.Profile, n: int, top: int, timer: str) -> list[str]:
    stats = pstats.Stats(prof)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())  # self time
    by_group: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tt, _ct, _callers) in raw.items():
        by_group[_group(filename)] += tt
    what = "CPU" if timer == "cpu" else "wall time"
    out = [f"{what} per request {total / n * 1000:.1f} ms (profiled; cProfile adds overhead)", ""]
    out.append("| part of the stack (self time) | share |")
    out.append("|---|---:|")
    for label, tt in sorted(by_group.items(), key=lambda kv: -kv[1]):
        if tt / total >= 0.01:
            out.append(f"| {label} | {tt / total:.0%} |")
    out.append("")
    out.append("| function (cumulative) | share | ms/request |")
    out.append("|---|---:|---:|")
    rows = sorted(raw.items(), key=lambda kv: -kv[1][3])
    shown = 0
    for (filename, line, name), (_cc, _nc, _tt, ct, _callers) in rows:
        if "/motcua/" not in filename or "/motcua/web/" in filename:
            continue  # the project's own functions (the middleware chain wraps everything)
        short = filename.split("site-packages/")[-1].split("src/")[-1]
        out.append(f"| {short}:{line} {name} | {ct / total:.0%} | {ct / n * 1000:.2f} |")
        shown += 1
        if shown >= top:
            break
    out.append("")
    out.append("| function (self time) | share |")
    out.append("|---|---:|")
    for (filename, line, name), (_cc, _nc, tt, _ct, _callers) in sorted(
        raw.items(), key=lambda kv: -kv[1][2]
    )[:12]:
        short = filename.split("site-packages/")[-1].split("src/")[-1]
        out.append(f"| {short}:{line} {name} | {tt / total:.0%} |")
    return out


class _Response:
    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status_code, self.headers, self.content = status, headers, body


class AsgiClient:
    """The few calls of Django's test Client this script makes, through an ASGI application
    (one event loop kept for the run, as a uvicorn worker's)."""

    def __init__(self, app: Any) -> None:
        import asyncio

        self.app = app
        self.loop = asyncio.new_event_loop()

    def _call(
        self, method: str, path: str, body: bytes, headers: list[tuple[bytes, bytes]]
    ) -> _Response:
        import asyncio

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode())]
            + headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
        }
        sent: list[dict[str, Any]] = []
        state = {"read": False}

        async def receive() -> dict[str, Any]:
            if not state["read"]:
                state["read"] = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        async def run() -> None:
            await self.app(scope, receive, send)

        self.loop.run_until_complete(run())
        start = sent[0]
        return _Response(
            start["status"], start["headers"], b"".join(m.get("body", b"") for m in sent[1:])
        )

    def post(self, path: str, data: str = "", content_type: str = "", **extra: str) -> _Response:
        headers = [(b"content-type", content_type.encode())] if content_type else []
        headers += [
            (k[5:].lower().replace("_", "-").encode(), v.encode())
            for k, v in extra.items()
            if k.startswith("HTTP_")
        ]
        return self._call("POST", path, data.encode(), headers)

    def get(self, path: str) -> _Response:
        return self._call("GET", path, b"", [])


_SINK: list[list[str]] = []


def _counting() -> None:
    """Every connection of every thread reports its statements to the innermost sink."""
    from django.db import connection
    from django.db.backends.signals import connection_created

    def wrapper(execute: Any, query: str, params: Any, many: bool, context: Any) -> Any:
        if _SINK:
            _SINK[-1].append(query)
        return execute(query, params, many, context)

    def added(sender: Any, connection: Any, **kwargs: Any) -> None:
        if wrapper not in connection.execute_wrappers:
            connection.execute_wrappers.append(wrapper)

    connection_created.connect(added, weak=False)
    connection.execute_wrappers.append(wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgres"))
    parser.add_argument("-n", type=int, default=200, help="requests per path")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--waiting",
        type=int,
        default=40,
        help="people checked in before the paths run (4 of them are called by the warm-up)",
    )
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    parser.add_argument(
        "--worker",
        action="store_true",
        help="after the warm-up, run bursts asked on stdin (bench/ab_hotpaths.py drives it)",
    )
    parser.add_argument(
        "--direct",
        action="store_true",
        help="call the service functions the way an ASGI lane does (no Django handler)",
    )
    parser.add_argument(
        "--timer",
        default="cpu",
        choices=("cpu", "wall"),
        help="cpu: this process's CPU time (waits for the database not counted); wall: elapsed",
    )
    parser.add_argument(
        "--via",
        default="client",
        choices=("client", "asgi"),
        help="client: Django's test client; asgi: motcua.asgi.application, in this process",
    )
    args = parser.parse_args()
    # Each path's people get their own range of ID numbers (5 digits): 10,000 per path.
    if not 4 <= args.waiting < 9_999 or not 1 <= args.n < 5_000:
        parser.error("--waiting: 4 to 9,998; -n: 1 to 4,999")
    url = _db.fresh(args.db, NAME)
    os.environ["KIOSK_CHECK_IN_PER_MINUTE"] = "1000000000"
    os.environ["KIOSK_IDENTIFY_PER_MINUTE"] = "1000000000"
    _db.django_setup(url)  # demo mode for this throw-away database, migrated
    from django.db import connection
    from django.test import Client

    from motcua.core.services import api_token_issue
    from motcua.org.models import Counter, Office, Role, StaffRole, Unit, User
    from motcua.queueing.models import CounterService, QueueSettings, Service

    unit = Unit.objects.create(code="QP1", name="Phường Hồ Sơ", level="ward")
    office = Office.objects.create(unit=unit, code="qprof", name="Bộ phận một cửa thử")
    QueueSettings.objects.create(office=office)
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    counters = []
    for i in range(4):
        c = Counter.objects.create(office=office, number=i + 1)
        CounterService.objects.create(counter=c, service=svc)
        counters.append(c.pk)
    user = User.objects.create(username="qprof", full_name="Cán bộ thử")
    StaffRole.objects.create(user=user, unit=unit, role=Role.RECEPTION)
    token = api_token_issue(user=user)
    client: Any = Client()
    if args.via == "asgi":
        from motcua.asgi import application

        connection.close()  # the lanes' threads use their own connections
        client = AsgiClient(application)
    _counting()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def check_in(i: int) -> Any:
        body = json.dumps({"qr": _qr(i), "office": office.code, "service": "A"})
        r = client.post("/api/v1/kiosk/check-in", data=body, content_type="application/json")
        assert r.status_code == 201, r.content
        return r

    def call(i: int) -> Any:
        r = client.post(f"/api/v1/counters/{counters[i % 4]}/call-next", **auth)
        assert r.status_code == 200, r.content
        return r

    def finish(i: int) -> Any:
        r = client.post(
            f"/api/v1/counters/{counters[i % 4]}/tickets/current/finish",
            data="{}",
            content_type="application/json",
            **auth,
        )
        assert r.status_code == 200, r.content
        return r

    def board(_i: int) -> Any:
        return client.get(f"/api/v1/queue/{office.code}/board")

    current: dict[int, str] = {}

    def press(i: int) -> Any:
        """One press of "next": finish the counter's current ticket and call the next."""
        counter = counters[i % 4]
        known = current.get(counter)  # the first press at a counter: nothing to finish
        body = json.dumps({"end": "finish", "ticket": known} if known else {})
        r = client.post(f"/api/v1/counters/{counter}/call-next", data=body,
                        content_type="application/json", **auth)  # fmt: skip
        assert r.status_code == 200, r.content
        current[counter] = json.loads(r.content)["ticket"]
        return r

    if args.direct:
        from django.test import RequestFactory

        from motcua.queueing import api, counter_api, selectors, services

        factory = RequestFactory()

        def check_in(i: int) -> Any:  # type: ignore[misc]
            request = factory.post("/api/v1/kiosk/check-in")
            data = {"qr": _qr(i), "office": office.code, "service": "A"}
            body = api.do_check_in(request, data)
            assert not body["reused"], body
            return body

        def call(i: int) -> Any:  # type: ignore[misc]
            ticket = services.ticket_call_next(counter=Counter(pk=counters[i % 4]), officer=user)
            assert ticket is not None
            return selectors.ticket_view(ticket)

        def finish(i: int) -> Any:  # type: ignore[misc]
            from motcua.queueing import lookups

            counter = lookups.counter(counters[i % 4])
            if hasattr(services, "CurrentOf"):  # as the API's button does
                current = services.CurrentOf(counter.pk)
            else:  # a checkout from before it (bench/ab_hotpaths.py --base)
                current = counter_api._current(counter)
            ticket = services.ticket_finish(ticket=current, officer=user)
            return selectors.ticket_view(ticket)

        def press(i: int) -> Any:  # type: ignore[misc]
            counter = counters[i % 4]
            ticket = services.ticket_call_next_ending(
                counter=Counter(pk=counter),
                officer=user,
                end="finish",
                display=current.get(counter, ""),
            )
            assert ticket is not None
            current[counter] = ticket.display
            return selectors.ticket_view(ticket)

    def check_in_moving(i: int) -> Any:
        """A check-in while the counters work (the counter moved just before it)."""
        return check_in(20_000 + i)

    def move(i: int) -> None:
        call(i)
        finish(i)

    # Warm-up: caches, rate-limit windows, the day's first call, people already waiting.
    n0 = 90_000
    for i in range(args.waiting):
        check_in(n0 + i)
    for i in range(4):
        call(i)
        finish(i)
    board(0)
    load = Path("/proc/loadavg").read_text().split()[:3]
    lanes = (
        f"via ASGI, API lane {os.environ.get('MOTCUA_API_LANE', '1')}, "
        f"board lane {os.environ.get('MOTCUA_BOARD_FASTLANE', '1')}"
        if args.via == "asgi"
        else "via the test client"
    )
    print(
        f"# {args.db}: {args.n} requests per path, in process, {lanes}; "
        f"load average {' '.join(load)}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    paths = (
        ("check-in by QR (POST /api/v1/kiosk/check-in)", check_in, None, None),
        (
            "check-in by QR while the counters work (a call and a finish before each, not measured)",
            check_in_moving,
            move,
            None,
        ),
        ("call-next (POST /api/v1/counters/{id}/call-next)", call, None, finish),
        (
            "finish (POST /api/v1/counters/{id}/tickets/current/finish)",
            finish,
            call,
            check_in,
        ),
        (
            'one press of "next" (POST /api/v1/counters/{id}/call-next, end "finish")',
            press,
            None,
            check_in,
        ),
        ("board snapshot (GET /api/v1/queue/{office}/board), cache hit", board, None, None),
    )
    if args.direct:
        paths = paths[:5]
    if args.worker:
        _work(paths, check_in)
        return
    for index, (name, fn, before, after) in enumerate(paths):
        fresh = 80_000 - 10_000 * index  # people checked in after a path's requests: new each path
        sql: list[str] = []
        if before:
            before(0)
        if fn is board:
            board(0)  # the board after the last call is rebuilt once; count a cache hit
        _SINK.append(sql)
        try:
            fn(0 if fn is not check_in else 99_999)
        finally:
            _SINK.pop()
        if after:
            after(0 if after is not check_in else fresh)
        statements = len(sql)
        # First without the profiler: the CPU time of this process per request (the database
        # server's own time not included on PostgreSQL), the least disturbed by a busy machine.
        cpu = _timed(range(1, args.n + 1), fn, before, after, check_in, fresh)
        prof = cProfile.Profile(time.process_time if args.timer == "cpu" else time.perf_counter)
        wall = 0.0
        counted: list[str] = []

        for i in range(args.n + 1, 2 * args.n + 1):
            if before:
                before(i)
            t0 = time.perf_counter()
            prof.enable()
            _SINK.append(counted)
            try:
                fn(i)
            finally:
                _SINK.pop()
            prof.disable()
            wall += time.perf_counter() - t0
            if after:
                after(i if after is not check_in else fresh + i)
        print(f"\n## {name}\n")
        print(
            f"statements per request {statements} (mean over the profiled ones "
            f"{len(counted) / args.n:.1f}); CPU per request without the profiler "
            f"{cpu / args.n * 1000:.2f} ms; wall per request (profiled) {wall / args.n * 1000:.1f} ms"
        )
        for line in _summary(prof, args.n, args.top, args.timer):
            print(line)
        if args.sql:
            print("\nstatements:")
            for q in sql:
                print("  ", " ".join(q.split())[:240])


def _timed(numbers: range, fn: Any, before: Any, after: Any, check_in: Any, fresh: int) -> float:
    """This process's CPU seconds in `fn(i)` for each i of `numbers`, `before(i)` and `after`
    (a check-in after: person `fresh + i`) made around each but not counted."""
    cpu = 0.0
    for i in numbers:
        if before:
            before(i)
        c0 = time.process_time()
        fn(i)
        cpu += time.process_time() - c0
        if after:
            after(i if after is not check_in else fresh + i)
    return cpu


def _work(paths: Any, check_in: Any) -> None:
    """Bursts on demand, for bench/ab_hotpaths.py: reads "<path index> <requests>" lines on stdin
    and answers each with one JSON line, the burst's CPU time of this process per request (ms).
    The paths must be asked in order (each leaves the counters as the next expects), as the
    plain run makes them; the first line is the list of the paths' names."""
    import sys

    print(json.dumps({"paths": [name for name, *_ in paths]}), flush=True)
    done: dict[int, int] = {}
    for line in sys.stdin:
        index, count = (int(x) for x in line.split())
        name, fn, before, after = paths[index]
        fresh = 80_000 - 10_000 * index
        if index not in done:  # as the plain run's first (statement-counting) request
            if before:
                before(0)
            fn(0 if fn is not check_in else 99_999)
            if after:
                after(0 if after is not check_in else fresh)
            done[index] = 0
        cpu = _timed(range(done[index] + 1, done[index] + count + 1), fn, before, after,
                     check_in, fresh)  # fmt: skip
        done[index] += count
        print(json.dumps({"path": name, "cpu_ms": cpu / count * 1000}), flush=True)


if __name__ == "__main__":
    main()
