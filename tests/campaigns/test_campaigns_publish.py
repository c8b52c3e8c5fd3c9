"""Composing and publishing a campaign: every channel through its real stand-in, each exactly once
even when retried or when the worker dies after the channel answered."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from campaigns_helpers import compose, photo_with_gps, vn

from motcua.campaigns import selectors, services
from motcua.campaigns.models import CampaignPost, CampaignStatus, PostState, Subscription
from motcua.core import clock
from motcua.core.errors import PermissionDenied, ValidationFailed
from motcua.notifications import services as notifications
from motcua.notifications.models import Notification
from motcua.portal.models import Announcement

NOW = vn(2026, 11, 17, 9, 30)  # a Tuesday morning


def _subscriber(ward, address, *, confirmed=True, **topic):
    sub = Subscription.objects.create(
        channel="email",
        address=address,
        unit=topic.get("unit", ward.unit if "field" not in topic else None),
        field=topic.get("field"),
        purpose="Nhận tin",
        consent_at=NOW,
        consent_source="portal",
        confirmed_at=NOW if confirmed else None,
        created_at=NOW,
    )
    return sub


def test_only_the_units_leaders_and_managers_compose(ward, freeze):
    freeze(NOW)
    assert compose(ward, actor=ward.quanly).unit == ward.unit
    with pytest.raises(PermissionDenied):
        compose(ward, actor=ward.tiepnhan)
    with pytest.raises(PermissionDenied):
        compose(ward, actor=ward.khac)  # a leader of another ward


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"title": " "}, "title_required"),
        ({"title": "x" * 151}, "title_too_long"),
        ({"channels": []}, "channels_required"),
        ({"channels": ["tiktok"]}, "invalid_channel"),
        ({"link_kind": "procedure", "link_target": "9.999999"}, "link_not_found"),
        ({"link_kind": "article", "link_target": "khong-co"}, "link_not_found"),
        ({"image": b"%PDF-1.4 not a picture"}, "image_invalid"),
    ],
)
def test_a_campaign_is_checked_before_it_is_stored(ward, freeze, extra, code):
    freeze(NOW)
    with pytest.raises(ValidationFailed) as err:
        compose(ward, **extra)
    assert err.value.code == code


def test_the_picture_is_downscaled_and_loses_its_exif(ward, freeze):
    from PIL import Image

    freeze(NOW)
    campaign = compose(ward, image=photo_with_gps())
    with campaign.image.open("rb") as f:
        img = Image.open(io.BytesIO(f.read()))
        assert max(img.size) == services.IMAGE_MAX_SIDE
        assert dict(img.getexif()) == {}


def test_published_once_on_every_channel(ward, doubles, freeze, client):
    freeze(NOW)
    _subscriber(ward, "an@example.vn")
    _subscriber(ward, "binh@example.vn", confirmed=False)  # never confirmed: nothing sent
    _subscriber(ward, "chi@example.vn", field=ward.field)  # the campaign's field
    campaign = compose(ward, image=photo_with_gps((800, 600)), field=ward.field)
    services.campaign_publish(campaign=campaign, actor=ward.lanhdao)
    services.campaign_publish(campaign=campaign, actor=ward.lanhdao)  # asked twice: same posts
    assert CampaignPost.objects.filter(campaign=campaign).count() == 4

    counts = services.campaign_posts_send_due()
    assert counts == {"posted": 4}
    assert services.campaign_posts_send_due() == {}  # nothing left to post
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED and campaign.published_at == NOW

    # The portal: one announcement, with the picture and the tracking link.
    ann = Announcement.objects.get()
    assert campaign.announcement == ann and ann.published_at == NOW
    link = f"/dat-lich/?bo-phan=kien-hung&amp;cd={campaign.code}.portal"
    assert link in ann.body and f"/chien-dich/anh/{campaign.code}/" in ann.body
    page = client.get(f"/tin-tuc/{ann.slug}/")
    assert page.status_code == 200 and campaign.title in page.content.decode()
    image = client.get(f"/chien-dich/anh/{campaign.code}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"

    # Zalo OA: one article, its link tagged for Zalo; Facebook: one photo post.
    [article] = doubles.zalo.posts
    assert article["title"] == campaign.title
    assert article["tracking_link"].endswith(f"cd={campaign.code}.zalo")
    assert article["cover"]["photo_url"].endswith(f"/chien-dich/anh/{campaign.code}/")
    [fb] = doubles.facebook.posts
    assert fb["kind"] == "photos" and f"cd={campaign.code}.facebook" in fb["message"]

    # E-mail: the confirmed subscribers only, each with their own unsubscribe link.
    mails = Notification.objects.filter(kind="campaign").order_by("recipient")
    assert [n.recipient for n in mails] == ["an@example.vn", "chi@example.vn"]
    notifications.notifications_send_due()
    delivered = sorted(doubles.smtp.delivered, key=lambda m: m["to"])
    assert [m["to"] for m in delivered] == [["an@example.vn"], ["chi@example.vn"]]
    assert delivered[0]["subject"] == campaign.title
    assert f"cd={campaign.code}.email" in delivered[0]["text"]
    assert "/huy-dang-ky/" in delivered[0]["unsubscribe"]
    # The lấy-lại (retry) of the whole job changes nothing.
    assert services.campaign_posts_send_due() == {}
    notifications.notifications_send_due()
    assert len(doubles.smtp.delivered) == 2 and len(doubles.zalo.posts) == 1


@pytest.mark.parametrize("channel", ["zalo", "facebook"])
def test_an_answer_lost_on_the_way_back_is_not_posted_twice(ward, doubles, freeze, channel):
    """The channel made the post but the answer never came back (connection cut): the retry
    finds the post by its tracking link instead of posting again."""
    freeze(NOW)
    campaign = compose(ward, channels=[channel])
    services.campaign_publish(campaign=campaign, actor=ward.lanhdao)
    standin = getattr(doubles, channel)
    standin.drop_answer_next = 1
    assert services.campaign_posts_send_due() == {"pending": 1}
    post = CampaignPost.objects.get(campaign=campaign)
    assert post.state == PostState.PENDING and post.last_error
    assert len(standin.posts) == 1  # it did reach the channel

    freeze(NOW + timedelta(minutes=2))
    assert services.campaign_posts_send_due() == {"posted": 1}
    post.refresh_from_db()
    assert post.state == PostState.POSTED and post.provider_id == standin.posts[0]["id"]
    assert len(standin.posts) == 1


@pytest.mark.parametrize("channel", ["zalo", "facebook", "portal", "email"])
def test_a_worker_killed_after_the_channel_answered(ward, doubles, freeze, monkeypatch, channel):
    """The worker dies between the channel's answer and our bookkeeping: after the lease another
    worker takes the post again; the channel shows one post, the campaign counts it once."""
    freeze(NOW)
    _subscriber(ward, "an@example.vn")
    campaign = compose(ward, channels=[channel])
    services.campaign_publish(campaign=campaign, actor=ward.lanhdao)

    class Killed(BaseException):
        pass

    real = services._mark_posted

    def die(*args, **kwargs):
        raise Killed()

    monkeypatch.setattr(services, "_mark_posted", die)
    with pytest.raises(Killed):
        services.campaign_posts_send_due()
    post = CampaignPost.objects.get(campaign=campaign)
    assert post.state == PostState.SENDING
    monkeypatch.setattr(services, "_mark_posted", real)

    freeze(NOW + timedelta(minutes=1))  # still within the lease: nobody takes it
    assert services.campaign_posts_send_due() == {}
    freeze(NOW + services.SENDING_LEASE + timedelta(minutes=1))
    assert services.campaign_posts_send_due() == {"posted": 1}
    post.refresh_from_db()
    assert post.state == PostState.POSTED and post.attempts == 2
    if channel in ("zalo", "facebook"):
        assert len(getattr(doubles, channel).posts) == 1
    elif channel == "portal":
        assert Announcement.objects.count() == 1
    else:
        # The outbox rows were rolled back with the dead worker's transaction: written once now.
        assert Notification.objects.filter(kind="campaign").count() == 1


def test_a_refusal_is_shown_to_staff_and_can_be_retried(ward, doubles, freeze, settings):
    freeze(NOW)
    campaign = compose(ward, channels=["facebook", "portal"])
    services.campaign_publish(campaign=campaign, actor=ward.lanhdao)
    good = settings.MOTCUA["CAMPAIGN_FACEBOOK_TOKEN"]
    settings.MOTCUA = {**settings.MOTCUA, "CAMPAIGN_FACEBOOK_TOKEN": "expired"}
    assert services.campaign_posts_send_due() == {"failed": 1, "posted": 1}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PARTLY_FAILED
    report = {c["channel"]: c for c in selectors.campaign_report(campaign)["channels"]}
    assert report["facebook"]["state"] == "failed"
    assert "190" in report["facebook"]["error"] and report["portal"]["state"] == "posted"

    settings.MOTCUA = {**settings.MOTCUA, "CAMPAIGN_FACEBOOK_TOKEN": good}
    services.campaign_post_retry(
        post=CampaignPost.objects.get(channel="facebook"), actor=ward.quanly
    )
    assert services.campaign_posts_send_due() == {"posted": 1}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED and len(doubles.facebook.posts) == 1


def test_a_temporary_failure_is_retried_with_back_off(ward, doubles, freeze):
    freeze(NOW)
    campaign = compose(ward, channels=["zalo"])
    services.campaign_publish(campaign=campaign, actor=ward.lanhdao)
    doubles.zalo.fail_next = 2
    assert services.campaign_posts_send_due() == {"pending": 1}
    post = CampaignPost.objects.get()
    assert post.next_attempt_at == NOW + timedelta(minutes=1)
    freeze(NOW + timedelta(minutes=1))
    assert services.campaign_posts_send_due() == {"pending": 1}
    post.refresh_from_db()
    assert post.next_attempt_at == NOW + timedelta(minutes=3)
    freeze(NOW + timedelta(minutes=2))
    assert services.campaign_posts_send_due() == {}  # not yet
    freeze(NOW + timedelta(minutes=3))
    assert services.campaign_posts_send_due() == {"posted": 1}
    assert len(doubles.zalo.posts) == 1


def test_scheduled_for_later(ward, doubles, freeze):
    freeze(NOW)
    campaign = compose(ward, channels=["portal", "zalo"])
    at = NOW + timedelta(hours=5)
    campaign = services.campaign_publish(campaign=campaign, actor=ward.lanhdao, at=at)
    assert campaign.status == CampaignStatus.SCHEDULED and campaign.scheduled_at == at
    assert services.campaign_posts_send_due() == {}
    freeze(at - timedelta(minutes=1))
    assert services.campaign_posts_send_due() == {}
    assert Announcement.objects.count() == 0 and doubles.zalo.posts == []
    # Moved to a little earlier while still waiting.
    services.campaign_publish(campaign=campaign, actor=ward.lanhdao, at=at - timedelta(seconds=30))
    freeze(at)
    assert services.campaign_posts_send_due() == {"posted": 2}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PUBLISHED and campaign.published_at == at


def test_reach_comes_from_each_channel(ward, doubles, freeze):
    freeze(NOW)
    _subscriber(ward, "an@example.vn")
    campaign = compose(ward)
    services.campaign_publish(campaign=campaign, actor=ward.lanhdao)
    services.campaign_posts_send_due()
    notifications.notifications_send_due()
    doubles.facebook.reach[doubles.facebook.posts[0]["id"]] = 1234
    doubles.zalo.reach[doubles.zalo.posts[0]["id"]] = 560
    services.campaign_visit_record(ref=f"{campaign.code}.portal")
    reach = services.campaign_reach_refresh(campaign=campaign)
    assert reach == {"email": 1, "facebook": 1234, "portal": 1, "zalo": 560}
    report = selectors.campaign_report(campaign)
    assert report["totals"]["reach"] == 1234 + 560 + 1 + 1
    assert clock.now() == NOW
