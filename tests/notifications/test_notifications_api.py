"""The dossier's notifications API, the signed unsubscribe link, the adapters' refusals, the job."""

from __future__ import annotations

import pytest
from notifications_helpers import CITIZEN, vn

from motcua.core.services import api_token_issue
from motcua.dossiers import services as dossiers
from motcua.notifications import services
from motcua.notifications.channels import BrandnameSms, ChannelError, Message
from motcua.notifications.models import ContactPreference, Notification, State

NOW = vn(2026, 11, 17, 9, 30)


def _receive(ward, channels):
    return dossiers.dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen={**CITIZEN, "notify_consent": True, "notify_channels": channels},
        unit=ward.unit,
        actor=ward.tiepnhan,
    )


def _get(client, user, path):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")


def test_staff_of_the_unit_see_what_was_sent(ward, doubles, freeze, client):
    freeze(NOW)
    d = _receive(ward, ["sms", "email"])
    doubles.smtp.refuse.add(CITIZEN["email"])
    services.notifications_send_due()
    r = _get(client, ward.chuyenvien, f"/api/v1/dossiers/{d.code}/notifications")
    assert r.status_code == 200
    items = {i["channel"]: i for i in r.json()["items"]}
    assert items["sms"]["state"] == "sent" and items["sms"]["sent_at"] == NOW.isoformat()
    assert items["sms"]["recipient"] == "091****678" and items["sms"]["provider_id"]
    assert items["email"]["state"] == "failed" and "từ chối" in items["email"]["error"]
    assert items["email"]["kind"] == "dossier_received"
    other = _get(client, ward.khac, f"/api/v1/dossiers/{d.code}/notifications")
    assert other.status_code == 404 and other.json()["code"] == "dossier_not_found"
    assert client.get(f"/api/v1/dossiers/{d.code}/notifications").status_code == 401


def test_the_reception_api_records_consent(ward, freeze, client):
    freeze(NOW)
    token = api_token_issue(user=ward.tiepnhan)
    body = {
        "procedure": "1.001193",
        "channel": "direct",
        "unit": ward.unit.code,
        "citizen": {**CITIZEN, "notify_consent": True, "notify_channels": ["zalo"]},
    }
    r = client.post(
        "/api/v1/dossiers",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 201, r.content
    assert Notification.objects.get().channel == "zalo"
    body["citizen"]["notify_channels"] = ["fax"]
    body["citizen"]["id_number"] = "001085099999"
    r = client.post(
        "/api/v1/dossiers",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 422 and "code" in r.json()


def test_the_reception_page_records_consent(ward, freeze, client):
    freeze(NOW)
    client.force_login(ward.tiepnhan)
    page = client.get("/can-bo/ho-so/tiep-nhan/?thu_tuc=1.001193")
    assert page.status_code == 200
    assert "Nhận thông báo về hồ sơ" in page.content.decode()


def test_signed_link_stops_the_channel(ward, doubles, freeze, client):
    freeze(NOW)
    d = _receive(ward, ["sms", "email"])
    sms = Notification.objects.get(channel="sms")
    link = sms.params["huy_dang_ky"]
    path = link.split("8000", 1)[1] if "8000" in link else link
    assert path.startswith("/huy-dang-ky/")
    page = client.get(path)
    assert page.status_code == 200 and "Tin nhắn SMS" in page.content.decode()
    assert ContactPreference.objects.get().stopped == []  # GET only asks
    done = client.post(path)
    assert done.status_code == 200 and "không nhận thông báo" in done.content.decode()
    pref = ContactPreference.objects.get()
    assert pref.stopped == ["sms"] and pref.active_channels() == ["email"]
    sms.refresh_from_db()
    assert sms.state == State.FAILED and "hủy đăng ký" in sms.last_error  # pending one withdrawn
    dossiers.dossier_act(dossier=d, action="request_supplement", actor=ward.tiepnhan, note="Thiếu")
    assert list(
        Notification.objects.filter(kind="supplement_needed").values_list("channel", flat=True)
    ) == ["email"]
    # A forged or altered token changes nothing.
    assert client.post(path[:-3] + "xyz/").status_code == 404
    forged = path.replace(f"/{pref.pk}.sms:", f"/{pref.pk}.email:")
    assert client.post(forged).status_code == 404
    assert ContactPreference.objects.get().stopped == ["sms"]


def test_the_sms_gateway_checks_the_signature(doubles, settings):
    settings.MOTCUA = {**settings.MOTCUA, "NOTIFY_SMS_SECRET": "wrong-secret"}
    with pytest.raises(ChannelError) as exc:
        BrandnameSms().send(
            Message(key="k1", kind="queue_called", recipient="0912345678", text="x")
        )
    assert exc.value.permanent and doubles.sms.delivered == []


def test_the_sms_gateway_is_down(settings):
    settings.MOTCUA = {"NOTIFY_SMS_URL": "http://127.0.0.1:9", "NOTIFY_TIMEOUT": "2"}
    with pytest.raises(ChannelError) as exc:
        BrandnameSms().send(
            Message(key="k1", kind="queue_called", recipient="0912345678", text="x")
        )
    assert not exc.value.permanent


def test_the_periodic_job_sends(ward, doubles, freeze):
    from motcua.notifications.tasks import notifications_send_periodic

    freeze(NOW)
    _receive(ward, ["sms"])
    assert notifications_send_periodic.call_local() == {"sent": 1}
    assert len(doubles.sms.delivered) == 1
