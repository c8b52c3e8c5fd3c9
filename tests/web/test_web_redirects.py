"""Issue 9 point 9: no view that takes `next` redirects off this site."""

from __future__ import annotations

import pytest

from factories import StaffRoleFactory, UnitFactory, UserFactory
from motcua.org.models import Role

pytestmark = pytest.mark.django_db

HOSTILE = [
    "https://evil.example",
    "https://evil.example/can-bo/",
    "//evil.example",
    "//evil.example/can-bo/",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "http:evil.example",
    "///evil.example",
    "https://testserver.evil.example/",
]


@pytest.fixture
def two_unit_manager(client):  # type: ignore[no-untyped-def]
    user = UserFactory()
    a, b = UnitFactory(), UnitFactory()
    StaffRoleFactory(user=user, unit=a, role=Role.MANAGER)
    StaffRoleFactory(user=user, unit=b, role=Role.MANAGER)
    client.force_login(user)
    return b


@pytest.mark.parametrize("target", HOSTILE)
def test_unit_switcher_never_redirects_off_site(client, two_unit_manager, target):
    r = client.post("/can-bo/don-vi/", {"unit": two_unit_manager.pk, "next": target})
    assert r.status_code == 302
    assert r["Location"] == "/can-bo/", target


def test_unit_switcher_keeps_a_local_next(client, two_unit_manager):
    r = client.post("/can-bo/don-vi/", {"unit": two_unit_manager.pk, "next": "/can-bo/ho-so/?q=an"})
    assert r["Location"] == "/can-bo/ho-so/?q=an"


def test_login_and_logout_never_redirect_off_site(client):
    user = UserFactory(username="tiepnhan-x")
    for target in HOSTILE:
        r = client.post(
            "/can-bo/dang-nhap/",
            {"username": "tiepnhan-x", "password": "motcua-demo", "next": target},
        )
        assert r.status_code == 302 and r["Location"] == "/can-bo/", target
        r = client.post("/can-bo/dang-xuat/", {"next": target})
        assert r.status_code == 302 and r["Location"] == "/can-bo/dang-nhap/", target
    client.force_login(user)
    r = client.get("/can-bo/dang-nhap/?next=https://evil.example")  # already logged in
    assert r.status_code == 302 and r["Location"] == "/can-bo/"


def test_logout_tells_the_browser_to_drop_cached_pages(client):
    """Pages like the home-service officer's day list hold personal data (review finding)."""
    client.force_login(UserFactory(username="tainha-x"))
    r = client.post("/can-bo/dang-xuat/")
    assert r.status_code == 302 and r["Clear-Site-Data"] == '"cache"'
