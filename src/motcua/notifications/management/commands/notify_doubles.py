"""`motcua notify-doubles`: the local SMS gateway, Zalo (ZNS and Official Account messages),
SMTP stand-ins and, for campaigns, the Zalo OA articles and Facebook Page stand-ins (tests, the
demo; issue 13 names this one command for all of them). `campaign-doubles` starts the last two
alone."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from motcua.campaigns.channels import conf as campaign_conf
from motcua.campaigns.standins import configured_standins
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
        parser.add_argument(
            "--zalo-oa-port", type=int, default=_port(campaign_conf("CAMPAIGN_ZALO_URL"))
        )
        parser.add_argument(
            "--facebook-port", type=int, default=_port(campaign_conf("CAMPAIGN_FACEBOOK_URL"))
        )
        parser.add_argument(
            "--no-campaigns",
            action="store_true",
            help="không chạy máy chủ mô phỏng Zalo OA (bài viết) và Facebook",
        )

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
        stops: list[Any] = [sms.stop, smtp.stop]
        campaigns = ""
        if not options["no_campaigns"]:
            articles, facebook = configured_standins()
            articles.start_in_thread(host, options["zalo_oa_port"])
            facebook.start_in_thread(host, options["facebook_port"])
            stops += [articles.stop, facebook.stop]
            campaigns = (
                f" · Zalo OA (bài viết): {articles.base_url} · Facebook: {facebook.base_url}"
            )
        zalo_server = zalo.serve(host, options["zalo_port"])
        run_until_interrupted(
            self.stdout,
            f"SMS: {sms.base_url} · Zalo ZNS và OA: {zalo.base_url} · "
            f"SMTP: {smtp.host}:{smtp.port}{campaigns}; "
            "Ctrl+C để dừng.",
            zalo_server,
            also_stop=stops,
        )
