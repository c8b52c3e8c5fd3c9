"""Subscriptions: the portal page and the API, consent, double opt-in by e-mail (nothing before
the confirmation), the signed unsubscribe link shared with notifications."""

from __future__ import annotations

import re

import pytest
from campaigns_helpers import compose, vn

from motcua.campaigns import services
from motcua.campaigns.models import Subscription
from motcua.notifications import services as notifications
from motcua.notifications.models import Notification

NOW = vn(2026, 11, 17, 22, 30)  # at night: the confirmation still goes (the citizen asked)


def _link(text: str, path: str) -> str:
    match = re.search(r"https?://[^\s]+" + re.escape(path) + r"[^\s]+", text)
    assert match, text
    return match.group(0).split("://", 1)[1].partition("/")[2].join(["/", ""])


def test_subscribe_on_the_portal_confirm_receive_then_stop(
    ward, doubles, freeze, client, solve_challenge
):
    freeze(NOW)
    page = client.get("/dang-ky-nhan-tin/")
    assert page.status_code == 200 and "Phường Kiến Hưng" in page.content.decode()
    r = client.post(
        "/dang-ky-nhan-tin/",
        {
            "channel": "email",
            "address": "An.Nguyen@Example.VN",
            "topic": f"unit:{ward.unit.code}",
            "consent": "on",
            "altcha": solve_challenge(),
        },
    )
    assert r.status_code == 200 and "Đã gửi thư xác nhận" in r.content.decode()
    sub = Subscription.objects.get()
    assert sub.address == "An.Nguyen@example.vn" and sub.confirmed_at is None
    assert sub.consent_at == NOW and sub.consent_source == "portal"
    assert "Phường Kiến Hưng" in sub.purpose

    # Before confirming: a campaign sends nothing to this address.
    campaign = compose(ward, channels=["email"])
    services.campaign_publish(campaign=campaign, actor=ward.lanhdao)
    services.campaign_posts_send_due()
    assert not Notification.objects.filter(kind="campaign").exists()

    notifications.notifications_send_due()
    [mail] = doubles.smtp.delivered
    assert mail["to"] == ["An.Nguyen@example.vn"] and mail["subject"] == "Xác nhận đăng ký nhận tin"
    confirm = _link(mail["text"], "/dang-ky-nhan-tin/xac-nhan/")
    asked = client.get(confirm)  # a mail scanner opening the link confirms nothing
    assert asked.status_code == 200 and "Xác nhận đăng ký" in asked.content.decode()
    sub.refresh_from_db()
    assert sub.confirmed_at is None
    done = client.post(confirm)
    assert done.status_code == 200 and "Đã xác nhận" in done.content.decode()
    sub.refresh_from_db()
    assert sub.confirmed_at == NOW

    second = compose(ward, channels=["email"], title="Lịch tiếp dân tháng 12")
    services.campaign_publish(campaign=second, actor=ward.lanhdao)
    services.campaign_posts_send_due()
    freeze(vn(2026, 11, 18, 8, 0))  # campaign mail waits for the morning
    notifications.notifications_send_due()
    assert [m["subject"] for m in doubles.smtp.delivered] == [
        "Xác nhận đăng ký nhận tin",
        "Lịch tiếp dân tháng 12",
    ]
    stop = _link(doubles.smtp.delivered[1]["text"], "/huy-dang-ky/")
    assert client.get(stop).status_code == 200
    r = client.post(stop)
    assert r.status_code == 200 and "không nhận tin" in r.content.decode()
    sub.refresh_from_db()
    assert sub.unsubscribed_at is not None
    third = compose(ward, channels=["email"], title="Tin thứ ba")
    services.campaign_publish(campaign=third, actor=ward.lanhdao)
    services.campaign_posts_send_due()
    assert Notification.objects.filter(kind="campaign").count() == 1  # only the second one


