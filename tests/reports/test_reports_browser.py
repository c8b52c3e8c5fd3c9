"""The management dashboard in a real browser, with a screenshot checked for Vietnamese text."""

from __future__ import annotations

from pathlib import Path

import pytest

from factories import StaffRoleFactory, UserFactory
from motcua.org.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_manager_reads_the_dashboard_and_filters_by_field(page, live_server, kpi_data):
    user = UserFactory(username="quanly-bc")
    StaffRoleFactory(user=user, unit=kpi_data["a"], role=Role.MANAGER)
    page.goto(f"{live_server.url}/can-bo/dang-nhap/?next=/can-bo/bao-cao/")
    page.get_by_label("Tên đăng nhập").fill("quanly-bc")
    page.get_by_label("Mật khẩu").fill("motcua-demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/can-bo/bao-cao/")
    assert page.locator("#kpi-on-time").inner_text() == "66,7%"
    page.get_by_label("Theo", exact=True).select_option(label="Lĩnh vực")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url("**theo=field**")
    text = page.inner_text("main")
    assert "Theo lĩnh vực" in text and "Hộ tịch" in text
    assert "Chỉ số phục vụ người dân, doanh nghiệp" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reports-dashboard.png"), full_page=True)
