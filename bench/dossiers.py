"""Dossier benchmarks: receive throughput with concurrent clients, and the statistics query at volume.

    .venv/bin/python bench/dossiers.py                    # everything (SQLite + PostgreSQL, 1M rows)
    .venv/bin/python bench/dossiers.py --only receive     # receive throughput only
    .venv/bin/python bench/dossiers.py --only stats --rows 200000

Each database runs in its own child process (DATABASE_URL is read when Django starts):
SQLite in a temporary file, PostgreSQL in a database `motcua_bench` (created when missing;
the 1M rows are kept between runs so a second run skips the seeding).
"""

from __future__ import annotations

import _db  # first: it takes bench/ off the import path (bench/queue.py shadows queue)

# isort: split
import argparse
import statistics
import tempfile
import threading
import time


def _office():  # type: ignore[no-untyped-def]
    """A ward with 8 reception officials, a specialist, a leader and five procedures (idempotent)."""
    from motcua.org.models import Role, StaffRole, User

    ward, staff = _db.office(
        code="BENCH1",
        agency_code="000.00.99.H26",
        name="Phường Thử Tải",
        reception=[(f"bench_tn{i}", f"Tiếp Nhận {i}") for i in range(8)],
    )
    for name, role in [("bench_cv", Role.SPECIALIST), ("bench_ld", Role.LEADER)]:
        user, _ = User.objects.get_or_create(username=name)
        StaffRole.objects.get_or_create(user=user, unit=ward, role=role)
    fields = [("ho-tich", "Hộ tịch"), ("chung-thuc", "Chứng thực"), ("dat-dai", "Đất đai")]
    specs = [
        ("1.001193", "Đăng ký khai sinh", 0, "working_days", 3),
        ("1.000656", "Đăng ký khai tử", 0, "working_days", 3),
        ("2.000815", "Chứng thực bản sao từ bản chính", 1, "working_days", 2),
        ("1.004227", "Đăng ký biến động quyền sử dụng đất", 2, "working_days", 10),
        ("1.001022", "Đăng ký kết hôn", 0, "working_days", 5),
    ]
    for code, name, fi, unit, value in specs:
        _db.procedure(
            code,
            fields[fi],
            name=name,
            time_unit=unit,
            time_value=value,
            fees=[{"name": "Lệ phí", "amount": 8000}],
            papers=[{"name": "Tờ khai", "required": True}],
            channels=["direct", "online", "post"],
        )
    return ward, staff


def worker_receive(url: str, clients: int, per_client: int) -> None:
    _db.django_setup(url)
    from django.db import connection

    from motcua.dossiers.demo import fake_citizen
    from motcua.dossiers.services import dossier_receive

    ward, staff = _office()
    import random

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)
    procedures = ["1.001193", "1.000656", "2.000815", "1.004227", "1.001022"]

    def client(i: int) -> None:
        rng = random.Random(1000 + i + int(time.time()))
        mine: list[float] = []
        barrier.wait()
        for _ in range(per_client):
            t0 = time.perf_counter()
            try:
                dossier_receive(
                    procedure_code=rng.choice(procedures),
                    channel="direct",
                    citizen=fake_citizen(rng),
                    unit=ward,
                    actor=staff[i % len(staff)],
                )
            except Exception as exc:
                with lock:
                    errors.append(repr(exc))
                continue
            mine.append(time.perf_counter() - t0)
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    n = len(latencies)
    p = lambda q: latencies[min(n - 1, int(q * n))] * 1000  # noqa: E731
    print(
        f"  {n} dossiers by {clients} concurrent clients in {wall:.2f} s: {n / wall:.1f} receipts/s; "
        f"latency p50 {p(0.5):.0f} ms, p95 {p(0.95):.0f} ms; errors {len(errors)}"
        + (f" (first: {errors[0]})" if errors else "")
    )


def worker_stats(url: str, rows: int, runs: int) -> None:
    _db.django_setup(url)
    from datetime import date, timedelta

    from django.db import connection

    from motcua.core import clock
    from motcua.dossiers.demo import seed_dossiers
    from motcua.dossiers.models import Dossier
    from motcua.dossiers.selectors import dossier_stats

    ward, _ = _office()
    have = Dossier.objects.count()
    if have < rows:
        t0 = time.perf_counter()
        seed_dossiers(count=rows - have, days=365, unit=ward, bulk=True)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        print(f"  seeded {rows - have} dossiers (bulk) in {time.perf_counter() - t0:.0f} s")
    total = Dossier.objects.count()
    today = clock.today()
    cases = [
        ("per unit, whole year", dict(group_by="unit")),
        (
            "per field, last 90 days",
            dict(group_by="field", date_from=today - timedelta(days=90), date_to=today),
        ),
        ("per month, whole year", dict(group_by="month")),
        (
            "per procedure, one month",
            dict(group_by="procedure", date_from=date(today.year, today.month, 1)),
        ),
    ]
    print(f"  {total} dossiers in the table")
    for label, kw in cases:
        timings = []
        for _ in range(runs):
            t0 = time.perf_counter()
            result = dossier_stats(**kw)
            timings.append(time.perf_counter() - t0)
        print(
            f"  stats {label}: median {statistics.median(timings) * 1000:.0f} ms "
            f"(min {min(timings) * 1000:.0f}, max {max(timings) * 1000:.0f}, {runs} runs; {len(result)} rows)"
        )