def test_the_notifications_unsubscribe_link_still_works(ward, client, freeze):
    """/huy-dang-ky/<token> of a dossier notification goes to notifications' own page."""
    from factories import CitizenFactory

    freeze(NOW)
    citizen = CitizenFactory(phone="0912345678")
    pref = notifications.contact_preference_record(
        citizen=citizen, consent=True, channels=["sms"], source="reception"
    )
    url = notifications.unsubscribe_url(pref, "sms").split("://", 1)[1].partition("/")[2]
    r = client.post("/" + url)
    assert r.status_code == 200
    pref.refresh_from_db()
    assert pref.stopped == ["sms"]
    assert client.get("/huy-dang-ky/forged:token/").status_code == 404


def test_a_subscription_link_is_not_a_notification_link(ward, freeze):
    freeze(NOW)
    sub, _ = services.subscription_create(
        channel="zalo", address="0912 345 678", field_code=ward.field.code, consent=True
    )
    assert services.unsubscribe_read(services.unsubscribe_token(sub)) == sub
    with pytest.raises(Exception):  # noqa: B017  the notifications reader refuses it
        notifications.unsubscribe_read(services.unsubscribe_token(sub))
    assert sub.address == "0912345678" and sub.confirmed_at == NOW  # Zalo: no e-mail to confirm


def test_subscribe_through_the_api(ward, doubles, freeze, client):
    from challenge_helpers import challenge_header

    freeze(NOW)
    body = {
        "channel": "email",
        "address": "binh@example.vn",
        "unit": ward.unit.code,
        "consent": True,
    }
    r = client.post(
        "/api/v1/public/subscriptions",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="sub-1",
        **challenge_header(),
    )
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "pending_confirmation" and r.json()["topic"] == "Phường Kiến Hưng"
    again = client.post(
        "/api/v1/public/subscriptions",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="sub-1",
        **challenge_header(),
    )
    assert again.status_code == 201 and again.json() == r.json()
    assert Notification.objects.filter(kind="subscription_confirm").count() == 1
    # Without the proof of work, without consent, with a bad address or two topics: refused.
    assert (
        client.post("/api/v1/public/subscriptions", body, content_type="application/json").json()[
            "code"
        ]
        == "challenge_required"
    )
    for change, code in [
        ({"consent": False}, "consent_required"),
        ({"address": "khong-phai-thu"}, "invalid_email"),
        ({"field": ward.field.code}, "topic_required"),
        ({"unit": "KHONGCO"}, "unit_not_found"),
        ({"channel": "sms"}, "invalid_channel"),
    ]:
        bad = client.post(
            "/api/v1/public/subscriptions",
            {**body, **change},
            content_type="application/json",
            **challenge_header(),
        )
        assert bad.status_code == 422 and bad.json()["code"] == code, (change, bad.content)


def test_an_old_confirmation_link_stops_working_once_asked_again(ward, freeze, client):
    freeze(NOW)
    sub, _ = services.subscription_create(
        channel="email", address="an@example.vn", unit_code=ward.unit.code, consent=True
    )
    old = services.confirm_token(sub)
    freeze(vn(2026, 11, 17, 23, 0))
    sub, _ = services.subscription_create(
        channel="email", address="an@example.vn", unit_code=ward.unit.code, consent=True
    )
    assert client.post(f"/dang-ky-nhan-tin/xac-nhan/{old}/").status_code == 404
    assert (
        client.post(f"/dang-ky-nhan-tin/xac-nhan/{services.confirm_token(sub)}/").status_code == 200
    )
    freeze(vn(2026, 11, 25, 8, 0))  # past 7 days: a fresh link is needed
    sub2, _ = services.subscription_create(
        channel="email", address="chi@example.vn", unit_code=ward.unit.code, consent=True
    )
    token = services.confirm_token(sub2)
    freeze(vn(2026, 12, 3, 8, 0))
    r = client.post(f"/dang-ky-nhan-tin/xac-nhan/{token}/")
    assert r.status_code == 404 and "hết hạn" in r.content.decode()
