"""Reads of the working calendar: a unit's calendar and the due moment of a procedure."""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from django.db.models import Q

from motcua.core.errors import ValidationFailed
from motcua.worktime import official
from motcua.worktime.calendar import DEFAULT_WINDOWS, WorkCalendar
from motcua.worktime.models import (
    CalendarOverride,
    CalendarYearReview,
    DayStatus,
    HolidayDuty,
    OfficialDay,
    OverrideKind,
)

if TYPE_CHECKING:
    from motcua.catalog.models import ProcedureVersion
    from motcua.org.models import Unit

log = logging.getLogger(__name__)

Windows = tuple[tuple[time, time], ...]

# How far ahead a duty roster is read for a same-day due moment (the next open day is close).
_DUTY_HORIZON = timedelta(days=400)


@lru_cache(maxsize=512)
def _calendar_build(
    days_off: frozenset[date],
    makeup: frozenset[date],
    windows: Windows,
    base: official.OfficialCalendar,
) -> WorkCalendar:
    # The inputs are read fresh on every call, so an edited override or decision is seen at
    # once; only identical configurations share one (immutable) calendar object.
    return WorkCalendar(
        holidays=base.holidays_of,
        base_workdays=base.makeup_of,
        extra_days_off=days_off,
        makeup_days=makeup,
        windows=windows,
    )


def official_calendar() -> official.OfficialCalendar:
    """The national official calendar in force.

    For the years of the shipped file: the database rows of that year (with the
    administrators' decisions), or the file itself when the database holds none. Any other
    year: the `holidays` package plus the days an administrator added for it.
    """
    rows = list(
        OfficialDay.objects.values_list("date", "kind", "status", "applies_while_unconfirmed")
    )
    db_years = {d.year for d, *_ in rows}
    shipped = official.shipped_official_calendar()
    days_off = {d for d in shipped.days_off if d.year not in db_years}
    working = {d for d in shipped.working_days if d.year not in db_years}
    extra_off: set[date] = set()
    extra_working: set[date] = set()
    for day, kind, status, applies in rows:
        in_force = status == DayStatus.CONFIRMED or (status == DayStatus.UNCONFIRMED and applies)
        if not in_force:
            continue
        covered = day.year in shipped.years
        if kind in official.DAY_OFF_KINDS:
            (days_off if covered else extra_off).add(day)
        elif kind == official.MAKEUP_WORKING_DAY:
            (working if covered else extra_working).add(day)
    return official.OfficialCalendar(
        years=shipped.years,
        days_off=frozenset(days_off),
        working_days=frozenset(working),
        extra_days_off=frozenset(extra_off),
        extra_working_days=frozenset(extra_working),
    )


def _unit_chain(unit: Unit) -> list[Unit]:
    """The unit's ancestors from the root down, then the unit itself."""
    return [*reversed(unit.ancestors()), unit]


def _unit_windows(unit: Unit) -> Windows:
    from motcua.org.models import Office

    row = (
        Office.objects.filter(unit=unit, is_active=True)
        .order_by("code")
        .values_list("morning_start", "morning_end", "afternoon_start", "afternoon_end")
        .first()
    )
    if row is None:
        return DEFAULT_WINDOWS
    windows: Windows = ((row[0], row[1]), (row[2], row[3]))
    try:
        WorkCalendar(holidays=frozenset(), base_workdays=frozenset(), windows=windows)
    except ValueError:
        log.warning(
            "office hours of unit %s are inconsistent; using the default windows", unit.code
        )
        return DEFAULT_WINDOWS
    return windows


def calendar_for_unit(unit: Unit | None = None) -> WorkCalendar:
    """The working calendar of a unit (nationwide when None): holidays, overrides, office hours."""
    chain = _unit_chain(unit) if unit is not None else []
    rank = {u.pk: i + 1 for i, u in enumerate(chain)}  # national = 0, the unit itself last
    rows = CalendarOverride.objects.filter(
        Q(unit__isnull=True) | Q(unit_id__in=list(rank))
    ).values_list("date", "kind", "unit_id")
    # The most specific unit decides a date: national < province < ... < the unit itself.
    decided: dict[date, tuple[int, str]] = {}
    for day, kind, unit_id in rows:
        level = rank.get(unit_id, 0) if unit_id is not None else 0
        if day not in decided or decided[day][0] < level:
            decided[day] = (level, kind)
    days_off = frozenset(d for d, (_, k) in decided.items() if k == OverrideKind.DAY_OFF)
    makeup = frozenset(d for d, (_, k) in decided.items() if k == OverrideKind.WORKING_DAY)
    windows = _unit_windows(unit) if unit is not None else DEFAULT_WINDOWS
    return _calendar_build(days_off, makeup, windows, official_calendar())


