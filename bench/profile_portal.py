"""Profile the public pages in one process: home `/`, statistics, the lookup API.

    .venv/bin/python bench/profile_portal.py --db h_public_bench          # bench/portal.py's database
    .venv/bin/python bench/profile_portal.py --db h_public_bench --redis  # shared cache in Redis
    .venv/bin/python bench/profile_portal.py --db h_public_bench --sql    # list the statements

Uses the PostgreSQL database that `bench/portal.py --db NAME --dossiers N` seeded (nothing is
written to it but the cache table and visit counts). Requests go through Django's whole request
handler (every middleware, the views, ninja) with the test client, in this process, as a
returning anonymous visitor (`mc_vid` cookie, no session). Rate limits stay on (the lookup's
per-minute quota is raised so that it never answers 429, but it is still counted), as in
production. For each page: statements per request, this process's CPU per request without the
profiler, then a cProfile summary (self time by package, top functions).
"""

from __future__ import annotations

import _db  # first: it takes bench/ off the import path (bench/queue.py shadows queue)

# isort: split
import argparse
import cProfile
import os
import random
import secrets
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="h_public_bench", help="PostgreSQL database (seeded)")
    parser.add_argument("-n", type=int, default=300, help="requests per page")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    parser.add_argument("--redis", action="store_true", help="REDIS_URL=redis://127.0.0.1:6379/9")
    parser.add_argument("--pages", default="home,stats,lookup-api")
    parser.add_argument(
        "--no-limits", action="store_true", help="RATELIMIT_ENABLE off, as bench/portal.py runs"
    )
    args = parser.parse_args()
    if args.redis:
        os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/9")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["DEBUG"] = "0"
    _db.django_setup(f"{_db.PG_SERVER}/{args.db}")
    hot = _db.load("_profile_hotpaths", "profile_hotpaths.py")
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from motcua.dossiers.models import Dossier

    settings.MOTCUA["PUBLIC_LOOKUP_PER_MINUTE"] = 10**9  # counted, never refused
    if args.no_limits:
        settings.RATELIMIT_ENABLE = False
    rng = random.Random(5)
    rows = list(
        Dossier.objects.order_by("?").values_list(
            "code", "citizen_id_number", "citizen_phone_last4"
        )[:500]
    )
    pairs = [(c, (p if i % 2 and p else n[-4:])) for i, (c, n, p) in enumerate(rows)]
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.cookies["mc_vid"] = secrets.token_urlsafe(24)

    def page(path: str) -> Any:
        def get(_i: int) -> Any:
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code)
            return r

        return get

    def lookup(i: int) -> Any:
        code, verify = pairs[(i + rng.randrange(7)) % len(pairs)]
        r = client.get(f"/api/v1/public/dossiers/{code}?verify={verify}")
        assert r.status_code == 200, r.content
        return r

    paths = {
        "home": ("home `/` (cache warm)", page("/")),
        "stats": (
            "statistics `/tinh-hinh-giai-quyet/` (cache warm)",
            page("/tinh-hinh-giai-quyet/"),
        ),
        "lookup-api": ("lookup API `GET /api/v1/public/dossiers/<code>?verify=`", lookup),
    }
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"# {args.db} ({Dossier.objects.count():,} dossiers), shared cache"
        f" {'Redis' if args.redis else 'database table'}: {args.n} requests per page, in"
        f" process; load average {' '.join(load)}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    for name in [p.strip() for p in args.pages.split(",") if p.strip()]:
        label, fn = paths[name]
        for i in range(5):  # warm: caches filled, first-request costs paid
            fn(i)
        sql: list[str] = []

        def record(execute: Any, query: str, params: Any, many: bool, context: Any) -> Any:
            sql.append(query)
            return execute(query, params, many, context)

        with connection.execute_wrapper(record):
            fn(0)
        cpu = 0.0
        for i in range(1, args.n + 1):
            c0 = time.process_time()
            fn(i)
            cpu += time.process_time() - c0
        prof = cProfile.Profile(time.process_time)
        for i in range(args.n + 1, 2 * args.n + 1):
            prof.enable()
            fn(i)
            prof.disable()
        print(f"\n## {label}\n")
        print(
            f"statements per request {len(sql)}; CPU per request without the profiler"
            f" {cpu / args.n * 1000:.2f} ms"
        )
        for line in hot._summary(prof, args.n, args.top, "cpu"):
            print(line)
        if args.sql:
            print("\nstatements:")
            for q in sql:
                print("  ", " ".join(q.split())[:240])


if __name__ == "__main__":
    main()
