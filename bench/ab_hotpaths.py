"""Two checkouts' hot paths compared in process, in interleaved bursts (before/after a change).

    .venv/bin/python bench/ab_hotpaths.py --base /work/wt/base                # SQLite, --direct
    .venv/bin/python bench/ab_hotpaths.py --base ../old --db postgres --via asgi
    .venv/bin/python bench/ab_hotpaths.py --base ../old --bursts 30 --burst 40 --paths 0,2

On a shared virtual machine the speed of the same code drifts by a quarter within minutes, so
two runs of bench/profile_hotpaths.py one after the other (each some tens of seconds) compare
the machine as much as the code. Here both checkouts run at once: `profile_hotpaths.py
--worker` in each (this script's copy, the checkout's own `src/` on the import path, its own
database), both warmed up, then every path is run in short bursts alternating between the two
(which goes first alternates too), so that both sides see the same minutes of the machine. For
each path: the median, 25th and 75th percentile of the bursts' CPU per request (this process's
CPU only: on PostgreSQL the database server's time is not in it), and the ratio of the medians
with the range of the ratios of paired bursts (the middle half of them).

`--base` is a checkout of the code before the change (e.g. `git worktree add ../old <rev>` with
the same `.venv`); the other side is this checkout. Nothing here is timed in a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "profile_hotpaths.py"


class Worker:
    def __init__(self, label: str, checkout: Path, args: argparse.Namespace) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = env["BENCH_SRC"] = str(checkout / "src")
        env["BENCH_PROFILE_DB"] = f"motcua_bench_ab_{label}"
        cmd = [
            sys.executable,
            str(SCRIPT),
            "--worker",
            "--db",
            args.db,
            "--waiting",
            str(args.waiting),
        ]
        if args.via == "direct":
            cmd.append("--direct")
        else:
            cmd += ["--via", args.via]
        self.label = label
        self.proc = subprocess.Popen(  # noqa: S603 (this interpreter, this script)
            cmd, cwd=checkout, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.paths: list[str] = self._read()["paths"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                return json.loads(line)  # type: ignore[no-any-return]
        raise SystemExit(f"{self.label}: the worker ended (exit {self.proc.wait()})")

    def burst(self, index: int, count: int) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{index} {count}\n")
        self.proc.stdin.flush()
        return float(self._read()["cpu_ms"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _q(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=4, method="inclusive")[{0.25: 0, 0.75: 2}[q]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, help="the checkout before the change")
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgres"))
    parser.add_argument("--via", default="direct", choices=("direct", "client", "asgi"))
    parser.add_argument("--bursts", type=int, default=20, help="bursts per path and side")
    parser.add_argument("--burst", type=int, default=40, help="requests per burst")
    parser.add_argument("--waiting", type=int, default=40)
    parser.add_argument("--paths", default="", help="path indexes to run (default: all)")
    args = parser.parse_args()
    if not 1 <= args.bursts * args.burst < 5_000:
        parser.error("--bursts × --burst: 1 to 4,999 (each path's people have 10,000 numbers)")
    base = Path(args.base).resolve()
    if not (base / "src" / "motcua").is_dir():
        parser.error(f"--base {base}: not a checkout of motcua")
    sides = [Worker("base", base, args), Worker("head", ROOT, args)]
    try:
        names = sides[0].paths
        chosen = [int(x) for x in args.paths.split(",")] if args.paths else range(len(names))
        if any(not 0 <= i < len(names) for i in chosen):
            parser.error(f"--paths: indexes 0 to {len(names) - 1}: " + "; ".join(
                f"{i} {name}" for i, name in enumerate(names)))  # fmt: skip
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(
            f"# {args.db}, {args.via}: base {base} against {ROOT}; {args.bursts} bursts of "
            f"{args.burst} requests per path and side, interleaved; load average "
            f"{' '.join(load)}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
        )
        print(
            "| path | base CPU/request, ms: median (p25–p75) | head | head ÷ base (paired, middle half) |"
        )
        print("|---|---:|---:|---:|")
        for index in range(len(names)):
            # Every path runs (each leaves the counters as the next expects); only the chosen
            # ones are measured at length, and the check-in (path 0) always is: its people are
            # the line the calls and finishes after it take from.
            bursts = args.bursts if index in chosen or index == 0 else 1
            got: dict[str, list[float]] = {"base": [], "head": []}
            for b in range(bursts):
                order = sides if b % 2 == 0 else sides[::-1]
                for side in order:
                    got[side.label].append(side.burst(index, args.burst))
            if index not in chosen:
                continue
            before, after = got["base"], got["head"]
            ratios = sorted(a / b for a, b in zip(after, before, strict=True))
            mid = ratios[len(ratios) // 4 : len(ratios) - len(ratios) // 4] or ratios

            def cell(v: list[float]) -> str:
                if len(v) < 2:
                    return f"{v[0]:.2f}"
                return f"{statistics.median(v):.2f} ({_q(v, 0.25):.2f}–{_q(v, 0.75):.2f})"

            ratio = statistics.median(after) / statistics.median(before)
            print(
                f"| {names[index]} | {cell(before)} | {cell(after)} | "
                f"×{ratio:.2f} (×{mid[0]:.2f}–×{mid[-1]:.2f}) |",
                flush=True,
            )
    finally:
        for side in sides:
            side.close()


if __name__ == "__main__":
    main()
