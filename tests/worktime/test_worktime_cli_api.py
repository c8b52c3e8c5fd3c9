"""`motcua due-date` and GET /api/v1/worktime/due-date."""

from __future__ import annotations

import sys
from datetime import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from factories import OfficeFactory, ProcedureFactory, ProcedureVersionFactory, UnitFactory
from motcua.__main__ import main
from motcua.catalog.models import TimeUnit

pytestmark = pytest.mark.django_db

URL = "/api/v1/worktime/due-date"


def run(**options: str) -> str:
    out = StringIO()
    call_command("due_date", stdout=out, **options)
    return out.getvalue().strip()


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        ("2026-02-13T09:00", "5", "2026-02-27T17:00:00+07:00"),
        ("2026-04-29T09:00", "3", "2026-05-06T17:00:00+07:00"),
    ],
)
def test_cli_required_figures(received, days, due):
    assert run(received=received, working_days=days) == due


def test_cli_other_rules():
    assert run(received="2026-02-13T09:00", working_hours="4") == "2026-02-13T14:30:00+07:00"
    assert run(received="2026-02-13T09:00", calendar_days="3") == "2026-02-23T17:00:00+07:00"
    assert (
        run(received="2026-03-05T15:30", working_days="3", cutoff="15:00")
        == "2026-03-11T17:00:00+07:00"
    )
    assert run(received="2026-02-17T09:00", same_day=True) == "2026-02-23T17:00:00+07:00"


def test_cli_procedure_and_unit():
    unit = UnitFactory(code="09552")
    OfficeFactory(unit=unit, afternoon_end=time(16, 30))
    ProcedureVersionFactory(
        procedure=ProcedureFactory(code="1.001193"), time_unit=TimeUnit.WORKING_DAYS, time_value=3
    )
    assert run(received="2026-04-29T09:00", procedure="1.001193") == "2026-05-06T17:00:00+07:00"
    assert (
        run(received="2026-04-29T09:00", procedure="1.001193", unit="09552")
        == "2026-05-06T16:30:00+07:00"
    )


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"received": "29/04/2026", "working_days": "3"}, "Thời điểm tiếp nhận không hợp lệ"),
        ({"working_days": "3"}, "Thiếu thời điểm tiếp nhận"),
        ({"received": "2026-04-29T09:00"}, "Cần đúng một"),
        (
            {"received": "2026-04-29T09:00", "working_days": "3", "calendar_days": "2"},
            "Cần đúng một",
        ),
        ({"received": "2026-04-29T09:00", "working_days": "ba"}, "số nguyên không âm"),
        ({"received": "2026-04-29T09:00", "working_days": "-1"}, "từ 0 đến"),
        ({"received": "2026-04-29T09:00", "working_hours": "nan"}, "Số giờ làm việc"),
        (
            {"received": "2026-04-29T09:00", "working_days": "3", "cutoff": "25:00"},
            "Giờ chốt không hợp lệ",
        ),
        ({"received": "2026-04-29T09:00", "procedure": "9.999999"}, "Không tìm thấy thủ tục"),
        (
            {"received": "2026-04-29T09:00", "working_days": "3", "unit": "XYZ"},
            "Không tìm thấy đơn vị",
        ),
    ],
)
def test_cli_bad_input_is_refused_in_vietnamese_with_code_2(options, fragment):
    with pytest.raises(CommandError) as info:
        run(**options)
    assert fragment in str(info.value)
    assert info.value.returncode == 2


def test_dashed_command_line_prints_and_exits(monkeypatch, capsys):
    monkeypatch.setattr(
        sys, "argv", ["motcua", "due-date", "--received", "2026-04-29T09:00", "--working-days", "3"]
    )
    main()
    assert capsys.readouterr().out.strip() == "2026-05-06T17:00:00+07:00"
    monkeypatch.setattr(
        sys, "argv", ["motcua", "due-date", "--received", "hôm qua", "--working-days", "3"]
    )
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    assert "Thời điểm tiếp nhận không hợp lệ" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        ("2026-02-13T09:00", "5", "2026-02-27T17:00:00+07:00"),
        ("2026-04-29T09:00", "3", "2026-05-06T17:00:00+07:00"),
    ],
)
def test_api_required_figures(received, days, due):
    response = Client().get(URL, {"received": received, "working_days": days})
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "received": f"{received}:00+07:00",
        "due_at": due,
        "rule": f"{days} ngày làm việc",
        "unit": None,
    }


def test_api_procedure_unit_and_cutoff():
    unit = UnitFactory(code="09552")
    ProcedureVersionFactory(
        procedure=ProcedureFactory(code="1.000656"),
        time_unit=TimeUnit.SAME_DAY,
        cutoff=time(15),
        holiday_duty=True,
    )
    body = (
        Client()
        .get(URL, {"received": "2026-02-17T09:00", "procedure": "1.000656", "unit": "09552"})
        .json()
    )
    assert body["due_at"] == "2026-02-17T17:00:00+07:00"
    assert body["unit"] == unit.code
    assert body["rule"].startswith("1.000656: Trong ngày")
    body = (
        Client()
        .get(URL, {"received": "2026-03-05T15:30", "working_days": "3", "cutoff": "15:00"})
        .json()
    )
    assert body["due_at"] == "2026-03-11T17:00:00+07:00"
    assert "15:00" in body["rule"]
    body = Client().get(URL, {"received": "2026-02-13T02:00:00Z", "working_hours": "1.5"}).json()
    assert body["received"] == "2026-02-13T09:00:00+07:00"
    assert body["due_at"] == "2026-02-13T10:30:00+07:00"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"received": "nope", "working_days": "3"}, 422, "invalid_received"),
        ({"working_days": "3"}, 422, "invalid_received"),
        ({"received": "2026-04-29T09:00"}, 422, "due_rule_required"),
        ({"received": "2026-04-29T09:00", "working_days": "x"}, 422, "invalid_period"),
        (
            {"received": "2026-04-29T09:00", "working_days": "3", "cutoff": "3pm"},
            422,
            "invalid_cutoff",
        ),
        ({"received": "2026-04-29T09:00", "procedure": "0.000000"}, 404, "procedure_not_found"),
        (
            {"received": "2026-04-29T09:00", "working_days": "3", "unit": "nope"},
            404,
            "unit_not_found",
        ),
    ],
)
def test_api_bad_input(params, status, code):
    response = Client().get(URL, params)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["message"]  # Vietnamese message for people


def test_api_accepts_an_offset_whose_plus_was_not_url_encoded():
    response = Client().get(URL + "?received=2026-04-29T09:00+07:00&working_days=3")
    assert response.status_code == 200
    assert response.json()["received"] == "2026-04-29T09:00:00+07:00"
    assert response.json()["due_at"] == "2026-05-06T17:00:00+07:00"


def test_api_is_in_the_openapi_schema():
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/worktime/due-date"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {
        "received",
        "working_days",
        "working_hours",
        "calendar_days",
        "procedure",
        "cutoff",
        "unit",
    } <= names
