"""Shared values of the home-visit tests."""

from __future__ import annotations

from datetime import datetime

from motcua.core import clock

# A Tuesday, before the morning window opens (working day in the official calendar).
TUESDAY_EARLY = datetime(2026, 11, 17, 6, 30, tzinfo=clock.VN_TZ)
# A CCCD of someone born in 1940 (Hà Nội, male, 20th century).
OLD_ID = "001040123456"
YOUNG_ID = "001090123456"


def book_kwargs(home, **over):  # type: ignore[no-untyped-def]
    from datetime import date

    kw = dict(
        unit=home.ward, version=home.bttx, full_name="Nguyễn Thị Hoa", id_number=OLD_ID,
        phone="0912345678", address="Số 5 ngõ 12, tổ dân phố 3", day=date(2026, 11, 17),
        half_day="morning", eligibility="social", needs="Xe lăn",
    )  # fmt: skip
    kw.update(over)
    return kw
