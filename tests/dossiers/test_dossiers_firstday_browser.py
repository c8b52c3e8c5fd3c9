"""The first day in the office, in a real browser (issue 8, B1, B2, B4).

B1: a specialist of two wards lands where the dossier just assigned to her waits, the unit
switcher says where work waits, and "my dossiers" lists it from either ward.
B2: the dossier page proposes the usual next move first (primary); refusing is tucked away;
after a hand-off the moves are no longer offered to the one who handed off.
B4: in an English-language Chromium, date fields take and show dd/mm/yyyy.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from factories import ProcedureVersionFactory, StaffRoleFactory, UnitFactory, UserFactory
from motcua.core import clock
from motcua.dossiers import services
from motcua.org.models import Role, UnitLevel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

QR = "001190012345||Nguyễn Thị Hương|08031990|Nữ|Số 5 Quang Trung, Phường Hà Đông, Hà Nội|01062021"
CITIZEN = {
    "id_number": "001190012345",
    "full_name": "Nguyễn Thị Hương",
    "date_of_birth": "1990-03-08",
    "phone": "0912345678",
}


@pytest.fixture
def wards(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path)
    city = UnitFactory(
        code="01", name="Thành phố Hà Nội", level=UnitLevel.PROVINCE, agency_code="000.00.00.H26"
    )
    ha_dong = UnitFactory(
        code="9886", name="Phường Hà Đông", parent=city, agency_code="000.00.20.H26"
    )
    duong_noi = UnitFactory(
        code="9887", name="Phường Dương Nội", parent=city, agency_code="000.00.21.H26"
    )
    # The specialist's first post is Hà Đông; she also works for Dương Nội.
    specialist = UserFactory(username="chuyenvien", full_name="Đỗ Minh Chuyên")
    StaffRoleFactory(user=specialist, unit=ha_dong, role=Role.SPECIALIST)
    StaffRoleFactory(user=specialist, unit=duong_noi, role=Role.SPECIALIST)
    other_specialist = UserFactory(username="chuyenvien2", full_name="Vũ Thị Khác")
    StaffRoleFactory(user=other_specialist, unit=duong_noi, role=Role.SPECIALIST)
    reception = UserFactory(username="tiepnhan", full_name="Lê Văn Tiếp")
    StaffRoleFactory(user=reception, unit=duong_noi, role=Role.RECEPTION)
    leader = UserFactory(username="lanhdao", full_name="Phạm Thị Lãnh")
    StaffRoleFactory(user=leader, unit=duong_noi, role=Role.LEADER)
    ProcedureVersionFactory(procedure__code="1.001193", name="Thủ tục đăng ký khai sinh")
    clock.set_frozen(datetime(2026, 11, 17, 9, 15))  # a working Tuesday morning
    yield SimpleNamespace(
        ha_dong=ha_dong,
        duong_noi=duong_noi,
        specialist=specialist,
        other_specialist=other_specialist,
        reception=reception,
        leader=leader,
    )
    clock.set_frozen(None)


def receive(w: SimpleNamespace):  # type: ignore[no-untyped-def]
    return services.dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen=CITIZEN,
        unit=w.duong_noi,
        actor=w.reception,
    )


def login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/can-bo/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("motcua-demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/can-bo/")


# --- B1 ----------------------------------------------------------------------------------------


def test_specialist_lands_where_her_assigned_dossier_waits(page, live_server, wards):
    from playwright.sync_api import expect

    dossier = receive(wards)
    services.dossier_act(
        dossier=dossier, action="assign", actor=wards.reception, to_user=wards.specialist.pk
    )
    base = live_server.url
    login(page, base, "chuyenvien")

    # She lands in Dương Nội, where the dossier is, although her first post is Hà Đông.
    switcher = page.get_by_label("Đơn vị")
    expect(switcher.locator("option:checked")).to_have_text("Phường Dương Nội (1 hồ sơ chờ)")
    expect(switcher.locator("option", has_text="Phường Hà Đông")).to_have_text("Phường Hà Đông")
    page.get_by_role("link", name="Hồ sơ", exact=True).first.click()
    expect(page.locator("#worklist-results")).to_contain_text(dossier.code)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "firstday-b1-landing.png"), full_page=True)

    # "My dossiers" lists it from her other ward too.
    with page.expect_navigation():
        switcher.select_option(label="Phường Hà Đông")
    expect(page.get_by_label("Đơn vị").locator("option:checked")).to_have_text("Phường Hà Đông")
    page.goto(f"{base}/can-bo/ho-so/?ds=mine")
    expect(page.locator("#worklist-results")).to_contain_text(dossier.code)
    expect(page.locator("#worklist-results")).to_contain_text("Phường Dương Nội")
    expect(page.locator("#worklist-results")).not_to_contain_text("Không có hồ sơ.")


# --- B2 ----------------------------------------------------------------------------------------


def first_action(page):  # type: ignore[no-untyped-def]
    return page.locator("section[aria-labelledby=actions-h] details.action").first


def test_dossier_page_proposes_the_next_step_and_hides_refusal(page, live_server, wards):
    from playwright.sync_api import expect

    dossier = receive(wards)
    base = live_server.url
    url = f"{base}/can-bo/ho-so/{dossier.code}/"
    login(page, base, "tiepnhan")
    page.goto(url)

    # Reception, just received: the usual next move is the hand-off, open, primary button.
    first = first_action(page)
    expect(first.locator("summary")).to_have_text("Chuyển xử lý")
    expect(page.locator("#next-step")).to_be_visible()
    expect(first).to_have_attribute("open", "")
    expect(first.get_by_role("button", name="Chuyển xử lý")).to_have_class(
        re.compile(r"\bprimary\b")
    )
    # Refusing is never open by default: hidden until the official opens it on purpose.
    refuse = page.get_by_role("button", name="Từ chối tiếp nhận", exact=True)
    expect(refuse).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "firstday-b2-next-step.png"), full_page=True)
    page.get_by_text("Từ chối, rút hoặc dừng hồ sơ").click()
    page.locator("details.danger-zone summary", has_text="Từ chối tiếp nhận").click()
    expect(refuse).to_be_visible()
    expect(refuse).not_to_have_class(re.compile(r"\bprimary\b"))

    # Hand the dossier to the specialist with the primary move.
    first.get_by_label("Cán bộ nhận").select_option(label="Đỗ Minh Chuyên")
    with page.expect_navigation():
        first.get_by_role("button", name="Chuyển xử lý").click()
    expect(page.locator("#dossier-status")).to_have_text("Đang xử lý")
    # The hand-off is done: reception is no longer offered the specialist's moves.
    expect(page.locator("#held-by")).to_contain_text("Đỗ Minh Chuyên")
    actions = page.locator("section[aria-labelledby=actions-h]")
    for label in ("Chuyển xử lý", "Chuyển tiếp", "Có kết quả", "Yêu cầu bổ sung hồ sơ"):
        expect(actions.locator("summary", has_text=label)).to_have_count(0)
    expect(actions.locator("details.action.next")).to_have_count(0)

    # Another specialist of the ward cannot act on it: nothing offered.
    login(page, base, "chuyenvien2")
    page.goto(url)
    expect(page.locator("section[aria-labelledby=actions-h] details.action")).to_have_count(0)
    expect(page.locator("section[aria-labelledby=actions-h]")).to_contain_text(
        "Bạn không có thao tác nào"
    )

    # The holder is proposed her usual next move first: submit to the leader.
    login(page, base, "chuyenvien")
    page.goto(url)
    first = first_action(page)
    expect(first.locator("summary")).to_contain_text("Trình lãnh đạo phê duyệt")
    expect(first.get_by_role("button", name="Trình lãnh đạo phê duyệt")).to_have_class(
        re.compile(r"\bprimary\b")
    )


# --- B4 ----------------------------------------------------------------------------------------


def test_date_fields_read_dd_mm_yyyy_in_an_english_browser(launch_chromium, live_server, wards):
    from playwright.sync_api import expect

    dossier = receive(wards)
    browser = launch_chromium("--lang=en-US")
    context = browser.new_context(locale="en-US", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    base = live_server.url
    login(page, base, "tiepnhan")

    # The ledger (form 06): 03/11/2026 is the 3rd of November, not the 11th of March.
    page.goto(f"{base}/can-bo/ho-so/so-theo-doi/")
    assert page.locator("input[type=date]").count() == 0
    start = page.get_by_label("Từ ngày")
    expect(start).to_have_attribute("placeholder", "dd/mm/yyyy")
    expect(start).to_have_attribute("inputmode", "numeric")
    start.fill("03/11/2026")
    page.get_by_label("Đến ngày").fill("17/11/2026")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Xem")).first.click()
    expect(page.get_by_label("Từ ngày")).to_have_value("03/11/2026")
    expect(page.get_by_label("Đến ngày")).to_have_value("17/11/2026")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "firstday-b4-english-browser.png"), full_page=True)
    expect(page.locator("main")).to_contain_text(dossier.code)

    # A date that does not exist is refused in Vietnamese, whatever the browser's language.
    page.get_by_label("Từ ngày").fill("31/02/2026")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Xem")).first.click()
    expect(page.locator("main")).to_contain_text("Ngày không hợp lệ")
    expect(page.locator("main")).not_to_contain_text("Enter a valid date")

    # The worklist search: received from 17/11/2026; dates shown back and in the list dd/mm/yyyy.
    page.goto(f"{base}/can-bo/ho-so/?date_from=17%2F11%2F2026")
    expect(page.get_by_label("Nhận từ ngày")).to_have_value("17/11/2026")
    expect(page.locator("#worklist-results")).to_contain_text("17/11/2026")
    expect(page.locator("#worklist-results")).to_contain_text(dossier.code)

    # Reception: the ID card QR fills the date of birth day first; a typed one is kept as typed.
    page.goto(f"{base}/can-bo/ho-so/tiep-nhan/?procedure=1.001193")
    page.get_by_label("Dữ liệu mã QR trên thẻ căn cước").fill(QR)
    page.get_by_role("button", name="Điền từ mã QR").click()
    birth = page.get_by_label("Ngày sinh")
    expect(birth).to_have_value("08/03/1990")
    expect(birth).to_have_attribute("type", "text")
    context.close()
