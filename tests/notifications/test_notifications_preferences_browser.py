"""In a real browser: the citizen opens the signed link of an SMS, goes on to choose channels,
is refused without consent, then saves; axe finds nothing on each state of the pages."""

from __future__ import annotations

import pytest
from notifications_helpers import CITIZEN, vn
from playwright.sync_api import expect

from axe_helpers import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(SIZES))
def test_from_the_sms_link_to_the_preferences_page(browser, live_server, ward, freeze, size):
    from motcua.dossiers.services import dossier_receive
    from motcua.notifications import services
    from motcua.notifications.models import ContactPreference

    freeze(vn(2026, 11, 17, 9, 30))
    d = dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen={**CITIZEN, "notify_consent": True, "notify_channels": ["sms"]},
        unit=ward.unit,
        actor=ward.tiepnhan,
    )
    pref = ContactPreference.objects.get(citizen=d.citizen)
    context = browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport=SIZES[size]
    )
    page = context.new_page()
    failures: dict[str, list[str]] = {}

    def check(what: str) -> None:
        found = axe_violations(page)
        if found:
            failures[what] = found

    response = page.goto(
        f"{live_server.url}/huy-dang-ky/{services.unsubscribe_token(pref, 'sms')}/"
    )
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", name="Hủy đăng ký nhận thông báo")).to_be_visible()
    check("unsubscribe: asked")
    page.get_by_role("link", name="Chọn kênh nhận thông báo khác").click()
    expect(page.get_by_role("heading", name="Chọn kênh nhận thông báo")).to_be_visible()
    expect(page.get_by_label("Tin nhắn SMS (số 091****678)")).to_be_checked()
    check("preferences")
    page.get_by_label("Tin nhắn SMS (số 091****678)").uncheck()
    page.get_by_label("Thư điện tử", exact=True).check()
    page.get_by_label("Địa chỉ thư điện tử", exact=True).fill("an.moi@example.vn")
    page.get_by_role("button", name="Lưu lựa chọn").click()
    expect(page.get_by_role("alert")).to_contain_text("Vui lòng đánh dấu đồng ý")
    check("preferences: refused")
    page.get_by_label("Thư điện tử", exact=True).check()
    page.get_by_label("Tôi đồng ý để bộ phận một cửa").check()
    page.get_by_role("button", name="Lưu lựa chọn").click()
    expect(page.locator("#prefs-saved")).to_contain_text("Đã lưu lựa chọn")
    check("preferences: saved")
    context.close()
    pref.refresh_from_db()
    assert pref.channels == ["email"] and pref.email == "an.moi@example.vn"
    assert failures == {}
