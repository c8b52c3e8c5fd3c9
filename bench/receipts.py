"""Receipt issuing throughput: cash payments confirmed (each issues its e-receipt) per second.

    .venv/bin/python bench/receipts.py                      # 1 and 20 threads, SQLite and PostgreSQL
    .venv/bin/python bench/receipts.py --per-thread 50 --only sqlite

Each confirmation runs `payment_confirm` through the service: the payment row locked, the
series' counter row (core.Sequence) locked and bumped, the receipt's XML signed twice (the
document and its public copy, RSA-2048) and written with it, the audit row. The
dossiers and pending payments are made before the clock starts; each run issues on a fresh
series, so its numbers must come out 1..N with no gap and no duplicate (checked and printed).
Each database runs in its own child process (DATABASE_URL is read when Django starts):
SQLite in a temporary file, PostgreSQL in a database `motcua_bench` (created when missing).
"""

from __future__ import annotations

import _db  # first: it takes bench/ off the import path (bench/queue.py shadows queue)

# isort: split
import argparse
import os
import tempfile
import threading
import time

THREADS = 20


def _office():  # type: ignore[no-untyped-def]
    """A ward with 20 reception officials and a priced procedure (idempotent)."""
    ward, staff = _db.office(
        code="BENCHR",
        agency_code="000.00.98.H26",
        name="Phường Thử Thu Phí",
        reception=[(f"bench_thu{i}", f"Thu Ngân {i}") for i in range(THREADS)],
    )
    _db.procedure(
        "2.000884",
        ("chung-thuc", "Chứng thực"),
        name="Chứng thực chữ ký",
        time_unit="working_days",
        time_value=1,
        fees=[{"name": "Phí chứng thực chữ ký", "kind": "phi", "amount": 10000}],
        papers=[],
        channels=["direct"],
    )
    return ward, staff


def worker(url: str, threads: int, per_thread: int) -> None:
    _db.django_setup(url)
    if not os.environ.get("RECEIPT_SIGNING_KEY"):  # receipts are signed at issue
        from pathlib import Path

        from motcua.payments.xmlsign import create_test_certificate

        key, cert = create_test_certificate(Path(tempfile.mkdtemp(prefix="bench-sign-")))
        os.environ["RECEIPT_SIGNING_KEY"], os.environ["RECEIPT_SIGNING_CERT"] = str(key), str(cert)
    import random

    from django.db import connection

    from motcua.core import clock
    from motcua.dossiers.demo import fake_citizen
    from motcua.dossiers.services import dossier_receive
    from motcua.payments import services
    from motcua.payments.models import ReceiptSeries

    ward, staff = _office()
    ReceiptSeries.objects.filter(unit=ward).update(active=False)
    series = ReceiptSeries.objects.create(
        unit=ward,
        template_number="01BLP0-001",
        symbol=f"B{int(time.time()) % 10**8}",
        year=clock.today().year,
    )
    rng = random.Random(7)
    work: list[list[object]] = [[] for _ in range(threads)]
    for i in range(threads):
        officer = staff[i]
        for _ in range(per_thread):
            d = dossier_receive(
                procedure_code="2.000884",
                channel="direct",
                citizen=fake_citizen(rng),
                unit=ward,
                actor=officer,
            )
            work[i].append(services.payment_create(dossier=d, method="cash", actor=officer))
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def run(i: int) -> None:
        mine: list[float] = []
        barrier.wait()
        for payment in work[i]:
            t0 = time.perf_counter()
            try:
                services.payment_confirm(payment=payment, actor=staff[i])  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001  (counted and printed)
                with lock:
                    errors.append(repr(exc))
                continue
            mine.append(time.perf_counter() - t0)
        connection.close()
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    n = len(latencies)
    numbers = sorted(series.receipts.values_list("number", flat=True))
    gapless = numbers == list(range(1, len(numbers) + 1))

    def p(q: float) -> float:
        return latencies[min(n - 1, int(q * n))] * 1000 if n else 0.0

    print(
        f"  {threads} thread(s): {n} receipts in {wall:.2f} s = {n / wall:.1f} receipts/s; "
        f"latency p50 {p(0.5):.0f} ms, p95 {p(0.95):.0f} ms; errors {len(errors)}; "
        f"numbers 1..{numbers[-1] if numbers else 0} {'gapless, unique' if gapless else 'NOT GAPLESS'}"
        + (f" (first error: {errors[0]})" if errors else "")
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--only", choices=["sqlite", "postgresql"])
    ap.add_argument("--per-thread", type=int, default=25, help="receipts per thread (20 threads)")
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--db")
    args = ap.parse_args()
    if args.worker:
        worker(args.db, args.threads, args.per_thread)
        return
    total = THREADS * args.per_thread
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            db = f"sqlite:///{tmp}/bench.sqlite3"
            print("SQLite (WAL, file):")
            _db.child(
                __file__, "--worker", "--db", db, "--threads", "1", "--per-thread", str(total)
            )
            _db.child(
                __file__,
                "--worker",
                "--db",
                db,
                "--threads",
                str(THREADS),
                "--per-thread",
                str(args.per_thread),
            )
    if args.only in (None, "postgresql"):
        pg = _db.ensure_pg_db()
        print("PostgreSQL:")
        _db.child(__file__, "--worker", "--db", pg, "--threads", "1", "--per-thread", str(total))
        _db.child(
            __file__,
            "--worker",
            "--db",
            pg,
            "--threads",
            str(THREADS),
            "--per-thread",
            str(args.per_thread),
        )


if __name__ == "__main__":
    main()
