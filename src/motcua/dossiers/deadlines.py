"""Deadline arithmetic for dossiers, over the working calendar of the `worktime` app.

`calendar(unit)` and `due_on_receipt(...)` use `motcua.worktime.selectors` when it is installed;
until then (and for the pure tests) a small fallback calendar with the same method names is
used: Monday–Friday, 07:30–11:30 and 13:30–17:00, Vietnamese public holidays from `holidays`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Protocol

from motcua.core.clock import VN_TZ, local
from motcua.dossiers.workflow import DEFAULT_STEP_SHARES


class WorkCalendar(Protocol):
    def add_working_time(self, start: datetime, delta: timedelta) -> datetime: ...
    def working_time_between(self, a: datetime, b: datetime) -> timedelta: ...
    def add_working_days(self, start: datetime, n: int) -> datetime: ...
    def is_working_time(self, dt: datetime) -> bool: ...


@lru_cache(maxsize=8)
def _vn_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.VN(years=year).keys())


class FallbackCalendar:
    """Office hours Monday–Friday with Vietnamese public holidays (no official swaps, no duty)."""

    def __init__(
        self,
        windows: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0))),
    ):
        self.windows = windows

    @property
    def day_length(self) -> timedelta:
        return sum(
            (datetime.combine(date.min, b) - datetime.combine(date.min, a) for a, b in self.windows),
            timedelta(),
        )

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in _vn_holidays(d.year)

    def _day_windows(self, d: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(d):
            return []
        return [
            (datetime.combine(d, a, tzinfo=VN_TZ), datetime.combine(d, b, tzinfo=VN_TZ))
            for a, b in self.windows
        ]

    def is_working_time(self, dt: datetime) -> bool:
        dt = local(dt)
        return any(a <= dt < b for a, b in self._day_windows(dt.date()))

    def closing(self, d: date) -> datetime:
        return datetime.combine(d, self.windows[-1][1], tzinfo=VN_TZ)

    def next_working_day(self, d: date) -> date:
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        cur = local(start)
        left = delta
        d = cur.date()
        for _ in range(3660):
            for a, b in self._day_windows(d):
                if cur >= b:
                    continue
                begin = max(cur, a)
                room = b - begin
                if left <= room:
                    # Ending exactly at a window's end is fine (a due moment of 17:00).
                    return begin + left
                left -= room
                cur = b
            d += timedelta(days=1)
            cur = datetime.combine(d, time.min, tzinfo=VN_TZ)
        raise ValueError("working time out of range")

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        a, b = local(a), local(b)
        if b <= a:
            return timedelta()
        total = timedelta()
        d = a.date()
        while d <= b.date():
            for w0, w1 in self._day_windows(d):
                lo, hi = max(a, w0), min(b, w1)
                if hi > lo:
                    total += hi - lo
            d += timedelta(days=1)
        return total

    def add_working_days(self, start: datetime, n: int) -> datetime:
        return self.add_working_time(start, self.day_length * n)


def calendar(unit: Any = None) -> WorkCalendar:
    """The working calendar of a unit (the worktime app's when installed)."""
    try:
        from motcua.worktime.selectors import calendar_for_unit
    except ImportError:
        return FallbackCalendar()
    return calendar_for_unit(unit)


def _fallback_due(version: Any, received_at: datetime) -> datetime:
    cal = FallbackCalendar()
    received_at = local(received_at)
    unit = version.time_unit
    n = version.time_value
    if unit == "working_hours":
        return cal.add_working_time(received_at, timedelta(hours=n))
    if unit == "calendar_days":
        d = received_at.date() + timedelta(days=n)
        while not cal.is_working_day(d):
            d += timedelta(days=1)
        return cal.closing(d)
    if unit == "same_day":
        d = received_at.date()
        after_cutoff = version.cutoff is not None and received_at.time() > version.cutoff
        after_closing = received_at >= cal.closing(d)
        open_today = cal.is_working_day(d) or version.holiday_duty
        if open_today and not after_cutoff and not after_closing:
            return cal.closing(d)
        return cal.closing(cal.next_working_day(d))
    return cal.add_working_days(received_at, n)


def due_on_receipt(*, version: Any, received_at: datetime, unit: Any = None) -> datetime:
    """The legal due moment of a dossier received at `received_at` (catalogue + calendar)."""
    try:
        from motcua.worktime.selectors import due_for_procedure
    except ImportError:
        return _fallback_due(version, received_at)
    return local(due_for_procedure(version=version, received_at=received_at, unit=unit))


def step_deadline(
    *, cal: WorkCalendar, start: datetime, total: timedelta, share_pct: int, due_at: datetime
) -> datetime:
    """A step's own deadline: its share of the total legal time from its start, never after the due moment."""
    moment = cal.add_working_time(start, total * share_pct / 100)
    return min(moment, due_at)


def step_shares(procedure_code: str | None = None) -> dict[str, int]:
    """Shares of the legal time per step: StepShare rows for the procedure, then the defaults."""
    from motcua.dossiers.models import StepShare

    shares = dict(DEFAULT_STEP_SHARES)
    rows = StepShare.objects.filter(procedure_code__in=["", procedure_code or ""]).order_by("procedure_code")
    for row in rows:  # the procedure's own rows come last and win
        shares[row.step] = row.percent
    return shares
