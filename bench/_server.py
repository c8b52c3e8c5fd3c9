"""Start and stop the ASGI server for HTTP benchmarks: loopback only, bounded, always stopped.

    from _server import Server            # after putting bench/ on the path by file, see portal.py
    with Server(env={...}, port=8765, workers=2) as srv:
        ...                               # srv.url == "http://127.0.0.1:8765"

The server runs in its own process group so that stopping it ends uvicorn's worker processes
too (and only them): SIGTERM to the group, then SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
UVICORN = ROOT / ".venv" / "bin" / "uvicorn"


def machine_busy() -> tuple[int, int]:
    """(busy, total) CPU clock ticks of the whole machine so far, from /proc/stat (idle and
    iowait count as not busy; guest time is already inside user time)."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(values[:8])
    return total - (values[3] + values[4]), total


class Server:
    def __init__(
        self,
        *,
        env: dict[str, str],
        port: int = 8765,
        workers: int = 2,
        app: str = "motcua.asgi:application",
        ready_path: str = "/healthz",
        start_timeout: float = 90.0,
        log_path: str | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        self.extra_args = extra_args or []
        self.env = env
        self.port = port
        self.workers = workers
        self.app = app
        self.ready_path = ready_path
        self.start_timeout = start_timeout
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> Server:
        cmd = [
            str(UVICORN),
            self.app,
            "--host",
            "127.0.0.1",  # loopback only: nothing outside this machine reaches the bench server
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-access-log",
            "--log-level",
            "warning",
            *self.extra_args,
        ]
        # Kept open for the server's lifetime (closed in stop()), so no context manager here.
        self._log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd,
            cwd=str(ROOT),
            env={**os.environ, **self.env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early with code {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=5) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"server not ready on {self.url} after {self.start_timeout:.0f} s")

    def pids(self) -> list[int]:
        """The server's own process and its workers (children in its process group)."""
        if self.proc is None:
            return []
        out = [self.proc.pid]
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            ppid, pgid = int(fields[1]), int(fields[2])
            if pgid == self.proc.pid and int(entry.name) != self.proc.pid and ppid > 1:
                out.append(int(entry.name))
        return out

    def cpu_seconds(self) -> float:
        """User+system CPU seconds used so far by the server's processes (from /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self, grace: float = 15.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


if __name__ == "__main__":  # manual check: python bench/_server.py, Ctrl-C to stop
    with Server(env={}, port=int(sys.argv[1]) if len(sys.argv) > 1 else 8765) as s:
        print("serving on", s.url, "pids", s.pids())
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
