"""System checks of the payments app: a production start refuses the stand-in's secrets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


def demo_mode() -> bool:
    """The demo office (settings.MOTCUA_DEMO, from MOTCUA_DEMO=1) may use the stand-in's defaults."""
    return bool(getattr(settings, "MOTCUA_DEMO", False))


@register()
def gateway_secret_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from motcua.payments.gateways import DEFAULTS, conf

    if settings.DEBUG or demo_mode():
        return []
    if conf("PAYMENT_GATEWAY_SECRET") == DEFAULTS["PAYMENT_GATEWAY_SECRET"]:
        return [
            Error(
                "PAYMENT_GATEWAY_SECRET vẫn là khóa mặc định của cổng thanh toán mô phỏng: "
                "ai cũng có thể giả thông báo thanh toán.",
                hint="Đặt biến môi trường PAYMENT_GATEWAY_SECRET bằng khóa cổng thanh toán cấp "
                "cho đơn vị (hoặc MOTCUA_DEMO=1 khi chạy bản trình diễn).",
                id="motcua.payments.E001",
            )
        ]
    return []
