"""Nothing depends on the internet (issue 8, B3): every main page, with every request that
would leave this machine blocked and recorded, loads all its assets from our own server;
the API documentation renders its operations offline."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from motcua.core import clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OFFICE = "ha-dong"
LOCAL = {"127.0.0.1", "localhost"}
PUBLIC = [
    "/",
    "/thu-tuc/",
    "/tra-cuu/",
    "/dat-lich/",
    "/tinh-hinh-giai-quyet/",
    "/co-quan/",
    "/cong-khai/",
    "/tin-tuc/",
    f"/can-bo/xep-hang/kiosk/{OFFICE}/",
    f"/can-bo/xep-hang/bang/{OFFICE}/",
    "/can-bo/dang-nhap/",
]
BACK_OFFICE = [
    "/can-bo/",
    "/can-bo/ho-so/",
    "/can-bo/ho-so/tiep-nhan/",
    "/can-bo/bao-cao/",
    "/can-bo/xep-hang/",
    "/can-bo/xep-hang/huong-dan/",
    "/can-bo/xep-hang/bao-cao/",
    "/can-bo/tin-bai/",
    "/quan-tri/",
    "/quan-tri/org/unitboundary/add/",
]


def test_every_main_page_works_without_the_internet(browser, live_server, settings):
    from motcua.catalog.models import Procedure
    from motcua.web.demo import seed_all

    settings.MOTCUA = {**settings.MOTCUA, "MAP_TILE_URL": ""}
    with clock.frozen(datetime(2026, 11, 17, 9, 30, tzinfo=clock.VN_TZ)):
        seed_all(history=False, log=lambda _msg: None)
    procedure = Procedure.objects.order_by("code").first()
    assert procedure is not None

    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    outside: list[str] = []
    broken: list[str] = []

    def route(r):  # type: ignore[no-untyped-def]
        if urlsplit(r.request.url).hostname in LOCAL:
            r.continue_()
        else:
            outside.append(f"{current[0]} → {r.request.url}")
            r.abort()

    current = ["?"]
    context.route("**/*", route)
    page = context.new_page()
    page.on(
        "response",
        lambda resp: (
            broken.append(f"{current[0]} → {resp.url} ({resp.status})")
            if resp.status >= 400 and "/static/" in resp.url
            else None
        ),
    )

    def visit(path: str) -> None:
        current[0] = path
        response = page.goto(f"{live_server.url}{path}", wait_until="load")
        assert response is not None and response.status == 200, (
            f"{path}: {response and response.status}"
        )

    for path in [*PUBLIC, f"/thu-tuc/{procedure.code}/"]:
        visit(path)

    # The API documentation: Swagger UI from our static files lists the operations.
    visit("/api/v1/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() >= 10
    expect(page.locator(".opblock-summary-path").first).to_contain_text("/api/v1/")

    # The back office and the admin, logged in as the demo administrator.
    visit("/can-bo/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill("motcua-demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/can-bo/")
    for path in BACK_OFFICE:
        visit(path)
    # The dashboard's charts are drawn by chart.js from our own files.
    visit("/can-bo/xep-hang/bao-cao/")
    visit("/can-bo/bao-cao/?from=2026-01-01")
    page.wait_for_function(
        "() => typeof Chart !== 'undefined'"
        " && [...document.querySelectorAll('canvas[data-chart]')].every(c => Chart.getChart(c))"
    )

    context.close()
    assert outside == [], "requests that left this machine:\n" + "\n".join(outside)
    assert broken == [], "static files that failed:\n" + "\n".join(broken)
