"""Serve the office: the ASGI app under uvicorn plus the Huey job worker, until Ctrl+C.

`--workers N` (or WEB_CONCURRENCY) runs N server processes on one port; they share everything
that must be shared (database, the `ratelimit` cache, Redis when REDIS_URL is set). uvicorn
uses httptools and uvloop when installed (`uvicorn[standard]`).

`--standins` (what `make run` uses, demo mode only) also starts the local stand-ins of the
outside services on their default ports: the payment gateway, the postal operator, the SMS /
Zalo ZNS / SMTP doubles, the document-exchange platform and the Zalo OA / Facebook
Page doubles of campaigns, so the demo can pay online, post a
result and send messages with nothing on the internet.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError

from motcua.core.standin import STANDINS, start_processes, stop_processes

__all__ = ["STANDINS", "Command"]


class Command(BaseCommand):
    help = "Phục vụ hệ thống tại http://127.0.0.1:PORT (ASGI + tiến trình xử lý nền)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "1")),
            help="số tiến trình máy chủ web (mặc định 1, hoặc WEB_CONCURRENCY)",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="không chạy tiến trình nền Huey"
        )
        parser.add_argument(
            "--standins",
            action="store_true",
            help="chạy kèm các máy chủ mô phỏng dịch vụ bên ngoài (chỉ ở chế độ trình diễn)",
        )

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        import uvicorn

        from motcua.web.production import production, refusal_message, start_problems

        if production():
            self.stdout.write("Chạy thật: kiểm tra tài khoản và dữ liệu mẫu…")
            problems = start_problems()
            if problems:
                raise CommandError(refusal_message(problems))
        helpers: list[subprocess.Popen[bytes]] = []
        if opts["standins"]:
            from django.conf import settings

            if not settings.MOTCUA_DEMO:
                raise CommandError(
                    "--standins chỉ dùng ở chế độ trình diễn (MOTCUA_DEMO=1): khi chạy thật, "
                    "hệ thống kết nối tới dịch vụ thật theo các biến môi trường."
                )
            helpers = start_processes()
        worker = None
        if not opts["no_worker"]:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "motcua",
                    "run_huey",
                    "--workers",
                    "2",
                    "--worker-type",
                    "thread",
                ]
            )
        from django.db import connections

        from motcua.core.dbstats import sqlite_optimize

        sqlite_optimize()  # SQLite: the planner's statistics fresh from the start (hourly after)
        connections.close_all()  # the system checks' connection: not held for the server's life
        workers = max(1, opts["workers"])
        self.stdout.write(
            f"motcua: http://{opts['host']}:{opts['port']}/  "
            f"({workers} tiến trình web; Ctrl+C để dừng)"
        )
        self.stdout.flush()
        try:
            uvicorn.run(
                "motcua.asgi:application",
                host=opts["host"],
                port=opts["port"],
                log_level="warning",
                workers=workers,
                timeout_graceful_shutdown=3,
                # The client address behind a proxy is the app's decision (TRUSTED_PROXIES,
                # web.proxy), not uvicorn's default trust of 127.0.0.1.
                proxy_headers=False,
            )
        finally:
            stop_processes(helpers)
            if worker is not None:
                worker.send_signal(signal.SIGINT)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
