"""Reads of home visits: the day's plan per officer, the arrival estimate, visible units."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet

from motcua.homeservice.models import HOLDING, HalfDay, HomeVisit, VisitStatus
from motcua.homeservice.services import capacity, half_day_window, officers_of, rule_for
from motcua.org.models import Unit

DAY_ORDER: dict[str, int] = {HalfDay.MORNING.value: 0, HalfDay.AFTERNOON.value: 1}


def staff_units(user: Any, roles: tuple[str, ...]) -> list[Unit]:
    """Units where the user holds one of `roles` and the unit has a home-service rule."""
    qs = Unit.objects.filter(home_rule__enabled=True)
    if not getattr(user, "is_superuser", False):
        qs = qs.filter(staff_roles__user=user, staff_roles__role__in=roles)
    return list(qs.distinct().order_by("name"))


def visits_for_day(units: list[Unit], day: date) -> QuerySet[HomeVisit]:
    """The visits of a day in the given units, in plan order."""
    return (
        HomeVisit.objects.filter(unit__in=units, date=day)
        .select_related("officer", "procedure_version__procedure", "citizen", "unit", "dossier")
        .order_by("half_day", "officer__full_name", "officer_id", "position", "pk")
    )


def eta(visit: HomeVisit) -> datetime | None:
    """Estimated arrival: the half-day's start, plus the visits before it, plus the travel."""
    if visit.officer_id is None or visit.status not in HOLDING:
        return None
    rule = rule_for(visit.unit)
    travel = rule.travel_minutes if rule else 0
    before = HomeVisit.objects.filter(
        officer_id=visit.officer_id,
        date=visit.date,
        half_day=visit.half_day,
        status__in=HOLDING,
        position__lt=visit.position,
    ).values_list("minutes", flat=True)
    start, _ = half_day_window(visit.unit, visit.date, visit.half_day)
    return start + timedelta(minutes=sum(before) + travel)


@dataclass
class OfficerPlan:
    officer: Any
    visits: list[HomeVisit] = field(default_factory=list)
    used: int = 0
    limit: int = 0


@dataclass
class HalfDayPlan:
    half_day: str
    label: str
    unassigned: list[HomeVisit]
    officers: list[OfficerPlan]
    capacity: dict[str, int]


def day_plan(unit: Unit, day: date) -> list[HalfDayPlan]:
    """Per half-day: unassigned requests and each officer's ordered visits with time used."""
    rule = rule_for(unit)
    officers = officers_of(unit)
    visits = list(visits_for_day([unit], day))
    plans = []
    for half in HalfDay:
        mine = [v for v in visits if v.half_day == half]
        per = []
        for officer in officers:
            own = sorted(
                (v for v in mine if v.officer_id == officer.pk), key=lambda v: (v.position, v.pk)
            )
            per.append(
                OfficerPlan(
                    officer=officer,
                    visits=own,
                    used=sum(v.minutes for v in own if v.status in HOLDING),
                    limit=rule.half_day_minutes if rule else 0,
                )
            )
        plans.append(
            HalfDayPlan(
                half_day=half.value,
                label=half.label,
                unassigned=[
                    v for v in mine if v.officer_id is None and v.status == VisitStatus.REQUESTED
                ],
                officers=per,
                capacity=capacity(unit, rule, day, half) if rule else {},
            )
        )
    return plans


def officer_today(officer: Any, day: date) -> list[HomeVisit]:
    """The officer's visits of a day, morning then afternoon, in order."""
    return sorted(
        HomeVisit.objects.filter(officer=officer, date=day)
        .exclude(status=VisitStatus.CANCELLED)
        .select_related("procedure_version__procedure", "citizen", "unit", "dossier"),
        key=lambda v: (DAY_ORDER.get(v.half_day, 9), v.position, v.pk),
    )


def visits_per_officer(units: list[Unit], start: date, end: date) -> list[dict[str, Any]]:
    """Visits per officer between two dates (inclusive), by status: for the dashboard."""
    rows = (
        HomeVisit.objects.filter(
            unit__in=units, date__gte=start, date__lte=end, officer__isnull=False
        )
        .values("officer__username", "officer__full_name", "status")
        .annotate(n=Count("pk"))
        .order_by("officer__full_name")
    )
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        row = out.setdefault(
            r["officer__username"],
            {
                "officer": r["officer__full_name"] or r["officer__username"],
                "total": 0,
                "received": 0,
                "no_one_home": 0,
            },  # fmt: skip
        )
        row["total"] += r["n"]
        if r["status"] in (VisitStatus.RECEIVED, VisitStatus.APPRAISED, VisitStatus.COMPLETED):
            row["received"] += r["n"]
        if r["status"] == VisitStatus.NO_ONE_HOME:
            row["no_one_home"] += r["n"]
    return list(out.values())
