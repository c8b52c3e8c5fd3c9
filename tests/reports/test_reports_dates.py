"""Issue 8 B4: report filters (back office and public page) read and show dd/mm/yyyy."""

from __future__ import annotations

import pytest

from factories import StaffRoleFactory, UnitFactory, UserFactory
from motcua.org.models import Role

pytestmark = pytest.mark.django_db


def test_dashboard_period_is_day_first_and_a_bad_date_is_explained(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = UserFactory()
    StaffRoleFactory(user=user, unit=UnitFactory(), role=Role.MANAGER)
    client.force_login(user)
    html = client.get("/can-bo/bao-cao/", {"from": "03/02/2026", "to": "04/02/2026"}).content
    page = html.decode()
    assert 'type="date"' not in page
    assert 'value="03/02/2026"' in page and 'value="04/02/2026"' in page
    page = client.get("/can-bo/bao-cao/", {"from": "31/02/2026"}, follow=True).content.decode()
    assert "Ngày không hợp lệ: nhập theo dạng ngày/tháng/năm" in page


def test_public_statistics_period_is_day_first(client):
    page = client.get("/tinh-hinh-giai-quyet/", {"tu": "03/02/2026", "den": "04/02/2026"})
    html = page.content.decode()
    assert page.status_code == 200 and 'type="date"' not in html
    assert 'value="03/02/2026"' in html and 'value="04/02/2026"' in html
