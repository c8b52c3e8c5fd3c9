"""JSON API of the worktime app."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from motcua.worktime.inputs import due_answer

router = Router(tags=["worktime"])


class CalendarEntryOut(Schema):
    date: str
    kind: str
    kind_label: str
    name: str
    source: str
    status: str
    status_label: str
    working: bool


class DueDateOut(Schema):
    received: str
    due_at: str
    rule: str
    unit: str | None
    # Only with explain=1 (left out of the answer otherwise, so its shape is unchanged).
    entries: list[CalendarEntryOut] | None = None


class ErrorOut(Schema):
    code: str
    message: str


@router.get(
    "/worktime/due-date",
    response={200: DueDateOut, 404: ErrorOut, 422: ErrorOut},
    auth=None,
    summary="Thời hạn giải quyết",
    exclude_unset=True,
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
    explain: bool = False,
) -> DueDateOut:
    """Due moment of a rule or a procedure for a receipt at a moment (ISO 8601 with offset).

    With `explain=1` the answer also lists the calendar entries from the day of receipt to the
    due date (holidays, swapped and compensatory days off, make-up working days, duty days),
    each with its Vietnamese name and the act or notice that set it.
    """
    answer = due_answer(
        received=received,
        working_days=working_days,
        working_hours=working_hours,
        calendar_days=calendar_days,
        procedure=procedure,
        same_day=same_day,
        cutoff=cutoff,
        unit=unit,
        explain=explain,
    )
    out = DueDateOut(
        received=answer.received.isoformat(),
        due_at=answer.due_at.isoformat(),
        rule=answer.rule,
        unit=answer.unit,
    )
    if answer.entries is not None:
        out.entries = [
            CalendarEntryOut(
                date=e.date.isoformat(),
                kind=e.kind,
                kind_label=e.kind_label,
                name=e.name,
                source=e.source,
                status=e.status,
                status_label=e.status_label,
                working=e.working,
            )
            for e in answer.entries
        ]
    return out
