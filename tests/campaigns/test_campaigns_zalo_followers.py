"""Zalo subscribers who follow the office's Official Account and linked it get the campaign as
an OA message through the notifications outbox (once per subscriber and campaign, with the
unsubscribe link), over the real Zalo stand-in; subscribers not linked get nothing from us."""

from __future__ import annotations

import pytest
from campaigns_helpers import compose, vn

from factories import CitizenFactory
from motcua.campaigns import services
from motcua.campaigns.models import CampaignEmail, Subscription
from motcua.notifications import services as notifications
from motcua.notifications.models import ContactPreference, Notification

NOW = vn(2026, 11, 17, 9, 30)


@pytest.fixture
def oa(settings, doubles):
    """The notifications' Zalo stand-in (OA messages), beside the campaigns' stand-ins."""
    from motcua.notifications.standins import ZaloStandin

    zalo = ZaloStandin(
        token="zns-test", templates=set(), oa_token="oa-test", oa_app_id="1", oa_secret="s"
    ).start_in_thread()
    settings.MOTCUA = {
        **settings.MOTCUA,
        "NOTIFY_ZALO_OA_URL": zalo.base_url,
        "NOTIFY_ZALO_OA_TOKEN": "oa-test",
    }
    yield zalo
    zalo.stop()


def _zalo_subscriber(ward, phone, **topic):
    return Subscription.objects.create(
        channel="zalo",
        address=phone,
        unit=topic.get("unit", ward.unit if "field" not in topic else None),
        field=topic.get("field"),
        purpose="Nhận tin",
        consent_at=NOW,
        consent_source="portal",
        confirmed_at=NOW,
        created_at=NOW,
    )


def _follower(phone, user_id, *, stopped=()):
    citizen = CitizenFactory(phone=phone)
    return ContactPreference.objects.create(
        citizen=citizen,
        channels=["zalo"],
        phone=phone,
        consent_at=NOW,
        consent_source="online",
        stopped=list(stopped),
        zalo_user_id=user_id,
        zalo_linked_at=NOW,
    )


def test_linked_zalo_subscribers_get_the_campaign_once(ward, doubles, oa, freeze):
    freeze(NOW)
    linked = _zalo_subscriber(ward, "0912345678")
    _zalo_subscriber(ward, "0912345678", field=ward.field)  # same person, the field too: once
    _follower("+84 912 345 678", "8801")  # stored as given at the counter
    _zalo_subscriber(ward, "0987654321")  # follows no OA link: left to the OA article
    _zalo_subscriber(ward, "0911111111")
    _follower("0911111111", "8802", stopped=["zalo"])  # stopped Zalo: nothing
    other = _zalo_subscriber(ward, "0922222222", unit=ward.other)  # another ward
    _follower("0922222222", "8803")
    oa.followers.update({"8801", "8802", "8803"})

    campaign = compose(ward, channels=["email", "portal"], field=ward.field)
    services.campaign_publish(campaign=campaign, actor=ward.lanhdao)
    assert services.campaign_posts_send_due() == {"posted": 2}
    [n] = Notification.objects.filter(kind="campaign")
    assert n.channel == "zalo_oa" and n.recipient == "8801"
    assert CampaignEmail.objects.get(notification=n).subscription in (
        linked,
        Subscription.objects.get(address="0912345678", field=ward.field),
    )
    assert not CampaignEmail.objects.filter(subscription=other).exists()

    assert notifications.notifications_send_due() == {"sent": 1}
    [msg] = oa.oa_delivered
    assert msg["user_id"] == "8801" and msg["type"] == "promotion"
    assert msg["template_type"] == "promotion"
    header, text, _table = msg["elements"]
    assert header["content"] == campaign.title[:100]
    assert f"cd={campaign.code}.zalo" in text["content"]
    assert "/huy-dang-ky/" in msg["buttons"][0]["payload"]["url"]

    # Asked again, retried: nothing more.
    services.campaign_publish(campaign=campaign, actor=ward.lanhdao)
    assert services.campaign_posts_send_due() == {}
    notifications.notifications_send_due()
    assert len(oa.oa_delivered) == 1
    # The e-mail reach counts e-mails only.
    assert services.campaign_reach_refresh(campaign=campaign)["email"] == 0


def test_the_subscribers_link_stops_the_waiting_oa_message(ward, doubles, oa, freeze, client):
    freeze(vn(2026, 11, 17, 22, 0))  # at night: the message waits for the morning
    sub = _zalo_subscriber(ward, "0912345678")
    _follower("0912345678", "8801")
    campaign = compose(ward, channels=["email"])
    services.campaign_publish(campaign=campaign, actor=ward.lanhdao)
    services.campaign_posts_send_due()
    n = Notification.objects.get(kind="campaign")
    token = services.unsubscribe_token(sub)
    assert token in n.params["huy_dang_ky"]
    assert client.post(f"/huy-dang-ky/{token}/").status_code in (200, 302)
    n.refresh_from_db()
    assert n.state == "failed"
    freeze(vn(2026, 11, 18, 8, 0))
    notifications.notifications_send_due()
    assert oa.oa_delivered == []
