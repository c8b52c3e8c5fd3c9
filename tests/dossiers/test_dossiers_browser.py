"""A full dossier in a real browser: received at the counter, assigned, approved, finished, returned."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from factories import ProcedureVersionFactory, StaffRoleFactory, UnitFactory, UserFactory
from motcua.core import clock
from motcua.org.models import Role, UnitLevel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
QR = "001190012345||Nguyễn Thị Hương|08031990|Nữ|Số 5 Quang Trung, Phường Hà Đông, Hà Nội|01062021"


@pytest.fixture
def office(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path)
    city = UnitFactory(
        code="01", name="Thành phố Hà Nội", level=UnitLevel.PROVINCE, agency_code="000.00.00.H26"
    )
    ward = UnitFactory(code="9886", name="Phường Hà Đông", parent=city, agency_code="000.00.20.H26")
    people = {}
    for username, name, role in (
        ("tiepnhan", "Lê Văn Tiếp", Role.RECEPTION),
        ("chuyenvien", "Đỗ Minh Chuyên", Role.SPECIALIST),
        ("lanhdao", "Phạm Thị Lãnh", Role.LEADER),
    ):
        people[role] = UserFactory(username=username, full_name=name)
        StaffRoleFactory(user=people[role], unit=ward, role=role)
    ProcedureVersionFactory(procedure__code="1.001193", name="Thủ tục đăng ký khai sinh")
    clock.set_frozen(
        datetime(2026, 11, 17, 9, 15)
    )  # a Tuesday morning; the live server shares the clock
    yield people
    clock.set_frozen(None)


def login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    if page.get_by_role("button", name="Đăng xuất").count():
        page.get_by_role("button", name="Đăng xuất").click()
    page.goto(f"{base}/can-bo/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("motcua-demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/can-bo/")


def act(page, label: str, *, recipient: str = "", note: str = "") -> None:  # type: ignore[no-untyped-def]
    box = page.locator("details.action").filter(
        has=page.locator("summary").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    )
    box.evaluate("el => { el.open = true; }")
    if recipient:
        box.get_by_label("Cán bộ nhận").select_option(label=recipient)
    if note:
        box.locator("textarea").fill(note)
    with page.expect_navigation():  # the action posts and redirects back to the dossier
        box.get_by_role("button", name=label, exact=True).click()


def status(page) -> str:  # type: ignore[no-untyped-def]
    return page.inner_text("#dossier-status")


def test_full_dossier_from_reception_to_return(page, live_server, office):
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    # Reception: pick the procedure, read the ID card QR, tick papers, receive.
    login(page, base, "tiepnhan")
    page.get_by_role("link", name="Tiếp nhận hồ sơ").first.click()
    page.get_by_label("Tìm thủ tục").fill("dang ky khai sinh")
    page.get_by_role("link", name="Chọn thủ tục Thủ tục đăng ký khai sinh").click()
    page.get_by_label("Dữ liệu mã QR trên thẻ căn cước").fill(QR)
    page.get_by_role("button", name="Điền từ mã QR").click()
    assert page.get_by_label("Họ và tên").input_value() == "Nguyễn Thị Hương"
    assert page.get_by_label("Số định danh cá nhân (CCCD)").input_value() == "001190012345"
    page.get_by_label("Số điện thoại").fill("0912345678")
    assert page.get_by_label("Giấy chứng sinh (bắt buộc)").is_checked()
    page.screenshot(path=str(ARTIFACTS / "dossier-1-receive.png"), full_page=True)
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_url(re.compile(r"/can-bo/ho-so/000\.00\.20\.H26-261117-0001/$"))
    assert status(page) == "Đã tiếp nhận"
    assert "Đã tiếp nhận hồ sơ 000.00.20.H26-261117-0001" in page.inner_text("main")
    slip = page.get_by_role("link", name="In phiếu tiếp nhận (mẫu 01)")
    pdf = page.request.get(base + slip.get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    page.screenshot(path=str(ARTIFACTS / "dossier-2-received.png"), full_page=True)
    detail_url = page.url

    act(page, "Chuyển xử lý", recipient="Đỗ Minh Chuyên")
    assert status(page) == "Đang xử lý"

    # Specialist: appraise and submit to the leader.
    login(page, base, "chuyenvien")
    page.goto(f"{base}/can-bo/ho-so/?ds=mine")
    page.get_by_role("link", name="000.00.20.H26-261117-0001").click()
    act(
        page,
        "Trình lãnh đạo phê duyệt",
        recipient="Phạm Thị Lãnh",
        note="Hồ sơ hợp lệ, đề nghị phê duyệt",
    )
    assert status(page) == "Đang xử lý"
    assert "Trình lãnh đạo phê duyệt" in page.inner_text(".timeline")

    # Leader: approve and hand back to reception.
    login(page, base, "lanhdao")
    page.goto(detail_url)
    act(page, "Phê duyệt", recipient="Lê Văn Tiếp")
    assert "Đã thực hiện «Phê duyệt»" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "dossier-3-approved.png"), full_page=True)

    # Reception: the result is ready, then returned to the citizen.
    login(page, base, "tiepnhan")
    page.goto(detail_url)
    act(page, "Có kết quả")
    assert status(page) == "Đã xử lý xong"
    page.goto(f"{base}/can-bo/ho-so/?ds=ready")
    assert "000.00.20.H26-261117-0001" in page.inner_text("#worklist-results")
    page.screenshot(path=str(ARTIFACTS / "dossier-worklist-ready.png"), full_page=True)
    page.goto(detail_url)
    # The result is handed over only once the fee is paid (issue 12): cash at the counter.
    from motcua.org.models import Unit
    from motcua.payments.models import ReceiptSeries

    ReceiptSeries.objects.get_or_create(
        unit=Unit.objects.get(code="9886"),
        template_number="01BLP0-001",
        symbol="HD-26E",
        year=2026,
    )
    page.goto(detail_url)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"^Thu tiền mặt .* và lập biên lai$")).click()
    assert "Đã thu 8.000 đồng tiền mặt, biên lai HD-26E số 0000001" in page.inner_text("main")
    act(page, "Trả kết quả")
    assert status(page) == "Đã trả kết quả"
    assert "Trả: Trước hạn" in page.inner_text(".status-line")
    control = page.request.get(f"{detail_url}mau/05.pdf")
    assert control.ok and control.body().startswith(b"%PDF")
    page.screenshot(path=str(ARTIFACTS / "dossier-4-returned.png"), full_page=True)
