"""Demo data: the Hà Đông tree before and after 1 July 2025, offices, staff, citizens; idempotent."""

from __future__ import annotations

from datetime import date

import pytest

from motcua.core.text import fold
from motcua.org.demo import DEMO_PASSWORD, seed_citizens, seed_staff, seed_units
from motcua.org.idcard import validate_id_number
from motcua.org.models import Citizen, Counter, Office, Role, StaffRole, Unit, UnitLevel, User
from motcua.org.phone import normalize_phone

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "units": Unit.objects.count(),
        "links": Unit.successors.through.objects.count(),
        "offices": Office.objects.count(),
        "counters": Counter.objects.count(),
        "users": User.objects.count(),
        "roles": StaffRole.objects.count(),
        "citizens": Citizen.objects.count(),
    }


def snapshot() -> list[tuple]:
    units = list(Unit.objects.order_by("code").values_list())
    offices = list(Office.objects.order_by("code").values_list())
    counters = list(Counter.objects.order_by("office__code", "number").values_list())
    users = list(
        User.objects.order_by("username").values_list("username", "password", "full_name", "title")
    )
    return [units, offices, counters, users]


def test_seeding_twice_changes_nothing():
    seed_units()
    seed_staff()
    assert seed_citizens(50) == 50
    first, before = counts(), snapshot()
    seed_units()
    seed_staff()
    assert seed_citizens(50) == 0
    assert counts() == first
    assert snapshot() == before


def test_hanoi_the_district_and_its_17_wards_as_they_were():
    seed_units()
    hanoi = Unit.objects.get(code="01")
    assert (hanoi.name, hanoi.level, hanoi.agency_code) == (
        "Thành phố Hà Nội",
        UnitLevel.PROVINCE,
        "000.00.00.H26",
    )
    district = Unit.objects.get(code="268")
    assert (district.name, district.parent, district.valid_to) == (
        "Quận Hà Đông",
        hanoi,
        date(2025, 6, 30),
    )
    wards = Unit.objects.filter(parent=district, level=UnitLevel.WARD)
    assert wards.count() == 17
    names = set(wards.values_list("name", flat=True))
    assert {
        "Phường Quang Trung",
        "Phường Nguyễn Trãi",
        "Phường Yết Kiêu",
        "Phường Biên Giang",
    } <= names
    # Nguyễn Trãi and Yết Kiêu merged into Quang Trung on 1 January 2025
    for code in ("268-09538", "268-09547"):
        unit = Unit.objects.get(code=code)
        assert unit.valid_to == date(2024, 12, 31)
        assert [s.code for s in unit.successors.all()] == ["268-09550"]
    assert wards.filter(valid_to=date(2025, 6, 30)).count() == 15
    on_2024 = Unit.objects.current(date(2024, 6, 1)).filter(parent=district, level=UnitLevel.WARD)
    assert on_2024.count() == 17
    on_2025 = Unit.objects.current(date(2025, 6, 1)).filter(parent=district, level=UnitLevel.WARD)
    assert on_2025.count() == 15
    # agency codes: unique, in the Circular 10/2016 shape
    codes = list(Unit.objects.values_list("agency_code", flat=True))
    assert len(codes) == len(set(codes))
    import re

    assert all(re.fullmatch(r"\d{3}\.\d{2}\.\d{2}\.H26", c) for c in codes)


def test_current_wards_replaced_the_district_from_1_july_2025():
    seed_units()
    hanoi = Unit.objects.get(code="01")
    five = {
        "09556": "Phường Hà Đông",
        "09886": "Phường Dương Nội",
        "09562": "Phường Yên Nghĩa",
        "09568": "Phường Phú Lương",
        "09552": "Phường Kiến Hưng",
    }
    for code, name in five.items():
        unit = Unit.objects.get(code=code)
        assert (unit.name, unit.parent, unit.valid_from, unit.valid_to) == (
            name,
            hanoi,
            date(2025, 7, 1),
            None,
        )
    district = Unit.objects.get(code="268")
    assert set(district.successors.values_list("code", flat=True)) == set(five)
    # links from the package's conversion table
    assert set(Unit.objects.get(code="268-09544").successors.values_list("code", flat=True)) == {
        "09556"
    }  # Vạn Phúc
    assert set(Unit.objects.get(code="268-09571").successors.values_list("name", flat=True)) == {
        "Phường Kiến Hưng",
        "Phường Phú Lương",
        "Xã Bình Minh",
    }
    assert set(Unit.objects.get(code="268-10123").successors.values_list("name", flat=True)) == {
        "Phường Chương Mỹ"
    }
    # every old ward has a successor, and nothing current points anywhere
    for ward in Unit.objects.filter(parent=district, level=UnitLevel.WARD):
        assert ward.successors.exists(), ward.name
    assert not Unit.successors.through.objects.filter(from_unit__valid_to__isnull=True).exists()
    # the same answers as vietnam_provinces (post-2025 data)
    from vietnam_provinces import Ward, WardCode

    for code, name in five.items():
        assert Ward.from_code(WardCode(int(code))).name == name


