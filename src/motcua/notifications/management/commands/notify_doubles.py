"""`motcua notify-doubles`: the local SMS gateway, Zalo (ZNS and Official Account) and SMTP
stand-ins (tests, the demo)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from motcua.core.standin import run_until_interrupted
from motcua.notifications.channels import DEFAULT_ZALO_TEMPLATES, conf, zalo_template
from motcua.notifications.standins import SmsStandin, SmtpStandin, ZaloStandin


def _port(url: str) -> int:
    return urlsplit(url).port or 80


class Command(BaseCommand):
    help = (
        "Chạy các máy chủ mô phỏng gửi thông báo: cổng SMS thương hiệu, Zalo (ZNS và Official "
        "Account) và SMTP."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--sms-port", type=int, default=_port(conf("NOTIFY_SMS_URL")))
        parser.add_argument("--zalo-port", type=int, default=_port(conf("NOTIFY_ZALO_URL")))
        parser.add_argument("--smtp-port", type=int, default=int(conf("NOTIFY_SMTP_PORT")))

    def handle(self, *args: Any, **options: Any) -> None:
        host = options["host"]
        sms = SmsStandin(secret=conf("NOTIFY_SMS_SECRET"), brandname=conf("NOTIFY_SMS_BRANDNAME"))
        zalo = ZaloStandin(
            token=conf("NOTIFY_ZALO_TOKEN"),
            templates={zalo_template(kind) for kind in DEFAULT_ZALO_TEMPLATES},
            oa_token=conf("NOTIFY_ZALO_OA_TOKEN"),
            oa_app_id=conf("NOTIFY_ZALO_OA_APP_ID"),
            oa_secret=conf("NOTIFY_ZALO_OA_SECRET"),
        )
        try:
            smtp = SmtpStandin().start(host, options["smtp_port"])
        except ImportError as exc:
            raise CommandError("Cần cài aiosmtpd (pip install -e '.[dev]').") from exc
        sms.start_in_thread(host, options["sms_port"])
        zalo_server = zalo.serve(host, options["zalo_port"])
        run_until_interrupted(
            self.stdout,
            f"SMS: {sms.base_url} · Zalo ZNS và OA: {zalo.base_url} · "
            f"SMTP: {smtp.host}:{smtp.port}; "
            "Ctrl+C để dừng.",
            zalo_server,
            also_stop=(sms.stop, smtp.stop),
        )
