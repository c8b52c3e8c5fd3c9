"""In a real browser: a leader composes a campaign with a picture and publishes it to the portal,
Zalo OA, Facebook and subscribers' e-mail; a citizen sees it on the portal, follows its link and
books an appointment; the campaign's report counts that booking. axe on the new pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from campaigns_helpers import photo_with_gps, vn
from playwright.sync_api import expect

from axe_helpers import axe_violations
from factories import CounterFactory
from motcua.campaigns import services
from motcua.campaigns.models import Campaign, CampaignDay, Subscription
from motcua.notifications import services as notifications
from motcua.queueing.models import Booking, CounterService, Service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NOW = vn(2026, 11, 17, 9, 0)  # a Tuesday, a working day


def _login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/can-bo/dang-nhap/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("motcua-demo")
    page.locator("#id_password").press("Enter")
    expect(page.locator("#id_username")).to_have_count(0)


def test_staff_publish_everywhere_and_the_report_counts_a_booking(
    browser, live_server, ward, doubles, freeze
):
    freeze(NOW)
    svc = Service.objects.create(office=ward.office, code="A", name="Hộ tịch")
    CounterService.objects.create(counter=CounterFactory(office=ward.office, number=1), service=svc)
    Subscription.objects.create(
        channel="email", address="an@example.vn", unit=ward.unit, purpose="Nhận tin",
        consent_at=NOW, consent_source="portal", confirmed_at=NOW, created_at=NOW,
    )  # fmt: skip
    base = live_server.url
    failures: dict[str, list[str]] = {}
    staff = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = staff.new_page()
    _login(page, base, ward.lanhdao.username)
    page.get_by_role("link", name="Chiến dịch truyền thông").first.click()
    page.get_by_role("link", name="Soạn chiến dịch mới").click()
    expect(page.get_by_role("heading", name="Soạn chiến dịch truyền thông")).to_be_visible()
    failures["soạn"] = axe_violations(page)
    page.get_by_label("Tiêu đề").fill("Đặt lịch hẹn trước, không phải chờ lấy số")
    page.get_by_label("Nội dung").fill(
        "Phường Kiến Hưng nhận đặt lịch hẹn trực tuyến.\nĐến đúng giờ được ưu tiên gọi số."
    )
    page.get_by_label(re.compile("^Ảnh")).set_input_files(
        files=[{"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps((1200, 800))}]
    )
    page.get_by_label("Mô tả ảnh cho người khiếm thị").fill("Công dân đặt lịch trên điện thoại")
    page.get_by_label("Liên kết tới").select_option("booking")
    page.get_by_label(re.compile("^Mã thủ tục")).fill("kien-hung")
    for label in ("Cổng thông tin", "Zalo Official Account", "Trang Facebook", "Thư điện tử"):
        expect(page.get_by_label(re.compile("^" + label))).to_be_checked()
    page.get_by_label("Đăng ngay").check()
    page.get_by_role("button", name="Lưu chiến dịch").click()

    expect(page.locator("#campaign-status")).to_have_text("Đang đăng")
    campaign = Campaign.objects.get()
    # The job worker's minute: every channel is posted, the e-mail goes out.
    assert services.campaign_posts_send_due() == {"posted": 4}
    notifications.notifications_send_due()
    page.reload()
    expect(page.locator("#campaign-status")).to_have_text("Đã đăng")
    for channel in ("portal", "zalo", "facebook", "email"):
        expect(page.locator(f'tr[data-channel="{channel}"]')).to_contain_text("Đã đăng")
        # When, as dd/mm/yyyy (never the ISO date).
        expect(page.locator(f'tr[data-channel="{channel}"]')).to_contain_text(
            re.compile(r"\d{2}:\d{2} \d{2}/\d{2}/\d{4}")
        )
    failures["báo cáo"] = axe_violations(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "campaign-report.png"), full_page=True)
    assert len(doubles.zalo.posts) == 1 and len(doubles.facebook.posts) == 1
    assert [m["to"] for m in doubles.smtp.delivered] == [["an@example.vn"]]
    assert f"cd={campaign.code}.facebook" in doubles.facebook.posts[0]["message"]

    # A citizen on the portal: the campaign is in the news, its link leads to booking.
    citizen = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    cp = citizen.new_page()
    cp.goto(f"{base}/tin-tuc/")
    cp.get_by_role("link", name=campaign.title).first.click()
    expect(cp.get_by_role("heading", name=campaign.title)).to_be_visible()
    expect(cp.get_by_role("img", name="Công dân đặt lịch trên điện thoại")).to_be_visible()
    cp.locator("main").get_by_role("link", name="Đặt lịch hẹn", exact=True).click()
    expect(cp).to_have_url(re.compile(rf"cd={campaign.code}\.portal"))
    cp.get_by_role("link", name=re.compile("Hộ tịch")).click()
    cp.get_by_role("link", name="Thứ Ba, 17/11/2026").click()
    cp.get_by_role("link", name=re.compile("^09:30–10:00")).click()
    cp.get_by_label("Số định danh cá nhân (CCCD)").fill("001085012345")
    cp.get_by_label("Họ và tên (như trên thẻ căn cước)").fill("Nguyễn Văn An")
    cp.get_by_label("Số điện thoại di động").fill("0912 345 678")
    cp.get_by_label(re.compile("^Tôi đồng ý")).check()
    cp.get_by_role("button", name="Đặt lịch hẹn").click()
    expect(cp.locator("#booking-code")).to_have_text(re.compile(r"^LH-"))
    assert Booking.objects.count() == 1

    # The subscription page, as a citizen sees it.
    cp.goto(f"{base}/dang-ky-nhan-tin/")
    expect(cp.get_by_role("heading", name="Đăng ký nhận tin")).to_be_visible()
    failures["đăng ký nhận tin"] = axe_violations(cp)

    page.reload()
    row = page.locator('tr[data-channel="portal"]')
    expect(row.locator(".bookings")).to_have_text("1")
    [day] = CampaignDay.objects.filter(campaign=campaign)
    assert (day.channel, day.visits, day.bookings) == ("portal", 1, 1)
    citizen.close()
    staff.close()
    assert {k: v for k, v in failures.items() if v} == {}