def test_departments_old_and_new():
    seed_units()
    ha_dong = Unit.objects.get(code="09556")
    new = set(
        Unit.objects.filter(parent=ha_dong, level=UnitLevel.DEPARTMENT).values_list(
            "name", flat=True
        )
    )
    assert new == {
        "Văn phòng HĐND và UBND",
        "Phòng Kinh tế, Hạ tầng và Đô thị",
        "Phòng Văn hóa – Xã hội",
    }
    old = Unit.objects.filter(parent__code="268", level=UnitLevel.DEPARTMENT)
    assert set(old.values_list("name", flat=True)) == {
        "Phòng Tư pháp",
        "Phòng Tài nguyên và Môi trường",
        "Phòng Quản lý đô thị",
        "Phòng Lao động – Thương binh và Xã hội",
    }
    assert all(d.valid_to == date(2025, 6, 30) and d.successors.exists() for d in old)


def test_offices_and_counters():
    seed_units()
    office = Office.objects.get(code="ha-dong")
    assert office.name == "Trung tâm Phục vụ hành chính công phường Hà Đông"
    assert office.unit.code == "09556" and office.is_active
    assert "Quang Trung" in office.address
    assert 20.9 < office.latitude < 21.0 and 105.7 < office.longitude < 105.8
    assert list(office.counters.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]
    for code in ("09886", "09562", "09568", "09552"):
        ward_office = Office.objects.get(unit__code=code)
        assert ward_office.is_active and 2 <= ward_office.counters.count() <= 3
    old = Office.objects.get(unit__code="268")
    assert not old.is_active


def test_staff_logins_and_roles():
    seed_units()
    users = seed_staff()
    assert len(users) >= 20
    assert set(User.objects.values_list("username", flat=True)) >= {
        "admin",
        "tiepnhan",
        "chuyenvien",
        "lanhdao",
        "quanly",
        "tainha",
        *(f"tiepnhan{i}" for i in range(2, 7)),
    }
    ha_dong = Unit.objects.get(code="09556")
    expected = {
        "admin": Role.SYSADMIN,
        "tiepnhan": Role.RECEPTION,
        "chuyenvien": Role.SPECIALIST,
        "lanhdao": Role.LEADER,
        "quanly": Role.MANAGER,
        "tainha": Role.HOME_SERVICE,
    }
    for username, role in expected.items():
        assert users[username].has_role(role, ha_dong), username
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD), username
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert not users["tiepnhan"].is_superuser
    assert users["chuyenvien"].has_role(Role.SPECIALIST, Unit.objects.get(code="09556-VP"))
    assert {u.code for u in Unit.objects.filter(staff_roles__user=users["quanly"])} == {
        "09556",
        "09886",
    }
    assert all(" " in u.full_name for u in users.values())  # real-looking full names


def test_a_demo_login_gets_an_api_token(client):
    seed_units()
    seed_staff()
    response = client.post(
        "/api/v1/auth/token",
        {"username": "chuyenvien", "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["token"]


def test_an_existing_password_survives_reseeding():
    seed_units()
    seed_staff()
    user = User.objects.get(username="tiepnhan")
    user.set_password("mat-khau-moi")
    user.save()
    seed_staff()
    assert User.objects.get(username="tiepnhan").check_password("mat-khau-moi")


def test_staff_needs_units_first():
    with pytest.raises(RuntimeError):
        seed_staff()


def test_citizens_are_valid_deterministic_and_offsets_add_new_people():
    assert seed_citizens(300) == 300
    rows = list(Citizen.objects.all())
    assert len({c.id_number for c in rows}) == 300
    for c in rows:
        validate_id_number(c.id_number, date_of_birth=c.date_of_birth, sex=c.sex)
        assert c.name_folded == fold(c.full_name)
        assert len(c.full_name.split()) >= 3
        assert "thành phố Hà Nội" in c.address
        assert c.phone == "" or normalize_phone(c.phone) == c.phone
        assert c.created_at is not None
    assert sum(1 for c in rows if c.phone) > 200
    assert {c.sex for c in rows} == {"M", "F"}
    first_ids = sorted(c.id_number for c in rows)
    Citizen.objects.all().delete()
    assert seed_citizens(300, batch=7) == 300  # the batch size does not change who is made
    assert sorted(Citizen.objects.values_list("id_number", flat=True)) == first_ids
    assert seed_citizens(100, offset=1_000_000) == 100
    assert Citizen.objects.count() == 400
    assert seed_citizens(0) == 0
