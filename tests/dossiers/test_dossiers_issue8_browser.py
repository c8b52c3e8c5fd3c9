"""Issue 8 A1 in a real browser: the dossier page shows the legal due moment and the apology's date."""

from __future__ import annotations

from datetime import datetime

import pytest

from factories import ProcedureVersionFactory, StaffRoleFactory, UnitFactory, UserFactory
from motcua.core import clock
from motcua.core.clock import VN_TZ
from motcua.dossiers.services import dossier_act, dossier_receive
from motcua.org.models import Role, UnitLevel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dossier_page_shows_the_legal_due_and_the_new_appointment(page, live_server, settings):
    from playwright.sync_api import expect

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    city = UnitFactory(code="01", name="Thành phố Hà Nội", level=UnitLevel.PROVINCE)
    ward = UnitFactory(code="9886", name="Phường Hà Đông", parent=city, agency_code="000.00.20.H26")
    reception = UserFactory(username="tn-a1", full_name="Lê Văn Tiếp")
    StaffRoleFactory(user=reception, unit=ward, role=Role.RECEPTION)
    leader = UserFactory(username="ld-a1", full_name="Phạm Thị Lãnh", title="Chủ tịch")
    StaffRoleFactory(user=leader, unit=ward, role=Role.LEADER)
    ProcedureVersionFactory(procedure__code="1.001193", name="Thủ tục đăng ký khai sinh")
    with clock.frozen(datetime(2026, 3, 10, 9, 0, tzinfo=VN_TZ)):
        d = dossier_receive(
            procedure_code="1.001193",
            channel="direct",
            citizen={"id_number": "001190012345", "full_name": "Nguyễn Thị Hương"},
            unit=ward,
            actor=reception,
        )
    with clock.frozen(datetime(2026, 3, 12, 9, 0, tzinfo=VN_TZ)):
        dossier_act(
            dossier=d,
            action="extend",
            actor=leader,
            note="Cần xác minh tại nơi cư trú",
            new_date="2026-03-18",
        )
    page.goto(f"{live_server.url}/can-bo/dang-nhap/?next=/can-bo/ho-so/{d.code}/")
    page.get_by_label("Tên đăng nhập").fill("ld-a1")
    page.get_by_label("Mật khẩu").fill("motcua-demo")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#due-legal")).to_contain_text("17:00 13/03/2026")
    expect(page.locator("#due-appointment")).to_contain_text("17:00 18/03/2026")
    expect(page.locator("#due-appointment")).to_contain_text("thống kê vẫn tính theo hạn quy định")
