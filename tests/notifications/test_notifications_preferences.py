"""The citizen's choice: the preferences page from the signed link, booking with channels, and
linking a Zalo OA follower through the OA's signed webhook."""

from __future__ import annotations

import json

import pytest
from notifications_helpers import CITIZEN, vn

from motcua.dossiers import services as dossiers
from motcua.notifications import services
from motcua.notifications.channels import zalo_oa_signature
from motcua.notifications.models import ContactPreference, Kind, Notification, State

NOW = vn(2026, 11, 17, 9, 30)


def _receive(ward, channels=("sms",)):
    return dossiers.dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen={**CITIZEN, "notify_consent": True, "notify_channels": list(channels)},
        unit=ward.unit,
        actor=ward.tiepnhan,
    )


def _url(pref):
    return f"/thong-bao/lua-chon/{services.preferences_token(pref)}/"


def test_the_preferences_page_is_reached_from_the_unsubscribe_link(ward, freeze, client):
    freeze(NOW)
    d = _receive(ward)
    pref = ContactPreference.objects.get(citizen=d.citizen)
    page = client.get(f"/huy-dang-ky/{services.unsubscribe_token(pref, 'sms')}/").content.decode()
    assert _url(pref) in page
    page = client.get(_url(pref)).content.decode()
    assert "Chọn kênh nhận thông báo" in page and "091****678" in page
    assert "0912345678" not in page  # the phone is never shown whole
    assert services.zalo_link_code(pref) in page


def test_choosing_channels_needs_consent_and_withdraws_what_was_left(ward, freeze, client):
    freeze(NOW)
    d = _receive(ward, ["sms"])
    pref = ContactPreference.objects.get(citizen=d.citizen)
    pending = Notification.objects.get(dossier=d, channel="sms")
    answer = client.post(_url(pref), {"channels": ["email"], "email": "an@example.vn"})
    assert answer.status_code == 422
    assert "Vui lòng đánh dấu đồng ý" in answer.content.decode()
    answer = client.post(
        _url(pref), {"channels": ["email"], "email": "an@example.vn", "consent": "on"}
    )
    assert answer.status_code == 200 and "Đã lưu lựa chọn" in answer.content.decode()
    pref.refresh_from_db()
    assert pref.channels == ["email"] and pref.email == "an@example.vn"
    assert pref.consent_source == "online" and "sms" in pref.stopped
    pending.refresh_from_db()
    assert pending.state == State.FAILED and "bỏ chọn" in pending.last_error
    # The next message goes by e-mail only.
    dossiers.dossier_act(dossier=d, action="request_supplement", actor=ward.tiepnhan, note="x")
    assert list(
        Notification.objects.filter(kind=Kind.SUPPLEMENT_NEEDED).values_list("channel", flat=True)
    ) == ["email"]


def test_choosing_nothing_stops_everything(ward, freeze, client):
    freeze(NOW)
    d = _receive(ward, ["sms", "zalo"])
    pref = ContactPreference.objects.get(citizen=d.citizen)
    assert client.post(_url(pref), {}).status_code == 200
    pref.refresh_from_db()
    assert pref.active_channels() == []
    assert not Notification.objects.filter(state=State.PENDING).exists()


def test_a_forged_link_is_refused(db, client):
    answer = client.get("/thong-bao/lua-chon/1:forged/")
    assert answer.status_code == 404 and "không hợp lệ" in answer.content.decode()


def _book(client, solve, **over):
    from factories import OfficeFactory
    from motcua.queueing.models import Service

    if not Service.objects.filter(code="A", office__code="ha-dong").exists():
        office = OfficeFactory(code="ha-dong", name="Bộ phận một cửa phường Hà Đông")
        Service.objects.create(office=office, code="A", name="Hộ tịch", sort=1)
    data = {
        "bo-phan": "ha-dong",
        "dich-vu": "A",
        "ngay": "2026-11-18",
        "gio": "14:00",
        "id_number": "001085012345",
        "full_name": "Nguyễn Văn An",
        "phone": "0912 345 678",
        "consent": "on",
        "altcha": solve(),
        **over,
    }
    return client.post("/dat-lich/", data)


def test_booking_on_the_portal_records_the_chosen_channels(db, freeze, client, solve_challenge):
    from motcua.queueing.models import Booking

    freeze(vn(2026, 11, 17, 9, 0))
    answer = _book(
        client,
        solve_challenge,
        notify_consent="on",
        notify_channels=["email", "zalo"],
        notify_email="an@example.vn",
    )
    assert answer.status_code == 200 and "Đã đặt lịch hẹn thành công" in answer.content.decode()
    booking = Booking.objects.get()
    pref = ContactPreference.objects.get(citizen=booking.citizen)
    assert pref.channels == ["email", "zalo"] and pref.consent_source == "booking"
    assert pref.email == "an@example.vn" and pref.phone == "0912345678"
    # The reminder the day before goes by the chosen channels.
    services.reminders_enqueue()
    assert set(
        Notification.objects.filter(kind=Kind.BOOKING_REMINDER).values_list("channel", flat=True)
    ) == {"email", "zalo"}


def test_booking_without_the_choice_records_nothing_more(db, freeze, client, solve_challenge):
    freeze(vn(2026, 11, 17, 9, 0))
    answer = _book(client, solve_challenge, notify_channels=["email"])
    assert answer.status_code == 200
    assert not ContactPreference.objects.exists()
    answer = _book(
        client,
        solve_challenge,
        notify_consent="on",
        notify_channels=["email"],
        gio="14:30",
        id_number="001190012346",
        full_name="Trần Thị Bình",
    )
    assert answer.status_code == 400
    assert "Vui lòng nhập địa chỉ thư điện tử" in answer.content.decode()


