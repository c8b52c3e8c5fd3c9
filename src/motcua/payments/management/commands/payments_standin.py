"""`motcua payments-standin`: the local stand-in payment gateway (tests, the demo, make run)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from motcua.payments.gateways import conf
from motcua.payments.standin import StandinGateway


class Command(BaseCommand):
    help = "Chạy cổng thanh toán mô phỏng (tạo đơn, trang thanh toán, thông báo kết quả có ký)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, *args: Any, **options: Any) -> None:
        merchant = conf("PAYMENT_GATEWAY_MERCHANT")
        gateway = StandinGateway(secrets_by_merchant={merchant: conf("PAYMENT_GATEWAY_SECRET")})
        server = gateway.serve(options["host"], options["port"])
        self.stdout.write(
            f"Cổng thanh toán mô phỏng: {gateway.base_url} (đơn vị {merchant}); Ctrl+C để dừng."
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
