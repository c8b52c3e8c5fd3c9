"""`motcua calendar-crosscheck`: list the days where the `holidays` package disagrees with us."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def _state(working: bool) -> str:
    return "làm việc" if working else "nghỉ"


class Command(BaseCommand):
    help = (
        "Đối chiếu lịch chính thức với gói holidays: liệt kê những ngày hai bên khác nhau "
        "(làm việc hay nghỉ). Mặc định: các năm có trong tệp lịch chính thức."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", action="append", dest="years", help="năm, có thể lặp lại")

    def handle(self, *args: Any, **options: Any) -> None:
        from motcua.worktime.official import shipped_calendar
        from motcua.worktime.selectors import calendar_disagreements

        try:
            years = [int(y) for y in options.get("years") or []] or list(shipped_calendar()[0])
        except ValueError:
            raise CommandError("Năm phải là số, ví dụ --year 2027.", returncode=2)
        rows = calendar_disagreements(years)
        if not rows:
            self.stdout.write(f"Không có ngày nào khác nhau trong các năm {years}.")
            return
        for r in rows:
            self.stdout.write(
                f"{r.date:%d/%m/%Y}\tlịch chính thức: {_state(r.ours_working)}"
                + (f" ({r.ours})" if r.ours else "")
                + f"\tgói holidays: {_state(r.package_working)}"
                + (f" ({r.package})" if r.package else "")
            )
        self.stdout.write(f"{len(rows)} ngày khác nhau.")
