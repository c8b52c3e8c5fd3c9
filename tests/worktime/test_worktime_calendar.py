"""Table tests of the pure working calendar (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from motcua.worktime.calendar import (
    VN_TZ,
    WorkCalendar,
    vn_makeup_working_days,
    vn_public_holidays,
)

CAL = WorkCalendar()
EIGHT_HOURS = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


def closing(y: int, m: int, d: int) -> datetime:
    return at(y, m, d, 17, 0)


def test_holiday_library_gives_the_2026_and_2027_days_off():
    h2026 = vn_public_holidays(2026)
    assert {date(2026, 2, d) for d in range(16, 21)} <= h2026  # Tết
    assert date(2026, 4, 27) in h2026  # Hùng Kings observed (26/4 is a Sunday)
    assert date(2026, 8, 31) in h2026  # swapped from Saturday 22/8
    assert vn_makeup_working_days(2026) == {date(2026, 8, 22)}
    assert {date(2027, 2, d) for d in range(4, 11)} <= vn_public_holidays([2027])


@pytest.mark.parametrize(
    ("d", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before Tết
        (date(2026, 2, 16), False),  # Tết
        (date(2026, 2, 20), False),
        (date(2026, 2, 21), False),  # Saturday
        (date(2026, 2, 23), True),
        (date(2026, 4, 27), False),  # Hùng Kings observed
        (date(2026, 8, 22), True),  # make-up Saturday
        (date(2026, 8, 31), False),  # the day it pays for
        # Vietnam Cultural Day: unconfirmed in the official calendar, a working day until an
        # administrator confirms it (see test_worktime_official.py).
        (date(2026, 11, 24), True),
        (date(2027, 1, 1), False),
        (date(2027, 2, 10), False),  # last day of Tết 2027
        (date(2027, 2, 11), True),
    ],
)
def test_is_working_day(d, working):
    assert CAL.is_working_day(d) is working


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # The two figures the issue requires, with no override configured.
        (at(2026, 2, 13, 9), 5, closing(2026, 2, 27)),
        (at(2026, 4, 29, 9), 3, closing(2026, 5, 6)),
        # After hours on Friday: received Monday, 1 working day → Tuesday.
        (at(2026, 3, 6, 18), 1, closing(2026, 3, 10)),
        (at(2026, 3, 7, 10), 1, closing(2026, 3, 10)),  # Saturday receipt
        (at(2026, 3, 5, 6, 0), 1, closing(2026, 3, 6)),  # before opening counts that day
        (at(2026, 3, 5, 12, 0), 1, closing(2026, 3, 6)),  # lunch break counts that day
        (at(2026, 3, 5, 17, 0), 1, closing(2026, 3, 9)),  # closing moment is after hours
        (at(2026, 3, 5, 10), 0, closing(2026, 3, 5)),
        # Year ends.
        # Friday 2/1/2026 is a swapped day off (Công văn 12729/VPCP-KGVX of 25/12/2025).
        (at(2025, 12, 31, 10), 1, closing(2026, 1, 5)),
        (at(2026, 12, 31, 10), 1, closing(2027, 1, 4)),
        # Hùng Kings observed Monday, then 30/4 and 1/5.
        (at(2026, 4, 24, 10), 1, closing(2026, 4, 28)),
        (at(2026, 4, 24, 10), 2, closing(2026, 4, 29)),
        (at(2026, 4, 24, 10), 3, closing(2026, 5, 4)),
        # 31/8 swap: Saturday 22/8 works, Monday 31/8 and 1–2/9 are off.
        (at(2026, 8, 21, 10), 1, closing(2026, 8, 22)),
        (at(2026, 8, 21, 10), 2, closing(2026, 8, 24)),
        (at(2026, 8, 28, 10), 1, closing(2026, 9, 3)),
        # 24/11/2026 (Vietnam Cultural Day) is unconfirmed: a working day by default.
        (at(2026, 11, 23, 10), 1, closing(2026, 11, 24)),
        # Tết 2027 (4–10/2).
        (at(2027, 2, 3, 10), 1, closing(2027, 2, 11)),
        (at(2027, 2, 1, 9), 5, closing(2027, 2, 15)),
    ],
)
def test_add_working_days(start, n, due):
    assert CAL.add_working_days(start, n) == due


def test_naive_moments_are_read_as_vietnam_time():
    assert CAL.add_working_days(datetime(2026, 2, 13, 9), 5) == closing(2026, 2, 27)
    assert CAL.is_working_time(datetime(2026, 2, 13, 2, 0)) is False  # 02:00 local, not UTC


def test_other_offsets_are_converted_and_results_are_in_vietnam_time():
    nine_local = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)
    assert CAL.is_working_time(nine_local) is True
    due = CAL.add_working_days(nine_local, 5)
    assert due.isoformat() == "2026-02-27T17:00:00+07:00"


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (at(2026, 2, 13, 9), 3, closing(2026, 2, 23)),  # lands on Tết → next working day
        (at(2026, 4, 29, 9), 2, closing(2026, 5, 4)),  # 1/5 → Monday 4/5
        (at(2026, 3, 6, 10), 1, closing(2026, 3, 9)),  # Saturday → Monday
        (at(2026, 3, 6, 18), 1, closing(2026, 3, 10)),  # after hours: counts from Monday
        (at(2026, 12, 30, 10), 2, closing(2027, 1, 4)),  # 1/1/2027 → Monday
        (at(2026, 3, 4, 10), 2, closing(2026, 3, 6)),
    ],
)
def test_add_calendar_days(start, n, due):
    assert CAL.add_calendar_days(start, n) == due


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(2026, 2, 13, 9), 4, at(2026, 2, 13, 14, 30)),  # across the lunch break
        (at(2026, 2, 13, 16), 2, at(2026, 2, 23, 8, 30)),  # across Tết
        (at(2026, 2, 13, 18), 1, at(2026, 2, 23, 8, 30)),  # after hours: from the next opening
        # Time that runs out at the end of a window is due at the start of the next one.
        (at(2026, 2, 13, 9), 2.5, at(2026, 2, 13, 13)),
        (at(2026, 2, 13, 7, 30), 8, at(2026, 2, 23, 7, 30)),
        (at(2026, 3, 5, 10), 0, at(2026, 3, 5, 10)),
        (at(2026, 3, 5, 12), 0, at(2026, 3, 5, 13)),
    ],
)
def test_add_working_hours(start, hours, due):
    assert CAL.add_working_hours(start, hours) == due
    assert CAL.add_working_time(start, timedelta(hours=hours)) == due


def test_default_windows_are_eight_hours():
    assert CAL.day_length() == timedelta(hours=8)
    assert WorkCalendar(windows=EIGHT_HOURS).day_length() == timedelta(hours=8)


@pytest.mark.parametrize(
    "start",
    [at(2026, 2, 13, 9), at(2026, 2, 13, 7, 30), at(2026, 2, 13, 18), at(2026, 4, 29, 16, 59)],
)
@pytest.mark.parametrize("n", [1, 3, 5, 10])
def test_whole_days_in_hours_give_the_same_date_as_days(start, n):
    eight = WorkCalendar(windows=EIGHT_HOURS)
    # 8 working hours = 1 working day with 8-hour windows.
    assert eight.add_working_hours(start, 8 * n).date() == eight.add_working_days(start, n).date()
    day_hours = CAL.day_length() / timedelta(hours=1)
    assert (
        CAL.add_working_hours(start, day_hours * n).date() == CAL.add_working_days(start, n).date()
    )


def test_working_time_between():
    assert CAL.working_time_between(at(2026, 2, 13, 9), at(2026, 2, 23, 9)) == timedelta(hours=8)
    assert CAL.working_time_between(at(2026, 3, 5, 12), at(2026, 3, 5, 13)) == timedelta(0)
    assert CAL.working_time_between(at(2026, 3, 5, 10), at(2026, 3, 5, 9)) == timedelta(0)
    # A whole ordinary week.
    assert CAL.working_time_between(at(2026, 3, 2), at(2026, 3, 9)) == timedelta(hours=40)


def test_working_days_between():
    assert CAL.working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5
    assert CAL.working_days_between(date(2026, 4, 29), date(2026, 5, 6)) == 3
    assert CAL.working_days_between(date(2026, 5, 6), date(2026, 4, 29)) == 0
    assert (
        CAL.working_days_between(date(2026, 8, 21), date(2026, 8, 24)) == 2
    )  # Saturday 22/8 works


def test_next_opening_and_is_working_time():
    assert CAL.next_opening(at(2026, 3, 5, 10)) == at(2026, 3, 5, 10)
    assert CAL.next_opening(at(2026, 3, 5, 11, 30)) == at(2026, 3, 5, 13)
    assert CAL.next_opening(at(2026, 2, 13, 17)) == at(2026, 2, 23, 7, 30)
    assert CAL.is_working_time(at(2026, 3, 5, 7, 30)) is True
    assert CAL.is_working_time(at(2026, 3, 5, 17)) is False
    assert CAL.is_working_time(at(2026, 2, 17, 10)) is False
    assert CAL.closing_of(date(2026, 3, 5)) == closing(2026, 3, 5)


@pytest.mark.parametrize(
    ("start", "cutoff", "duty", "due"),
    [
        (at(2026, 3, 5, 10), time(15), False, closing(2026, 3, 5)),
        (at(2026, 3, 5, 15, 30), time(15), False, closing(2026, 3, 6)),
        (at(2026, 3, 6, 15, 30), time(15), False, closing(2026, 3, 9)),  # Friday → Monday
        (at(2026, 3, 5, 6, 0), time(15), False, closing(2026, 3, 5)),  # before opening
        (at(2026, 3, 5, 17, 30), None, False, closing(2026, 3, 6)),  # after hours
        (at(2026, 2, 17, 10), None, False, closing(2026, 2, 23)),  # Tết without duty
        # Holiday duty: death registration returned the same day, holidays included.
        (at(2026, 2, 17, 10), None, True, closing(2026, 2, 17)),
        (at(2026, 2, 17, 18), None, True, closing(2026, 2, 18)),
        (at(2026, 3, 8, 9), time(15), True, closing(2026, 3, 8)),  # Sunday
        (at(2026, 3, 8, 16), time(15), True, closing(2026, 3, 9)),
    ],
)
def test_same_day_due(start, cutoff, duty, due):
    assert CAL.same_day_due(start, cutoff, duty) == due


def test_duty_dates_open_single_days_for_same_day_rules_only():
    cal = WorkCalendar(duty_dates=frozenset({date(2026, 2, 18)}))
    assert cal.same_day_due(at(2026, 2, 17, 10), None, False) == closing(2026, 2, 18)
    assert cal.is_working_day(date(2026, 2, 18)) is False
    assert cal.add_working_days(at(2026, 2, 17, 10), 1) == closing(2026, 2, 24)


@pytest.mark.parametrize(
    ("received", "cutoff", "due"),
    [
        (at(2026, 3, 5, 14), time(15), closing(2026, 3, 10)),
        (at(2026, 3, 5, 15, 30), time(15), closing(2026, 3, 11)),  # after cut-off: from Friday
        (at(2026, 3, 5, 18), time(15), closing(2026, 3, 11)),
    ],
)
def test_cutoff_applies_to_day_rules(received, cutoff, due):
    assert CAL.due(received, working_days=3, cutoff=cutoff) == due


def test_due_needs_exactly_one_rule():
    with pytest.raises(ValueError):
        CAL.due(at(2026, 3, 5, 10))
    with pytest.raises(ValueError):
        CAL.due(at(2026, 3, 5, 10), working_days=1, calendar_days=1)
    with pytest.raises(ValueError):
        CAL.add_working_days(at(2026, 3, 5, 10), -1)


class TestOverrides:
    def test_extra_day_off(self):
        cal = WorkCalendar(extra_days_off=frozenset({date(2026, 3, 9)}))
        assert cal.add_working_days(at(2026, 3, 6, 10), 1) == closing(2026, 3, 10)

    def test_makeup_saturday(self):
        cal = WorkCalendar(makeup_days=frozenset({date(2026, 3, 7)}))
        assert cal.add_working_days(at(2026, 3, 6, 10), 1) == closing(2026, 3, 7)

    def test_overrides_beat_the_library_both_ways(self):
        # The administrator cancels the library's swap: 31/8 works, Saturday 22/8 is off.
        cal = WorkCalendar(
            makeup_days=frozenset({date(2026, 8, 31)}),
            extra_days_off=frozenset({date(2026, 8, 22)}),
        )
        assert cal.add_working_days(at(2026, 8, 21, 10), 1) == closing(2026, 8, 24)
        assert cal.add_working_days(at(2026, 8, 28, 10), 1) == closing(2026, 8, 31)

    def test_swap_across_a_year_boundary(self):
        # Thursday 31/12/2026 off, paid back on Saturday 9/1/2027.
        cal = WorkCalendar(
            extra_days_off=frozenset({date(2026, 12, 31)}),
            makeup_days=frozenset({date(2027, 1, 9)}),
        )
        assert cal.add_working_days(at(2026, 12, 30, 10), 1) == closing(2027, 1, 4)
        assert cal.add_working_days(at(2027, 1, 8, 10), 1) == closing(2027, 1, 9)
        assert cal.working_days_between(date(2026, 12, 30), date(2027, 1, 9)) == 6

    def test_fixed_holiday_set(self):
        cal = WorkCalendar(holidays={date(2026, 3, 6)}, base_workdays=frozenset())
        assert cal.add_working_days(at(2026, 3, 5, 10), 1) == closing(2026, 3, 9)
        assert cal.is_working_day(date(2026, 2, 17)) is True  # not in this fixed set


def test_unit_windows():
    cal = WorkCalendar(windows=((time(8), time(12)), (time(13), time(16, 30))))
    assert cal.add_working_days(at(2026, 3, 5, 10), 1) == at(2026, 3, 6, 16, 30)
    assert cal.next_opening(at(2026, 3, 5, 7, 45)) == at(2026, 3, 5, 8)
    with pytest.raises(ValueError):
        WorkCalendar(windows=((time(13), time(12)),))
    with pytest.raises(ValueError):
        WorkCalendar(windows=((time(8), time(12)), (time(11), time(16))))


def test_calendar_is_hashable_and_comparable():
    assert WorkCalendar() == WorkCalendar()
    assert hash(WorkCalendar(extra_days_off={date(2026, 3, 9)})) == hash(
        WorkCalendar(extra_days_off=frozenset({date(2026, 3, 9)}))
    )
