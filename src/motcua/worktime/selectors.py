"""Reads of the working calendar: a unit's calendar and the due moment of a procedure."""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from django.db.models import Q

from motcua.core.errors import ValidationFailed
from motcua.worktime.calendar import DEFAULT_WINDOWS, WorkCalendar
from motcua.worktime.models import CalendarOverride, HolidayDuty, OverrideKind

if TYPE_CHECKING:
    from motcua.catalog.models import ProcedureVersion
    from motcua.org.models import Unit

log = logging.getLogger(__name__)

Windows = tuple[tuple[time, time], ...]

# How far ahead a duty roster is read for a same-day due moment (the next open day is close).
_DUTY_HORIZON = timedelta(days=400)


@lru_cache(maxsize=512)
def _calendar_build(
    days_off: frozenset[date], makeup: frozenset[date], windows: Windows
) -> WorkCalendar:
    # The inputs are read fresh on every call, so an edited override is seen at once; only
    # identical configurations share one (immutable) calendar object.
    return WorkCalendar(extra_days_off=days_off, makeup_days=makeup, windows=windows)


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
    return _calendar_build(days_off, makeup, windows)


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
