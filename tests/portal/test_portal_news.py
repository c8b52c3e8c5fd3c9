"""Article star ratings (one per visitor), comments behind a proof-of-work challenge, moderation, rate limits."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from motcua.portal import services
from motcua.portal.models import AnnouncementRating, Comment

pytestmark = pytest.mark.django_db


def test_one_star_rating_per_visitor(client, published):
    url = f"/tin-tuc/{published.slug}/danh-gia/"
    client.get(f"/tin-tuc/{published.slug}/")  # receives the anonymous visitor cookie
    assert client.post(url, {"stars": "4"}).status_code == 302
    assert client.post(url, {"stars": "1"}).status_code == 302
    assert list(AnnouncementRating.objects.values_list("stars", flat=True)) == [4]
    html = client.get(f"/tin-tuc/{published.slug}/").content.decode()
    assert "Bạn đã đánh giá bài viết này 4 sao" in html

    other = client.__class__()
    other.get(f"/tin-tuc/{published.slug}/")
    other.post(url, {"stars": "5"})
    html = other.get(f"/tin-tuc/{published.slug}/").content.decode()
    assert "<strong>4,5</strong>/5 từ <strong>2</strong> lượt" in html


def test_rating_row_has_no_personal_data_and_db_enforces_uniqueness(client, published):
    client.get(f"/tin-tuc/{published.slug}/")
    client.post(f"/tin-tuc/{published.slug}/danh-gia/", {"stars": "5"})
    row = AnnouncementRating.objects.get()
    cookie = client.cookies["mc_vid"].value
    assert row.visitor != cookie and cookie not in row.visitor  # only a keyed hash is stored
    assert {f.name for f in AnnouncementRating._meta.fields} == {
        "id",
        "announcement",
        "visitor",
        "stars",
        "created_at",
    }
    with pytest.raises(IntegrityError):
        AnnouncementRating.objects.create(
            announcement=published, visitor=row.visitor, stars=1, created_at=row.created_at
        )


@pytest.mark.parametrize("stars", [0, 6, -1])
def test_stars_outside_1_to_5_are_refused(published, stars):
    with pytest.raises(services.ValidationFailed):
        services.announcement_rate(announcement=published, visitor="v" * 40, stars=stars)


def test_comment_needs_the_challenge(client, published, solve_challenge):
    url = f"/tin-tuc/{published.slug}/binh-luan/"
    bad = client.post(url, {"name": "Hoa", "body": "Xin hỏi giờ làm việc?", "altcha": "sai"})
    assert bad.status_code == 400
    assert "Mã xác minh chống gửi tự động không hợp lệ" in bad.content.decode()
    assert Comment.objects.count() == 0
    good = client.post(
        url,
        {
            "name": "Hoa",
            "body": "Xin hỏi giờ làm việc?",
            "altcha": solve_challenge(),
        },
    )
    assert good.status_code == 302
    assert Comment.objects.get().status == Comment.Status.PENDING


def test_a_solution_is_accepted_once(client, published, solve_challenge):
    url = f"/tin-tuc/{published.slug}/binh-luan/"
    solution = solve_challenge()
    first = client.post(url, {"name": "Minh", "body": "Cảm ơn!", "altcha": solution})
    assert first.status_code == 302
    again = client.post(url, {"name": "Minh", "body": "Cảm ơn lần nữa!", "altcha": solution})
    assert again.status_code == 400
    assert "Mã xác minh chống gửi tự động đã được dùng" in again.content.decode()
    assert list(Comment.objects.values_list("body", flat=True)) == ["Cảm ơn!"]


def test_moderation_hides_unapproved_comments(client, published, editor, solve_challenge):
    url = f"/tin-tuc/{published.slug}/binh-luan/"
    client.post(url, {"name": "Hoa", "body": "Bình luận chờ duyệt", "altcha": solve_challenge()})
    client.post(
        url,
        {"name": "Nam", "body": "Bình luận bị từ chối", "altcha": solve_challenge()},
    )
    assert "Bình luận chờ duyệt" not in client.get(f"/tin-tuc/{published.slug}/").content.decode()

    staff = client.__class__()
    staff.force_login(editor)
    assert "Bình luận chờ duyệt" in staff.get("/can-bo/tin-bai/").content.decode()
    first, second = Comment.objects.order_by("pk")
    staff.post(f"/can-bo/tin-bai/binh-luan/{first.pk}/", {"action": "approve"})
    staff.post(f"/can-bo/tin-bai/binh-luan/{second.pk}/", {"action": "reject"})

    html = client.get(f"/tin-tuc/{published.slug}/").content.decode()
    assert "Bình luận chờ duyệt" in html
    assert "Bình luận bị từ chối" not in html
    first.refresh_from_db()
    assert first.moderated_by == editor


def test_comment_body_is_escaped_not_rendered_as_html(client, published, editor):
    comment = services.comment_submit(
        announcement=published, name="X", body="<script>alert(9)</script>"
    )
    services.comment_moderate(actor=editor, comment=comment, approve=True)
    html = client.get(f"/tin-tuc/{published.slug}/").content.decode()
    assert "<script>alert(9)" not in html and "&lt;script&gt;alert(9)" in html


def test_only_editors_moderate(published):
    from factories import UserFactory

    comment = services.comment_submit(announcement=published, name="X", body="Nội dung")
    with pytest.raises(services.PermissionDenied):
        services.comment_moderate(actor=UserFactory(), comment=comment, approve=True)


def test_comments_are_rate_limited(client, published, solve_challenge):
    url = f"/tin-tuc/{published.slug}/binh-luan/"
    codes = [
        client.post(
            url, {"name": "Hoa", "body": f"Bình luận {i}", "altcha": solve_challenge()}
        ).status_code
        for i in range(7)
    ]
    assert codes[:5] == [302] * 5
    assert codes[5:] == [429, 429]
    assert Comment.objects.count() == 5


def test_lookup_is_rate_limited(client, settings):
    # One group with the API's lookup (PUBLIC_LOOKUP_PER_MINUTE); a different code each time:
    # one code alone is locked sooner (tests/core/test_core_throttle.py).
    n = settings.MOTCUA["PUBLIC_LOOKUP_PER_MINUTE"]
    codes = [
        client.post("/tra-cuu/", {"code": f"X{i}", "verify": "1234"}).status_code
        for i in range(n + 2)
    ]
    assert 429 not in codes[:n]
    assert codes[n:] == [429, 429]
