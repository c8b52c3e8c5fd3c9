"""The back-office shell in a real browser: Vietnamese login, menu by role, unit switcher."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from factories import StaffRoleFactory, UnitFactory, UserFactory
from motcua.org.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_official_logs_in_and_switches_unit(page, live_server):
    user = UserFactory(username="quanly-test", full_name="Trần Thị Quản Lý")
    StaffRoleFactory(user=user, unit=UnitFactory(name="Phường Hà Đông"), role=Role.MANAGER)
    StaffRoleFactory(user=user, unit=UnitFactory(name="Phường Dương Nội"), role=Role.MANAGER)

    page.goto(f"{live_server.url}/can-bo/")
    assert "Đăng nhập hệ thống một cửa" in page.inner_text("h1")
    page.get_by_label("Tên đăng nhập").fill("quanly-test")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("main")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng")

    page.get_by_label("Mật khẩu").fill("motcua-demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/can-bo/")
    assert "Xin chào, Trần Thị Quản Lý" in page.inner_text("h1")

    # The select submits its form on change: wait for that navigation, not the current page.
    with page.expect_navigation():
        page.get_by_label("Đơn vị").select_option(label="Phường Dương Nội")
    expect(page.locator("main")).to_contain_text("Đơn vị đang làm việc: Phường Dương Nội")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-home.png"), full_page=True)
