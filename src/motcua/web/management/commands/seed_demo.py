"""Load the demo office. Idempotent: a second run keeps what is there and adds nothing twice."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# Counts in seed_all's summary that are what a run created (the others are catalogue totals).
_ADDED_KEYS = {
    "công dân mẫu",
    "lịch hẹn sắp tới",
    "hồ sơ 90 ngày",
    "lượt xếp hàng",
    "đánh giá",
    "công dân thêm",
    "hồ sơ thêm",
}


class Command(BaseCommand):
    help = "Nạp dữ liệu mẫu: đơn vị, cán bộ, công dân, thủ tục, quầy, lịch sử 90 ngày."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--citizens", type=int, default=0, help="thêm N công dân (nạp khối lớn)"
        )
        parser.add_argument("--dossiers", type=int, default=0, help="thêm M hồ sơ (nạp khối lớn)")
        parser.add_argument("--no-history", action="store_true", help="không sinh lịch sử 90 ngày")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        from motcua.web.demo import demo_present, demo_totals, seed_all

        if not settings.MOTCUA_DEMO:
            raise CommandError(
                "Dữ liệu mẫu chỉ nạp ở chế độ demo: nó tạo tài khoản `admin` và khoảng 20 cán "
                "bộ với mật khẩu công khai `motcua-demo`. Chạy `MOTCUA_DEMO=1 motcua seed-demo` "
                "(như `make setup`, `make run`) trên một cơ sở dữ liệu dành cho demo; hệ thống "
                "thật không được khởi động trên cơ sở dữ liệu đó."
            )
        started = time.monotonic()
        present = demo_present()
        summary = seed_all(
            citizens=opts["citizens"],
            dossiers=opts["dossiers"],
            history=not opts["no_history"],
            log=lambda msg: self.stdout.write(msg),
        )
        # Report totals, not this run's additions: "0 hồ sơ" on a second run read like lost data.
        added = {k: v for k, v in summary.items() if k in _ADDED_KEYS and v}
        if present and not added:
            self.stdout.write("Dữ liệu mẫu đã có sẵn từ lần chạy trước; không thêm gì trùng lặp.")
        elif added:
            self.stdout.write("Lần chạy này thêm mới:")
            for key, value in added.items():
                self.stdout.write(f"  {key}: {value}")
        self.stdout.write("Dữ liệu hiện có:")
        for key, value in demo_totals().items():
            self.stdout.write(f"  {key}: {value}")
        self.stdout.write(
            self.style.SUCCESS(f"Xong dữ liệu mẫu trong {time.monotonic() - started:.1f} s")
        )
