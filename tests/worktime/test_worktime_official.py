"""The official calendar shipped as data, with its sources, decisions, review and check."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from factories import (
    ProcedureFactory,
    ProcedureVersionFactory,
    UnitFactory,
)
from motcua.catalog.models import TimeUnit
from motcua.core import clock
from motcua.core.errors import Conflict, ValidationFailed
from motcua.org.models import User
from motcua.worktime import official
from motcua.worktime.calendar import WorkCalendar
from motcua.worktime.checks import next_year_calendar_reviewed
from motcua.worktime.models import (
    CalendarOverride,
    CalendarYearReview,
    DayStatus,
    HolidayDuty,
    OfficialDay,
    OverrideKind,
)
from motcua.worktime.selectors import calendar_disagreements, calendar_for_unit
from motcua.worktime.services import (
    calendar_year_review,
    official_calendar_load,
    official_day_decide,
)

URL = "/api/v1/worktime/due-date"
PURE = WorkCalendar()  # the shipped file, no database


def make_user(username: str = "quantri", **extra: object) -> User:
    # No password: the (deliberately slow) hasher is not needed here.
    return User.objects.create(username=username, **extra)


def entry(d: date) -> official.OfficialEntry:
    return next(e for e in official.shipped_calendar()[1] if e.date == d)


# -- the shipped data ------------------------------------------------------------------------


def test_the_file_covers_2025_to_2027_and_every_day_names_its_act():
    years, entries = official.shipped_calendar()
    assert years == (2025, 2026, 2027)
    for e in entries:
        assert e.source_number and e.source_issuer and e.source_date, e
        assert e.legal_basis, e
        assert e.status in (official.CONFIRMED, official.UNCONFIRMED)
        if e.status == official.UNCONFIRMED:
            assert e.known, e
    # Every make-up Saturday pays for a swapped weekday of the same notice.
    for e in entries:
        if e.kind == official.MAKEUP_WORKING_DAY:
            assert e.date.weekday() == 5
            assert any(
                o.kind == official.SWAPPED_DAY_OFF and o.source_number == e.source_number
                for o in entries
            )


def test_the_file_refuses_a_day_without_a_known_kind_or_an_unconfirmed_day_without_facts():
    raw = json.loads(official.DATA_FILE.read_text(encoding="utf-8"))
    bad = {**raw, "days": [{**raw["days"][0], "kind": "party"}]}
    with pytest.raises(official.CalendarDataError):
        official.parse_calendar(bad)
    bad = {**raw, "days": [{**raw["days"][0], "status": "unconfirmed"}]}
    with pytest.raises(official.CalendarDataError):
        official.parse_calendar(bad)


def test_new_year_2026_swap_on_both_sides():
    # Công văn 12729/VPCP-KGVX of 25/12/2025: Friday 2/1 off, Saturday 10/1 worked.
    assert PURE.is_working_day(date(2026, 1, 1)) is False
    assert PURE.is_working_day(date(2026, 1, 2)) is False
    assert PURE.is_working_day(date(2026, 1, 5)) is True
    assert PURE.is_working_day(date(2026, 1, 10)) is True
    assert PURE.is_working_day(date(2026, 1, 17)) is False  # an ordinary Saturday
    for d in (date(2026, 1, 2), date(2026, 1, 10)):
        e = entry(d)
        assert (e.source_number, e.source_date, e.source_issuer) == (
            "12729/VPCP-KGVX",
            date(2025, 12, 25),
            "Văn phòng Chính phủ",
        )
    assert entry(date(2026, 1, 2)).kind == official.SWAPPED_DAY_OFF
    assert entry(date(2026, 1, 10)).kind == official.MAKEUP_WORKING_DAY


def test_national_day_2026_swap_22_8_worked_31_8_off():
    assert PURE.is_working_day(date(2026, 8, 22)) is True
    assert PURE.is_working_day(date(2026, 8, 31)) is False
    assert PURE.is_working_day(date(2026, 9, 1)) is False
    assert PURE.is_working_day(date(2026, 9, 2)) is False
    assert PURE.is_working_day(date(2026, 9, 3)) is True
    assert entry(date(2026, 8, 31)).source_number == "9441/TB-BNV"


def test_tet_2026_as_notice_9441_says():
    # Thông báo 9441/TB-BNV of 16/10/2025: 16/2 (29 Chạp) to 20/2 (mùng 4) off.
    off = [date(2026, 2, d) for d in range(16, 21)]
    assert all(not PURE.is_working_day(d) for d in off)
    assert PURE.is_working_day(date(2026, 2, 13)) and PURE.is_working_day(date(2026, 2, 23))
    assert {entry(d).source_number for d in off} == {"9441/TB-BNV"}
    assert {entry(d).source_date for d in off} == {date(2025, 10, 16)}


def test_2025_tet_and_the_30_4_swap():
    # Công văn 8726/VPCP-KGVX of 26/11/2024 (Thông báo 6150/TB-BLĐTBXH).
    assert all(not PURE.is_working_day(date(2025, 1, d)) for d in range(27, 32))
    assert PURE.is_working_day(date(2025, 2, 3))
    assert PURE.is_working_day(date(2025, 4, 26)) is True  # make-up Saturday
    assert PURE.is_working_day(date(2025, 5, 2)) is False
    assert entry(date(2025, 5, 2)).source_number == "8726/VPCP-KGVX"


def test_tet_2027_projected_and_marked_unconfirmed_until_the_notice():
    # No notice for Tết 2027 was found: the 5 days of art. 112(1)(b) plus compensatory days
    # for mùng 1–2 on the weekend (art. 111(3)) are shipped unconfirmed, counted as days off.
    off = [date(2027, 2, d) for d in (4, 5, 8, 9, 10)]
    assert all(not PURE.is_working_day(d) for d in off)
    assert PURE.is_working_day(date(2027, 2, 3)) and PURE.is_working_day(date(2027, 2, 11))
    assert {entry(d).status for d in off} == {official.UNCONFIRMED}
    assert all(entry(d).applies_while_unconfirmed for d in off)


def test_cultural_day_24_11_is_unconfirmed_and_a_working_day_by_default():
    e = entry(date(2026, 11, 24))
    assert e.status == official.UNCONFIRMED and e.applies_while_unconfirmed is False
    assert e.source_number == "80-NQ/TW" and "Điều 112" in e.legal_basis
    assert PURE.is_working_day(date(2026, 11, 24)) is True
    assert PURE.is_working_day(date(2027, 11, 24)) is True


# -- the database calendar -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_loaded_the_file_and_a_reload_changes_nothing():
    assert OfficialDay.objects.count() == len(official.shipped_calendar()[1])
    result = official_calendar_load()
    assert (result.created, result.updated) == (0, 0)
    day = OfficialDay.objects.get(date=date(2026, 1, 2))
    assert day.source_number == "12729/VPCP-KGVX" and day.status == DayStatus.CONFIRMED


@pytest.mark.django_db
def test_database_calendar_answers_like_the_file():
    cal = calendar_for_unit()
    assert cal.is_working_day(date(2026, 1, 2)) is False
    assert cal.is_working_day(date(2026, 1, 10)) is True
    assert cal.is_working_day(date(2026, 8, 22)) is True
    assert cal.is_working_day(date(2026, 8, 31)) is False


@pytest.mark.django_db
def test_admin_overrides_still_win_both_ways():
    unit = UnitFactory(code="09552")
    CalendarOverride.objects.create(
        date=date(2026, 1, 2), kind=OverrideKind.WORKING_DAY, name="Làm việc", unit=unit
    )
    CalendarOverride.objects.create(
        date=date(2026, 1, 10), kind=OverrideKind.DAY_OFF, name="Không làm bù"
    )
    assert calendar_for_unit(unit).is_working_day(date(2026, 1, 2)) is True
    assert calendar_for_unit().is_working_day(date(2026, 1, 2)) is False
    assert calendar_for_unit().is_working_day(date(2026, 1, 10)) is False
    assert calendar_for_unit(unit).is_working_day(date(2026, 1, 10)) is False


@pytest.mark.django_db
def test_confirming_an_unconfirmed_day_is_one_recorded_decision(freeze):
    freeze(datetime(2026, 12, 1, 9, 0, tzinfo=clock.VN_TZ))
    admin = make_user()
    day = OfficialDay.objects.get(date=date(2027, 11, 24))
    assert calendar_for_unit().is_working_day(day.date) is True

    with pytest.raises(ValidationFailed) as exc:
        official_day_decide(day=day, decision="confirm", by=admin, reason="  ")
    assert exc.value.code == "calendar_reason_required"

    official_day_decide(
        day=day,
        decision="confirm",
        by=admin,
        reason="Luật sửa đổi Bộ luật Lao động đã có hiệu lực",
        reference="Luật số .../QH15",
    )
    day.refresh_from_db()
    assert day.status == DayStatus.CONFIRMED
    assert day.decided_by == admin and day.decided_at == clock.now()
    assert day.decision_reference == "Luật số .../QH15"
    assert calendar_for_unit().is_working_day(day.date) is False

    with pytest.raises(Conflict):
        official_day_decide(day=day, decision="remove", by=admin, reason="đổi ý")
    # A reload of the file keeps the decision.
    assert official_calendar_load().kept_decided == 1
    day.refresh_from_db()
    assert day.status == DayStatus.CONFIRMED


@pytest.mark.django_db
def test_removing_an_unconfirmed_day_makes_it_a_working_day_again():
    admin = make_user()
    day = OfficialDay.objects.get(date=date(2027, 9, 3))
    assert calendar_for_unit().is_working_day(day.date) is False
    official_day_decide(
        day=day, decision="remove", by=admin, reason="Thủ tướng chọn ngày 01/9/2027"
    )
    assert calendar_for_unit().is_working_day(day.date) is True
    # A confirmed day is not open to a decision.
    with pytest.raises(Conflict):
        official_day_decide(
            day=OfficialDay.objects.get(date=date(2026, 1, 2)),
            decision="remove",
            by=admin,
            reason="x",
        )


def test_the_holidays_package_disagrees_on_the_new_year_swap_and_24_11(db):
    rows = {r.date: r for r in calendar_disagreements([2026])}
    assert set(rows) == {date(2026, 1, 2), date(2026, 1, 10), date(2026, 11, 24)}
    assert rows[date(2026, 1, 2)].ours_working is False
    assert rows[date(2026, 1, 2)].package_working is True
    out = StringIO()
    call_command("calendar_crosscheck", "--year", "2026", stdout=out)
    text = out.getvalue()
    assert "02/01/2026" in text and "10/01/2026" in text and "3 ngày khác nhau" in text


# -- due dates by the shipped calendar -------------------------------------------------------


def run(**options: str) -> list[str]:
    out = StringIO()
    call_command("due_date", stdout=out, **options)
    return out.getvalue().strip().splitlines()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        ("2025-12-31T09:00", "2", "2026-01-06T17:00:00+07:00"),
        ("2026-01-09T09:00", "1", "2026-01-10T17:00:00+07:00"),  # the make-up Saturday works
    ],
)
def test_due_date_by_the_shipped_calendar_cli_and_api(received, days, due):
    assert run(received=received, working_days=days) == [due]
    body = Client().get(URL, {"received": received, "working_days": days}).json()
    assert body == {
        "received": f"{received}:00+07:00",
        "due_at": due,
        "rule": f"{days} ngày làm việc",
        "unit": None,
    }


@pytest.mark.django_db
def test_explain_names_the_entries_passed_over():
    lines = run(received="2025-12-31T09:00", working_days="2", explain=True)
    assert lines[0] == "2026-01-06T17:00:00+07:00"
    assert lines[1].split("\t")[:3] == ["01/01/2026", "Ngày nghỉ lễ, tết", "Tết Dương lịch"]
    assert lines[2].startswith("02/01/2026\tNgày nghỉ hoán đổi\t")
    assert "Công văn 12729/VPCP-KGVX ngày 25/12/2025 của Văn phòng Chính phủ" in lines[2]
    assert len(lines) == 3

    body = (
        Client()
        .get(URL, {"received": "2026-01-09T09:00", "working_days": "1", "explain": "1"})
        .json()
    )
    assert body["due_at"] == "2026-01-10T17:00:00+07:00"
    assert body["entries"] == [
        {
            "date": "2026-01-10",
            "kind": "makeup_working_day",
            "kind_label": "Ngày làm bù",
            "name": "Làm bù cho ngày nghỉ hoán đổi 02/01/2026",
            "source": "Công văn 12729/VPCP-KGVX ngày 25/12/2025 của Văn phòng Chính phủ "
            "(Hoán đổi ngày làm việc theo ý kiến chỉ đạo của Phó Thủ tướng Chính phủ)",
            "status": "confirmed",
            "status_label": "đã xác nhận",
            "working": True,
        }
    ]


@pytest.mark.django_db
def test_explain_shows_an_unconfirmed_day_an_override_and_a_duty_day():
    lines = run(received="2026-11-23T09:00", working_days="1", explain=True)
    assert lines[0] == "2026-11-24T17:00:00+07:00"
    assert "Ngày Văn hóa Việt Nam" in lines[1]
    assert "chưa xác nhận – đang tính là ngày làm việc" in lines[1]

    unit = UnitFactory(code="09552")
    CalendarOverride.objects.create(
        date=date(2026, 3, 9), kind=OverrideKind.DAY_OFF, name="Nghỉ bầu cử", unit=unit
    )
    lines = run(received="2026-03-06T09:00", working_days="1", unit="09552", explain=True)
    assert lines[0] == "2026-03-10T17:00:00+07:00"
    assert lines[1].startswith("09/03/2026\tNgày nghỉ hoán đổi\tNghỉ bầu cử\t")
    assert "Điều chỉnh của quản trị viên" in lines[1]

    version = ProcedureVersionFactory(
        procedure=ProcedureFactory(code="1.000656"),
        time_unit=TimeUnit.SAME_DAY,
        cutoff=time(15),
        holiday_duty=True,
    )
    duty = HolidayDuty.objects.create(
        unit=unit, date_from=date(2026, 2, 17), date_to=date(2026, 2, 17)
    )
    duty.procedures.add(version.procedure)
    body = (
        Client()
        .get(
            URL,
            {
                "received": "2026-02-17T09:00",
                "procedure": "1.000656",
                "unit": "09552",
                "explain": "true",
            },
        )
        .json()
    )
    assert body["due_at"] == "2026-02-17T17:00:00+07:00"
    assert [(e["date"], e["kind"]) for e in body["entries"]] == [("2026-02-17", "duty_day")]
    assert "mùng 1 Tết" in body["entries"][0]["name"]


@pytest.mark.django_db
def test_explain_with_nothing_to_name_says_so():
    lines = run(received="2026-03-03T09:00", working_days="1", explain=True)
    assert lines == [
        "2026-03-04T17:00:00+07:00",
        "Không có ngày nghỉ lễ, nghỉ hoán đổi hay làm bù trong khoảng này.",
    ]


# -- the December check and the review -------------------------------------------------------


@pytest.mark.django_db
def test_december_check_warns_until_next_year_is_reviewed(freeze):
    freeze(datetime(2026, 11, 30, 9, 0, tzinfo=clock.VN_TZ))
    assert next_year_calendar_reviewed() == []  # not December yet
    freeze(datetime(2026, 12, 1, 9, 0, tzinfo=clock.VN_TZ))
    warnings = next_year_calendar_reviewed()
    assert [w.id for w in warnings] == ["worktime.W001"]
    assert "2027" in warnings[0].msg and "chưa xác nhận" in warnings[0].msg

    out = StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "worktime.W001" in out.getvalue()

    calendar_year_review(year=2027, by=make_user(), note="Đã đối chiếu")
    assert next_year_calendar_reviewed() == []
    review = CalendarYearReview.objects.get(year=2027)
    assert review.reviewed_at == clock.now() and review.reviewed_by.username == "quantri"


@pytest.mark.django_db
def test_december_check_says_when_next_year_has_no_calendar(freeze):
    freeze(datetime(2027, 12, 5, 9, 0, tzinfo=clock.VN_TZ))
    [warning] = next_year_calendar_reviewed()
    assert "Chưa có ngày nào của năm 2028" in warning.msg
    with pytest.raises(ValidationFailed) as exc:
        calendar_year_review(year=2028, by=make_user())
    assert exc.value.code == "calendar_year_empty"


# -- the admin -------------------------------------------------------------------------------


@pytest.fixture
def admin_client_vi(db) -> Client:
    user = make_user(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def test_admin_reviews_next_year_and_records_who(admin_client_vi, freeze):
    freeze(datetime(2026, 12, 1, 9, 0, tzinfo=clock.VN_TZ))
    page = admin_client_vi.get("/quan-tri/worktime/officialday/").content.decode()
    assert "Duyệt lịch năm 2027" in page and "02/01/2026" in page
    page = admin_client_vi.get("/quan-tri/worktime/officialday/duyet-nam/2027/").content.decode()
    assert "Lịch năm 2027 chưa được duyệt" in page
    assert "04/02/2027" in page and "Ngày Văn hóa Việt Nam" in page
    assert "Chưa xác nhận" in page
    response = admin_client_vi.post(
        "/quan-tri/worktime/officialday/duyet-nam/2027/", {"note": "Đã đối chiếu"}
    )
    assert response.status_code == 302
    review = CalendarYearReview.objects.get(year=2027)
    assert review.reviewed_by.username == "quantri" and review.note == "Đã đối chiếu"
    page = admin_client_vi.get("/quan-tri/worktime/officialday/duyet-nam/2027/").content.decode()
    assert "Đã duyệt" in page and "01/12/2026" in page
    assert next_year_calendar_reviewed() == []


def test_admin_decides_an_unconfirmed_day(admin_client_vi):
    day = OfficialDay.objects.get(date=date(2026, 11, 24))
    url = f"/quan-tri/worktime/officialday/{day.pk}/quyet-dinh/"
    page = admin_client_vi.get(url).content.decode()
    assert "Ngày Văn hóa Việt Nam" in page and "80-NQ/TW" in page
    # Without a reason nothing is recorded.
    response = admin_client_vi.post(url, {"decision": "confirm", "reason": ""})
    assert response.status_code == 200
    day.refresh_from_db()
    assert day.status == DayStatus.UNCONFIRMED
    response = admin_client_vi.post(
        url,
        {"decision": "confirm", "reason": "Văn phòng đóng cửa theo chỉ đạo", "reference": "CV 1"},
    )
    assert response.status_code == 302
    day.refresh_from_db()
    assert day.status == DayStatus.CONFIRMED and day.decided_by.username == "quantri"
    assert calendar_for_unit().is_working_day(date(2026, 11, 24)) is False
    # The day's own fields are read-only: the change form cannot flip its status.
    admin_client_vi.post(
        f"/quan-tri/worktime/officialday/{day.pk}/change/",
        {"status": "removed", "name": "x"},
    )
    day.refresh_from_db()
    assert day.status == DayStatus.CONFIRMED and day.name == "Ngày Văn hóa Việt Nam"


@pytest.mark.django_db
def test_a_day_added_for_a_later_year_keeps_that_years_fixed_holidays():
    # 2028 is beyond the shipped file: the `holidays` package answers, plus what is added.
    OfficialDay.objects.create(
        date=date(2028, 1, 3),
        kind="swapped_day_off",
        name="Nghỉ hoán đổi Tết Dương lịch",
        source_number="1/VPCP-KGVX",
        source_issuer="Văn phòng Chính phủ",
    )
    cal = calendar_for_unit()
    assert cal.is_working_day(date(2028, 1, 3)) is False
    assert cal.is_working_day(date(2028, 5, 1)) is False  # still the package's Labour Day
    lines = run(received="2027-12-31T09:00", working_days="1", explain=True)
    assert lines[0] == "2028-01-04T17:00:00+07:00"
    assert lines[1].startswith("01/01/2028\tNgày nghỉ lễ, tết\t")
    assert "Gói holidays" in lines[1]
    assert lines[2].startswith("03/01/2028\tNgày nghỉ hoán đổi\t")
