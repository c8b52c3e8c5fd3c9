"""Load the demo office. Idempotent: a second run keeps what is there and adds nothing twice."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Nạp dữ liệu mẫu: đơn vị, cán bộ, công dân, thủ tục, quầy, lịch sử 90 ngày."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--citizens", type=int, default=0, help="thêm N công dân (nạp khối lớn)"
        )
        parser.add_argument("--dossiers", type=int, default=0, help="thêm M hồ sơ (nạp khối lớn)")
        parser.add_argument("--no-history", action="store_true", help="không sinh lịch sử 90 ngày")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        from motcua.web.demo import seed_all

        started = time.monotonic()
        summary = seed_all(
            citizens=opts["citizens"],
            dossiers=opts["dossiers"],
            history=not opts["no_history"],
            log=lambda msg: self.stdout.write(msg),
        )
        for key, value in summary.items():
            self.stdout.write(f"  {key}: {value}")
        self.stdout.write(
            self.style.SUCCESS(f"Xong dữ liệu mẫu trong {time.monotonic() - started:.1f} s")
        )
