"""Demo home visits through the real services: the ward's rule, visits today and on the next
working day for `tainha`, and a history ("ba tại nhà": booked, received and appraised at home,
the result brought home with the citizen's signature; one trip where no one was home)."""

from __future__ import annotations

import base64
import io
import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction

from motcua.core import clock
from motcua.homeservice.models import HomeServiceRule, HomeVisit

log = logging.getLogger(__name__)

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


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clock.VN_TZ)


def _signature() -> str:
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(img).line([(20, 70), (80, 25), (150, 72), (270, 30)], fill=(10, 10, 80, 255),
                             width=4)  # fmt: skip
    out = io.BytesIO()
    img.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def seed_home_visits(unit_code: str = "09556") -> int:
    """Create the demo rule and visits (today's and the next working day's once per day, the
    history once); returns the visits created. Every step is the real service's."""
    from motcua.catalog.selectors import published_versions
    from motcua.dossiers.demo import _staff
    from motcua.org.models import Citizen, Role, Unit, User

    unit = Unit.objects.filter(code=unit_code).first()
    officer = User.objects.filter(username="tainha").first()
    version = (
        published_versions()
        .filter(field__code="bao-tro-xa-hoi")
        .order_by("procedure__code")
        .first()
    )
    citizens = list(Citizen.objects.exclude(id_number="").order_by("pk")[:12])
    managers = _staff(unit, Role.MANAGER) if unit else []
    desk = (_staff(unit, Role.RECEPTION) if unit else []) or managers
    if unit is None or officer is None or version is None or len(citizens) < 12 or not managers:
        return 0
    HomeServiceRule.objects.get_or_create(unit=unit, defaults={"social_fields": ["bao-tro-xa-hoi"]})
    ctx = {"unit": unit, "version": version, "officer": officer, "manager": managers[0],
           "desk": desk[0]}  # fmt: skip
    today = clock.today()
    made = 0
    upcoming = [today, *_working_days(unit, today + timedelta(days=1), 1, 1)]
    slots = [("morning", 0), ("morning", 1), ("afternoon", 2)]
    for n, day in enumerate(upcoming):
        if HomeVisit.objects.filter(unit=unit, date=day).exists():
            continue
        for half, i in slots:
            made += _visit(ctx, citizens[3 * n + i], day, half, i, history=None)
    if not HomeVisit.objects.filter(unit=unit, date__lt=today).exists():
        past = _working_days(unit, today - timedelta(days=1), 4, -1)
        for i, day in enumerate(past):
            outcome = ["received", "returned", "no_one_home", "returned"][i]
            made += _visit(ctx, citizens[6 + i], day, "morning", i, history=outcome)
    return made


def _visit(ctx: dict[str, Any], citizen: Any, day: date, half: str, i: int,
           history: str | None) -> int:  # fmt: skip
    """Book (three days before, at the portal or the desk), assign; for the history also the
    visit itself and, for "returned", the dossier's result brought home and signed for."""
    from motcua.core.errors import DomainError

    booked_at = _at(day - timedelta(days=3), 8, 10 + i)
    desk = i % 2 == 1
    try:
        with transaction.atomic():
            _visit_steps(ctx, citizen, day, half, i, history, booked_at, desk)
    except DomainError as exc:  # the demo goes on without this visit (nothing of it is kept)
        log.warning("demo home visit not made: %s", exc)
        return 0
    return 1


def _visit_steps(ctx: dict[str, Any], citizen: Any, day: date, half: str, i: int,
                 history: str | None, booked_at: datetime, desk: bool) -> None:  # fmt: skip
    from motcua.homeservice.models import VisitChannel
    from motcua.homeservice.services import visit_act, visit_book

    with clock.frozen(booked_at):
        visit = visit_book(
            unit=ctx["unit"], version=ctx["version"], full_name=citizen.full_name,
            id_number=citizen.id_number, phone=citizen.phone or "0912000000",
            address=ADDRESSES[i % len(ADDRESSES)], day=day, half_day=half,
            eligibility="social", needs=NEEDS[i % len(NEEDS)],
            channel=VisitChannel.DESK if desk else VisitChannel.PORTAL,
            created_by=ctx["desk"] if desk else None,
        )  # fmt: skip
        visit_act(code=visit.code, action="assign", key=f"demo-as-{visit.code}",
                  actor=ctx["manager"], params={"officer": ctx["officer"].username})  # fmt: skip
    if history is None:
        return
    start = 8 if half == "morning" else 14
    steps: list[tuple[int, str, dict[str, Any]]] = [(0, "start", {}), (25, "arrive", {})]
    if history == "no_one_home":
        steps.append((35, "no_one_home", {"note": "Gọi điện không ai nghe máy"}))
    else:
        steps += [
            (
                40,
                "receive",
                {"papers": [0], "signature": _signature(), "notes": "Tiếp nhận tại nhà"},
            ),  # fmt: skip
            (
                60,
                "appraise",
                {"checklist": {"Hoàn cảnh đúng như tờ khai": True}, "notes": "Đã xác minh tại nhà"},
            ),  # fmt: skip
            (70, "complete", {}),
        ]
    for minutes, action, params in steps:
        with clock.frozen(_at(day, start) + timedelta(minutes=minutes)):
            visit_act(code=visit.code, action=action, key=f"demo-{action}-{visit.code}",
                      actor=ctx["officer"], params=params)  # fmt: skip
    if history == "returned":
        _bring_result_home(visit, ctx, day)


def _bring_result_home(visit: HomeVisit, ctx: dict[str, Any], day: date) -> None:
    """The dossier received at home is processed and its result brought home the next day."""
    from motcua.delivery.services import delivery_handover
    from motcua.dossiers.demo import _staff
    from motcua.dossiers.services import dossier_act
    from motcua.org.models import Role
    from motcua.payments.models import Method
    from motcua.payments.selectors import dossier_outstanding
    from motcua.payments.services import payment_confirm, payment_create

    visit.refresh_from_db()
    dossier = visit.dossier
    specialist = _staff(ctx["unit"], Role.SPECIALIST)
    leader = _staff(ctx["unit"], Role.LEADER)
    if dossier is None or not specialist or not leader:
        return
    with clock.frozen(_at(day, 10)):
        if dossier_outstanding(dossier) > 0:
            payment = payment_create(dossier=dossier, method=Method.CASH, actor=ctx["officer"])
            payment_confirm(payment=payment, actor=ctx["officer"])
        # The counter's reception officer forwards it to the specialist, as for any dossier.
        dossier = dossier_act(dossier=dossier, action="assign", actor=ctx["desk"],
                              to_user=specialist[0])  # fmt: skip
    with clock.frozen(_at(day, 16)):
        dossier = dossier_act(dossier=dossier, action="finish", actor=leader[0])
    sig = base64.b64decode(_signature().partition(",")[2])
    with clock.frozen(_at(day, 16, 45)):
        delivery_handover(dossier=dossier, actor=ctx["officer"], signature=sig,
                          received_by_name=visit.full_name)  # fmt: skip
