"""Issue 9 point 1: the Content-Security-Policy header is on (no 'unsafe-inline'), and no page
breaks it. Every main page (public, kiosk, board, counter, dossier pages, back office, admin)
is loaded in Chromium with the server's own header; any violation (the browser's console
report or a `securitypolicyviolation` event) fails the test."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import expect

from motcua.core import clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFFICE = "ha-dong"

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def test_main_pages_break_no_rule_of_the_content_security_policy(browser, live_server, settings):
    from motcua.catalog.models import Procedure
    from motcua.dossiers.demo import seed_dossiers
    from motcua.dossiers.models import Dossier
    from motcua.org.models import Counter, Office
    from motcua.portal.models import Announcement
    from motcua.web.demo import seed_all

    settings.MOTCUA = {**settings.MOTCUA, "MAP_TILE_URL": ""}
    with clock.frozen(datetime(2026, 11, 17, 9, 30, tzinfo=clock.VN_TZ)):
        seed_all(history=False, log=lambda _msg: None)
        office = Office.objects.get(code=OFFICE)
        seed_dossiers(count=3, days=2, unit=office.unit)
    dossier = Dossier.objects.filter(unit=office.unit).order_by("pk").first()
    procedure = Procedure.objects.order_by("code").first()
    news = Announcement.objects.order_by("pk").first()
    counter = Counter.objects.filter(office=office).order_by("number").first()
    assert dossier and procedure and news and counter

    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.add_init_script(LISTEN)
    page = context.new_page()
    violations: list[str] = []
    current = ["?"]
    page.on(
        "console",
        lambda m: (
            violations.append(f"{current[0]}: {m.text}")
            if "Content Security Policy" in m.text
            else None
        ),
    )

    def collect() -> None:
        for v in page.evaluate("() => window.__csp || []"):
            violations.append(f"{current[0]}: {v}")

    def visit(path: str) -> None:
        current[0] = path
        response = page.goto(f"{live_server.url}{path}", wait_until="load")
        assert response is not None and response.status == 200, f"{path}: {response}"
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        page.wait_for_load_state("networkidle")
        collect()

    def login(username: str) -> None:
        visit("/can-bo/dang-nhap/")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill("motcua-demo")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{live_server.url}/can-bo/")
        collect()

    for path in [
        "/",
        "/thu-tuc/",
        f"/thu-tuc/{procedure.code}/",
        "/tra-cuu/",
        "/dat-lich/",
        "/tinh-hinh-giai-quyet/",
        "/co-quan/",
        "/cong-khai/",
        "/tin-tuc/",
        f"/tin-tuc/{news.slug}/",
        f"/can-bo/xep-hang/kiosk/{OFFICE}/",
        f"/can-bo/xep-hang/bang/{OFFICE}/",
        "/api/v1/docs",
    ]:
        visit(path)

    # A manager of two units: the unit switcher submits from our script, not an attribute.
    login("quanly")
    expect(page.locator("#unit-switch")).to_be_visible()
    other = page.locator("#unit-switch option:not([selected])").first.get_attribute("value")
    current[0] = "unit switcher"
    page.locator("#unit-switch").select_option(other)
    expect(page.locator(".messages")).to_contain_text("Đang làm việc tại")
    collect()
    for path in ["/can-bo/", "/can-bo/bao-cao/", "/can-bo/xep-hang/bao-cao/", "/can-bo/khuon-mat/"]:
        visit(path)
    page.context.clear_cookies()

    login("admin")
    for path in [
        "/can-bo/ho-so/",
        "/can-bo/ho-so/tiep-nhan/",
        "/can-bo/ho-so/so-theo-doi/",
        f"/can-bo/ho-so/{dossier.code}/",
        "/can-bo/xep-hang/",
        f"/can-bo/xep-hang/quay/{counter.pk}/",
        "/can-bo/xep-hang/huong-dan/",
        "/can-bo/tin-bai/",
        f"/can-bo/tin-bai/{news.pk}/",
        "/can-bo/thu-tuc/",
    ]:
        visit(path)
    # The worklist's search runs through htmx (which must not add an inline style element).
    visit("/can-bo/ho-so/")
    current[0] = "worklist search (htmx)"
    page.get_by_role("search").locator("input[name=q]").fill(dossier.code)
    page.get_by_role("button", name="Tìm hồ sơ").click()
    expect(page.locator("#worklist-results")).to_contain_text(dossier.code)
    collect()

    context.close()
    assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)
