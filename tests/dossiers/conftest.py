"""A small office for dossier tests: a ward, its department, staff of every role, two procedures."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from dossiers_helpers import CITIZEN, vn  # noqa: F401  (fixtures below use them)

import office_helpers
from factories import UnitFactory
from motcua.org.models import Role, UnitLevel


@pytest.fixture
def office(db):
    ward = office_helpers.ward()
    dept = UnitFactory(
        code="WARD1-TP",
        agency_code="",
        name="Công chức Tư pháp – Hộ tịch",
        level=UnitLevel.DEPARTMENT,
        parent=ward,
    )
    other = UnitFactory(
        code="WARD2", agency_code="000.00.21.H26", name="Phường Dương Nội", level=UnitLevel.WARD
    )
    users = office_helpers.staff(
        ("tiepnhan", Role.RECEPTION, ward),
        ("chuyenvien", Role.SPECIALIST, dept),
        ("chuyenvien2", Role.SPECIALIST, dept),
        ("lanhdao", Role.LEADER, ward),
        ("quanly", Role.MANAGER, ward),
        ("tainha", Role.HOME_SERVICE, ward),
        ("tiepnhan_khac", Role.RECEPTION, other),
    )
    birth, death = office_helpers.birth_and_death()
    five = office_helpers.extract_copy(time_value=5)
    return SimpleNamespace(
        ward=ward, dept=dept, other=other, birth=birth, death=death, five=five, **users
    )


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Staff passwords are irrelevant here; PBKDF2 would cost seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
