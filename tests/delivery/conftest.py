"""A ward with staff of every role, a birth and a death registration, and the postal stand-in."""

from __future__ import annotations

from datetime import time
from types import SimpleNamespace

import pytest
from delivery_helpers import CUSTOMER, SECRET

from factories import ProcedureVersionFactory, StaffRoleFactory, UnitFactory, UserFactory
from motcua.catalog.models import TimeUnit
from motcua.org.models import Role, UnitLevel


@pytest.fixture
def office(db):
    ward = UnitFactory(
        code="WARD1", agency_code="000.00.20.H26", name="Phường Hà Đông", level=UnitLevel.WARD
    )
    users = {}
    for name, role in [
        ("tiepnhan", Role.RECEPTION),
        ("chuyenvien", Role.SPECIALIST),
        ("lanhdao", Role.LEADER),
        ("tainha", Role.HOME_SERVICE),
    ]:
        user = UserFactory(username=name, full_name=name.title())
        StaffRoleFactory(user=user, unit=ward, role=role)
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
    copy = ProcedureVersionFactory(
        procedure__code="2.000635",
        name="Cấp bản sao Trích lục hộ tịch",
        time_unit=TimeUnit.WORKING_DAYS,
        time_value=2,
        fees=[],
    )
    return SimpleNamespace(ward=ward, birth=birth, death=death, copy=copy, **users)


@pytest.fixture
def standin(settings):
    """The stand-in operator in a thread, and our adapter pointed at it."""
    from motcua.delivery.standin import StandinPostal

    postal = StandinPostal(secrets_by_customer={CUSTOMER: SECRET}).start_in_thread()
    settings.MOTCUA = {
        **settings.MOTCUA,
        "POSTAL_URL": postal.base_url,
        "POSTAL_CUSTOMER_CODE": CUSTOMER,
        "POSTAL_SECRET": SECRET,
    }
    yield postal
    postal.stop()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
