"""System checks of the working calendar (`motcua check`)."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError


@checks.register("motcua")
def next_year_calendar_reviewed(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """In December, warn when next year's official calendar has not been reviewed.

    Deadlines of dossiers received in late December already run into next year, so the days
    off, swaps and make-up Saturdays of next year must be in place (and unconfirmed days
    decided where the notices are out) before the year starts.
    """
    from motcua.core import clock
    from motcua.worktime.models import CalendarYearReview, DayStatus, OfficialDay

    today = clock.today()
    if today.month != 12:
        return []
    year = today.year + 1
    try:
        if CalendarYearReview.objects.filter(year=year).exists():
            return []
        days = OfficialDay.objects.filter(date__year=year)
        total = days.count()
        unconfirmed = days.filter(status=DayStatus.UNCONFIRMED).count()
    except DatabaseError:
        # Before the first migrate there is no table to read: nothing to say yet.
        return []
    if total == 0:
        detail = f"Chưa có ngày nào của năm {year} trong lịch chính thức."
    else:
        detail = f"Lịch năm {year} có {total} ngày, {unconfirmed} ngày chưa xác nhận."
    return [
        checks.Warning(
            f"Lịch nghỉ lễ, làm bù năm {year} chưa được duyệt. {detail}",
            hint=(
                "Quản trị viên mở Quản trị › Lịch làm việc › Lịch nghỉ lễ, làm bù chính thức › "
                f"«Duyệt lịch năm {year}», đối chiếu với thông báo của Thủ tướng/Bộ Nội vụ, "
                "xác nhận hoặc loại bỏ các ngày chưa xác nhận rồi ghi nhận đã duyệt."
            ),
            id="worktime.W001",
        )
    ]
