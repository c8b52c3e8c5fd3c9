"""Portal benchmark: requests per second and latency of the public pages over HTTP.

    .venv/bin/python bench/portal.py --dossiers 1000000          # the issue's figure
    .venv/bin/python bench/portal.py --dossiers 50000 --duration 10 --pages home,stats
    .venv/bin/python bench/portal.py --explain-only               # query plans, no HTTP load

What it does, in order:
1. PostgreSQL database `motcua_bench_portal` (created when missing; `--db` to change): migrate,
   `seed-demo --no-history` (units, staff, catalogue), then dossiers with the dossier app's bulk
   path `seed_dossiers(count=..., bulk=True)` until the table holds `--dossiers` rows (kept
   between runs: a second run seeds nothing), then VACUUM ANALYZE.
2. uvicorn `motcua.asgi:application` on 127.0.0.1:8765 with 2 workers, `CONN_MAX_AGE=0`
   (see --conn-max-age for why not 60), started and stopped by this script (bench/_server.py).
3. For each page: one request checked for the expected content, a warm-up, then `wrk` with 50
   connections (closed loop: each connection sends its next request when the last one is
   answered) for `--duration` seconds. A Lua script varies the requests, counts status codes
   and prints p50/p95/p99 from wrk's full latency histogram.

Pages: home `/`, procedure search `/thu-tuc/?q=khai sinh`, dossier lookup (the page's real form:
POST `/tra-cuu/` with `code` and `verify`, real codes drawn from the table, CSRF cookie + token),
the same lookup through the public API `GET /api/v1/public/dossiers/<code>?verify=<4 digits>`,
and the statistics page `/tinh-hinh-giai-quyet/`.

Rate limits: all clients share 127.0.0.1, so the per-IP limits would answer 429 after a few
requests. The server runs with a settings module (written to a temporary folder) that extends
motcua.settings with `RATELIMIT_ENABLE` (django-ratelimit's switch, which the portal's form
limits honour) and `MOTCUA["PUBLIC_LOOKUP_PER_MINUTE"]` (the API's limit) read from the
environment; the script sets RATELIMIT_ENABLE=0 and PUBLIC_LOOKUP_PER_MINUTE=1000000000.

Everything shares the machine's cores: wrk, uvicorn's workers and PostgreSQL. The table shows
the CPU seconds each used, and the machine's load average, so the figures can be judged.
Needs `wrk` (Debian: apt-get install -y wrk).
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds scripts named like stdlib modules (queue.py): keep it off the import path.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]

import argparse  # noqa: E402
import atexit  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

ROOT = _BENCH.parent
VENV_BIN = ROOT / ".venv" / "bin"
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DEFAULT_DB = "motcua_bench_portal"
SEED_CHUNK = 100_000


def _load_server_module() -> Any:
    spec = importlib.util.spec_from_file_location("_bench_server", _BENCH / "_server.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --- pages ---------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    label: str
    method: str
    # (path, body) pairs the Lua script cycles through; body None for GET.
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    content_type: str = ""
    expect: str = ""  # text the checked response must contain


PAGE_ORDER = ["home", "search", "lookup", "lookup-api", "stats"]


def build_pages(pairs: list[tuple[str, str]], csrf: str) -> dict[str, Page]:
    q = urllib.parse.urlencode({"q": "khai sinh"})
    lookup_form = [
        ("/tra-cuu/", urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "code": c, "verify": v}))
        for c, v in pairs
    ]
    lookup_api = [
        (f"/api/v1/public/dossiers/{urllib.parse.quote(c)}?verify={v}", None) for c, v in pairs
    ]
    return {
        "home": Page("home", "Trang chủ `/`", "GET", [("/", None)], expect="</html>"),
        "search": Page(
            "search",
            "Tìm thủ tục `/thu-tuc/?q=khai sinh`",
            "GET",
            [(f"/thu-tuc/?{q}", None)],
            expect="khai sinh",
        ),
        "lookup": Page(
            "lookup",
            "Tra cứu hồ sơ (form) `POST /tra-cuu/`",
            "POST",
            lookup_form,
            content_type="application/x-www-form-urlencoded",
            expect="{code}",
        ),
        "lookup-api": Page(
            "lookup-api",
            "Tra cứu hồ sơ (API) `/api/v1/public/dossiers/<mã>`",
            "GET",
            lookup_api,
            expect='"code": "{code}"',
        ),
        "stats": Page(
            "stats",
            "Tình hình giải quyết `/tinh-hinh-giai-quyet/`",
            "GET",
            [("/tinh-hinh-giai-quyet/", None)],
            expect="</html>",
        ),
    }


# --- wrk -----------------------------------------------------------------------------------

LUA = r"""
-- Generated by bench/portal.py. Cycles through the page's requests, each connection of a
-- thread starting at a different place; cookies give 50 returning anonymous visitors.
local items = %(items)s
local cookies = %(cookies)s
local method = "%(method)s"
local ctype = "%(ctype)s"
local reqs = {}
local idx = 0
statuses = {}

