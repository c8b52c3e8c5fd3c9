"""System checks of the payments app: a production start refuses the stand-in's secrets and
starts only with the agency's receipt-signing certificate in place (receipts are signed at issue)."""

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


@register()
def signing_certificate_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from motcua.payments.xmlsign import signing_paths

    if settings.DEBUG or demo_mode():
        return []
    missing = [str(p) for p in signing_paths() if not p.is_file()]
    if missing:
        return [
            Error(
                "Không có chứng thư số để ký biên lai điện tử ("
                + ", ".join(missing)
                + "): biên lai được ký khi lập, nên không thu được phí, lệ phí.",
                hint="Đặt RECEIPT_SIGNING_KEY và RECEIPT_SIGNING_CERT trỏ tới khóa và chứng thư "
                "số của đơn vị (PEM).",
                id="motcua.payments.E002",
            )
        ]
    return []
