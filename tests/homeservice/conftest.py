"""A ward offering home visits: rule, two home-service officers, a manager, procedures."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from homeservice_helpers import TUESDAY_EARLY

from factories import (
    FieldFactory,
    ProcedureVersionFactory,
    StaffRoleFactory,
    UnitFactory,
    UserFactory,
)
from motcua.core import clock
from motcua.homeservice.models import HomeServiceRule
from motcua.org.models import Role, UnitLevel


@pytest.fixture
def home(db):
    clock.set_frozen(TUESDAY_EARLY)
    ward = UnitFactory(code="W-HOME", name="Phường Quang Lãng", level=UnitLevel.WARD)
    other = UnitFactory(code="W-OTHER", name="Phường Khác", level=UnitLevel.WARD)
    rule = HomeServiceRule.objects.create(
        unit=ward, social_fields=["bao-tro-xa-hoi"], visit_minutes=30, travel_minutes=20,
        half_day_minutes=100,
    )  # fmt: skip
    HomeServiceRule.objects.create(unit=other, social_fields=["bao-tro-xa-hoi"])
    users = {}
    for name, role, unit in [
        ("tainha", Role.HOME_SERVICE, ward),
        ("tainha2", Role.HOME_SERVICE, ward),
        ("quanly", Role.MANAGER, ward),
        ("tiepnhan", Role.RECEPTION, ward),
        ("quanly_khac", Role.MANAGER, other),
        ("tainha_khac", Role.HOME_SERVICE, other),
    ]:
        user = UserFactory(username=name, full_name=f"Cán bộ {name}")
        StaffRoleFactory(user=user, unit=unit, role=role)
        users[name] = user
    social = FieldFactory(code="bao-tro-xa-hoi", name="Bảo trợ xã hội")
    bttx = ProcedureVersionFactory(
        procedure__code="2.000286",
        name="Trợ cấp xã hội hằng tháng",
        field=social,
        channels=["direct", "post"],
        papers=[
            {"name": "Tờ khai đề nghị trợ giúp xã hội", "original": 1, "required": True},
            {"name": "Giấy xác nhận khuyết tật", "copy": 1, "required": False},
        ],
    )
    birth = ProcedureVersionFactory(procedure__code="1.001193", channels=["direct", "home"])
    counter_only = ProcedureVersionFactory(procedure__code="1.000001", channels=["direct"])
    yield SimpleNamespace(
        ward=ward, other=other, rule=rule, bttx=bttx, birth=birth, counter_only=counter_only,
        **users,
    )  # fmt: skip
    clock.set_frozen(None)
