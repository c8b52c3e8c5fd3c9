"""Demo home visits: the ward's rule, visits today and tomorrow for `tainha`, a little history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction

from motcua.core import clock
from motcua.homeservice.models import HomeServiceRule, HomeVisit, HomeVisitEvent, VisitStatus

ADDRESSES = [
    "Số 12 ngõ 3 Quang Trung, tổ dân phố 5",
    "Số 7 ngách 15/2 Tô Hiệu, tổ dân phố 9",
    "Số 41 Bà Triệu, tổ dân phố 2",
    "Số 3 ngõ 62 Lê Trọng Tấn, tổ dân phố 11",
    "Số 18 Phan Đình Giót, tổ dân phố 7",
]
NEEDS = ["Xe lăn, cần giúp ra cửa", "Nghe kém, nói to và chậm", "", "Nằm một chỗ", ""]


def _working_days(unit: Any, start: date, n: int, step: int) -> list[date]:
    from motcua.worktime.selectors import calendar_for_unit

    cal, day = calendar_for_unit(unit), start
    out: list[date] = []
    while len(out) < n:
        if cal.is_working_day(day):
            out.append(day)
        day += timedelta(days=step)
    return out


@transaction.atomic
def seed_home_visits(unit_code: str = "09556") -> int:
    """Create the demo rule and visits (once per day); returns the visits created."""
    from motcua.catalog.selectors import published_versions
    from motcua.org.models import Citizen, Unit, User
    from motcua.queueing.bookings import new_code

    unit = Unit.objects.filter(code=unit_code).first()
    officer = User.objects.filter(username="tainha").first()
    version = (
        published_versions()
        .filter(field__code="bao-tro-xa-hoi")
        .order_by("procedure__code")
        .first()
    )
    citizens = list(Citizen.objects.order_by("pk")[:10])
    if unit is None or officer is None or version is None or len(citizens) < 10:
        return 0
    rule, _ = HomeServiceRule.objects.get_or_create(
        unit=unit, defaults={"social_fields": ["bao-tro-xa-hoi"]}
    )
    today = clock.today()
    plan: list[tuple[date, str, str]] = []
    for day in {today, *_working_days(unit, today + timedelta(days=1), 1, 1)}:
        if not HomeVisit.objects.filter(unit=unit, date=day).exists():
            plan += [(day, "morning", VisitStatus.ASSIGNED)] * 2
            plan += [(day, "afternoon", VisitStatus.ASSIGNED)]
    if not HomeVisit.objects.filter(unit=unit, date__lt=today).exists():
        for i, day in enumerate(_working_days(unit, today - timedelta(days=1), 4, -1)):
            plan.append(
                (day, "morning", VisitStatus.COMPLETED if i % 3 else VisitStatus.NO_ONE_HOME)
            )
    made = 0
    positions: dict[tuple[date, str], int] = {}
    for i, (day, half, status) in enumerate(plan):
        citizen = citizens[i % len(citizens)]
        pos = positions[(day, half)] = positions.get((day, half), 0) + 1
        visit = HomeVisit.objects.create(
            code=new_code("TN-"), unit=unit, procedure_version=version, citizen=citizen,
            full_name=citizen.full_name, phone=citizen.phone or "0912000000",
            address=ADDRESSES[i % len(ADDRESSES)], date=day, half_day=half,
            eligibility="social", needs=NEEDS[i % len(NEEDS)],
            minutes=rule.visit_minutes + rule.travel_minutes, status=status,
            officer=officer, position=pos, channel="portal" if i % 2 else "desk",
            created_at=clock.now() - timedelta(days=3),
        )  # fmt: skip
        HomeVisitEvent.objects.create(visit=visit, at=visit.created_at, action="book",
                                      to_status="requested")  # fmt: skip
        HomeVisitEvent.objects.create(visit=visit, at=visit.created_at, action="assign",
                                      from_status="requested", to_status="assigned",
                                      detail={"officer": officer.username})  # fmt: skip
        if status != VisitStatus.ASSIGNED:
            HomeVisitEvent.objects.create(visit=visit, at=visit.created_at, action=status,
                                          from_status="assigned", to_status=status)  # fmt: skip
        made += 1
    return made
