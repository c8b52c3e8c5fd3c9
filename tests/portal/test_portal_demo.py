"""The portal demo content is Vietnamese and idempotent."""

from __future__ import annotations

import pytest

from motcua.portal.demo import seed_portal
from motcua.portal.models import Announcement, AnnouncementRating, Comment, WebLink

pytestmark = pytest.mark.django_db


def test_seed_portal_is_idempotent_and_visible(client):
    first = seed_portal()
    assert first["announcements"] >= 3 and first["links"] >= 3
    counts = (
        Announcement.objects.count(),
        WebLink.objects.count(),
        Comment.objects.count(),
        AnnouncementRating.objects.count(),
    )
    second = seed_portal()
    assert set(second.values()) == {0}
    assert counts == (
        Announcement.objects.count(),
        WebLink.objects.count(),
        Comment.objects.count(),
        AnnouncementRating.objects.count(),
    )
    html = client.get("/").content.decode()
    assert "Lấy số thứ tự bằng nhận diện khuôn mặt" in html
    assert "Cổng Dịch vụ công quốc gia" in html
    detail = client.get("/tin-tuc/lay-so-thu-tu-bang-nhan-dien-khuon-mat/").content.decode()
    assert "Trần Thị Mai" in detail  # an approved comment
    assert "lượt đánh giá" in detail


def test_ratings_history_goes_through_the_service_and_is_idempotent(make_dossier, make_ticket):
    from motcua.core import clock
    from motcua.portal.demo import seed_ratings_history
    from motcua.portal.models import ServiceRating

    for _ in range(6):
        make_dossier(status=10, returned_at=clock.now())
    make_dossier(status=4)
    for _ in range(4):
        make_ticket()
    made = seed_ratings_history(share_dossiers=1.0, share_visits=1.0)
    assert made == {"dossiers": 6, "visits": 4}
    assert ServiceRating.objects.count() == 10
    assert seed_ratings_history(share_dossiers=1.0, share_visits=1.0) == {
        "dossiers": 0,
        "visits": 0,
    }
    assert all(0 <= v <= 2 for r in ServiceRating.objects.all() for v in r.indicators.values())
