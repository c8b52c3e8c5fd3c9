"""The preferences page shows no address whole and refuses links older than the configured age
(default 90 days), still letting the citizen stop everything; unsubscribe links never expire."""

from __future__ import annotations

from datetime import timedelta

from django.core import signing
from notifications_helpers import CITIZEN, vn

from motcua.dossiers import services as dossiers
from motcua.notifications import services
from motcua.notifications.models import ContactPreference, Kind, Notification, State

NOW = vn(2026, 11, 17, 9, 30)


def _pref(ward, channels=("sms", "email")):
    d = dossiers.dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen={
            **CITIZEN,
            "email": "nguyenvanan@example.vn",
            "notify_consent": True,
            "notify_channels": list(channels),
        },
        unit=ward.unit,
        actor=ward.tiepnhan,
    )
    return ContactPreference.objects.get(citizen=d.citizen)


def test_the_email_address_is_masked_and_kept_when_left_empty(ward, freeze, client):
    freeze(NOW)
    pref = _pref(ward)
    assert pref.email == "nguyenvanan@example.vn"
    url = f"/thong-bao/lua-chon/{services.preferences_token(pref)}/"
    page = client.get(url).content.decode()
    assert "ng***@example.vn" in page and "nguyenvanan" not in page
    answer = client.post(url, {"channels": ["email"], "email": "", "consent": "on"})
    assert answer.status_code == 200 and "nguyenvanan" not in answer.content.decode()
    pref.refresh_from_db()
    assert pref.channels == ["email"] and pref.email == "nguyenvanan@example.vn"


def test_an_old_preferences_link_shows_nothing_but_still_stops(ward, freeze, client):
    freeze(NOW)
    pref = _pref(ward)
    url = f"/thong-bao/lua-chon/{services.preferences_token(pref)}/"
    pending = Notification.objects.filter(kind=Kind.DOSSIER_RECEIVED, state=State.PENDING)
    assert pending.count() == 2
    freeze(NOW + timedelta(days=89))
    assert client.get(url).status_code == 200
    freeze(NOW + timedelta(days=91))
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 410 and "đã quá hạn" in body
    assert "091****678" not in body and "example.vn" not in body
    assert services.zalo_link_code(pref) not in body
    assert "Ngừng nhận mọi thông báo" in body
    # Posting the form without the stop button changes nothing.
    assert client.post(url, {"channels": ["sms"], "consent": "on"}).status_code == 410
    pref.refresh_from_db()
    assert pref.channels == ["sms", "email"]
    done = client.post(url, {"ngung-tat-ca": "1"})
    assert done.status_code == 200 and "không nhận thông báo nào nữa" in done.content.decode()
    pref.refresh_from_db()
    assert pref.active_channels() == []
    assert not pending.exists()  # what was waiting is withdrawn


def test_the_age_is_configurable_and_untimed_links_count_as_old(ward, freeze, client, settings):
    freeze(NOW)
    pref = _pref(ward)
    settings.MOTCUA = {**getattr(settings, "MOTCUA", {}), "NOTIFY_PREFERENCES_MAX_AGE_DAYS": "2"}
    url = f"/thong-bao/lua-chon/{services.preferences_token(pref)}/"
    freeze(NOW + timedelta(days=1))
    assert client.get(url).status_code == 200
    freeze(NOW + timedelta(days=3))
    assert client.get(url).status_code == 410
    # A link signed before links carried a time: its age is unknown, so it is old.
    legacy = signing.Signer(salt=services.PREFERENCES_SALT).sign(str(pref.pk))
    assert client.get(f"/thong-bao/lua-chon/{legacy}/").status_code == 410
    # A forged one is not found.
    assert client.get(f"/thong-bao/lua-chon/{pref.pk}:1abc:forged/").status_code == 404


def test_unsubscribe_links_never_expire_and_pass_on_their_age(ward, freeze, client):
    freeze(NOW)
    pref = _pref(ward)
    token = services.unsubscribe_token(pref, "sms")
    freeze(NOW + timedelta(days=30))
    page = client.get(f"/huy-dang-ky/{token}/").content.decode()
    link = page.split('href="/thong-bao/lua-chon/', 1)[1].split('"', 1)[0]
    # The preferences link keeps the unsubscribe link's age: it expires 90 days after the message.
    freeze(NOW + timedelta(days=91))
    assert client.get(f"/thong-bao/lua-chon/{link}").status_code == 410
    # Years later the unsubscribe link still stops the channel (and offers no preferences page).
    freeze(NOW + timedelta(days=3 * 365))
    page = client.get(f"/huy-dang-ky/{token}/").content.decode()
    assert "/thong-bao/lua-chon/" not in page
    assert client.post(f"/huy-dang-ky/{token}/").status_code == 200
    pref.refresh_from_db()
    assert "sms" in pref.stopped
    # A link from before links carried a time still stops its channel.
    legacy = signing.Signer(salt=services.UNSUBSCRIBE_SALT).sign(f"{pref.pk}.email")
    assert client.post(f"/huy-dang-ky/{legacy}/").status_code == 200
    pref.refresh_from_db()
    assert "email" in pref.stopped
