"""What every local stand-in of an outside service shares (tests, the demo, `make run`).

A stand-in (payments/standin.py, delivery/standin.py, correspondence/standin.py,
notifications/standins.py) is a small HTTP server, standard library only, that speaks the
documented API shape of one provider and keeps its state in memory. `StandinServer` holds that
state and runs the server: `serve()` binds it (port 0 picks a free one), `start_in_thread()`
runs it in a daemon thread (tests), `stop()` ends it, `base_url` says where it listens. The
subclass names its request handler (`handler`, a `StandinHandler` whose `state` is the
stand-in) and implements only the provider's behaviour. `post_status()` is the outgoing side
(signed callbacks and webhooks to the office): the answer's status, 0 when nothing answered.

`StandinCommand` is the management command of one stand-in (`--host`, `--port` with the
adapter's default port, a banner, Ctrl+C to stop); `run_until_interrupted()` is its loop, also
used by `notify-doubles`. `STANDINS` and `start_processes()`/`stop_processes()` are what
`serve --standins` runs in demo mode.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from django.core.management.base import BaseCommand, OutputWrapper

# The stand-in commands `serve --standins` starts (each on the port its adapter's default URL names).
STANDINS = [
    "payments-standin",
    "postal-standin",
    "notify-doubles",
    "exchange-standin",
]  # notify-doubles also starts the campaigns' Zalo OA and Facebook stand-ins


class StandinHandler(BaseHTTPRequestHandler):
    """A request handler bound to its stand-in's state (`serve()` makes the bound subclass)."""

    state: Any
    # The JSON answers' bytes, as the provider sends them (some escape non-ASCII, some do not).
    json_content_type = "application/json; charset=utf-8"
    json_ensure_ascii = False

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet in tests; the command prints what matters

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        body = json.dumps(data, ensure_ascii=self.json_ensure_ascii).encode()
        self._send(status, body, self.json_content_type)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


class StandinServer:
    """The state of one stand-in and the HTTP server that serves it."""

    handler: type[StandinHandler]
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host}:{port}"

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
        bound = type("Handler", (self.handler,), {"state": self})
        self.server = ThreadingHTTPServer((host, port), bound)
        return self.server

    def start_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> Self:
        server = self.serve(host, port)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def post_status(url: str, body: bytes, headers: dict[str, str], *, timeout: float = 30) -> int:
    """POST to the office (a callback, a webhook); its HTTP status, 0 when nothing answered."""
    if not url.startswith(("http://", "https://")):
        return 0
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return 0


def run_until_interrupted(
    stdout: OutputWrapper,
    banner: str,
    server: ThreadingHTTPServer,
    *,
    also_stop: Iterable[Callable[[], None]] = (),
) -> None:
    """Print the banner, serve until Ctrl+C, then close the server and stop the others."""
    stdout.write(banner)
    stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        for stop in also_stop:
            stop()


class StandinCommand(BaseCommand):
    """`motcua <name>-standin`: one stand-in on `--host`/`--port` until Ctrl+C."""

    default_port: int

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=self.default_port)

    def standin(self) -> StandinServer:
        """The stand-in, configured from the adapter's settings."""
        raise NotImplementedError

    def banner(self, standin: Any) -> str:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        standin = self.standin()
        server = standin.serve(options["host"], options["port"])
        run_until_interrupted(self.stdout, self.banner(standin), server)


def start_processes() -> list[subprocess.Popen[bytes]]:
    """Every stand-in command in its own process (`serve --standins`)."""
    return [subprocess.Popen([sys.executable, "-m", "motcua", c]) for c in STANDINS]


def stop_processes(processes: list[subprocess.Popen[bytes]], *, grace: float = 5) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