# --- Zalo Official Account ----------------------------------------------------------------------


def _event(client, settings, event, *, secret=None):
    settings.MOTCUA = {
        **getattr(settings, "MOTCUA", {}),
        "NOTIFY_ZALO_OA_APP_ID": "4242",
        "NOTIFY_ZALO_OA_SECRET": "oa-secret",
    }
    body = json.dumps({"app_id": "4242", "timestamp": "1763346600000", **event}).encode()
    mac = zalo_oa_signature(
        app_id="4242", body=body, timestamp="1763346600000", secret=secret or "oa-secret"
    )
    return client.post(
        "/api/v1/notifications/zalo-oa/webhook",
        body,
        content_type="application/json",
        headers={"X-ZEvent-Signature": mac},
    )


def test_a_follower_sending_their_code_is_linked(ward, freeze, client, settings):
    freeze(NOW)
    d = _receive(ward, ["sms"])
    pref = ContactPreference.objects.get(citizen=d.citizen)
    code = services.zalo_link_code(pref)
    text = {"event_name": "user_send_text", "sender": {"id": "8812345"}}
    forged = _event(client, settings, {**text, "message": {"text": code}}, secret="wrong")
    assert forged.status_code == 403 and forged.json()["code"] == "signature_invalid"
    # One character changed (never the same one: "0" when it is not already "0").
    wrong_code = code[:-1] + ("1" if code.endswith("0") else "0")
    wrong = _event(client, settings, {**text, "message": {"text": wrong_code}})
    assert wrong.status_code == 200 and wrong.json()["outcome"] == ""
    ok = _event(client, settings, {**text, "message": {"text": f"Xin chào {code.lower()}"}})
    assert ok.json()["outcome"] == "linked"
    pref.refresh_from_db()
    assert pref.zalo_user_id == "8812345" and pref.zalo_linked_at == NOW
    assert "zalo" in pref.active_channels()
    # The next message goes to the follower through the OA (and SMS as before), not by ZNS.
    dossiers.dossier_act(dossier=d, action="request_supplement", actor=ward.tiepnhan, note="x")
    rows = {n.channel: n for n in Notification.objects.filter(kind=Kind.SUPPLEMENT_NEEDED)}
    assert set(rows) == {"sms", "zalo_oa"} and rows["zalo_oa"].recipient == "8812345"
    assert d.code in rows["zalo_oa"].text and "/thong-bao/lua-chon/" in rows["zalo_oa"].text
    # Unfollowing forgets the id; the pending OA message is not sent.
    gone = _event(client, settings, {"event_name": "unfollow", "follower": {"id": "8812345"}})
    assert gone.json()["outcome"] == "unlinked"
    pref.refresh_from_db()
    assert pref.zalo_user_id == ""
    rows["zalo_oa"].refresh_from_db()
    assert rows["zalo_oa"].state == State.FAILED


@pytest.mark.parametrize("body", [b"", b"[]", b"not json"])
def test_webhook_refuses_what_is_not_an_event(db, client, body):
    answer = client.post(
        "/api/v1/notifications/zalo-oa/webhook", body, content_type="application/json"
    )
    assert answer.status_code == 400 and answer.json()["code"] == "event_invalid"


def test_an_anonymous_booking_never_changes_a_known_citizens_recorded_choice(
    ward, freeze, client, solve_challenge
):
    """Review finding: a stranger who knows a citizen's name and ID number books on the portal
    with their own e-mail; the citizen's recorded channels, phone and e-mail stay as they were,
    and the next message still goes to the citizen."""
    freeze(vn(2026, 11, 17, 9, 0))
    d = _receive(ward, ["sms"])
    before = ContactPreference.objects.get(citizen=d.citizen)
    _book(
        client,
        solve_challenge,
        id_number=d.citizen.id_number,
        full_name=d.citizen.full_name,
        phone="0987 000 111",
        notify_consent="on",
        notify_channels=["email"],
        notify_email="attacker@example.com",
    )
    after = ContactPreference.objects.get(citizen=d.citizen)
    assert (after.channels, after.phone, after.email) == (
        before.channels,
        before.phone,
        before.email,
    )
    dossiers.dossier_act(dossier=d, action="request_supplement", actor=ward.tiepnhan, note="x")
    recipients = set(
        Notification.objects.filter(kind=Kind.SUPPLEMENT_NEEDED).values_list("recipient", flat=True)
    )
    assert recipients and "attacker@example.com" not in recipients
    assert all("0987000111" not in r for r in recipients)


@pytest.mark.django_db
def test_the_calls_read_of_contact_choices_is_prepared_on_postgresql(settings):
    """Every call-next reads the called citizens' contact choices (one or two of them): on
    PostgreSQL that statement is prepared once per connection, not planned at every call
    (planning it cost twenty times its execution), and answers the same."""
    from django.db import connection

    from factories import CitizenFactory

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements: PostgreSQL only")
    settings.DB_PREPARED_STATEMENTS = True
    a, b = CitizenFactory(), CitizenFactory()
    pref = ContactPreference.objects.create(citizen=a, channels=["sms"], phone=a.phone)
    for _ in range(3):
        assert [p.pk for p in services._prefs_of({a.pk})] == [pref.pk]
        assert [p.citizen_id for p in services._prefs_of({a.pk, b.pk})] == [a.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [r[0] for r in cursor.fetchall()]
    assert sum('FROM "notifications_contactpreference"' in s for s in prepared) == 2
