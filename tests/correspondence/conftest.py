"""Two wards and their officials: a clerk, a leader and a specialist each."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from factories import StaffRoleFactory, UnitFactory, UserFactory
from motcua.core import clock
from motcua.org.models import Role

NOW = datetime(2026, 11, 17, 9, 30, tzinfo=clock.VN_TZ)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def two_wards(db, freeze):  # type: ignore[no-untyped-def]
    freeze(NOW)
    a = UnitFactory(code="26881", agency_code="000.00.21.H26", name="Phường Hà Đông", level="ward")
    b = UnitFactory(
        code="26882", agency_code="000.00.22.H26", name="Phường Kiến Hưng", level="ward"
    )
    people = {}
    for side, unit in (("a", a), ("b", b)):
        for role in (Role.RECEPTION, Role.LEADER, Role.SPECIALIST):
            user = UserFactory(username=f"{side}-{role}", full_name=f"Cán bộ {role} {side.upper()}")
            StaffRoleFactory(user=user, unit=unit, role=role)
            people[f"{side}_{role}"] = user
    return SimpleNamespace(a=a, b=b, **people)
