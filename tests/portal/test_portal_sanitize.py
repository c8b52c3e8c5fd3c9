"""Announcement bodies are sanitised with an allow-list whatever path writes them."""

from __future__ import annotations

import pytest

from motcua.core import clock
from motcua.portal.models import Announcement
from motcua.portal.sanitize import clean_html

EVIL = (
    '<p onclick="steal()">Xin chào <strong>bà con</strong></p>'
    "<script>alert(1)</script>"
    '<img src="x.png" onerror="alert(2)" alt="ảnh">'
    '<a href="javascript:alert(3)">bấm</a>'
    '<a href="JaVaScRiPt:alert(4)">bấm</a>'
    '<a href="/thu-tuc/">thủ tục</a>'
    '<iframe src="https://evil.example"></iframe>'
    "<style>body{display:none}</style>"
)


def test_clean_html_removes_scripts_handlers_and_js_urls():
    out = clean_html(EVIL)
    lowered = out.lower()
    assert "<script" not in lowered and "alert(1)" not in lowered
    assert "onerror" not in lowered and "onclick" not in lowered
    assert "javascript:" not in lowered
    assert "<iframe" not in lowered and "<style" not in lowered
    # Formatting and safe links survive.
    assert "<strong>bà con</strong>" in out
    assert 'href="/thu-tuc/"' in out
    assert 'alt="ảnh"' in out


@pytest.mark.django_db
def test_model_save_sanitises_even_outside_services():
    ann = Announcement.objects.create(title="Thử", slug="thu", body=EVIL, published_at=clock.now())
    ann.refresh_from_db()
    assert (
        "<script" not in ann.body
        and "onerror" not in ann.body
        and "javascript:" not in ann.body.lower()
    )


@pytest.mark.django_db
def test_staff_editor_page_stores_sanitised_body(client, editor):
    client.force_login(editor)
    response = client.post(
        "/can-bo/tin-bai/moi/",
        {"title": "Thông báo mới", "summary": "", "body": EVIL, "publish": "on"},
    )
    assert response.status_code == 302
    ann = Announcement.objects.get(title="Thông báo mới")
    assert "<script" not in ann.body and "onerror" not in ann.body
    assert ann.published_at is not None and ann.author == editor
    html = client.get(f"/tin-tuc/{ann.slug}/").content.decode()
    assert "alert(1)" not in html and "onerror" not in html


@pytest.mark.django_db
def test_staff_pages_need_an_editor_role(client):
    from factories import UserFactory

    assert client.get("/can-bo/tin-bai/").status_code == 302  # login first
    client.force_login(UserFactory())
    assert client.get("/can-bo/tin-bai/").status_code == 403


def test_summary_text_keeps_paragraphs_apart():
    from motcua.portal.sanitize import html_to_text

    assert (
        html_to_text("<p>Câu một.</p><p>Câu hai &amp; ba.</p><script>x()</script>")
        == "Câu một. Câu hai & ba."
    )


@pytest.mark.django_db
def test_admin_pages_load_and_admin_save_sanitises(admin_client):
    for model in ("announcement", "comment", "weblink", "visitcount", "announcementrating"):
        assert admin_client.get(f"/quan-tri/portal/{model}/").status_code == 200, model
    response = admin_client.post(
        "/quan-tri/portal/announcement/add/",
        {
            "title": "Tin từ trang quản trị",
            "slug": "tin-quan-tri",
            "summary": "",
            "body": EVIL,
            "published_at_0": "",
            "published_at_1": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ann = Announcement.objects.get(slug="tin-quan-tri")
    assert (
        "<script" not in ann.body
        and "onerror" not in ann.body
        and "javascript:" not in ann.body.lower()
    )
