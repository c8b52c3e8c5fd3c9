"""Back-office shell: Vietnamese login, role-aware navigation, unit switcher."""

from __future__ import annotations

import pytest

from factories import StaffRoleFactory, UnitFactory, UserFactory
from motcua.org.models import Role

pytestmark = pytest.mark.django_db


def test_login_page_speaks_vietnamese(client):
    html = client.get("/can-bo/dang-nhap/").content.decode()
    assert "Đăng nhập" in html and "Mật khẩu" in html and 'lang="vi"' in html


def test_wrong_login_shows_vietnamese_error(client):
    UserFactory(username="a1")
    html = client.post("/can-bo/dang-nhap/", {"username": "a1", "password": "x"}).content.decode()
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in html


def test_back_office_requires_login(client):
    response = client.get("/can-bo/")
    assert response.status_code == 302 and "/can-bo/dang-nhap/" in response["Location"]


def test_navigation_depends_on_role(client):
    reception = StaffRoleFactory(role=Role.RECEPTION).user
    client.force_login(reception)
    html = client.get("/can-bo/").content.decode()
    assert "Cán bộ tiếp nhận" in html
    assert "/quan-tri/" not in html  # the admin link is for system administrators only


def test_unit_switcher_changes_current_unit_only_to_own_units(client):
    user = UserFactory()
    first, second, foreign = (
        UnitFactory(name="Phường Một"),
        UnitFactory(name="Phường Hai"),
        UnitFactory(),
    )
    StaffRoleFactory(user=user, unit=first, role=Role.MANAGER)
    StaffRoleFactory(user=user, unit=second, role=Role.MANAGER)
    client.force_login(user)
    html = client.get("/can-bo/").content.decode()
    assert 'id="unit-switch"' in html
    client.post("/can-bo/don-vi/", {"unit": second.pk})
    assert (
        "Đơn vị đang làm việc: <strong>Phường Hai</strong>"
        in client.get("/can-bo/").content.decode()
    )
    client.post("/can-bo/don-vi/", {"unit": foreign.pk})
    assert (
        "Đơn vị đang làm việc: <strong>Phường Hai</strong>"
        in client.get("/can-bo/").content.decode()
    )
