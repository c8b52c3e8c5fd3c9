"""System checks of the payments app: a production start refuses the stand-in's secrets."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import Error, register


def demo_mode() -> bool:
    """The demo office (MOTCUA_DEMO=1, or settings.MOTCUA["DEMO"]) may use the stand-in's defaults."""
    flag = getattr(settings, "MOTCUA", {}).get("DEMO")
    if flag is None:
        flag = os.environ.get("MOTCUA_DEMO", "")
    return str(flag).strip().lower() in ("1", "true", "yes", "on")


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
