"""Writes of the working calendar: load the shipped official calendar, decide, review."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction

from motcua.core import clock
from motcua.core.errors import Conflict, ValidationFailed
from motcua.worktime.models import CalendarYearReview, DayStatus, OfficialDay
from motcua.worktime.official import shipped_calendar

if TYPE_CHECKING:
    from motcua.org.models import User

CONFIRM = "confirm"
REMOVE = "remove"


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    kept_decided: int


def official_calendar_load(*, model: Any = None) -> LoadResult:
    """Upsert the shipped calendar into the database, one row per date.

    A day an administrator already confirmed or removed keeps that decision (its status and the
    decision fields are never overwritten); the rest follows the file. ``model`` lets a data
    migration pass its historical model.
    """
    model = model or OfficialDay
    _, entries = shipped_calendar()
    created = updated = kept = 0
    with transaction.atomic():
        existing = {
            row.date: row for row in model.objects.filter(date__in=[e.date for e in entries])
        }
        for e in entries:
            fields = {
                "kind": e.kind,
                "name": e.name,
                "applies_while_unconfirmed": e.applies_while_unconfirmed,
                "legal_basis": e.legal_basis,
                "source_number": e.source_number,
                "source_date": e.source_date,
                "source_issuer": e.source_issuer,
                "source_title": e.source_title,
                "known": e.known,
            }
            row = existing.get(e.date)
            if row is None:
                model.objects.create(date=e.date, status=e.status, **fields)
                created += 1
                continue
            if row.decided_at is not None:
                kept += 1
                continue
            changed = [k for k, v in fields.items() if getattr(row, k) != v]
            if row.status != e.status:
                row.status = e.status
                changed.append("status")
            if changed:
                for k in changed:
                    if k != "status":
                        setattr(row, k, fields[k])
                row.save(update_fields=[*changed, "updated_at"])
                updated += 1
    return LoadResult(created=created, updated=updated, kept_decided=kept)


@transaction.atomic
def official_day_decide(
    *, day: OfficialDay, decision: str, by: User, reason: str, reference: str = ""
) -> OfficialDay:
    """Confirm or remove an unconfirmed day: one decision, recorded with who, when, why, on what."""
    day = OfficialDay.objects.select_for_update().get(pk=day.pk)
    if decision not in (CONFIRM, REMOVE):
        raise ValidationFailed(
            "Quyết định phải là xác nhận hoặc loại bỏ.", code="calendar_decision_invalid"
        )
    if day.status != DayStatus.UNCONFIRMED or day.decided_at is not None:
        raise Conflict(
            f"Ngày {day.date:%d/%m/%Y} không còn chờ xác nhận (tình trạng: "
            f"{day.get_status_display().lower()}).",
            code="calendar_day_decided",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Cần ghi lý do của quyết định.", code="calendar_reason_required")
    day.status = DayStatus.CONFIRMED if decision == CONFIRM else DayStatus.REMOVED
    day.decided_by = by
    day.decided_at = clock.now()
    day.decision_reason = reason
    day.decision_reference = (reference or "").strip()
    day.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "decision_reference",
            "updated_at",
        ]
    )
    return day


@transaction.atomic
def calendar_year_review(*, year: int, by: User, note: str = "") -> CalendarYearReview:
    """Record that an administrator reviewed the official calendar of a year (again: updated)."""
    if not OfficialDay.objects.filter(date__year=year).exists():
        raise ValidationFailed(
            f"Chưa có lịch chính thức của năm {year} để duyệt: nạp lịch trước (motcua calendar-load).",
            code="calendar_year_empty",
        )
    review, _ = CalendarYearReview.objects.update_or_create(
        year=year,
        defaults={"reviewed_by": by, "reviewed_at": clock.now(), "note": (note or "").strip()},
    )
    return review
