"""Two checkouts' queue compared over HTTP, in interleaved bursts (before/after a change).

    .venv/bin/python bench/ab_http.py --base /work/wt/base                     # SQLite
    .venv/bin/python bench/ab_http.py --base ../old --db postgres --rounds 8 --citizens 300

`bench/queue_http.py` run once on each checkout, one after the other, compares the machine as
much as the code: on a shared virtual machine the same code's rates moved by up to ×2 between
runs minutes apart. Here both servers run at once, each its checkout's own `src/` (PYTHONPATH),
its own database and port, 2 workers each; then in every round each side in turn (which goes
first alternates) checks in `--citizens` people at C=16, has 16 counters call and finish them
(two requests per citizen), checks in as many again and has the counters serve them with one
press of "next" each. The idle side waits meanwhile, so the two sides see the same minutes of
the machine and never load it at once.

Printed for each operation: the median (25th–75th percentile) over the rounds of the rate and
of the server's CPU per request (both worker processes and their parent), and the median of the
paired rounds' head ÷ base ratios with their middle half; every ticket checked in called exactly
once (duplicates, called twice, lost, errors: summed over the measured rounds, the warm-up's
not counted). A request that got no answer (reset, timeout) counts as an error. Nothing here is
timed in a test.
"""

from __future__ import annotations

import _db  # first: it takes bench/ off the import path (bench/queue.py shadows queue)

# isort: split
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = _db.ROOT
qh = _db.load("_bench_queue_http", "queue_http.py")
C = 16


