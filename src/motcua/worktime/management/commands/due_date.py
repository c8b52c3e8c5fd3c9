"""`motcua due-date`: print the due moment of a rule or a procedure received at a moment."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.errors import DomainError
from motcua.worktime.inputs import due_answer


class Command(BaseCommand):
    # A calculator: no need to run every project check before answering.
    requires_system_checks: list[str] = []

    help = (
        "In thời hạn giải quyết (ISO 8601, có múi giờ) cho một hồ sơ tiếp nhận tại một thời điểm. "
        "Ví dụ: motcua due-date --received 2026-04-29T09:00 --working-days 3"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # Values are parsed by due_answer so that every mistake gets the same Vietnamese message.
        parser.add_argument("--received", help="thời điểm tiếp nhận, ví dụ 2026-04-29T09:00")
        parser.add_argument("--working-days", dest="working_days", help="số ngày làm việc")
        parser.add_argument("--working-hours", dest="working_hours", help="số giờ làm việc")
        parser.add_argument("--calendar-days", dest="calendar_days", help="số ngày (theo lịch)")
        parser.add_argument(
            "--same-day", dest="same_day", action="store_true", help="trả trong ngày"
        )
        parser.add_argument("--procedure", help="mã thủ tục, ví dụ 1.001193")
        parser.add_argument("--cutoff", help="giờ chốt nhận trong ngày, ví dụ 15:00")
        parser.add_argument("--unit", help="mã đơn vị (lấy lịch, giờ làm việc của đơn vị)")
        parser.add_argument(
            "--explain",
            action="store_true",
            help="liệt kê các ngày nghỉ lễ, nghỉ hoán đổi, làm bù, ngày trực đã tính, kèm văn bản",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            answer = due_answer(
                received=options.get("received"),
                working_days=options.get("working_days"),
                working_hours=options.get("working_hours"),
                calendar_days=options.get("calendar_days"),
                procedure=options.get("procedure"),
                same_day=bool(options.get("same_day")),
                cutoff=options.get("cutoff"),
                unit=options.get("unit"),
                explain=bool(options.get("explain")),
            )
        except DomainError as exc:
            # Exit code 2 = bad input, as argparse does for usage errors.
            raise CommandError(exc.message, returncode=2)
        self.stdout.write(answer.due_at.isoformat())
        if answer.entries is None:
            return
        if not answer.entries:
            self.stdout.write("Không có ngày nghỉ lễ, nghỉ hoán đổi hay làm bù trong khoảng này.")
        for e in answer.entries:
            # One line per entry: date, kind, name, status, source (tab-separated for scripts).
            self.stdout.write(
                "\t".join(
                    (
                        f"{e.date:%d/%m/%Y}",
                        e.kind_label,
                        e.name,
                        e.status_label,
                        e.source,
                    )
                )
            )
