"""Profile the public dossier lookup API in one process: statements, CPU per answer, where it goes.

    .venv/bin/python bench/profile_lookup.py --db bench_lookup            # after bench/portal.py seeded it
    .venv/bin/python bench/profile_lookup.py --db bench_lookup --limits   # rate limits on (huge limit)
    .venv/bin/python bench/profile_lookup.py --db bench_lookup --src /work/wt/base/src  # other code
    .venv/bin/python bench/profile_lookup.py --db bench_lookup --asgi     # through motcua.asgi

`GET /api/v1/public/dossiers/<code>?verify=<4 digits>` on the PostgreSQL database that
`bench/portal.py --db NAME` seeded (real codes drawn from the table, half verified by the ID
number, half by the phone), through Django's whole request handler with the test client
(or, with --asgi, through the ASGI application the server runs, called in this process's event
loop). Rate limits off by default, as bench/portal.py runs the server; `--limits` turns them on
with a limit no request reaches (the statements and CPU they cost). For each kind of answer
(found, wrong verify, unknown code): statements per request, CPU per request without the
profiler, then a cProfile summary (share by part of the stack, top functions).
"""

from __future__ import annotations

import _db  # first: it takes bench/ off the import path (bench/queue.py shadows queue)

# isort: split
import argparse
import asyncio
import cProfile
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = _db.ROOT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--db", default="motcua_bench_portal", help="database bench/portal.py seeded"
    )
    parser.add_argument("-n", type=int, default=500, help="requests per kind of answer")
    parser.add_argument("--lookups", type=int, default=500, help="distinct dossiers")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--limits", action="store_true", help="rate limits on (limit not reached)")
    parser.add_argument("--asgi", action="store_true", help="through motcua.asgi.application")
    parser.add_argument("--src", default="", help="import motcua from this folder")
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    if args.src:
        sys.path.insert(0, args.src)
    os.environ["RATELIMIT_ENABLE"] = "1" if args.limits else "0"
    os.environ["DEBUG"] = "0"
    os.environ["PUBLIC_LOOKUP_PER_MINUTE"] = "1000000000"
    os.environ.setdefault("MOTCUA_VAR_DIR", "/tmp/motcua-profile-lookup")
    Path(os.environ["MOTCUA_VAR_DIR"]).mkdir(exist_ok=True)
    shim = Path(os.environ["MOTCUA_VAR_DIR"]) / "motcua_profile_lookup_settings.py"
    portal = _db.load("_bench_portal", "portal.py")
    shim.write_text(portal.SETTINGS_SHIM)
    sys.path.insert(0, str(shim.parent))
    os.environ["DJANGO_SETTINGS_MODULE"] = "motcua_profile_lookup_settings"
    url = f"{_db.PG_SERVER}/{args.db}"
    os.environ.update(
        {**_db.environ(url), "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]}
    )
    if not args.src:
        sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    import logging

    import motcua

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 404s asked for
    from django.db import connection
    from django.test import Client

    hot = _db.load("_bench_profile_hotpaths", "profile_hotpaths.py")
    pairs = portal.sample_lookups(args.lookups)
    print(
        f"# lookup API in process ({'ASGI app' if args.asgi else 'test client'}), code from "
        f"{Path(motcua.__file__).parent}, rate limits {'on' if args.limits else 'off'}; load "
        f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    if args.asgi:
        from motcua.asgi import application

        loop = asyncio.new_event_loop()

        def get(path: str, addr: str = "127.0.0.1") -> tuple[int, bytes]:
            p, _, q = path.partition("?")
            scope = {
                "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                "method": "GET", "scheme": "http", "path": p, "raw_path": p.encode(),
                "query_string": q.encode(), "root_path": "",
                "headers": [(b"host", b"127.0.0.1:18530"), (b"user-agent", b"profile")],
                "client": (addr, 5555), "server": ("127.0.0.1", 18530),
            }  # fmt: skip
            out: dict[str, Any] = {"body": b"", "sent": False}

            async def receive() -> dict[str, Any]:
                if out["sent"]:  # later calls: wait (Django listens for a disconnect)
                    await asyncio.Event().wait()
                out["sent"] = True
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(m: dict[str, Any]) -> None:
                if m["type"] == "http.response.start":
                    out["status"] = m["status"]
                else:
                    out["body"] += m.get("body", b"")

            loop.run_until_complete(application(scope, receive, send))
            return out["status"], out["body"]
    else:
        client = Client()

        def get(path: str, addr: str = "127.0.0.1") -> tuple[int, bytes]:
            r = client.get(path, REMOTE_ADDR=addr)
            return r.status_code, r.content

    kinds = {
        "found": (200, lambda i: f"/api/v1/public/dossiers/{pairs[i % len(pairs)][0]}?verify={pairs[i % len(pairs)][1]}"),
        "wrong verify": (404, lambda i: f"/api/v1/public/dossiers/{pairs[i % len(pairs)][0]}?verify=0000"),
        "unknown code": (404, lambda i: f"/api/v1/public/dossiers/XX-{i}?verify=1234"),
    }  # fmt: skip
    for name, (status, path) in kinds.items():
        if name != "found" and args.limits:
            continue  # wrong verifiers would lock the codes (and count in the shared table)
        sql: list[str] = []

        def record(execute: Any, query: str, params: Any, many: bool, context: Any) -> Any:
            sql.append(query)
            return execute(query, params, many, context)

        for i in range(50):
            get(path(i))  # warm
        with connection.execute_wrapper(record):
            got = get(path(7))
        assert got[0] == status, got
        cpu = 0.0
        t0 = time.perf_counter()
        for i in range(args.n):
            c0 = time.process_time()
            get(path(i))
            cpu += time.process_time() - c0
        wall = time.perf_counter() - t0
        print(f"\n## {name} ({status})\n")
        print(
            f"statements per request {len(sql)}; CPU per request {cpu / args.n * 1000:.2f} ms;"
            f" wall {wall / args.n * 1000:.2f} ms (database included)"
        )
        if args.sql:
            for q in sql:
                print("  ", " ".join(q.split())[:300])
        if args.no_profile or name != "found":
            continue
        prof = cProfile.Profile(time.process_time)
        worker = None
        if args.asgi:  # the API lane's worker thread too (one request at a time here)
            from motcua.web.apilane import ApiLane

            worker = cProfile.Profile(time.process_time)
            serve = ApiLane._serve

            def profiled(self: Any, *a: Any) -> Any:
                worker.enable()
                try:
                    return serve(self, *a)
                finally:
                    worker.disable()

            ApiLane._serve = profiled  # type: ignore[method-assign]
        for i in range(args.n):
            prof.enable()
            get(path(i))
            prof.disable()
        print("\n### the calling thread (event loop)\n" if worker else "")
        for line in hot._summary(prof, args.n, args.top, "cpu"):
            print(line)
        if worker is not None:
            print("\n### the API lane's worker thread\n")
            for line in hot._summary(worker, args.n, args.top, "cpu"):
                print(line)


if __name__ == "__main__":
    main()
