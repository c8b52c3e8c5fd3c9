"""`motcua calendar-load`: load the shipped official calendar into the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Nạp lịch nghỉ lễ, nghỉ hoán đổi, nghỉ bù và làm bù chính thức (kèm văn bản) từ tệp "
        "worktime/data/calendar_vn.json. Ngày đã có quyết định của quản trị viên được giữ nguyên."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from motcua.worktime.services import official_calendar_load

        result = official_calendar_load()
        self.stdout.write(
            f"Lịch chính thức: thêm {result.created} ngày, cập nhật {result.updated} ngày, "
            f"giữ nguyên {result.kept_decided} ngày đã có quyết định."
        )
