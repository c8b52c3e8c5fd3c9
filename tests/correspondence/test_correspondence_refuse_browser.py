"""Browser test: the clerk of the receiving unit refuses an arrival from its page with a
reason; the sender's page shows it refused, why, and the status that came back. The new pages
(paper registration, consultations, the portal's published documents) pass axe."""

from __future__ import annotations

import pytest
from correspondence_helpers import pdf_bytes
from playwright.sync_api import expect

from axe_helpers import axe_violations
from motcua.correspondence import services
from motcua.correspondence.models import Dispatch, Document

pytestmark = pytest.mark.django_db(transaction=True)


def _login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/can-bo/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("motcua-demo")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/can-bo/")


def test_refuse_an_arrival_with_a_reason(two_wards, browser, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = two_wards
    doc = services.document_create(
        unit=w.a,
        actor=w.a_reception,
        doc_type="CV",
        summary="Về việc đề nghị xác minh thông tin đất đai",
        signer_name="Nguyễn Văn Hùng",
    )
    services.document_send(document=doc, to=[w.b.code], actor=w.a_reception)
    base = live_server.url
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    try:
        b = context.new_page()
        _login(b, base, w.b_reception.username)
        b.goto(f"{base}/can-bo/van-ban/?so=den")
        b.get_by_role("link", name=doc.number_notation).click()
        expect(b.get_by_role("heading", name="Trả lại văn bản")).to_be_visible()
        assert axe_violations(b, "h1", ".card") == []
        b.get_by_label("Lý do").fill("Không thuộc thẩm quyền giải quyết của phường")
        b.get_by_role("button", name="Trả lại").click()
        expect(b.locator("#doc-status")).to_have_text("Đã trả lại")
        expect(b.locator("#status-note")).to_have_text(
            "Không thuộc thẩm quyền giải quyết của phường"
        )
        assert axe_violations(b, "h1", ".card") == []
        b.goto(f"{base}/can-bo/van-ban/van-ban-giay/")
        expect(b.get_by_role("heading", level=1)).to_contain_text("Vào sổ văn bản giấy")
        assert axe_violations(b, "h1", ".card") == []
        b.goto(f"{base}/can-bo/van-ban/lay-y-kien/")
        expect(b.get_by_role("heading", level=1)).to_contain_text("Lấy ý kiến cơ quan phối hợp")
        assert axe_violations(b, "h1", ".card", ".tabs") == []
        context.clear_cookies()

        a = context.new_page()
        _login(a, base, w.a_reception.username)
        a.goto(f"{base}/can-bo/van-ban/{doc.pk}/")
        expect(a.locator("#dispatches")).to_contain_text("Bị trả lại")
        expect(a.locator("#dispatches")).to_contain_text("Không thuộc thẩm quyền")
        expect(a.locator("#statuses")).to_contain_text("Từ chối tiếp nhận")
        assert axe_violations(a, "h1", ".card") == []

        # The portal: a published directive, found without diacritics, with no JavaScript.
        directive = services.document_create(
            unit=w.a,
            actor=w.a_reception,
            doc_type="CT",
            summary="Chỉ thị tăng cường kỷ luật hành chính",
            signer_name="Nguyễn Văn Hùng",
            files=[services.Upload("ct.pdf", pdf_bytes(), True)],
        )
        services.document_publish(document=directive, actor=w.a_leader)
        public = browser.new_context(locale="vi-VN", java_script_enabled=False)
        p = public.new_page()
        p.goto(f"{base}/van-ban/")
        p.get_by_label("Tìm theo số, ký hiệu, trích yếu, người ký").fill("ky luat hanh chinh")
        p.get_by_role("search", name="Tìm văn bản").get_by_role("button", name="Tìm").click()
        p.get_by_role("link", name=directive.number_notation).click()
        expect(p.get_by_role("heading", level=1)).to_have_text(
            f"Chỉ thị số {directive.number_notation}"
        )
        public.close()
        a.goto(f"{base}/van-ban/?q=ky+luat")
        assert axe_violations(a) == []
        a.goto(f"{base}/van-ban/{directive.pk}/")
        assert axe_violations(a) == []
    finally:
        context.close()
    assert Document.objects.get(direction="in").status == "refused"
    assert Dispatch.objects.get(document=doc).state == "refused"
