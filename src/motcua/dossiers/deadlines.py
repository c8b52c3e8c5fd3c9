"""Deadline arithmetic for dossiers, over the working calendar of the `worktime` app."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from motcua.core.clock import local
from motcua.dossiers.workflow import DEFAULT_STEP_SHARES


def calendar(unit: Any = None) -> Any:
    """The working calendar of a unit (holidays, official swaps, office hours)."""
    from motcua.worktime.selectors import calendar_for_unit

    return calendar_for_unit(unit)


def due_on_receipt(*, version: Any, received_at: datetime, unit: Any = None) -> datetime:
    """The legal due moment of a dossier received at `received_at` (catalogue + calendar)."""
    from motcua.worktime.selectors import due_for_procedure

    return local(due_for_procedure(version=version, received_at=received_at, unit=unit))


def add_working(cal: Any, start: datetime, delta: timedelta) -> datetime:
    """`start` plus `delta` of working time, ending at a window's end rather than the next opening.

    The calendar answers "the latest moment at which delta has elapsed": a period that fills a
    day exactly ends at 17:00, not at 07:30 the next working day, on an appointment slip.
    """
    moment = local(cal.add_working_time(start, delta))
    if delta <= timedelta():
        return moment
    t = moment.timetz().replace(tzinfo=None)
    starts = [w[0] for w in cal.windows]
    if t not in starts:
        return moment
    i = starts.index(t)
    if i > 0:
        candidate = moment.replace(
            hour=cal.windows[i - 1][1].hour, minute=cal.windows[i - 1][1].minute
        )
    else:
        day = moment.date() - timedelta(days=1)
        for _ in range(400):
            if cal.is_working_day(day):
                break
            day -= timedelta(days=1)
        candidate = local(cal.closing_of(day))
    return candidate if candidate > local(start) else moment


def closing_at_or_after(cal: Any, moment: datetime) -> datetime:
    """The closing moment of the working day `moment` falls on, or of the next working day.

    A due moment given to a citizen is a whole working day: a recomputed one (pause and resume)
    lands exactly on a closing moment, never on 16:59:59.63 because of a fraction of a second.
    """
    moment = local(moment)
    day = moment.date()
    for _ in range(400):
        if cal.is_working_day(day) and moment <= local(cal.closing_of(day)):
            return local(cal.closing_of(day))
        day += timedelta(days=1)
    raise ValueError("no working day within 400 days")


def step_deadline(
    *, cal: Any, start: datetime, total: timedelta, share_pct: int, due_at: datetime
) -> datetime:
    """A step's own deadline: its share of the total legal time from its start, never after the due moment."""
    return min(add_working(cal, start, total * share_pct / 100), due_at)


def step_shares(procedure_code: str | None = None) -> dict[str, int]:
    """Shares of the legal time per step: StepShare rows for the procedure, then the office default, then built-in."""
    from motcua.dossiers.models import StepShare

    shares = dict(DEFAULT_STEP_SHARES)
    rows = StepShare.objects.filter(procedure_code__in=["", procedure_code or ""]).order_by(
        "procedure_code"
    )
    for row in rows:  # the procedure's own rows sort last and win
        shares[row.step] = row.percent
    return shares
