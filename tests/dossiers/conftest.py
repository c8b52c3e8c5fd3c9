"""A small office for dossier tests: a ward, its department, staff of every role, two procedures."""

from __future__ import annotations

from datetime import time
from types import SimpleNamespace

import pytest
from dossiers_helpers import CITIZEN, vn  # noqa: F401  (fixtures below use them)

from factories import ProcedureVersionFactory, StaffRoleFactory, UnitFactory, UserFactory
from motcua.catalog.models import TimeUnit
from motcua.org.models import Role, UnitLevel


@pytest.fixture
def office(db):
    ward = UnitFactory(
        code="WARD1", agency_code="000.00.20.H26", name="Phường Hà Đông", level=UnitLevel.WARD
    )
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
    users = {}
    for name, role, unit in [
        ("tiepnhan", Role.RECEPTION, ward),
        ("chuyenvien", Role.SPECIALIST, dept),
        ("chuyenvien2", Role.SPECIALIST, dept),
        ("lanhdao", Role.LEADER, ward),
        ("quanly", Role.MANAGER, ward),
        ("tainha", Role.HOME_SERVICE, ward),
        ("tiepnhan_khac", Role.RECEPTION, other),
    ]:
        user = UserFactory(username=name, full_name=name.title())
        StaffRoleFactory(user=user, unit=unit, role=role)
        users[name] = user
    birth = ProcedureVersionFactory(
        procedure__code="1.001193",
        name="Đăng ký khai sinh",
        time_unit=TimeUnit.WORKING_DAYS,
        time_value=3,
    )
    death = ProcedureVersionFactory(
        procedure__code="1.000656",
        name="Đăng ký khai tử",
        time_unit=TimeUnit.SAME_DAY,
        time_value=0,
        cutoff=time(15, 0),
        holiday_duty=True,
        fees=[],
    )
    five = ProcedureVersionFactory(
        procedure__code="2.000635",
        name="Cấp bản sao trích lục hộ tịch",
        time_unit=TimeUnit.WORKING_DAYS,
        time_value=5,
    )
    return SimpleNamespace(
        ward=ward, dept=dept, other=other, birth=birth, death=death, five=five, **users
    )


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Staff passwords are irrelevant here; PBKDF2 would cost seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