def worker_search(url: str, runs: int) -> None:
    """Search and worklist timings on the seeded table (first page and a deep keyset page)."""
    _db.django_setup(url)
    from motcua.dossiers.selectors import dossier_search, dossier_worklist
    from motcua.org.models import User

    user = User.objects.get(username="bench_tn0")

    def timed(label: str, fn) -> None:  # type: ignore[no-untyped-def]
        timings = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            timings.append(time.perf_counter() - t0)
        print(f"  {label}: median {statistics.median(timings) * 1000:.0f} ms ({runs} runs)")

    rows, cursor = dossier_search(user=user, limit=50)
    for _ in range(200):  # walk 10,000 rows deep with the cursor
        rows, cursor = dossier_search(user=user, limit=50, cursor=cursor)
    deep = cursor
    some = rows[0]
    timed("search newest first, page 1", lambda: dossier_search(user=user, limit=50))
    timed(
        "search page 201 (keyset cursor)", lambda: dossier_search(user=user, limit=50, cursor=deep)
    )
    timed("search by code", lambda: dossier_search(user=user, q=some.code))
    timed("search by ID number", lambda: dossier_search(user=user, q=some.citizen_id_number))
    names = [
        ("common name 'nguyen van an'", "nguyen van an"),
        ("rare name 'khuat thi ngoc'", "khuat thi ngoc"),
        ("part of a name 'thi thu'", "thi thu"),
    ]
    for label, q in names:
        timed(f"search by {label} (folded)", lambda q=q: dossier_search(user=user, q=q))
    from django.db import connection, transaction

    if connection.vendor == "postgresql":
        # Baseline in the same run: the same searches with the trigram index dropped inside a
        # transaction that is rolled back (DDL is transactional in PostgreSQL).
        class _Undo(Exception):
            pass

        try:
            with transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute("DROP INDEX IF EXISTS dossier_name_folded_trgm")
                for label, q in names:
                    timed(
                        f"search by {label}, WITHOUT trigram index",
                        lambda q=q: dossier_search(user=user, q=q),
                    )
                raise _Undo
        except _Undo:
            pass
    timed(
        "worklist overdue, first 50", lambda: list(dossier_worklist(user=user, kind="overdue")[:50])
    )
    timed(
        "worklist due within one working day",
        lambda: list(dossier_worklist(user=user, kind="due_soon")[:50]),
    )
    from motcua.dossiers.selectors import dossier_worklist_page

    wl_cursor = ""
    for _ in range(200):  # 10,000 rows deep into the newest-first list
        _rows, wl_cursor = dossier_worklist_page(user=user, kind="all", cursor=wl_cursor)
    timed(
        "worklist 'all' page 201 (keyset cursor)",
        lambda: dossier_worklist_page(user=user, kind="all", cursor=wl_cursor),
    )
    timed(
        "worklist 'all' page 201 by OFFSET (the old way, for comparison)",
        lambda: list(dossier_worklist(user=user, kind="all")[10_000:10_051]),
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--only", choices=["receive", "stats", "search"])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--per-client", type=int, default=40)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--worker", choices=["receive", "stats", "search"])
    ap.add_argument("--db")
    args = ap.parse_args()
    if args.worker == "receive":
        worker_receive(args.db, args.clients, args.per_client)
        return
    if args.worker == "stats":
        worker_stats(args.db, args.rows, args.runs)
        return
    if args.worker == "search":
        worker_search(args.db, args.runs)
        return
    pg = _db.ensure_pg_db()
    if args.only in (None, "receive"):
        with tempfile.TemporaryDirectory() as tmp:
            print(f"receive, SQLite (WAL, file), {args.clients} clients:")
            _db.child(
                __file__,
                "--worker",
                "receive",
                "--db",
                f"sqlite:///{tmp}/bench.sqlite3",
                "--clients",
                str(args.clients),
                "--per-client",
                str(args.per_client),
            )
        print(f"receive, PostgreSQL, {args.clients} clients:")
        _db.child(
            __file__,
            "--worker",
            "receive",
            "--db",
            pg,
            "--clients",
            str(args.clients),
            "--per-client",
            str(args.per_client),
        )
    if args.only in (None, "stats"):
        print(f"statistics, PostgreSQL, {args.rows} dossiers:")
        _db.child(
            __file__,
            "--worker",
            "stats",
            "--db",
            pg,
            "--rows",
            str(args.rows),
            "--runs",
            str(args.runs),
        )
    if args.only in (None, "search"):
        print("search and worklists, PostgreSQL (the table seeded above):")
        _db.child(__file__, "--worker", "search", "--db", pg, "--runs", str(args.runs))


if __name__ == "__main__":
    main()