local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local n = math.max(#items, #cookies)
  for i = 1, n do
    local it = items[(i - 1) %% #items + 1]
    local h = {}
    h["Cookie"] = cookies[(i - 1) %% #cookies + 1]
    h["Accept-Language"] = "vi"
    if it[2] ~= nil then
      h["Content-Type"] = ctype
    end
    reqs[i] = wrk.format(method, it[1], h, it[2])
  end
  idx = (tid or 1) * 7919 %% #reqs
end

function request()
  idx = idx %% #reqs + 1
  return reqs[idx]
end

function response(status, headers, body)
  local k = tostring(status)
  statuses[k] = (statuses[k] or 0) + 1
end

function done(summary, latency, requests)
  local st = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do st[k] = (st[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(st) do table.insert(parts, string.format('"%%s": %%d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %%d, "duration_us": %%d, "bytes": %%d, ' ..
    '"err_connect": %%d, "err_read": %%d, "err_write": %%d, "err_status": %%d, "err_timeout": %%d, ' ..
    '"p50_us": %%d, "p90_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d, "mean_us": %%.1f, ' ..
    '"statuses": {%%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, table.concat(parts, ", ")))
end
"""


def _lua_str(s: str) -> str:
    return json.dumps(s)  # JSON string escapes are valid Lua string escapes for this text


def lua_script(page: Page, cookies: list[str]) -> str:
    items = (
        "{"
        + ", ".join(
            "{" + _lua_str(p) + ", " + (_lua_str(b) if b is not None else "nil") + "}"
            for p, b in page.requests
        )
        + "}"
    )
    return LUA % {
        "items": items,
        "cookies": "{" + ", ".join(_lua_str(c) for c in cookies) + "}",
        "method": page.method,
        "ctype": page.content_type,
    }


def run_wrk(
    url: str, script: str, *, clients: int, threads: int, duration: int, timeout: int
) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{clients}",
            f"-d{duration}s",
            f"--timeout={timeout}s",
            "-s",
            script,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=duration + timeout + 60,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    result: dict[str, Any] = json.loads(line[len("BENCHJSON ") :])
    result["wrk_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


# --- database ------------------------------------------------------------------------------


def _psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", f"{PG_SERVER}/{db}", "-Atqc", sql],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _schema_drift() -> list[str]:
    """Model columns missing from the database's tables (empty when the schema matches)."""
    from django.apps import apps
    from django.db import connection

    tables = set(connection.introspection.table_names())
    out = []
    with connection.cursor() as cur:
        for model in apps.get_models():
            if model._meta.proxy or not model._meta.managed:
                continue
            table = model._meta.db_table
            if table not in tables:
                out.append(f"no table {table}")
                continue
            have = {c.name for c in connection.introspection.get_table_description(cur, table)}
            missing = [f.column for f in model._meta.concrete_fields if f.column not in have]
            if missing:
                out.append(f"{table} lacks {', '.join(missing)}")
    return out


def prepare_database(
    db: str, target: int, env: dict[str, str], *, recreate: bool = False
) -> dict[str, Any]:
    """Create, migrate and seed the bench database (idempotent); returns figures about it."""
    if recreate and _psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'"):
        print(f"dropping database {db} (--recreate)")
        _psql(f'DROP DATABASE "{db}" WITH (FORCE)')
    if not _psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'"):
        print(f"creating database {db}")
        _psql(f'CREATE DATABASE "{db}"')
    for cmd in (["migrate", "-v0"], ["seed-demo", "--no-history", "-v0"]):
        subprocess.run(
            [str(VENV_BIN / "motcua"), *cmd],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
        )
    _django(env)
    from django.db import connection

    stale = _schema_drift()
    if stale:
        # Apps keep a single 0001_initial.py that is regenerated while they are developed: an
        # applied 0001 can then describe an older table than the models do.
        raise SystemExit(
            f"database {db} was migrated with an older schema ({'; '.join(stale[:5])}):"
            " run again with --recreate to drop it and seed from scratch"
        )

    from motcua.dossiers.demo import seed_dossiers
    from motcua.dossiers.models import Dossier

    have = Dossier.objects.count()
    info: dict[str, Any] = {"seeded": 0, "seed_seconds": 0.0}
    if have < target:
        print(f"dossiers: {have:,} in the table, seeding {target - have:,} (bulk path)", flush=True)
        started = time.monotonic()
        while have < target:
            n = min(SEED_CHUNK, target - have)
            t = time.monotonic()
            # A different seed per chunk: the same seed would repeat the same days and procedures.
            made = seed_dossiers(count=n, bulk=True, seed=2026 + have)
            have += made
            info["seeded"] += made
            print(
                f"  +{made:,} in {time.monotonic() - t:.1f} s ({made / (time.monotonic() - t):,.0f}/s),"
                f" {have:,} now",
                flush=True,
            )
            if made == 0:
                break
        info["seed_seconds"] = time.monotonic() - started
        print("VACUUM ANALYZE", flush=True)
        connection.ensure_connection()
        with connection.cursor() as cur:
            for model in ("dossiers_dossier", "dossiers_dossierevent"):
                cur.execute(f"VACUUM ANALYZE {model}")
    info["dossiers"] = Dossier.objects.count()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('dossiers_dossier'))")
        info["table_size"] = cur.fetchone()[0]
        cur.execute("SELECT split_part(version(), ' ', 2)")
        info["pg_version"] = cur.fetchone()[0]
    return info


def sample_lookups(n: int, seed: int = 5) -> list[tuple[str, str]]:
    """n real (code, 4 verify digits) pairs spread over the table, half by ID number, half by phone."""
    from django.db.models import Max, Min

    from motcua.dossiers.models import Dossier

    rng = random.Random(seed)
    bounds = Dossier.objects.aggregate(lo=Min("id"), hi=Max("id"))
    ids = {rng.randint(bounds["lo"], bounds["hi"]) for _ in range(n * 2)}
    rows = list(
        Dossier.objects.filter(pk__in=ids).values_list(
            "code", "citizen_id_number", "citizen_phone_last4"
        )[:n]
    )
    pairs = []
    for i, (code, number, phone4) in enumerate(rows):
        verify = phone4 if (i % 2 and phone4) else number[-4:]
        pairs.append((code, verify))
    return pairs


def _django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def explain_main_queries() -> list[tuple[str, str, float]]:
    """EXPLAIN ANALYZE of the statistics page's aggregate and the home page's summary aggregate."""
    from datetime import date

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from motcua.core import clock
    from motcua.dossiers.selectors import dossier_stats

    today = clock.today()
    default_from = date(today.year - (1 if today.month < 12 else 0), (today.month % 12) + 1, 1)
    cases = [
        (
            "stats (theo đơn vị, 12 tháng)",
            lambda: dossier_stats(date_from=default_from, date_to=today, group_by="unit"),
        ),
        (
            "home summary (theo tháng, từ đầu năm)",
            lambda: dossier_stats(
                date_from=date(today.year, 1, 1), date_to=today, group_by="month"
            ),
        ),
    ]
    out = []
    for label, fn in cases:
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            fn()
            took = time.perf_counter() - t
        sql = max(ctx.captured_queries, key=lambda q: len(q["sql"]))["sql"]
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(r[0] for r in cur.fetchall())
        out.append((label, sql + "\n\n" + plan, took))
    return out


# --- settings shim for the server -----------------------------------------------------------

SETTINGS_SHIM = '''"""motcua.settings with the rate limits read from the environment (bench/portal.py)."""
import os

from motcua.settings import *  # noqa: F403
from motcua.settings import MOTCUA

RATELIMIT_ENABLE = os.environ.get("RATELIMIT_ENABLE", "1") == "1"
MOTCUA = {
    **MOTCUA,
    "PUBLIC_LOOKUP_PER_MINUTE": int(os.environ.get("PUBLIC_LOOKUP_PER_MINUTE", "20")),
}
'''


# --- report --------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()[1]
    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "memory": mem.split()[1],
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def fmt_ms(us: float) -> str:
    ms = us / 1000
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:,.1f}"


def _drain(db: str, wait: float = 120.0) -> None:
    """Wait for queries the stopped server left running in the bench database, then cancel them.

    A client that gives up does not stop Django's query: after a slow page the database may
    stay busy for a while, which would weigh on whatever runs next on this machine.
    """
    sql = (
        f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{db}' AND state = 'active'"
        " AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if _psql(sql, db) == "0":
            return
        time.sleep(1)
    left = _psql(
        "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity"
        f" WHERE datname = '{db}' AND state = 'active' AND pid <> pg_backend_pid()",
        db,
    )
    print(f"cancelled {left} queries still running {wait:.0f} s after the server stopped")


def _count_errors(log: Path) -> dict[str, int]:
    """Tracebacks in the server log so far, by their last line's exception class."""
    counts: dict[str, int] = {}
    if not log.exists():
        return counts
    for line in log.read_text(errors="replace").splitlines():
        if line and not line.startswith(" ") and ("Error:" in line or "Exception:" in line):
            kind = line.split(":", 1)[0].rsplit(".", 1)[-1]
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def check_page(base: str, page: Page, cookie: str, pairs: list[tuple[str, str]]) -> int:
    """One request of the page, answered 200 with the expected text; returns the body size."""
    path, body = page.requests[0]
    req = urllib.request.Request(
        base + path,
        data=body.encode() if body is not None else None,
        method=page.method,
        headers={"Cookie": cookie, **({"Content-Type": page.content_type} if body else {})},
    )
    with urllib.request.urlopen(req, timeout=120) as r:
        text = r.read().decode()
        status = r.status
    expect = page.expect.format(code=pairs[0][0] if pairs else "")
    if status != 200 or expect not in text:
        raise SystemExit(f"{page.name}: status {status}, {expect!r} not in the response")
    if page.name == "lookup" and "Không tìm thấy" in text:
        raise SystemExit("lookup: the form answered 'not found' for a real dossier")
    return len(text.encode())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dossiers", type=int, default=1_000_000, help="rows wanted in the table")
    ap.add_argument("--db", default=DEFAULT_DB, help="PostgreSQL database (created when missing)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--duration", type=int, default=20, help="seconds measured per page")
    ap.add_argument(
        "--warmup",
        type=int,
        default=30,
        help="seconds of warm-up per page: the home summary (60 s) and the statistics (300 s)\n"
        "are cached per worker, and a cold cache is filled by every request in flight at once",
    )
    ap.add_argument(
        "--stats-duration",
        type=int,
        default=None,
        help="seconds measured for the statistics page (default: --duration)",
    )
    ap.add_argument("--timeout", type=int, default=120, help="wrk's per-request timeout, seconds")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument(
        "--conn-max-age",
        type=int,
        default=0,
        help="CONN_MAX_AGE of the server. Under ASGI every request runs in a new thread with\n"
        "its own connection, so a value > 0 leaves one open connection per request until\n"
        "garbage collection: 60 exhausted max_connections (100) within seconds here",
    )
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument(
        "--app",
        default="motcua.asgi:application",
        help="ASGI application (motcua.asgi:application has the cached-pages lane,\n"
        "portal/asgi_pages.py, in front of Django)",
    )
    ap.add_argument(
        "--src",
        default="",
        help="serve the motcua package from this folder instead (e.g. an export of main's src/,\n"
        "for a before/after in the same minutes: git archive main src | tar -x -C /tmp/before)",
    )
    ap.add_argument("--pages", default=",".join(PAGE_ORDER), help=",".join(PAGE_ORDER))
    ap.add_argument("--lookups", type=int, default=2000, help="distinct dossiers the lookup uses")
    ap.add_argument("--recreate", action="store_true", help="drop the bench database first")
    ap.add_argument("--explain", action="store_true", help="also print the main query plans")
    ap.add_argument("--explain-only", action="store_true", help="seed if needed, plans only")
    args = ap.parse_args()

    pages_wanted = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = set(pages_wanted) - set(PAGE_ORDER)
    if unknown:
        ap.error(f"unknown pages: {', '.join(sorted(unknown))}")
    if not shutil.which("wrk") and not args.explain_only:
        raise SystemExit("wrk not found: apt-get install -y wrk")

    tmp = Path(tempfile.mkdtemp(prefix="motcua-bench-portal-"))
    keep = {"tmp": False}  # kept only when the server log holds errors worth reading
    atexit.register(lambda: None if keep["tmp"] else shutil.rmtree(tmp, ignore_errors=True))
    (tmp / "motcua_bench_portal_settings.py").write_text(SETTINGS_SHIM)
    var_dir = tmp / "var"  # secret key, huey file, static root: never the project's var/
    var_dir.mkdir()
    env = {
        "DATABASE_URL": f"{PG_SERVER}/{args.db}",
        "MOTCUA_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "motcua_bench_portal_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp), *([args.src] if args.src else [])]),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        # The demo office (seed-demo's staff) over plain http on loopback.
        "MOTCUA_DEMO": "1",
    }
    sys.path.insert(0, str(tmp))

    mach = machine()
    print(f"{mach['date']}  {mach['cpu']}  {mach['nproc']} cores  {mach['memory']} RAM")
    print(f"load average at start: {loadavg()}")

    info = prepare_database(args.db, args.dossiers, env, recreate=args.recreate)
    print(
        f"database {args.db}: {info['dossiers']:,} dossiers, table + indexes {info['table_size']},"
        f" PostgreSQL {info['pg_version']}"
    )
    if info["seeded"]:
        print(
            f"seeded {info['seeded']:,} dossiers in {info['seed_seconds']:.0f} s"
            f" ({info['seeded'] / info['seed_seconds']:,.0f}/s)"
        )

    if args.explain or args.explain_only:
        for label, text, took in explain_main_queries():
            print(f"\n=== {label}: {took * 1000:,.0f} ms through the ORM ===\n{text}")
        if args.explain_only:
            return

    pairs = sample_lookups(args.lookups)
    from django.db import connections

    connections.close_all()  # the bench process holds no connection during the load

    csrf = secrets.token_hex(16)  # 32 characters: Django accepts the unmasked secret as token
    cookies = [f"mc_vid={secrets.token_urlsafe(24)}; csrftoken={csrf}" for _ in range(args.clients)]
    pages = build_pages(pairs, csrf)
    srv_mod = _load_server_module()
    conn_max_age = args.conn_max_age
    server_env = {
        **env,
        "CONN_MAX_AGE": str(conn_max_age),
        "RATELIMIT_ENABLE": "0",
        "PUBLIC_LOOKUP_PER_MINUTE": "1000000000",
    }
    results = []
    seen_errors: dict[str, int] = {}
    server_log = tmp / "server.log"
    app = args.app
    server_desc = f"uvicorn {app}, {args.workers} workers, CONN_MAX_AGE={conn_max_age}" + (
        f", code from {args.src}" if args.src else ""
    )
    with srv_mod.Server(
        env=server_env,
        port=args.port,
        workers=args.workers,
        app=app,
        log_path=str(server_log),
    ) as srv:
        print(f"server {srv.url}: {server_desc}, pids {srv.pids()}\n")
        for name in pages_wanted:
            page = pages[name]
            try:
                size = check_page(srv.url, page, cookies[0], pairs)
            except BaseException:
                keep["tmp"] = True
                print(f"server log ({server_log}):\n" + server_log.read_text()[-3000:])
                raise
            script = tmp / f"{name}.lua"
            script.write_text(lua_script(page, cookies))
            if args.warmup:
                run_wrk(
                    srv.url,
                    str(script),
                    clients=args.clients,
                    threads=args.threads,
                    duration=args.warmup,
                    timeout=args.timeout,
                )
            load_before = loadavg()
            cpu0, (busy0, total0) = srv.cpu_seconds(), srv_mod.machine_busy()
            r = run_wrk(
                srv.url,
                str(script),
                clients=args.clients,
                threads=args.threads,
                duration=(args.stats_duration or args.duration)
                if name == "stats"
                else args.duration,
                timeout=args.timeout,
            )
            busy1, total1 = srv_mod.machine_busy()
            r.update(
                page=name,
                label=page.label,
                size=size,
                server_cpu_s=srv.cpu_seconds() - cpu0,
                machine_busy=(busy1 - busy0) / max(total1 - total0, 1),
                load=load_before,
            )
            secs = r["duration_us"] / 1e6
            r["rps"] = r["requests"] / secs
            now_errors = _count_errors(server_log)
            r["server_errors"] = {
                k: v - seen_errors.get(k, 0)
                for k, v in now_errors.items()
                if v > seen_errors.get(k, 0)
            }
            seen_errors = now_errors
            r["errors"] = (
                r["err_connect"]
                + r["err_read"]
                + r["err_write"]
                + r["err_status"]
                + r["err_timeout"]
            )
            results.append(r)
            print(
                f"{name:<11} {r['requests']:>7} req  {r['rps']:8.1f} rps  p50 {fmt_ms(r['p50_us']):>7} ms"
                f"  p95 {fmt_ms(r['p95_us']):>7} ms  errors {r['errors']}  statuses {r['statuses']}"
                f"  server log errors {r['server_errors']}"
                f"  server cpu {r['server_cpu_s']:.1f} s  wrk cpu {r['wrk_cpu_s']:.1f} s"
                f"  machine busy {100 * r['machine_busy']:.0f}%  load {load_before}",
                flush=True,
            )

    _drain(args.db)
    print(
        f"\n{info['dossiers']:,} dossiers on PostgreSQL {info['pg_version']}, {args.clients} clients"
        f" (wrk -t{args.threads} -c{args.clients}), {args.duration} s per page"
        + (f" ({args.stats_duration} s for the statistics page)" if args.stats_duration else "")
        + " after"
        f" {args.warmup} s warm-up, {server_desc};"
        f" {mach['date']}, {mach['cpu']}, {mach['nproc']} cores, {mach['memory']} RAM\n"
    )
    print(
        "| page | requests | rps | p50 ms | p95 ms | p99 ms | errors | server CPU s | wrk CPU s"
        " | machine busy | load avg before |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r['label']} | {r['requests']:,} | {r['rps']:,.1f} | {fmt_ms(r['p50_us'])}"
            f" | {fmt_ms(r['p95_us'])} | {fmt_ms(r['p99_us'])} | {r['errors']}"
            f" | {r['server_cpu_s']:.1f} | {r['wrk_cpu_s']:.1f} | {100 * r['machine_busy']:.0f}%"
            f" | {r['load']} |"
        )
    print(f"\nload average at end: {loadavg()}")
    if any(r["server_errors"] for r in results):
        keep["tmp"] = True
        print(f"server log kept: {server_log}")


if __name__ == "__main__":
    main()
