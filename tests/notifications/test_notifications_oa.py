"""Zalo Official Account over its stand-in: a follower links themselves by sending their code
(the stand-in's signed webhook event to the running office), the next message goes to them as
an OA transaction message, a dead worker's OA message is not sent twice, an unfollowed user is
refused for good."""

from __future__ import annotations

from datetime import timedelta

import pytest
from notifications_helpers import CITIZEN, vn

from motcua.dossiers import services as dossiers
from motcua.notifications import services
from motcua.notifications.models import ContactPreference, Kind, Notification, State

NOW = vn(2026, 11, 17, 9, 30)
WEBHOOK = "/api/v1/notifications/zalo-oa/webhook"


def _receive(ward, channels):
    return dossiers.dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen={**CITIZEN, "notify_consent": True, "notify_channels": list(channels)},
        unit=ward.unit,
        actor=ward.tiepnhan,
    )


@pytest.mark.django_db(transaction=True)
def test_follow_link_and_receive_through_the_oa(live_server, ward, doubles, freeze):
    freeze(NOW)
    d = _receive(ward, ["zalo"])
    assert services.notifications_send_due() == {"sent": 1}
    assert len(doubles.zalo.delivered) == 1  # before linking: ZNS to the phone
    pref = ContactPreference.objects.get(citizen=d.citizen)
    url = live_server.url + WEBHOOK
    assert doubles.zalo.oa_event(url, {"event_name": "follow", "follower": {"id": "5501"}}) == 200
    assert ContactPreference.objects.get(pk=pref.pk).zalo_user_id == ""  # a follow names nobody
    sent = doubles.zalo.oa_event(
        url,
        {
            "event_name": "user_send_text",
            "sender": {"id": "5501"},
            "message": {"text": services.zalo_link_code(pref)},
        },
    )
    assert sent == 200
    assert ContactPreference.objects.get(pk=pref.pk).zalo_user_id == "5501"

    dossiers.dossier_act(
        dossier=d, action="request_supplement", actor=ward.tiepnhan, note="Thiếu bản sao"
    )
    n = Notification.objects.get(kind=Kind.SUPPLEMENT_NEEDED)
    assert n.channel == "zalo_oa" and n.recipient == "5501"
    assert services.notifications_send_due() == {"sent": 1}
    [oa] = doubles.zalo.oa_delivered
    assert oa["user_id"] == "5501" and oa["type"] == "transaction"
    header, text, table = oa["elements"]
    assert d.code in header["content"] and "Thiếu bản sao" in text["content"]
    assert {"key": "ma_ho_so", "value": d.code} in table["content"]
    assert "/huy-dang-ky/" in oa["buttons"][0]["payload"]["url"]
    n.refresh_from_db()
    assert n.provider_id == oa["message_id"]
    assert len(doubles.zalo.delivered) == 1  # no ZNS for it

    # The citizen unfollows: the office forgets the id; the next message is ZNS again.
    assert doubles.zalo.oa_event(url, {"event_name": "unfollow", "follower": {"id": "5501"}}) == 200
    assert ContactPreference.objects.get(pk=pref.pk).zalo_user_id == ""
    # A forged event (wrong secret) is refused.
    doubles.zalo.oa_secret = "not-the-secret"
    assert doubles.zalo.oa_event(url, {"event_name": "unfollow", "follower": {"id": "1"}}) == 403


class WorkerKilled(BaseException):
    pass


class DiesAfterAnswer:
    def __init__(self, inner):
        self.inner = inner
        self.idempotent = inner.idempotent

    def send(self, message):
        self.inner.send(message)
        raise WorkerKilled


def _linked(ward, doubles, user_id="7701"):
    d = _receive(ward, ["zalo"])
    ContactPreference.objects.filter(citizen=d.citizen).update(zalo_user_id=user_id)
    Notification.objects.all().delete()
    doubles.zalo.followers.add(user_id)
    return d


def test_a_dead_workers_oa_message_is_not_sent_twice(ward, doubles, freeze):
    from motcua.notifications.channels import channel_for

    freeze(NOW)
    d = _linked(ward, doubles)
    dossiers.dossier_act(dossier=d, action="request_supplement", actor=ward.tiepnhan, note="x")
    n = Notification.objects.get(channel="zalo_oa")
    with pytest.raises(WorkerKilled):
        services.notification_send(
            pk=n.pk, channels={"zalo_oa": DiesAfterAnswer(channel_for("zalo_oa"))}
        )
    assert len(doubles.zalo.oa_delivered) == 1
    freeze(NOW + services.SENDING_LEASE + timedelta(seconds=1))
    # The OA takes no request id: another worker does not send it again; staff see why.
    assert services.notifications_send_due() == {"failed": 1}
    assert len(doubles.zalo.oa_delivered) == 1
    n.refresh_from_db()
    assert n.state == State.FAILED and "Không chắc tin đã đến" in n.last_error


def test_an_oa_message_after_an_error_answer_is_sent_again(ward, doubles, freeze):
    freeze(NOW)
    d = _linked(ward, doubles)
    dossiers.dossier_act(dossier=d, action="request_supplement", actor=ward.tiepnhan, note="x")
    doubles.zalo.fail_next = 1
    assert services.notifications_send_due() == {"pending": 1}
    freeze(NOW + timedelta(seconds=30))
    assert services.notifications_send_due() == {"sent": 1}
    assert len(doubles.zalo.oa_delivered) == 1


def test_a_user_who_no_longer_follows_is_refused_for_good(ward, doubles, freeze):
    freeze(NOW)
    d = _linked(ward, doubles)
    doubles.zalo.followers.clear()
    dossiers.dossier_act(dossier=d, action="request_supplement", actor=ward.tiepnhan, note="x")
    assert services.notifications_send_due() == {"failed": 1}
    n = Notification.objects.get()
    assert "Zalo OA từ chối (-213)" in n.last_error and doubles.zalo.oa_delivered == []
