"""The working calendar as pure code: no Django, no database.

Conventions (every helper codes against them):

* Moments are timezone-aware; a naive datetime is read as office time (Asia/Ho_Chi_Minh).
  Results are returned in the calendar's time zone.
* A working day has the same opening windows, half-open: ``[start, end)``. So 07:30 is working
  time and 17:00 is not; 17:00 is the day's *closing* (``closing_of``).
* Receipt after hours or on a day off counts as received at the next opening.
* Day rules (working days, calendar days, same day) end at the **closing** of a day.
* Hour rules end at a **working-time** moment: the latest moment at which exactly the given
  working time has elapsed. When the time runs out at the end of a window the result is the
  start of the next window (no working time lies between them). This is what makes hours and
  days agree on the date: 07:30 Monday + 8 working hours is 07:30 Tuesday, the same date as
  "1 working day" (the closing of Tuesday).
* Hence the invariant tested by hypothesis: every due moment is either working time, or the
  closing of a day that is open for the rule (``closing_of(due.date()) == due``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from motcua.worktime.official import shipped_holidays_year, shipped_makeup_year

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# 8 working hours a day (civil servants work 8 hours a day, 40 a week), so that "N working
# hours" and "N/8 working days" agree; offices set their own windows on org.Office.
DEFAULT_WINDOWS: tuple[tuple[time, time], ...] = (
    (time(7, 30), time(11, 30)),
    (time(13, 0), time(17, 0)),
)

# A source of dates: a fixed collection, or a function of the year (so any year is covered).
DateSource = Collection[date] | Callable[[int], Collection[date]]

# No real calendar has ten years without a working day; a bound keeps bad input from looping.
_SEARCH_LIMIT_DAYS = 3660


@lru_cache(maxsize=256)
def _vn_holidays_year(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.VN(years=year).keys())


@lru_cache(maxsize=256)
def _vn_makeup_year(year: int) -> frozenset[date]:
    import holidays

    # A make-up Saturday may pay back a day off of the next year (late December before Tết).
    workdays = holidays.VN(years=[year, year + 1]).weekend_workdays
    return frozenset(d for d in workdays if d.year == year)


def _years(years: int | Iterable[int]) -> list[int]:
    return [years] if isinstance(years, int) else list(years)


def vn_public_holidays(years: int | Iterable[int]) -> set[date]:
    """Vietnamese public holidays (with observed and swapped days off) from the `holidays` package."""
    out: set[date] = set()
    for year in _years(years):
        out |= _vn_holidays_year(year)
    return out


def vn_makeup_working_days(years: int | Iterable[int]) -> set[date]:
    """Weekend days the `holidays` package declares working days (make-up Saturdays of a swap)."""
    out: set[date] = set()
    for year in _years(years):
        out |= _vn_makeup_year(year)
    return out


def _contains(source: DateSource, d: date) -> bool:
    if callable(source):
        return d in source(d.year)
    return d in source


@dataclass(frozen=True)
class WorkCalendar:
    """Which days and hours an office works, and deadline arithmetic over them.

    Precedence for a date: ``extra_days_off`` > ``makeup_days`` > ``base_workdays`` >
    ``holidays`` > weekend. The first two are the administrator's overrides, so they beat the
    official calendar both ways. By default ``holidays`` and ``base_workdays`` come from the
    shipped official calendar (``official.py``), and from the `holidays` package only for the
    years it does not cover.
    """

    holidays: DateSource = shipped_holidays_year
    extra_days_off: frozenset[date] = frozenset()
    makeup_days: frozenset[date] = frozenset()
    base_workdays: DateSource = shipped_makeup_year
    windows: tuple[tuple[time, time], ...] = DEFAULT_WINDOWS
    tz: tzinfo = VN_TZ
    duty_dates: frozenset[date] = frozenset()
    weekend: frozenset[int] = field(default=frozenset({5, 6}))

    def __post_init__(self) -> None:
        for name in ("extra_days_off", "makeup_days", "duty_dates", "weekend"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        if not callable(self.holidays):
            object.__setattr__(self, "holidays", frozenset(self.holidays))
        if not callable(self.base_workdays):
            object.__setattr__(self, "base_workdays", frozenset(self.base_workdays))
        windows = tuple((w[0], w[1]) for w in self.windows)
        if not windows:
            raise ValueError("a working calendar needs at least one opening window")
        previous_end: time | None = None
        for start, end in windows:
            if start >= end:
                raise ValueError(f"window {start}–{end} ends before it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError("windows must be sorted and must not overlap")
            previous_end = end
        object.__setattr__(self, "windows", windows)

    # -- days -------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """True when the office opens on this date for ordinary procedures."""
        if d in self.extra_days_off:
            return False
        if d in self.makeup_days or _contains(self.base_workdays, d):
            return True
        if _contains(self.holidays, d):
            return False
        return d.weekday() not in self.weekend

    def is_open_day(self, d: date, *, duty: bool = False) -> bool:
        """Open for a procedure: a working day, a duty date, or any day when always on duty."""
        return duty or d in self.duty_dates or self.is_working_day(d)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return self._next_open_day(d, duty=False, working_only=True)

    def _next_open_day(self, d: date, *, duty: bool, working_only: bool = False) -> date:
        for i in range(1, _SEARCH_LIMIT_DAYS):
            candidate = d + timedelta(days=i)
            if working_only and self.is_working_day(candidate):
                return candidate
            if not working_only and self.is_open_day(candidate, duty=duty):
                return candidate
        raise ValueError("no working day within ten years: check the calendar's overrides")

    def working_days_between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b (0 when b <= a): the days a period has used."""
        if b <= a:
            return 0
        return sum(
            1 for i in range(1, (b - a).days + 1) if self.is_working_day(a + timedelta(days=i))
        )

    # -- moments ----------------------------------------------------------------------------

    def local(self, dt: datetime) -> datetime:
        """The same moment in the calendar's zone (naive datetimes are read as local time)."""
        if dt.tzinfo is None:
            return dt.replace(tzinfo=self.tz)
        return dt.astimezone(self.tz)

    def _at(self, d: date, t: time) -> datetime:
        return datetime.combine(d, t, tzinfo=self.tz)

    def opening_of(self, d: date) -> datetime:
        """The first opening moment of a date (whether or not it is a working day)."""
        return self._at(d, self.windows[0][0])

    def closing_of(self, d: date) -> datetime:
        """The closing moment of a date: the end of its last window."""
        return self._at(d, self.windows[-1][1])

    def day_length(self) -> timedelta:
        """Working time in one working day (8 hours with the default windows)."""
        return sum(
            (
                self._at(date(2000, 1, 3), e) - self._at(date(2000, 1, 3), s)
                for s, e in self.windows
            ),
            timedelta(0),
        )

    def is_working_time(self, dt: datetime) -> bool:
        """True when the office is open at this moment (windows are half-open)."""
        dt = self.local(dt)
        if not self.is_working_day(dt.date()):
            return False
        t = dt.timetz().replace(tzinfo=None)
        return any(start <= t < end for start, end in self.windows)

    def _next_opening(
        self, dt: datetime, *, duty: bool = False, working_only: bool = True
    ) -> datetime:
        dt = self.local(dt)
        d = dt.date()
        open_today = self.is_working_day(d) if working_only else self.is_open_day(d, duty=duty)
        if open_today:
            t = dt.timetz().replace(tzinfo=None)
            for start, end in self.windows:
                if t < start:
                    return self._at(d, start)
                if t < end:
                    return dt
        nxt = self._next_open_day(d, duty=duty, working_only=working_only)
        return self.opening_of(nxt)

    def next_opening(self, dt: datetime) -> datetime:
        """`dt` itself when it is working time, else the next moment the office opens."""
        return self._next_opening(dt)

    def effective_receipt(self, start: datetime, cutoff: time | None = None) -> datetime:
        """When a receipt starts counting: the next opening; after the cut-off, the next working day's."""
        start = self.local(start)
        opening = self.next_opening(start)
        if (
            cutoff is not None
            and opening.date() == start.date()
            and start.timetz().replace(tzinfo=None) >= cutoff
        ):
            return self.opening_of(self.next_working_day(start.date()))
        return opening

    # -- day rules --------------------------------------------------------------------------

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Closing of the n-th working day after the day of receipt (n=0: the receipt day's)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = self.next_opening(start).date()
        for _ in range(n):
            day = self.next_working_day(day)
        return self.closing_of(day)

    def add_calendar_days(self, start: datetime, n: int) -> datetime:
        """Closing of the n-th day after receipt, moved to the next working day if it is a day off."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = self.next_opening(start).date() + timedelta(days=n)
        if not self.is_working_day(day):
            day = self.next_working_day(day)
        return self.closing_of(day)

    def same_day_due(
        self, start: datetime, cutoff: time | None = None, duty: bool = False
    ) -> datetime:
        """Closing of the receipt day; after the cut-off or hours, the next open day's closing.

        With ``duty`` every day is open (holiday duty: death registration returned the same day,
        weekends and holidays included); ``duty_dates`` open single days without it.
        """
        start = self.local(start)
        d = start.date()
        t = start.timetz().replace(tzinfo=None)
        if (
            self.is_open_day(d, duty=duty)
            and start < self.closing_of(d)
            and (cutoff is None or t < cutoff)
        ):
            return self.closing_of(d)
        return self.closing_of(self._next_open_day(d, duty=duty))

    # -- hour rules -------------------------------------------------------------------------

    def _window_end(self, dt: datetime) -> datetime:
        """End of the window containing `dt` (which must be working time)."""
        t = dt.timetz().replace(tzinfo=None)
        for start, end in self.windows:
            if start <= t < end:
                return self._at(dt.date(), end)
        raise ValueError(f"{dt} is not working time")

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """The latest moment at which `delta` of working time has elapsed since `start`."""
        if delta < timedelta(0):
            raise ValueError("delta must not be negative")
        cur = self.next_opening(start)
        remaining = delta
        day_length = self.day_length()
        while True:
            # Skip whole working days at once so that long periods stay cheap.
            if cur == self.opening_of(cur.date()) and remaining >= day_length + day_length:
                remaining -= day_length
                cur = self.opening_of(self.next_working_day(cur.date()))
                continue
            if remaining == timedelta(0):
                return cur
            end = self._window_end(cur)
            available = end - cur
            if remaining < available:
                return cur + remaining
            remaining -= available
            cur = self.next_opening(end)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """`add_working_time` with a number of hours."""
        return self.add_working_time(start, timedelta(hours=hours))

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in [a, b) (zero when b <= a): what a pause or a step has used."""
        a, b = self.local(a), self.local(b)
        if b <= a:
            return timedelta(0)
        total = timedelta(0)
        d = a.date()
        last = b.date()
        while d <= last:
            if self.is_working_day(d):
                for ws, we in self.windows:
                    lo = max(self._at(d, ws), a)
                    hi = min(self._at(d, we), b)
                    if hi > lo:
                        total += hi - lo
            d += timedelta(days=1)
        return total

    # -- one entry point for every rule -----------------------------------------------------

    def due(
        self,
        received_at: datetime,
        *,
        working_days: int | None = None,
        working_hours: float | None = None,
        calendar_days: int | None = None,
        same_day: bool = False,
        cutoff: time | None = None,
        duty: bool = False,
    ) -> datetime:
        """Due moment of exactly one rule; a cut-off also moves day and hour rules to the next day."""
        given = [
            working_days is not None,
            working_hours is not None,
            calendar_days is not None,
            same_day,
        ]
        if sum(given) != 1:
            raise ValueError("give exactly one rule")
        if same_day:
            return self.same_day_due(received_at, cutoff, duty)
        start = self.effective_receipt(received_at, cutoff)
        if working_days is not None:
            return self.add_working_days(start, working_days)
        if working_hours is not None:
            return self.add_working_hours(start, working_hours)
        assert calendar_days is not None
        return self.add_calendar_days(start, calendar_days)