class Side:
    """One checkout: its database, its server, its office and token."""

    def __init__(self, label: str, checkout: Path, db: str, port: int) -> None:
        self.label, self.checkout, self.port = label, checkout, port
        self.url = _db.fresh(db, f"motcua_bench_abhttp_{label}")
        env = {**_db.environ(self.url), "PYTHONPATH": str(checkout / "src")}
        for script in (
            ["-m", "motcua", "migrate", "--noinput", "-v", "0"],
            ["-c", qh.SETUP.format(tag=label, counters=C)],
        ):
            done = subprocess.run(  # noqa: S603 (this interpreter, the bench's own database)
                [sys.executable, *script], cwd=checkout, env=env, capture_output=True, text=True
            )
            if done.returncode:
                raise RuntimeError(done.stderr[-2000:])
        setup = json.loads(done.stdout.strip().splitlines()[-1])
        self.office, self.token, self.counters = setup["office"], setup["token"], setup["counters"]
        self.server = qh.Server(
            env={
                **env,
                "KIOSK_CHECK_IN_PER_MINUTE": "1000000000",
                "KIOSK_IDENTIFY_PER_MINUTE": "1000000000",
            },
            port=port,
            workers=2,
        )
        self.citizen = 0
        self.results: dict[str, list[tuple[float, float]]] = {}
        self.faults: Counter[str] = Counter()

    def _timed(self, name: str, fn: Any) -> Any:
        """Run `fn()` -> (units done, requests, extra); keep (units/s, server ms per request)."""
        cpu0, t0 = self.server.cpu_seconds(), time.perf_counter()
        units, requests, extra = fn()
        wall, cpu = time.perf_counter() - t0, self.server.cpu_seconds() - cpu0
        self.results.setdefault(name, []).append((units / wall, 1e3 * cpu / max(requests, 1)))
        return extra

    def _post(self, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, answer) of the official's POST; 0 for a request with no answer (reset,
        timeout)."""
        try:
            status, answer, _ = qh._request(self.port, "POST", path, body=body, token=self.token)
        except OSError:
            return 0, None
        return status, answer

    def _issue(self) -> tuple[int, int, set[str]]:
        """(tickets issued, requests, their numbers): `--citizens` check-ins at C=16."""
        numbers = list(range(self.citizen, self.citizen + ARGS.citizens))
        self.citizen += ARGS.citizens

        def check_in(n: int) -> tuple[int, Any]:
            try:
                status, answer, _ = qh._check_in(self.office, n, port=self.port)
            except OSError:
                return 0, None
            return status, answer

        res, _ = qh._run(C, numbers, check_in)
        ok = [r[1]["ticket"] for r in res if r[0] == 201]
        self.faults["errors"] += len(numbers) - len(ok)
        self.faults["duplicates"] += len(ok) - len(set(ok))
        return len(ok), len(numbers), set(ok)

    def _serve(self, issued: set[str], press: bool) -> tuple[int, int, None]:
        """The counters serve the line until it is empty: a call and a finish per citizen, or
        one press of "next" that names the ticket it ends. A desk stops after 5 refused calls
        in a row, or at a refused finish (its ticket stays called: every call after it would
        be refused as busy)."""
        called: list[str] = []
        requests = [0]
        lock = threading.Lock()

        def desk(counter_id: int) -> None:
            current: str | None = None
            failed = 0
            while failed < 5:
                body = {"end": "finish", "ticket": current} if press and current else None
                status, answer = self._post(f"/api/v1/counters/{counter_id}/call-next", body)
                with lock:
                    requests[0] += 1
                if status == 204:
                    return
                if status != 200:
                    failed += 1
                    with lock:
                        self.faults["errors"] += 1
                    continue
                failed, current = 0, answer["ticket"]
                with lock:
                    called.append(current)
                if not press:
                    status, _ = self._post(
                        f"/api/v1/counters/{counter_id}/tickets/current/finish", {}
                    )
                    with lock:
                        requests[0] += 1
                        self.faults["errors"] += status != 200
                    if status != 200:
                        return

        qh._counters_together(self.counters, desk)
        self.faults["called twice"] += len(called) - len(set(called))
        self.faults["lost"] += len(issued - set(called))
        return len(called), requests[0], None

    def round(self) -> None:
        issued = self._timed("issue a ticket", self._issue)
        self._timed("call next + finish (citizens/s)", lambda: self._serve(issued, press=False))
        issued = self._issue()[2]
        self._timed("next, one press (citizens/s)", lambda: self._serve(issued, press=True))


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else values * 3
    return q[0], statistics.median(values), q[2]


def _report(base: Side, head: Side) -> None:
    print("| operation | base: rate (p25–p75) | head | head ÷ base (middle half) | server CPU ms/request base | head | head ÷ base |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in base.results:
        cells = []
        for i in (0, 1):
            b = [r[i] for r in base.results[name]]
            h = [r[i] for r in head.results[name]]
            ratios = [y / x for x, y in zip(b, h, strict=True) if x]
            b25, bm, b75 = _quartiles(b)
            h25, hm, h75 = _quartiles(h)
            digits = 0 if i == 0 else 2
            cells += [
                f"{bm:,.{digits}f} ({b25:,.{digits}f}–{b75:,.{digits}f})",
                f"{hm:,.{digits}f} ({h25:,.{digits}f}–{h75:,.{digits}f})",
            ]
            if ratios:  # the median of the paired rounds' ratios, and their middle half
                lo, mid, hi = _quartiles(ratios)
                cells.append(f"×{mid:.2f} (×{lo:.2f}–×{hi:.2f})")
            else:
                cells.append("–")
        print(f"| {name} | " + " | ".join(cells) + " |")
    for side in (base, head):
        faults = ", ".join(f"{k} {side.faults[k]}" for k in ("duplicates", "called twice", "lost", "errors"))  # fmt: skip
        print(f"{side.label}: {faults}")


def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, type=Path, help="checkout of the code before")
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--citizens", type=int, default=300, help="checked in per phase")
    parser.add_argument("--warmup", type=int, default=1, help="rounds not counted")
    ARGS = parser.parse_args()
    base = Side("base", ARGS.base.resolve(), ARGS.db, 8771)
    head = Side("head", ROOT, ARGS.db, 8772)
    print(
        f"# {ARGS.db}, 2 workers each, C={C}: base {base.checkout} against {head.checkout}; "
        f"{ARGS.rounds} rounds of {ARGS.citizens} citizens per phase, interleaved; "
        f"{qh.machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        flush=True,
    )
    with base.server, head.server:
        for _ in range(ARGS.warmup):
            base.round()
            head.round()
        for side in (base, head):  # the warm-up's figures and faults are not reported
            side.results.clear()
            side.faults.clear()
        for r in range(ARGS.rounds):
            for side in (base, head) if r % 2 == 0 else (head, base):
                side.round()
            print(f"round {r + 1} done", file=sys.stderr, flush=True)
    _report(base, head)


ARGS: argparse.Namespace

if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
