"""The public portal in a real browser: search, lookup and rating, star rating and a comment."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from factories import ProcedureFactory, ProcedureVersionFactory
from motcua.portal.models import AnnouncementRating, Comment, ServiceRating

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_search_without_diacritics(page, live_server):
    ProcedureVersionFactory(procedure=ProcedureFactory(code="1.001193"), name="Đăng ký khai sinh")
    ProcedureVersionFactory(procedure=ProcedureFactory(code="1.000656"), name="Đăng ký khai tử")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/")
    assert "CỔNG DỊCH VỤ CÔNG" in page.inner_text("header")  # uppercased by CSS, still Vietnamese
    page.get_by_label("Tên hoặc mã thủ tục (gõ có dấu hoặc không dấu)").fill("dang ky khai sinh")
    page.get_by_role("button", name="Tìm kiếm").click()
    page.wait_for_url("**/thu-tuc/**")
    main = page.inner_text("main")
    assert "Thủ tục" in main
    assert "Đăng ký khai sinh" in main and "Đăng ký khai tử" not in main
    _shot(page, "portal-search.png")
    page.get_by_role("link", name="Đăng ký khai sinh").click()
    expect(page.locator("main")).to_contain_text("Thành phần hồ sơ")


def test_lookup_then_rate_the_returned_dossier(page, live_server, make_dossier):
    dossier = make_dossier(status=10)
    page.goto(f"{live_server.url}/tra-cuu/")
    page.get_by_role("textbox", name="Mã hồ sơ").fill(dossier.code)
    page.get_by_label("4 số cuối CCCD hoặc số điện thoại").fill(dossier.citizen_id_number[-4:])
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.locator("#status-label")).to_contain_text("Đã trả kết quả")
    expect(page.locator("main")).to_contain_text("Ngày hẹn trả kết quả")
    _shot(page, "portal-lookup.png")

    page.get_by_role("link", name="Đánh giá mức độ hài lòng").click()
    # Issue 8 B8: the lookup just proved who the citizen is; the digits are not asked again.
    expect(page.locator("#verified-by-lookup")).to_be_visible()
    expect(page.get_by_label("4 số cuối CCCD hoặc số điện thoại")).to_have_count(0)
    page.get_by_label("Rất hài lòng").check()
    page.get_by_text("Đánh giá chi tiết theo 9 tiêu chí").click()
    page.get_by_label("Thái độ của cán bộ").select_option("2")
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.locator("main")).to_contain_text("Cảm ơn bạn đã đánh giá")
    _shot(page, "portal-rating.png")
    rating = ServiceRating.objects.get()
    assert (
        rating.level == "very_satisfied"
        and rating.channel == "lookup"
        and rating.indicators == {"attitude": 2}
    )


def test_star_rating_and_comment_with_challenge(page, live_server, published, solve_challenge):
    page.goto(f"{live_server.url}/tin-tuc/{published.slug}/")
    assert "Thông báo lịch tiếp dân" in page.inner_text("h1")
    page.get_by_text("5 sao").click()
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.locator("main")).to_contain_text("Cảm ơn bạn đã đánh giá 5 sao")
    expect(page.locator("#danh-gia")).to_contain_text("Bạn đã đánh giá bài viết này 5 sao")

    page.get_by_label("Họ tên (hiển thị)").fill("Nguyễn Thị Hoa")
    # No picture to read: the browser proves some work by itself (core/challenge.py).
    assert page.locator(".challenge img, .captcha").count() == 0
    page.get_by_role("button", name="Gửi bình luận").click()  # the comment itself is missing
    # The failed form puts focus on the first field in error, tied to its message.
    body = page.get_by_label("Nội dung bình luận")
    expect(body).to_be_focused()
    expect(body).to_have_attribute("aria-invalid", "true")
    body.fill("Xin hỏi sáng thứ Bảy có nhận hồ sơ đất đai không?")
    page.get_by_role("button", name="Gửi bình luận").click()
    expect(page.locator("main")).to_contain_text("sẽ hiển thị sau khi được kiểm duyệt")
    _shot(page, "portal-comment.png")
    # Held for moderation: stored, not shown.
    assert Comment.objects.get().status == Comment.Status.PENDING
    assert "Xin hỏi sáng thứ Bảy" not in page.inner_text("#binh-luan")
    assert AnnouncementRating.objects.get().stars == 5
