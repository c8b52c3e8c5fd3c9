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


def visits_to_remind(day: date) -> QuerySet[HomeVisit]:
    """The visits of `day` still to happen (requested, assigned), every unit: for the reminder
    the day before (the notifications app calls this; nothing is sent from here). Each visit
    has its code, citizen, phone, half-day, unit, officer and `eta(visit)`."""
    return (
        HomeVisit.objects.filter(date=day, status__in=(VisitStatus.REQUESTED, VisitStatus.ASSIGNED))
        .select_related("citizen", "unit", "officer", "procedure_version")
        .order_by("unit_id", "half_day", "officer_id", "position", "pk")
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


def visits_per_officer(units: Any, start: date, end: date) -> list[dict[str, Any]]:
    """Visits per officer between two dates (inclusive), by outcome: for the dashboard.

    `units`: Unit objects or ids, or None for every unit. Per officer: visits held (assigned,
    not cancelled), dossiers received at home, visits completed, trips where no one was home
    (counted from the events: a visit found empty and rescheduled has left that status), visits
    still planned, and the share received of the trips made (received or no one home)."""
    from motcua.homeservice.models import HomeVisitEvent

    period = HomeVisit.objects.filter(date__gte=start, date__lte=end)
    if units is not None:
        period = period.filter(unit_id__in=[getattr(u, "pk", u) for u in units])
    rows = (
        period.filter(officer__isnull=False)
        .exclude(status=VisitStatus.CANCELLED)
        .values("officer__username", "officer__full_name", "status")
        .annotate(n=Count("pk"))
    )
    empty = (
        HomeVisitEvent.objects.filter(action="no_one_home", visit__in=period, actor__isnull=False)
        .values("actor__username", "actor__full_name")
        .annotate(n=Count("pk"))
    )
    out: dict[str, dict[str, Any]] = {}

    def row_for(username: str, name: str) -> dict[str, Any]:
        return out.setdefault(
            username,
            {"officer": name or username, "username": username, "total": 0, "received": 0,
             "completed": 0, "no_one_home": 0, "planned": 0},
        )  # fmt: skip

    done = (VisitStatus.RECEIVED, VisitStatus.APPRAISED, VisitStatus.COMPLETED)
    planned = (VisitStatus.ASSIGNED, VisitStatus.ON_THE_WAY, VisitStatus.ARRIVED)
    for r in rows:
        row = row_for(r["officer__username"], r["officer__full_name"])
        row["total"] += r["n"]
        if r["status"] in done:
            row["received"] += r["n"]
        if r["status"] == VisitStatus.COMPLETED:
            row["completed"] += r["n"]
        if r["status"] in planned:
            row["planned"] += r["n"]
    for e in empty:
        row_for(e["actor__username"], e["actor__full_name"])["no_one_home"] += e["n"]
    for row in out.values():
        met = row["received"] + row["no_one_home"]
        row["success_pct"] = round(100 * row["received"] / met, 1) if met else None
    return sorted(out.values(), key=lambda r: (-r["total"], r["officer"]))


# ---------------------------------------------------------------- the dossier's timeline

# How each visit action reads in a dossier's timeline and the public lookup (Vietnamese).
TIMELINE_LABELS = {
    "book": "Đặt lịch phục vụ tại nhà",
    "assign": "Phân công cán bộ phục vụ tại nhà",
    "reorder": "Sắp xếp lại thứ tự lượt tại nhà",
    "start": "Cán bộ lên đường đến nhà công dân",
    "arrive": "Cán bộ đã đến nhà công dân",
    "receive": "Tiếp nhận hồ sơ tại nhà",
    "appraise": "Thẩm định tại nhà",
    "no_one_home": "Cán bộ đến nhưng không có người ở nhà",
    "reschedule": "Hẹn lại ngày phục vụ tại nhà",
    "complete": "Hoàn thành lượt phục vụ tại nhà",
    "cancel": "Hủy lịch phục vụ tại nhà",
}


def visit_timeline_public_sql() -> tuple[str, Any]:
    """`visit_timeline_rows(dossier, public=True)` for the public lookup's one statement
    (dossiers.selectors.PUBLIC_TIMELINE_SQL): (at, id, action, n, a, b) with a = the event's
    status and b = the visit's code, the dossier's id as the parameter; and the row builder."""
    from motcua.core.rawsql import quote
    from motcua.homeservice.models import HomeVisitEvent

    ev = quote(HomeVisitEvent._meta.db_table)
    visit = quote(HomeVisit._meta.db_table)
    sql = (
        f"SELECT e.{quote('at')}, e.{quote('id')}, e.{quote('action')},"  # noqa: S608
        f" CAST(NULL AS INTEGER), e.{quote('to_status')}, v.{quote('code')}"
        f" FROM {ev} e INNER JOIN {visit} v ON v.{quote('id')} = e.{quote('visit_id')}"
        f" WHERE v.{quote('dossier_id')} = %s AND NOT (e.{quote('action')} = 'reorder')"
    )
    statuses = dict(VisitStatus.choices)

    def row(at: Any, action: str, _n: Any, to_status: str, code: str) -> dict[str, Any]:
        return {
            "at": at,
            "action": f"home_{action}",
            "action_label": TIMELINE_LABELS.get(action, "Phục vụ tại nhà"),
            "status": "",
            "status_label": f"Lịch tại nhà {code}: {statuses.get(to_status, '').lower()}",
        }

    return sql, row


def visit_timeline_rows(dossier: Any, public: bool) -> list[dict[str, Any]]:
    """The home visits of a dossier as timeline rows (dossiers.selectors.TIMELINE_SOURCES).

    The visit's events from its booking on, before and after the dossier existed. The public
    rows carry labels only (no officer, no note); staff rows name the official and the note
    (the new date of a reschedule, the reason of a cancellation)."""
    from motcua.homeservice.models import HomeVisitEvent

    events = (
        HomeVisitEvent.objects.filter(visit__dossier=dossier)
        .exclude(action="reorder")
        .order_by("at", "pk")
    )
    if public:  # the public lookup's rows: labels only, so only the columns they use
        events = events.select_related("visit").only("at", "action", "to_status", "visit__code")
    else:
        events = events.select_related("actor", "visit")
    statuses = dict(VisitStatus.choices)
    rows: list[dict[str, Any]] = []
    for e in events:
        label = TIMELINE_LABELS.get(e.action, "Phục vụ tại nhà")
        status_label = f"Lịch tại nhà {e.visit.code}: {statuses.get(e.to_status, '').lower()}"
        if public:
            rows.append(
                {
                    "at": e.at,
                    "action": f"home_{e.action}",
                    "action_label": label,
                    "status": "",
                    "status_label": status_label,
                }
            )
            continue
        note = e.note
        detail = e.detail or {}
        if e.action == "assign" and detail.get("officer_name"):
            note = f"Cán bộ: {detail['officer_name']}, lượt thứ {detail.get('position', '')}"
        elif e.action == "reschedule" and detail.get("date"):
            day = date.fromisoformat(detail["date"])
            half = dict(HalfDay.choices).get(detail.get("half_day", ""), "")
            note = f"{half} {day:%d/%m/%Y}. {note}".strip(" .") if half else note
        elif e.action == "book":
            note = f"Hẹn {e.visit.get_half_day_display().lower()} {e.visit.date:%d/%m/%Y}"
        rows.append(
            {
                "at": e.at,
                "action": f"home_{e.action}",
                "action_label": label,
                "from_status": "",
                "to_status": "",
                "status_label": status_label,
                "actor": str(e.actor) if e.actor else "",
                "to_user": "",
                "to_unit": "",
                "unit": "",
                "note": note,
                "step": "",
                "step_label": "",
                "step_due_at": None,
                "closed_step": "",
                "closed_step_label": "",
                "closed_step_timeliness": "",
                "closed_step_timeliness_label": "",
                "due_at": None,
            }
        )
    return rows
