"""Parse a due-date question given as text (the CLI and the API share it)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from motcua.core.errors import NotFound, ValidationFailed
from motcua.worktime.calendar import VN_TZ

if TYPE_CHECKING:
    from motcua.worktime.selectors import CalendarEntry

# An unencoded "+07:00" in a query string arrives as " 07:00".
_LOST_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


@dataclass(frozen=True)
class DueAnswer:
    received: datetime
    due_at: datetime
    rule: str
    unit: str | None
    # With explain: the calendar entries from the day of receipt to the due date.
    entries: tuple[CalendarEntry, ...] | None = None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_moment(raw: str) -> datetime:
    """An ISO 8601 moment; without an offset it is read as Vietnam time."""
    text = _LOST_PLUS.sub(r"\1+\2", raw.strip())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"Thời điểm tiếp nhận không hợp lệ: «{raw}». Dùng định dạng ISO 8601, ví dụ 2026-04-29T09:00.",
            code="invalid_received",
        )
    return dt.replace(tzinfo=VN_TZ) if dt.tzinfo is None else dt.astimezone(VN_TZ)


def parse_cutoff(raw: str) -> time:
    """A cut-off hour such as 15:00."""
    try:
        value = time.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(
            f"Giờ chốt không hợp lệ: «{raw}». Dùng định dạng GG:PP, ví dụ 15:00.",
            code="invalid_cutoff",
        )
    if value.tzinfo is not None:
        raise ValidationFailed("Giờ chốt không được kèm múi giờ.", code="invalid_cutoff")
    return value


def _parse_count(raw: str | int, label: str) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValidationFailed(
            f"{label} phải là số nguyên không âm, nhận được «{raw}».", code="invalid_period"
        )
    if value < 0 or value > 10_000:
        raise ValidationFailed(
            f"{label} phải từ 0 đến 10000, nhận được {value}.", code="invalid_period"
        )
    return value


def _parse_hours(raw: str | float) -> float:
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise ValidationFailed(
            f"Số giờ làm việc phải là một số, nhận được «{raw}».", code="invalid_period"
        )
    if not math.isfinite(value) or value < 0 or value > 80_000:
        raise ValidationFailed(
            f"Số giờ làm việc phải từ 0 đến 80000, nhận được «{raw}».", code="invalid_period"
        )
    return value


def due_answer(
    *,
    received: str | None,
    working_days: str | int | None = None,
    working_hours: str | float | None = None,
    calendar_days: str | int | None = None,
    procedure: str | None = None,
    same_day: bool = False,
    cutoff: str | None = None,
    unit: str | None = None,
    explain: bool = False,
) -> DueAnswer:
    """Validate text inputs, find the unit or procedure, and compute the due moment.

    With ``explain`` the answer also names the calendar entries it passed over (holidays,
    swapped and compensatory days off, make-up working days, duty days) with their sources.
    """
    from motcua.catalog.selectors import procedure_current
    from motcua.org.models import Unit
    from motcua.worktime.selectors import (
        calendar_entries,
        due_for_procedure,
        due_moment,
        duty_dates_for,
        procedure_rule_describe,
        rule_describe,
    )

    if _blank(received):
        raise ValidationFailed("Thiếu thời điểm tiếp nhận (received).", code="invalid_received")
    assert received is not None
    received_at = parse_moment(received)
    chosen = [
        name
        for name, value in (
            ("working_days", working_days),
            ("working_hours", working_hours),
            ("calendar_days", calendar_days),
            ("procedure", procedure),
        )
        if not _blank(value)
    ] + (["same_day"] if same_day else [])
    if len(chosen) != 1:
        raise ValidationFailed(
            "Cần đúng một trong: số ngày làm việc, số giờ làm việc, số ngày, trong ngày hoặc mã thủ tục"
            f" (đang có {len(chosen)}).",
            code="due_rule_required",
        )
    cutoff_at = None if _blank(cutoff) else parse_cutoff(str(cutoff))

    unit_obj = None
    if not _blank(unit):
        code = str(unit).strip()
        unit_obj = Unit.objects.filter(code=code).first()
        if unit_obj is None:
            raise NotFound(f"Không tìm thấy đơn vị có mã «{code}».", code="unit_not_found")

    if not _blank(procedure):
        if cutoff_at is not None:
            raise ValidationFailed(
                "Không dùng giờ chốt cùng mã thủ tục: giờ chốt lấy theo thủ tục.",
                code="invalid_cutoff",
            )
        code = str(procedure).strip()
        version = procedure_current(code=code)
        if version is None:
            raise NotFound(
                f"Không tìm thấy thủ tục đang công bố có mã «{code}».", code="procedure_not_found"
            )
        due_at = due_for_procedure(version=version, received_at=received_at, unit=unit_obj)
        rule = f"{code}: {procedure_rule_describe(version)}"
        duty: frozenset[date] = frozenset()
        if explain and version.time_unit == "same_day":
            duty = (
                duty_dates_for(unit=unit_obj, version=version, since=received_at.date())
                or frozenset()
            )
    else:
        rule_args = {
            "working_days": None
            if _blank(working_days)
            else _parse_count(working_days, "Số ngày làm việc"),  # type: ignore[arg-type]
            "working_hours": None if _blank(working_hours) else _parse_hours(working_hours),  # type: ignore[arg-type]
            "calendar_days": None
            if _blank(calendar_days)
            else _parse_count(calendar_days, "Số ngày"),  # type: ignore[arg-type]
            "same_day": same_day,
        }
        due_at = due_moment(received_at=received_at, unit=unit_obj, cutoff=cutoff_at, **rule_args)  # type: ignore[arg-type]
        rule = rule_describe(cutoff=cutoff_at, **rule_args)  # type: ignore[arg-type]
        duty = frozenset()
    entries = None
    if explain:
        entries = tuple(
            calendar_entries(
                unit=unit_obj,
                since=received_at.date(),
                until=due_at.astimezone(VN_TZ).date(),
                duty_dates=duty,
            )
        )
    return DueAnswer(
        received=received_at,
        due_at=due_at,
        rule=rule,
        unit=unit_obj.code if unit_obj is not None else None,
        entries=entries,
    )