def duty_dates_for(
    *, unit: Unit | None, version: ProcedureVersion, since: date
) -> frozenset[date] | None:
    """Dates the unit's duty roster opens for this procedure from `since`; None when no roster applies."""
    if unit is None:
        return None
    applies = Q(procedures=version.procedure_id)
    if version.holiday_duty:
        applies |= Q(procedures__isnull=True)
    rows = HolidayDuty.objects.filter(applies, unit=unit).distinct()
    if not rows.exists():
        return None
    dates: set[date] = set()
    until = since + _DUTY_HORIZON
    for start, end in rows.filter(date_to__gte=since, date_from__lte=until).values_list(
        "date_from", "date_to"
    ):
        d = max(start, since)
        while d <= min(end, until):
            dates.add(d)
            d += timedelta(days=1)
    return frozenset(dates)


def rule_describe(
    *,
    working_days: int | None = None,
    working_hours: float | None = None,
    calendar_days: int | None = None,
    same_day: bool = False,
    cutoff: time | None = None,
    holiday_duty: bool = False,
) -> str:
    """The rule in words, as printed for a citizen: '3 ngày làm việc', 'Trong ngày', ..."""
    if same_day:
        text = "Trong ngày"
    elif working_days is not None:
        text = f"{working_days} ngày làm việc"
    elif working_hours is not None:
        text = f"{working_hours:g} giờ làm việc"
    else:
        text = f"{calendar_days} ngày"
    if cutoff is not None:
        text += f" (nhận sau {cutoff:%H:%M} tính từ ngày làm việc tiếp theo)"
    if holiday_duty:
        text += " (trực cả ngày nghỉ, lễ)"
    return text


def _due(
    calendar: WorkCalendar,
    *,
    received_at: datetime,
    working_days: int | None,
    working_hours: float | None,
    calendar_days: int | None,
    same_day: bool,
    cutoff: time | None,
    duty: bool,
) -> datetime:
    rules = [
        working_days is not None,
        working_hours is not None,
        calendar_days is not None,
        bool(same_day),
    ]
    if sum(rules) != 1:
        raise ValidationFailed(
            "Cần đúng một quy tắc thời hạn: số ngày làm việc, số giờ làm việc, số ngày hoặc trong ngày.",
            code="due_rule_required",
        )
    for value in (working_days, working_hours, calendar_days):
        if value is not None and value < 0:
            raise ValidationFailed("Thời hạn giải quyết không được âm.", code="due_negative")
    try:
        return calendar.due(
            received_at,
            working_days=working_days,
            working_hours=working_hours,
            calendar_days=calendar_days,
            same_day=bool(same_day),
            cutoff=cutoff,
            duty=duty,
        )
    except (ValueError, OverflowError) as exc:
        raise ValidationFailed(f"Không tính được thời hạn: {exc}", code="due_invalid")


def due_moment(
    *,
    received_at: datetime,
    unit: Unit | None = None,
    working_days: int | None = None,
    working_hours: float | None = None,
    calendar_days: int | None = None,
    same_day: bool = False,
    cutoff: time | None = None,
    holiday_duty: bool = False,
) -> datetime:
    """Due moment of one rule for a receipt at a unit (holiday_duty: every day open for same-day)."""
    return _due(
        calendar_for_unit(unit),
        received_at=received_at,
        working_days=working_days,
        working_hours=working_hours,
        calendar_days=calendar_days,
        same_day=same_day,
        cutoff=cutoff,
        duty=holiday_duty,
    )


def _as_time(value: time | str | None) -> time | None:
    # An unsaved version may still hold the string the form or factory gave it.
    if value is None or isinstance(value, time):
        return value
    return time.fromisoformat(value)


def _version_rule(version: ProcedureVersion) -> dict[str, object]:
    from motcua.catalog.models import TimeUnit

    unit_of_time = version.time_unit
    if unit_of_time == TimeUnit.WORKING_DAYS:
        return {"working_days": int(version.time_value)}
    if unit_of_time == TimeUnit.WORKING_HOURS:
        return {"working_hours": float(version.time_value)}
    if unit_of_time == TimeUnit.CALENDAR_DAYS:
        return {"calendar_days": int(version.time_value)}
    if unit_of_time == TimeUnit.SAME_DAY:
        return {"same_day": True}
    raise ValidationFailed(f"Đơn vị thời hạn không hợp lệ: {unit_of_time}.", code="due_invalid")


