"""The administrator enters official swaps and duty rosters in the Django admin."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from factories import UnitFactory
from motcua.org.models import User
from motcua.worktime.models import CalendarOverride, OverrideKind
from motcua.worktime.selectors import calendar_for_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_vi() -> Client:
    # No password: force_login skips the (deliberately slow) password hasher.
    user = User.objects.create(username="quantri", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def test_admin_pages_render_in_vietnamese(admin_client_vi):
    CalendarOverride.objects.create(
        date=date(2026, 3, 9), kind=OverrideKind.DAY_OFF, name="Nghỉ bù"
    )
    page = admin_client_vi.get("/quan-tri/worktime/calendaroverride/")
    assert page.status_code == 200
    assert "Nghỉ bù" in page.content.decode()
    assert admin_client_vi.get("/quan-tri/worktime/holidayduty/add/").status_code == 200


def test_override_added_in_the_admin_changes_the_calendar(admin_client_vi):
    unit = UnitFactory(code="09552")
    response = admin_client_vi.post(
        "/quan-tri/worktime/calendaroverride/add/",
        {
            "date": "2026-03-07",
            "kind": "working_day",
            "name": "Làm bù",
            "unit": unit.pk,
            "note": "",
        },
    )
    assert response.status_code == 302
    assert calendar_for_unit(unit).is_working_day(date(2026, 3, 7)) is True
    assert calendar_for_unit().is_working_day(date(2026, 3, 7)) is False


def test_one_national_override_per_date(admin_client_vi):
    CalendarOverride.objects.create(
        date=date(2026, 3, 9), kind=OverrideKind.DAY_OFF, name="Nghỉ bù"
    )
    response = admin_client_vi.post(
        "/quan-tri/worktime/calendaroverride/add/",
        {"date": "2026-03-09", "kind": "working_day", "name": "Trùng", "unit": "", "note": ""},
    )
    assert response.status_code == 200  # the form is shown again with the error
    assert CalendarOverride.objects.filter(date=date(2026, 3, 9)).count() == 1
