"""The org admin pages render and search for a system administrator."""

from __future__ import annotations

import pytest

from motcua.org.demo import seed_citizens, seed_staff, seed_units
from motcua.org.models import Citizen, Unit, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    seed_units()
    users = seed_staff()
    client.force_login(users["admin"])
    return client


@pytest.mark.parametrize(
    "url, text",
    [
        ("/quan-tri/org/unit/", "Phường Hà Đông"),
        ("/quan-tri/org/unit/?hieu_luc=past", "Phường Vạn Phúc"),
        ("/quan-tri/org/office/", "Trung tâm Phục vụ hành chính công phường Hà Đông"),
        ("/quan-tri/org/user/", "Nguyễn Thị Thu Hà"),
        ("/quan-tri/org/user/add/", "Họ và tên"),
        ("/quan-tri/org/citizen/", "công dân"),
    ],
)
def test_lists_render(admin_client, url, text):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert text in response.content.decode()


def test_unit_filter_current_hides_the_old_district(admin_client):
    body = admin_client.get("/quan-tri/org/unit/?hieu_luc=current").content.decode()
    assert "Phường Dương Nội" in body
    assert "Phường Vạn Phúc" not in body


def test_change_pages_render_with_inlines(admin_client):
    unit = Unit.objects.get(code="09556")
    body = admin_client.get(f"/quan-tri/org/unit/{unit.pk}/change/").content.decode()
    assert "đơn vị kế thừa" in body.lower()
    user = User.objects.get(username="quanly")
    body = admin_client.get(f"/quan-tri/org/user/{user.pk}/change/").content.decode()
    assert "vai trò tại các đơn vị" in body.lower()
    assert "Phường Dương Nội" in body


def test_citizen_search_by_number_phone_and_name_without_diacritics(admin_client):
    seed_citizens(30)
    citizen = Citizen.objects.exclude(phone="").order_by("id_number").first()
    for term in (citizen.id_number, citizen.phone, citizen.name_folded, citizen.full_name):
        body = admin_client.get("/quan-tri/org/citizen/", {"q": term}).content.decode()
        assert citizen.id_number in body, term


def test_non_staff_officials_cannot_open_the_admin(client):
    seed_units()
    client.force_login(seed_staff()["tiepnhan"])
    assert client.get("/quan-tri/org/citizen/").status_code == 302
