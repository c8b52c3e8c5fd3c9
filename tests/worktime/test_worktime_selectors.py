"""The unit calendar and due moments read from the database (overrides, office hours, duty)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from factories import OfficeFactory, ProcedureVersionFactory, UnitFactory
from motcua.catalog.models import TimeUnit
from motcua.core.errors import ValidationFailed
from motcua.org.models import UnitLevel
from motcua.worktime.calendar import VN_TZ
from motcua.worktime.models import CalendarOverride, HolidayDuty, OverrideKind
from motcua.worktime.selectors import calendar_for_unit, due_for_procedure, due_moment

pytestmark = pytest.mark.django_db


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


def closing(y: int, m: int, d: int) -> datetime:
    return at(y, m, d, 17)


@pytest.fixture
def tree():
    city = UnitFactory(code="01", name="Thành phố Hà Nội", level=UnitLevel.PROVINCE)
    district = UnitFactory(code="268", name="Quận Hà Đông", level=UnitLevel.DISTRICT, parent=city)
    ward = UnitFactory(
        code="09552", name="Phường Quang Trung", level=UnitLevel.WARD, parent=district
    )
    sibling = UnitFactory(
        code="09553", name="Phường Nguyễn Trãi", level=UnitLevel.WARD, parent=district
    )
    return city, district, ward, sibling


def test_required_figures_with_no_override():
    assert CalendarOverride.objects.count() == 0
    assert due_moment(received_at=at(2026, 2, 13, 9), working_days=5) == closing(2026, 2, 27)
    assert due_moment(received_at=at(2026, 4, 29, 9), working_days=3) == closing(2026, 5, 6)


def test_national_overrides_both_ways():
    CalendarOverride.objects.create(
        date=date(2026, 3, 9), kind=OverrideKind.DAY_OFF, name="Nghỉ bù"
    )
    assert due_moment(received_at=at(2026, 3, 6, 10), working_days=1) == closing(2026, 3, 10)
    CalendarOverride.objects.create(
        date=date(2026, 3, 7), kind=OverrideKind.WORKING_DAY, name="Làm bù"
    )
    assert due_moment(received_at=at(2026, 3, 6, 10), working_days=1) == closing(2026, 3, 7)


def test_override_beats_the_holiday_library_and_crosses_the_year():
    CalendarOverride.objects.create(
        date=date(2026, 12, 31), kind=OverrideKind.DAY_OFF, name="Nghỉ Tết Dương lịch"
    )
    CalendarOverride.objects.create(
        date=date(2027, 1, 9), kind=OverrideKind.WORKING_DAY, name="Làm bù"
    )
    CalendarOverride.objects.create(
        date=date(2026, 8, 22), kind=OverrideKind.DAY_OFF, name="Hủy làm bù"
    )
    cal = calendar_for_unit()
    assert cal.add_working_days(at(2026, 12, 30, 10), 1) == closing(2027, 1, 4)
    assert cal.add_working_days(at(2027, 1, 8, 10), 1) == closing(2027, 1, 9)
    assert cal.is_working_day(date(2026, 8, 22)) is False


def test_the_most_specific_unit_decides(tree):
    city, district, ward, sibling = tree
    CalendarOverride.objects.create(
        date=date(2026, 3, 9), kind=OverrideKind.DAY_OFF, name="Nghỉ toàn quốc"
    )
    CalendarOverride.objects.create(
        date=date(2026, 3, 9), kind=OverrideKind.WORKING_DAY, name="Quận làm việc", unit=district
    )
    CalendarOverride.objects.create(
        date=date(2026, 3, 10), kind=OverrideKind.DAY_OFF, name="Thành phố nghỉ", unit=city
    )
    CalendarOverride.objects.create(
        date=date(2026, 3, 10), kind=OverrideKind.WORKING_DAY, name="Phường trực", unit=ward
    )
    assert calendar_for_unit().is_working_day(date(2026, 3, 9)) is False
    assert calendar_for_unit(district).is_working_day(date(2026, 3, 9)) is True
    assert (
        calendar_for_unit(sibling).is_working_day(date(2026, 3, 9)) is True
    )  # inherits the district
    assert (
        calendar_for_unit(sibling).is_working_day(date(2026, 3, 10)) is False
    )  # inherits the city
    assert calendar_for_unit(ward).is_working_day(date(2026, 3, 10)) is True


def test_edited_override_is_seen_at_once():
    row = CalendarOverride.objects.create(
        date=date(2026, 3, 9), kind=OverrideKind.DAY_OFF, name="Nghỉ"
    )
    assert calendar_for_unit().is_working_day(date(2026, 3, 9)) is False
    row.kind = OverrideKind.WORKING_DAY
    row.save()
    assert calendar_for_unit().is_working_day(date(2026, 3, 9)) is True
    row.delete()
    assert calendar_for_unit().is_working_day(date(2026, 3, 9)) is True


def test_office_hours_of_the_unit(tree, django_assert_max_num_queries):
    _, _, ward, sibling = tree
    OfficeFactory(
        unit=ward,
        morning_start=time(8),
        morning_end=time(12),
        afternoon_start=time(13),
        afternoon_end=time(16, 30),
    )
    with django_assert_max_num_queries(6):
        cal = calendar_for_unit(ward)
    assert cal.add_working_days(at(2026, 3, 5, 10), 1) == at(2026, 3, 6, 16, 30)
    assert cal.add_working_hours(at(2026, 3, 5, 7, 45), 1) == at(2026, 3, 5, 9)
    assert calendar_for_unit(sibling).closing_of(date(2026, 3, 5)) == closing(
        2026, 3, 5
    )  # no office: default


def test_due_for_procedure_reads_the_version(tree):
    _, _, ward, _ = tree
    v_days = ProcedureVersionFactory(time_unit=TimeUnit.WORKING_DAYS, time_value=5)
    v_hours = ProcedureVersionFactory(time_unit=TimeUnit.WORKING_HOURS, time_value=4)
    v_cal = ProcedureVersionFactory(time_unit=TimeUnit.CALENDAR_DAYS, time_value=3)
    v_cut = ProcedureVersionFactory(time_unit=TimeUnit.WORKING_DAYS, time_value=3, cutoff=time(15))
    assert due_for_procedure(version=v_days, received_at=at(2026, 2, 13, 9), unit=ward) == closing(
        2026, 2, 27
    )
    assert due_for_procedure(version=v_hours, received_at=at(2026, 2, 13, 9)) == at(
        2026, 2, 13, 14, 30
    )
    assert due_for_procedure(version=v_cal, received_at=at(2026, 2, 13, 9)) == closing(2026, 2, 23)
    assert due_for_procedure(version=v_cut, received_at=at(2026, 3, 5, 14)) == closing(2026, 3, 10)
    assert due_for_procedure(version=v_cut, received_at=at(2026, 3, 5, 15, 30)) == closing(
        2026, 3, 11
    )


def test_same_day_with_holiday_duty_flag_is_due_on_a_holiday(tree):
    _, _, ward, _ = tree
    death = ProcedureVersionFactory(
        name="Đăng ký khai tử",
        time_unit=TimeUnit.SAME_DAY,
        time_value=0,
        cutoff=time(15),
        holiday_duty=True,
    )
    plain = ProcedureVersionFactory(time_unit=TimeUnit.SAME_DAY, time_value=0, cutoff=time(15))
    assert due_for_procedure(version=death, received_at=at(2026, 2, 17, 9), unit=ward) == closing(
        2026, 2, 17
    )
    assert due_for_procedure(version=death, received_at=at(2026, 2, 17, 16), unit=ward) == closing(
        2026, 2, 18
    )
    assert due_for_procedure(version=plain, received_at=at(2026, 2, 17, 9), unit=ward) == closing(
        2026, 2, 23
    )


def test_duty_roster_opens_its_dates_for_its_procedures(tree):
    _, _, ward, sibling = tree
    death = ProcedureVersionFactory(time_unit=TimeUnit.SAME_DAY, holiday_duty=True)
    birth = ProcedureVersionFactory(time_unit=TimeUnit.SAME_DAY)
    roster = HolidayDuty.objects.create(
        unit=ward, date_from=date(2026, 2, 18), date_to=date(2026, 2, 19)
    )
    # Blank procedures = flagged procedures: death registration only on the roster's days.
    assert due_for_procedure(version=death, received_at=at(2026, 2, 17, 9), unit=ward) == closing(
        2026, 2, 18
    )
    assert due_for_procedure(version=birth, received_at=at(2026, 2, 17, 9), unit=ward) == closing(
        2026, 2, 23
    )
    roster.procedures.add(birth.procedure)
    assert due_for_procedure(version=birth, received_at=at(2026, 2, 17, 9), unit=ward) == closing(
        2026, 2, 18
    )
    # Another unit without a roster: the flag alone means always on duty.
    assert due_for_procedure(
        version=death, received_at=at(2026, 2, 17, 9), unit=sibling
    ) == closing(2026, 2, 17)


def test_due_moment_rejects_bad_rules():
    with pytest.raises(ValidationFailed):
        due_moment(received_at=at(2026, 3, 5, 10))
    with pytest.raises(ValidationFailed):
        due_moment(received_at=at(2026, 3, 5, 10), working_days=1, working_hours=2)
    with pytest.raises(ValidationFailed):
        due_moment(received_at=at(2026, 3, 5, 10), working_days=-1)
    assert due_moment(received_at=at(2026, 2, 17, 9), same_day=True, holiday_duty=True) == closing(
        2026, 2, 17
    )
