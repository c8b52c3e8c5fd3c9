"""`motcua exchange-send`: send the packages waiting for the exchange platform (outbox)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from motcua.correspondence.services import exchange_send_queued


class Command(BaseCommand):
    help = "Gửi lên trục liên thông các văn bản đang chờ gửi cho cơ quan ngoài hệ thống."

    def handle(self, *args: Any, **options: Any) -> None:
        sent, failed = exchange_send_queued()
        self.stdout.write(f"Đã gửi {sent} gói tin, {failed} gói tin chưa gửi được (sẽ thử lại).")
