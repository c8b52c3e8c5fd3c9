"""`motcua postal-standin`: the local stand-in public postal operator (tests, the demo, make run)."""

from __future__ import annotations

from motcua.core.standin import StandinCommand
from motcua.delivery.postal import conf
from motcua.delivery.standin import StandinPostal


class Command(StandinCommand):
    help = "Chạy dịch vụ bưu chính mô phỏng (tạo đơn, cấp số vận đơn, gửi trạng thái có ký)."
    default_port = 8766

    def standin(self) -> StandinPostal:
        return StandinPostal(
            secrets_by_customer={conf("POSTAL_CUSTOMER_CODE"): conf("POSTAL_SECRET")},
            window=int(conf("POSTAL_WEBHOOK_WINDOW")),
        )

    def banner(self, standin: StandinPostal) -> str:
        (customer,) = standin.secrets
        return (
            f"Bưu chính mô phỏng: {standin.base_url} (khách hàng {customer}); "
            'POST /standin/orders/<số vận đơn>/events {"status": "delivered"} để phát; Ctrl+C để dừng.'
        )
