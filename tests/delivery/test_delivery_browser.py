"""The delivery staff page in a real browser: a birth certificate brought home, handed over with a
signature drawn on the screen and a photo; the dossier is then returned. axe: no violations."""

from __future__ import annotations

from datetime import datetime

import pytest
from delivery_helpers import finish, png, receive, vn

from axe_helpers import axe_violations
from motcua.core import clock
from motcua.delivery.models import Delivery, DeliveryStatus
from motcua.delivery.services import delivery_choose
from motcua.dossiers.models import Dossier
from motcua.dossiers.workflow import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def home_task(office):  # type: ignore[no-untyped-def]
    d = receive(office, vn(2026, 3, 9, 9, 0))
    with clock.frozen(vn(2026, 3, 9, 9, 5)):
        delivery_choose(dossier=d, method="home", actor=office.tiepnhan, child_name="Trần Bảo Ngọc")
    d = finish(office, d, vn(2026, 3, 10, 10, 0))
    clock.set_frozen(datetime(2026, 3, 11, 15, 0))  # the live server shares the clock
    yield d
    clock.set_frozen(None)


def login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/can-bo/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("motcua-demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/can-bo/")


def test_home_delivery_handed_over_with_a_drawn_signature_and_a_photo(
    page, live_server, home_task, tmp_path
):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base = live_server.url
    login(page, base, "tainha")
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Trả kết quả"
    ).click()
    expect(page.get_by_role("heading", name="Trả kết quả", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    row = page.get_by_role("row").filter(has_text=home_task.code)
    expect(row).to_contain_text("Cán bộ trả tận nhà")
    expect(row).to_contain_text("Kèm thiệp và hoa")
    row.get_by_role("link", name=home_task.code).click()

    expect(page.get_by_role("link", name="In thiệp chúc mừng (PDF)")).to_be_visible()
    expect(page.get_by_text("Mang theo hoa")).to_be_visible()
    canvas = page.locator("#signature-pad")
    expect(canvas).to_be_visible()  # shown by the first-party script
    assert axe_violations(page) == []

    page.get_by_label("Người ký nhận").fill("Trần Văn Nam")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for i in range(1, 16):
        page.mouse.move(x + w * (0.1 + 0.05 * i), y + h * (0.6 - 0.3 * ((i % 4) / 3)), steps=3)
    page.mouse.up()
    expect(page.locator("#signature-state")).to_have_text("Đã ký.")

    photo = tmp_path / "trao-ket-qua.png"
    photo.write_bytes(png((800, 600)))
    page.get_by_label("Ảnh trao kết quả (không bắt buộc)").set_input_files(str(photo))
    page.get_by_role("button", name="Xác nhận đã trao kết quả").click()

    expect(page.get_by_role("status")).to_contain_text("Đã trao kết quả hồ sơ")
    expect(page.locator("#dossier-status")).to_have_text("Đã trả kết quả")
    expect(page.locator("#delivery-status")).to_have_text("Đã trao kết quả")
    expect(page.get_by_text("15:00 11/03/2026")).to_be_visible()

    dossier = Dossier.objects.get(pk=home_task.pk)
    task = Delivery.objects.get(dossier=dossier)
    assert dossier.status == Status.RETURNED
    assert task.status == DeliveryStatus.DELIVERED and task.received_by_name == "Trần Văn Nam"
    assert task.proof_signature and task.proof_photo

    from PIL import Image

    with task.proof_signature.open("rb") as f:
        sig = Image.open(f).convert("L")
        # Ink on the white canvas: the drawn stroke, not an empty picture.
        assert sig.getextrema()[0] < 100


def test_citizen_chooses_the_post_on_the_public_lookup(page, live_server, office):  # type: ignore[no-untyped-def]
    """The lookup, the digits, then the choice: a plain form the browser's proof of work signs."""
    from playwright.sync_api import expect

    from motcua.delivery.models import PostalOrder

    d = receive(office, vn(2026, 3, 9, 9, 0))
    d = finish(office, d, vn(2026, 3, 10, 10, 0))
    clock.set_frozen(datetime(2026, 3, 10, 14, 0))
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{live_server.url}/tra-cuu/")
        page.get_by_role("textbox", name="Mã hồ sơ hoặc mã tham chiếu").fill(d.code)
        page.get_by_label("4 số cuối").fill("2345")
        page.get_by_role("button", name="Tra cứu").click()
        expect(page.locator("#delivery-method")).to_have_text("Nhận tại bộ phận một cửa")
        assert axe_violations(page) == []
        page.get_by_label("Qua dịch vụ bưu chính công ích").check()
        page.get_by_label("Địa chỉ nhận kết quả").fill("Thôn Đông, xã Yên Nghĩa, Hà Nội")
        page.get_by_label("Tôi đồng ý để cơ quan dùng địa chỉ").check()
        page.get_by_role("button", name="Lưu cách nhận kết quả").click()
        expect(page.locator("#delivery-saved")).to_contain_text("Qua dịch vụ bưu chính công ích")
        assert axe_violations(page) == []
    finally:
        clock.set_frozen(None)
    delivery = Delivery.objects.get(dossier=d)
    assert delivery.method == "post" and delivery.address == "Thôn Đông, xã Yên Nghĩa, Hà Nội"
    assert PostalOrder.objects.filter(dossier=d, state="pending").count() == 1