def due_for_procedure(
    *, version: ProcedureVersion, received_at: datetime, unit: Unit | None = None
) -> datetime:
    """Due moment of a dossier of this procedure version received at a moment at a unit.

    Holiday duty (same-day rules only): a duty roster of the unit that applies to the procedure
    opens exactly its dates; a procedure flagged holiday_duty with no roster is always on duty.
    """
    rule = _version_rule(version)
    calendar = calendar_for_unit(unit)
    duty = False
    if rule.get("same_day"):
        received_on = calendar.local(received_at).date()
        roster = duty_dates_for(unit=unit, version=version, since=received_on)
        if roster is None:
            duty = bool(version.holiday_duty)
        else:
            calendar = dataclasses.replace(calendar, duty_dates=roster)
    return _due(
        calendar,
        received_at=received_at,
        working_days=rule.get("working_days"),  # type: ignore[arg-type]
        working_hours=rule.get("working_hours"),  # type: ignore[arg-type]
        calendar_days=rule.get("calendar_days"),  # type: ignore[arg-type]
        same_day=bool(rule.get("same_day")),
        cutoff=_as_time(version.cutoff),
        duty=duty,
    )


def procedure_rule_describe(version: ProcedureVersion) -> str:
    """The rule of a procedure version in words."""
    rule = _version_rule(version)
    return rule_describe(
        working_days=rule.get("working_days"),  # type: ignore[arg-type]
        working_hours=rule.get("working_hours"),  # type: ignore[arg-type]
        calendar_days=rule.get("calendar_days"),  # type: ignore[arg-type]
        same_day=bool(rule.get("same_day")),
        cutoff=_as_time(version.cutoff),
        holiday_duty=bool(version.holiday_duty),
    )


# -- what a due-date answer passed over ------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CalendarEntry:
    """A calendar entry on one date: what it is, what set it, and whether the office worked."""

    date: date
    kind: str
    kind_label: str
    name: str
    source: str
    status: str
    status_label: str
    working: bool


_STATUS_LABELS = {
    official.CONFIRMED: "đã xác nhận",
    official.UNCONFIRMED: "chưa xác nhận",
    official.REMOVED: "đã loại bỏ",
    "override": "điều chỉnh của quản trị viên",
    "fallback": "theo gói holidays (năm chưa có lịch chính thức)",
    "roster": "lịch trực của đơn vị",
}


def _unconfirmed_label(applies: bool, kind: str) -> str:
    if kind == official.MAKEUP_WORKING_DAY:
        effect = "đang tính là ngày làm việc" if applies else "đang tính là ngày nghỉ"
    else:
        effect = "đang tính là ngày nghỉ" if applies else "đang tính là ngày làm việc"
    return f"chưa xác nhận – {effect}"


