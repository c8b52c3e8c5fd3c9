"""`motcua postal-standin`: the local stand-in public postal operator (tests, the demo, make run)."""

from __future__ import annotations

from typing import Any

from motcua.core.standin import StandinCommand
from motcua.delivery.postal import conf
from motcua.delivery.standin import StandinPostal, start_progress


class Command(StandinCommand):
    help = "Chạy dịch vụ bưu chính mô phỏng (tạo đơn, cấp số vận đơn, gửi trạng thái có ký)."
    default_port = 8766
    progress = 20.0

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--progress",
            type=float,
            default=20.0,
            help="Bưu gửi tự chuyển sang bước tiếp theo sau ngần ấy giây (0: chỉ chuyển bằng tay).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.progress = float(options["progress"])
        super().handle(*args, **options)

    def standin(self) -> StandinPostal:
        postal = StandinPostal(
            secrets_by_customer={conf("POSTAL_CUSTOMER_CODE"): conf("POSTAL_SECRET")},
            window=int(conf("POSTAL_WEBHOOK_WINDOW")),
        )
        if self.progress > 0:
            start_progress(postal, self.progress)
        return postal

    def banner(self, standin: StandinPostal) -> str:
        (customer,) = standin.secrets
        moving = (
            f"bưu gửi tự chuyển bước sau mỗi {standin.progress_seconds:g} giây; "
            if standin.progress_seconds
            else ""
        )
        return (
            f"Bưu chính mô phỏng: {standin.base_url} (khách hàng {customer}); {moving}"
            'POST /standin/orders/<số vận đơn>/events {"status": "delivered"} để phát; Ctrl+C để dừng.'
        )
