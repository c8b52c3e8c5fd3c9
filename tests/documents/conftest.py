"""A received dossier to print forms for."""

from __future__ import annotations

from datetime import datetime

import pytest

from factories import ProcedureVersionFactory, StaffRoleFactory, UnitFactory, UserFactory
from motcua.core import clock
from motcua.org.models import Role, UnitLevel


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    # The default PBKDF2 costs ~0.5 s per staff account; these tests are about forms.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    city = UnitFactory(
        code="01", name="Thành phố Hà Nội", level=UnitLevel.PROVINCE, agency_code="000.00.00.H26"
    )
    ward = UnitFactory(code="9886", name="Phường Hà Đông", parent=city, agency_code="000.00.20.H26")
    reception = UserFactory(username="tiepnhan-doc", full_name="Lê Văn Tiếp")
    StaffRoleFactory(user=reception, unit=ward, role=Role.RECEPTION)
    leader = UserFactory(username="lanhdao-doc", full_name="Phạm Thị Lãnh")
    StaffRoleFactory(user=leader, unit=ward, role=Role.LEADER)
    specialist = UserFactory(username="chuyenvien-doc", full_name="Đỗ Minh Chuyên")
    StaffRoleFactory(user=specialist, unit=ward, role=Role.SPECIALIST)
    version = ProcedureVersionFactory(procedure__code="1.001193", name="Thủ tục đăng ký khai sinh")
    return {
        "ward": ward,
        "reception": reception,
        "leader": leader,
        "specialist": specialist,
        "version": version,
    }


@pytest.fixture
def dossier(office):  # type: ignore[no-untyped-def]
    from motcua.dossiers.services import dossier_receive

    clock.set_frozen(
        datetime(2026, 11, 17, 9, 15)
    )  # a Tuesday morning (24/11 is a holiday since 2026)
    try:
        yield dossier_receive(
            procedure_code="1.001193",
            channel="direct",
            citizen={
                "id_number": "001190012345",
                "full_name": "Nguyễn Thị Hương",
                "date_of_birth": "1990-03-08",
                "sex": "F",
                "phone": "0912345678",
                "address": "Số 5 Quang Trung, Phường Hà Đông, Hà Nội",
            },
            unit=office["ward"],
            actor=office["reception"],
        )
    finally:
        clock.set_frozen(None)