def calendar_entries(
    *,
    unit: Unit | None,
    since: date,
    until: date,
    duty_dates: frozenset[date] = frozenset(),
    calendar: WorkCalendar | None = None,
) -> list[CalendarEntry]:
    """Every calendar entry from `since` to `until` (inclusive) and what decided each date.

    An administrator's override (most specific unit first) beats the official calendar; a
    removed official day is no entry; a year without an official calendar names the
    `holidays` package's days; a duty roster's dates that the office opens are duty days.
    """
    if until < since:
        return []
    calendar = calendar or calendar_for_unit(unit)
    chain = _unit_chain(unit) if unit is not None else []
    rank = {u.pk: i + 1 for i, u in enumerate(chain)}
    overrides: dict[date, tuple[int, CalendarOverride]] = {}
    for row in CalendarOverride.objects.filter(
        Q(unit__isnull=True) | Q(unit_id__in=list(rank)), date__gte=since, date__lte=until
    ).select_related("unit"):
        level = rank.get(row.unit_id, 0) if row.unit_id is not None else 0
        if row.date not in overrides or overrides[row.date][0] < level:
            overrides[row.date] = (level, row)

    db_years = set(
        OfficialDay.objects.filter(date__year__gte=since.year, date__year__lte=until.year)
        .values_list("date__year", flat=True)
        .distinct()
    )
    shipped_years, shipped_entries = official.shipped_calendar()
    by_date: dict[date, CalendarEntry] = {}
    # Years beyond the shipped file: the package first, then what administrators added.
    uncovered = [y for y in range(since.year, until.year + 1) if y not in shipped_years]
    if uncovered:
        import holidays as holidays_pkg

        package = holidays_pkg.VN(years=uncovered, language="vi")
        for pday, name in package.items():
            if since <= pday <= until:
                by_date[pday] = CalendarEntry(
                    date=pday,
                    kind=official.HOLIDAY,
                    kind_label=official.KIND_LABELS[official.HOLIDAY],
                    name=str(name),
                    source="Gói holidays (chưa có lịch chính thức của năm này)",
                    status="fallback",
                    status_label=_STATUS_LABELS["fallback"],
                    working=calendar.is_working_day(pday),
                )
    for od in OfficialDay.objects.filter(date__gte=since, date__lte=until).exclude(
        status=DayStatus.REMOVED
    ):
        status_label = (
            _unconfirmed_label(od.applies_while_unconfirmed, od.kind)
            if od.status == DayStatus.UNCONFIRMED
            else _STATUS_LABELS[od.status]
        )
        by_date[od.date] = CalendarEntry(
            date=od.date,
            kind=od.kind,
            kind_label=official.KIND_LABELS[od.kind],
            name=od.name,
            source=official.source_text(
                number=od.source_number,
                issued=od.source_date,
                issuer=od.source_issuer,
                legal_basis=od.legal_basis,
            ),
            status=od.status,
            status_label=status_label,
            working=calendar.is_working_day(od.date),
        )
    for e in shipped_entries:
        if since <= e.date <= until and e.date.year not in db_years:
            by_date[e.date] = CalendarEntry(
                date=e.date,
                kind=e.kind,
                kind_label=official.KIND_LABELS[e.kind],
                name=e.name,
                source=e.source_text(),
                status=e.status,
                status_label=(
                    _unconfirmed_label(e.applies_while_unconfirmed, e.kind)
                    if e.status == official.UNCONFIRMED
                    else _STATUS_LABELS[e.status]
                ),
                working=calendar.is_working_day(e.date),
            )
    for day, (_, row) in overrides.items():
        kind = (
            official.SWAPPED_DAY_OFF
            if row.kind == OverrideKind.DAY_OFF
            else official.MAKEUP_WORKING_DAY
        )
        where = f"đơn vị {row.unit}" if row.unit is not None else "toàn quốc"
        by_date[day] = CalendarEntry(
            date=day,
            kind=kind,
            kind_label=official.KIND_LABELS[kind],
            name=row.name,
            source=f"Điều chỉnh của quản trị viên ({where})"
            + (f": {row.note}" if row.note else ""),
            status="override",
            status_label=_STATUS_LABELS["override"],
            working=calendar.is_working_day(day),
        )
    for day in duty_dates:
        if since <= day <= until and not calendar.is_working_day(day):
            by_date[day] = CalendarEntry(
                date=day,
                kind=official.DUTY_DAY,
                kind_label=official.KIND_LABELS[official.DUTY_DAY],
                name="Ngày trực giải quyết thủ tục"
                + (f" ({by_date[day].name})" if day in by_date else ""),
                source="Lịch trực ngày nghỉ của đơn vị",
                status="roster",
                status_label=_STATUS_LABELS["roster"],
                working=False,
            )
    return [by_date[d] for d in sorted(by_date)]


# -- review and cross-check ------------------------------------------------------------------


def year_reviewed(year: int) -> CalendarYearReview | None:
    """The recorded review of a year's official calendar, if any."""
    return CalendarYearReview.objects.filter(year=year).select_related("reviewed_by").first()


@dataclasses.dataclass(frozen=True)
class Disagreement:
    date: date
    ours_working: bool
    package_working: bool
    ours: str
    package: str


def calendar_disagreements(years: list[int]) -> list[Disagreement]:
    """Dates where our official calendar and the `holidays` package disagree on working or not."""
    import holidays as holidays_pkg

    from motcua.worktime.calendar import _vn_holidays_year, _vn_makeup_year

    ours = WorkCalendar(
        holidays=official_calendar().holidays_of, base_workdays=official_calendar().makeup_of
    )
    theirs = WorkCalendar(holidays=_vn_holidays_year, base_workdays=_vn_makeup_year)
    names = {
        d.date: f"{d.name} ({d.get_status_display().lower()})"
        for d in OfficialDay.objects.filter(date__year__in=years)
    }
    if not names:
        names = {e.date: e.name for e in official.shipped_calendar()[1] if e.date.year in years}
    out: list[Disagreement] = []
    for year in years:
        package = holidays_pkg.VN(years=[year, year + 1], language="vi")
        d = date(year, 1, 1)
        while d.year == year:
            a, b = ours.is_working_day(d), theirs.is_working_day(d)
            if a != b:
                out.append(
                    Disagreement(
                        date=d,
                        ours_working=a,
                        package_working=b,
                        ours=names.get(d, ""),
                        package=str(
                            package.get(d) or ("ngày làm bù" if b and d.weekday() >= 5 else "")
                        ),
                    )
                )
            d += timedelta(days=1)
    return out
