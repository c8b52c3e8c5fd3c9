"""Hypothesis properties of the pure working calendar.

"Due moment" is defined precisely as: working time (hour rules: the latest moment at which
the time has elapsed), or the closing of a day open for the rule (day rules).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.worktime.calendar import VN_TZ, WorkCalendar

SETTINGS = settings(max_examples=60, deadline=None)
VN = WorkCalendar()
EIGHT = WorkCalendar(windows=((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0))))

moments = st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2028, 6, 1)).map(
    lambda dt: dt.replace(second=0, microsecond=0, tzinfo=VN_TZ)
)
deltas = st.integers(min_value=0, max_value=60 * 8 * 40).map(lambda m: timedelta(minutes=m))
days = st.integers(min_value=0, max_value=40)
override_dates = st.frozensets(
    st.dates(min_value=date(2025, 6, 1), max_value=date(2028, 8, 1)), max_size=30
)
calendars = st.one_of(
    st.just(VN),
    st.just(EIGHT),
    st.builds(
        lambda off, up: WorkCalendar(extra_days_off=off, makeup_days=up - off),
        override_dates,
        override_dates,
    ),
)


def is_due_moment(cal: WorkCalendar, due: datetime, *, duty: bool = False) -> bool:
    return cal.is_working_time(due) or (
        due == cal.closing_of(due.date()) and cal.is_open_day(due.date(), duty=duty)
    )


@SETTINGS
@given(calendars, moments, deltas)
def test_adding_then_measuring_gives_back_the_time(cal, start, delta):
    due = cal.add_working_time(start, delta)
    assert cal.working_time_between(start, due) == delta
    assert cal.is_working_time(due)


@SETTINGS
@given(calendars, moments, days)
def test_day_rules_end_at_a_working_day_closing(cal, start, n):
    due = cal.add_working_days(start, n)
    assert is_due_moment(cal, due) and not cal.is_working_time(due)
    assert due > start
    # The period used exactly n working days after the day of receipt.
    assert cal.working_days_between(cal.next_opening(start).date(), due.date()) == n
    cal_due = cal.add_calendar_days(start, n)
    assert is_due_moment(cal, cal_due) and cal_due > start


@SETTINGS
@given(
    calendars,
    moments,
    st.one_of(st.none(), st.times(min_value=time(7), max_value=time(18))),
    st.booleans(),
)
def test_same_day_due_is_a_closing_of_an_open_day(cal, start, cutoff, duty):
    due = cal.same_day_due(start, cutoff, duty)
    assert is_due_moment(cal, due, duty=duty)
    assert due > start
    assert due.date() >= start.date()


@SETTINGS
@given(calendars, moments, moments, days, days)
def test_monotonic_in_start_and_in_n(cal, s1, s2, n1, n2):
    s1, s2 = min(s1, s2), max(s1, s2)
    n1, n2 = min(n1, n2), max(n1, n2)
    assert cal.add_working_days(s1, n1) <= cal.add_working_days(s2, n1)
    assert cal.add_working_days(s1, n1) <= cal.add_working_days(s1, n2)
    assert cal.add_calendar_days(s1, n1) <= cal.add_calendar_days(s2, n1)
    assert cal.add_calendar_days(s1, n1) <= cal.add_calendar_days(s1, n2)
    hours1, hours2 = timedelta(hours=n1), timedelta(hours=n2)
    assert cal.add_working_time(s1, hours1) <= cal.add_working_time(s2, hours1)
    assert cal.add_working_time(s1, hours1) <= cal.add_working_time(s1, hours2)
    assert cal.same_day_due(s1, None, False) <= cal.same_day_due(s2, None, False)


@SETTINGS
@given(calendars, moments, st.integers(min_value=1, max_value=30))
def test_whole_days_agree_in_hours_and_days(cal, start, n):
    by_hours = cal.add_working_time(start, cal.day_length() * n)
    assert by_hours.date() == cal.add_working_days(start, n).date()


@SETTINGS
@given(calendars, moments, moments)
def test_working_time_between_is_additive(cal, a, b):
    a, b = min(a, b), max(a, b)
    mid = a + (b - a) / 2
    assert cal.working_time_between(a, b) == cal.working_time_between(
        a, mid
    ) + cal.working_time_between(mid, b)
    assert cal.working_time_between(b, a) == timedelta(0)
