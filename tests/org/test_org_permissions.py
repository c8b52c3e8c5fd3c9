"""Who sees which units, and require_role across the tree and across mergers."""

from __future__ import annotations

import pytest

from factories import StaffRoleFactory, UnitFactory, UserFactory
from motcua.core.errors import PermissionDenied
from motcua.org.demo import seed_staff, seed_units
from motcua.org.models import Role, StaffRole, Unit
from motcua.org.permissions import has_role, require_role, visible_unit_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    city = UnitFactory(code="C", name="Thành phố", level="province")
    ward_a = UnitFactory(code="A", name="Phường A", parent=city)
    ward_b = UnitFactory(code="B", name="Phường B", parent=city)
    dept_a = UnitFactory(code="A-VP", name="Văn phòng A", parent=ward_a, level="department")
    return {"city": city, "a": ward_a, "b": ward_b, "dept_a": dept_a}


def test_role_in_a_unit_covers_its_sub_units_not_its_siblings(tree):
    user = UserFactory()
    StaffRoleFactory(user=user, unit=tree["a"], role=Role.RECEPTION)
    assert visible_unit_ids(user) == {tree["a"].pk, tree["dept_a"].pk}
    require_role(user, [Role.RECEPTION], tree["a"])
    require_role(user, {Role.RECEPTION, Role.LEADER}, tree["dept_a"])  # an ancestor role counts
    with pytest.raises(PermissionDenied) as exc:
        require_role(user, [Role.RECEPTION], tree["b"])
    assert exc.value.code == "forbidden"
    assert "Phường B" in exc.value.message and "cán bộ tiếp nhận" in exc.value.message


def test_the_wrong_role_is_refused(tree):
    user = UserFactory()
    StaffRoleFactory(user=user, unit=tree["a"], role=Role.RECEPTION)
    with pytest.raises(PermissionDenied) as exc:
        require_role(user, [Role.LEADER], tree["a"])
    assert "lãnh đạo đơn vị" in exc.value.message


def test_a_department_role_does_not_reach_up_to_the_ward(tree):
    user = UserFactory()
    StaffRoleFactory(user=user, unit=tree["dept_a"], role=Role.SPECIALIST)
    assert visible_unit_ids(user) == {tree["dept_a"].pk}
    assert not has_role(user, [Role.SPECIALIST], tree["a"])
    assert has_role(user, [Role.SPECIALIST], tree["dept_a"])


def test_superuser_sees_everything_and_passes(tree):
    admin = UserFactory(is_superuser=True)
    assert visible_unit_ids(admin) == set(Unit.objects.values_list("pk", flat=True))
    require_role(admin, [Role.LEADER], tree["b"])


def test_inactive_anonymous_and_roleless_users_are_refused(tree):
    from django.contrib.auth.models import AnonymousUser

    nobody = UserFactory()
    inactive = UserFactory(is_active=False)
    StaffRoleFactory(user=inactive, unit=tree["a"], role=Role.RECEPTION)
    for user in (nobody, inactive, AnonymousUser()):
        assert visible_unit_ids(user) == set()
        with pytest.raises(PermissionDenied):
            require_role(user, [Role.RECEPTION], tree["a"])


def test_successor_officials_see_and_handle_the_files_of_the_units_they_replaced(tree):
    old = UnitFactory(code="OLD", name="Phường Cũ", parent=tree["city"])
    old_dept = UnitFactory(code="OLD-VP", name="Văn phòng cũ", parent=old, level="department")
    old.successors.set([tree["a"]])
    user = UserFactory()
    StaffRoleFactory(user=user, unit=tree["a"], role=Role.SPECIALIST)
    visible = visible_unit_ids(user)
    assert old.pk in visible
    assert old_dept.pk not in visible  # not linked: its files went elsewhere
    assert has_role(user, [Role.SPECIALIST], old)
    assert not has_role(user, [Role.SPECIALIST], old_dept)
    # and not the other way round: an official of the old unit gains nothing in the new one
    old_official = UserFactory()
    StaffRoleFactory(user=old_official, unit=old, role=Role.SPECIALIST)
    assert tree["a"].pk not in visible_unit_ids(old_official)
    assert not has_role(old_official, [Role.SPECIALIST], tree["a"])


def test_demo_staff_permissions_follow_the_demo_tree():
    seed_units()
    users = seed_staff()
    ha_dong = Unit.objects.get(code="09556")
    duong_noi = Unit.objects.get(code="09886")
    van_phuc_old = Unit.objects.get(code="268-09544")  # went wholly to Phường Hà Đông
    bien_giang_old = Unit.objects.get(code="268-10123")  # went to Phường Chương Mỹ
    vp = Unit.objects.get(code="09556-VP")

    require_role(users["tiepnhan"], [Role.RECEPTION], ha_dong)
    with pytest.raises(PermissionDenied):
        require_role(users["tiepnhan"], [Role.RECEPTION], duong_noi)
    require_role(users["chuyenvien"], [Role.SPECIALIST], vp)
    require_role(users["chuyenvien2"], [Role.SPECIALIST], Unit.objects.get(code="09556-KTHTDT"))
    with pytest.raises(PermissionDenied):
        require_role(users["chuyenvien2"], [Role.SPECIALIST], vp)
    # quanly manages two units: the unit switcher's case
    require_role(users["quanly"], [Role.MANAGER], ha_dong)
    require_role(users["quanly"], [Role.MANAGER], duong_noi)
    assert {ha_dong.pk, duong_noi.pk} <= visible_unit_ids(users["quanly"])
    # old dossiers of the wards Hà Đông replaced are Hà Đông's to see and handle
    assert van_phuc_old.pk in visible_unit_ids(users["lanhdao"])
    require_role(users["lanhdao"], [Role.LEADER], van_phuc_old)
    assert bien_giang_old.pk not in visible_unit_ids(users["lanhdao"])
    with pytest.raises(PermissionDenied):
        require_role(users["lanhdao"], [Role.LEADER], bien_giang_old)
    require_role(users["admin"], [Role.LEADER], bien_giang_old)  # superuser
    assert StaffRole.objects.filter(user=users["admin"], role=Role.SYSADMIN, unit=ha_dong).exists()
