"""Browser test: a clerk sends a document to another unit; its clerk sees it arrive, registers
it and assigns it; the sender sees the receipt, the time it was opened and what became of it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from axe_helpers import axe_violations
from motcua.correspondence.models import Dispatch, Document

pytestmark = pytest.mark.django_db(transaction=True)


def _login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/can-bo/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("motcua-demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/can-bo/")


def test_send_arrive_register_assign(two_wards, browser, live_server):
    w = two_wards
    base = live_server.url
    sender = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    receiver = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    try:
        a = sender.new_page()
        _login(a, base, w.a_reception.username)
        a.get_by_role("navigation", name="Điều hướng chính").get_by_role(
            "link", name="Văn bản đi, đến"
        ).click()
        a.get_by_role("link", name="Tạo văn bản đi").click()
        a.get_by_label("Loại văn bản").select_option(label="Công văn")
        a.get_by_label("Trích yếu nội dung").fill(
            "Về việc phối hợp xác minh nơi cư trú của công dân"
        )
        a.get_by_label("Người ký", exact=True).fill("Nguyễn Văn Hùng")
        a.get_by_label("Chức vụ người ký").fill("Phó Chủ tịch")
        a.get_by_label("Độ khẩn").select_option(label="Khẩn")
        a.get_by_label("Viết tắt đơn vị soạn thảo (công văn: UBND-VP)").fill("TP")
        a.get_by_role("button", name="Cấp số và lưu văn bản").click()
        expect(a.get_by_role("heading", level=1)).to_have_text("Công văn 01/UBND-TP")
        assert axe_violations(a, "h1", ".card") == []  # (the flash message list: see STATUS)
        a.get_by_label("Phường Kiến Hưng").check()
        a.get_by_role("button", name="Gửi", exact=True).click()
        expect(a.locator("#dispatches")).to_contain_text("Đã đến")

        b = receiver.new_page()
        _login(b, base, w.b_reception.username)
        b.goto(f"{base}/can-bo/van-ban/?so=den")
        row = b.locator("#documents tbody tr", has_text="01/UBND-TP")
        expect(row).to_contain_text("Chờ vào sổ")
        expect(row).to_contain_text("Phường Hà Đông")
        assert axe_violations(b, "h1", ".card", ".filters") == []
        row.get_by_role("link", name="01/UBND-TP").click()
        b.get_by_role("button", name="Vào sổ, cấp số đến").click()
        expect(b.locator("#incoming-number")).to_contain_text("01")
        expect(b.locator("#doc-status")).to_have_text("Đã vào sổ")
        b.get_by_label("Người xử lý").select_option(label=w.b_specialist.full_name)
        b.get_by_label("Hạn xử lý").fill("2026-11-24")
        b.get_by_label("Ý kiến phân công").fill("Xác minh, trả lời trước hạn")
        b.get_by_role("button", name="Phân công").click()
        expect(b.locator("#doc-status")).to_have_text("Đã phân công")
        expect(b.locator("#doc-assignee")).to_contain_text("24/11/2026")
        assert axe_violations(b, "h1", ".card", ".filters") == []

        # The sender's page shows what became of it.
        a.reload()
        expect(a.locator("#dispatches")).to_contain_text("Đã phân công")
        expect(a.locator("#dispatches tbody td").nth(3)).to_have_text(
            re.compile(r"\d\d:\d\d \d\d/11/2026")
        )
    finally:
        sender.close()
        receiver.close()
    incoming = Document.objects.get(direction="in")
    assert (incoming.number, incoming.assignee, incoming.status) == (1, w.b_specialist, "assigned")
    assert Dispatch.objects.get().opened_at is not None
