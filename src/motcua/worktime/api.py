"""JSON API of the worktime app."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from motcua.worktime.inputs import due_answer

router = Router(tags=["worktime"])


class DueDateOut(Schema):
    received: str
    due_at: str
    rule: str
    unit: str | None


class ErrorOut(Schema):
    code: str
    message: str


@router.get(
    "/worktime/due-date",
    response={200: DueDateOut, 404: ErrorOut, 422: ErrorOut},
    auth=None,
    summary="Thời hạn giải quyết",
)
def due_date(
    request: HttpRequest,
    received: str | None = None,
    working_days: str | None = None,
    working_hours: str | None = None,
    calendar_days: str | None = None,
    same_day: bool = False,
    procedure: str | None = None,
    cutoff: str | None = None,
    unit: str | None = None,
) -> DueDateOut:
    """Due moment of a rule or a procedure for a receipt at a moment (ISO 8601 with offset)."""
    answer = due_answer(
        received=received,
        working_days=working_days,
        working_hours=working_hours,
        calendar_days=calendar_days,
        procedure=procedure,
        same_day=same_day,
        cutoff=cutoff,
        unit=unit,
    )
    return DueDateOut(
        received=answer.received.isoformat(),
        due_at=answer.due_at.isoformat(),
        rule=answer.rule,
        unit=answer.unit,
    )
