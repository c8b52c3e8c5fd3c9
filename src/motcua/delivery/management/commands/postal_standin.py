"""`motcua postal-standin`: the local stand-in public postal operator (tests, the demo, make run)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from motcua.delivery.postal import conf
from motcua.delivery.standin import StandinPostal


class Command(BaseCommand):
    help = "Chạy dịch vụ bưu chính mô phỏng (tạo đơn, cấp số vận đơn, gửi trạng thái có ký)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8766)

    def handle(self, *args: Any, **options: Any) -> None:
        customer = conf("POSTAL_CUSTOMER_CODE")
        postal = StandinPostal(
            secrets_by_customer={customer: conf("POSTAL_SECRET")},
            window=int(conf("POSTAL_WEBHOOK_WINDOW")),
        )
        server = postal.serve(options["host"], options["port"])
        self.stdout.write(
            f"Bưu chính mô phỏng: {postal.base_url} (khách hàng {customer}); "
            'POST /standin/orders/<số vận đơn>/events {"status": "delivered"} để phát; Ctrl+C để dừng.'
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
