"""`motcua payments-standin`: the local stand-in payment gateway (tests, the demo, make run)."""

from __future__ import annotations

from motcua.core.standin import StandinCommand
from motcua.payments.gateways import conf
from motcua.payments.standin import StandinGateway


class Command(StandinCommand):
    help = "Chạy cổng thanh toán mô phỏng (tạo đơn, trang thanh toán, thông báo kết quả có ký)."
    default_port = 8765

    def standin(self) -> StandinGateway:
        merchant = conf("PAYMENT_GATEWAY_MERCHANT")
        return StandinGateway(secrets_by_merchant={merchant: conf("PAYMENT_GATEWAY_SECRET")})

    def banner(self, standin: StandinGateway) -> str:
        (merchant,) = standin.secrets
        return f"Cổng thanh toán mô phỏng: {standin.base_url} (đơn vị {merchant}); Ctrl+C để dừng."
