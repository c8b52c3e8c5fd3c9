"""`motcua campaign-doubles`: the local Zalo OA (articles) and Facebook Page stand-ins."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand

from motcua.campaigns.channels import conf
from motcua.campaigns.standins import configured_standins
from motcua.core.standin import run_until_interrupted


def _port(url: str) -> int:
    return urlsplit(url).port or 80


class Command(BaseCommand):
    help = "Chạy các máy chủ mô phỏng đăng bài: Zalo Official Account và trang Facebook."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--zalo-port", type=int, default=_port(conf("CAMPAIGN_ZALO_URL")))
        parser.add_argument(
            "--facebook-port", type=int, default=_port(conf("CAMPAIGN_FACEBOOK_URL"))
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host = options["host"]
        zalo, facebook = configured_standins()
        zalo.start_in_thread(host, options["zalo_port"])
        server = facebook.serve(host, options["facebook_port"])
        run_until_interrupted(
            self.stdout,
            f"Zalo OA: {zalo.base_url} · Facebook: {facebook.base_url}; Ctrl+C để dừng.",
            server,
            also_stop=[zalo.stop],
        )
