"""The outbox: a notification row is written in the same transaction as the event that causes it."""

from __future__ import annotations

import pytest
from django.db import transaction
from notifications_helpers import CITIZEN, vn

from dossiers.dossiers_helpers import pay_cash
from motcua.dossiers import services as dossiers
from motcua.notifications.models import ContactPreference, Kind, Notification, State

NOW = vn(2026, 11, 17, 9, 30)  # a Tuesday morning


def _receive(ward, **citizen):
    return dossiers.dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen={**CITIZEN, **citizen},
        unit=ward.unit,
        actor=ward.tiepnhan,
    )


def test_reception_with_consent_writes_the_received_message(ward, freeze):
    freeze(NOW)
    d = _receive(ward, notify_consent=True, notify_channels=["sms", "email"])
    pref = ContactPreference.objects.get(citizen=d.citizen)
    assert pref.channels == ["sms", "email"] and pref.consent_source == "reception"
    assert pref.recorded_by == ward.tiepnhan
    rows = {n.channel: n for n in Notification.objects.filter(dossier=d)}
    assert set(rows) == {"sms", "email"}
    assert rows["sms"].recipient == "0912345678" and rows["email"].recipient == CITIZEN["email"]
    due = f"{d.due_at.astimezone(NOW.tzinfo):%d/%m/%Y}"
    assert d.code in rows["email"].text and due in rows["email"].text
    assert "Đăng ký khai sinh" in rows["email"].text
    assert d.code in rows["sms"].text and "/huy-dang-ky/" in rows["sms"].text
    assert all(n.kind == Kind.DOSSIER_RECEIVED and n.state == State.PENDING for n in rows.values())


def test_default_channel_is_sms_to_the_phone_given(ward, freeze):
    freeze(NOW)
    d = _receive(ward, notify_consent=True)
    assert list(Notification.objects.filter(dossier=d).values_list("channel", "recipient")) == [
        ("sms", "0912345678")
    ]


def test_nothing_without_consent(ward, freeze):
    freeze(NOW)
    d = _receive(ward)
    assert not ContactPreference.objects.exists()
    assert not Notification.objects.filter(dossier=d).exists()


def test_a_rolled_back_reception_leaves_no_message(ward, freeze):
    freeze(NOW)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        _receive(ward, notify_consent=True)
        assert Notification.objects.count() == 1
        raise Boom
    assert Notification.objects.count() == 0


def test_supplement_lists_the_missing_papers(ward, freeze):
    freeze(NOW)
    d = _receive(ward, notify_consent=True, notify_channels=["email"])
    d.papers.filter(position=0).update(provided=False)
    missing = d.papers.get(position=0).name
    dossiers.dossier_act(
        dossier=d, action="request_supplement", actor=ward.tiepnhan, note="Thiếu bản sao công chứng"
    )
    n = Notification.objects.get(dossier=d, kind=Kind.SUPPLEMENT_NEEDED)
    assert missing in n.text and "Thiếu bản sao công chứng" in n.text and d.code in n.subject


def test_result_ready_says_where_and_delivered_closes(ward, freeze):
    freeze(NOW)
    ward.office.address = "Số 1 Phúc La, Hà Đông"
    ward.office.save()
    d = _receive(ward, notify_consent=True, notify_channels=["zalo"])
    d.status, d.approved = 4, True
    d.save()
    freeze(vn(2026, 11, 18, 10, 0))
    pay_cash(d, ward.tiepnhan, vn(2026, 11, 18, 10, 0))  # no result is handed over while owed
    d = dossiers.dossier_act(dossier=d, action="finish", actor=ward.lanhdao)
    ready = Notification.objects.get(dossier=d, kind=Kind.RESULT_READY)
    assert ready.channel == "zalo" and ready.params["ma_ho_so"] == d.code
    assert "Bộ phận một cửa phường Kiến Hưng" in ready.params["noi_nhan"]
    dossiers.dossier_act(dossier=d, action="return", actor=ward.tiepnhan)
    done = Notification.objects.get(dossier=d, kind=Kind.RESULT_DELIVERED)
    assert done.params["ngay_tra"] == "18/11/2026"


def test_online_submission_is_told_its_code_when_accepted(ward, freeze):
    freeze(NOW)
    d = dossiers.dossier_receive(
        procedure_code="1.001193",
        channel="online",
        citizen={**CITIZEN, "notify_consent": True},
        unit=ward.unit,
        actor=None,
    )
    assert ContactPreference.objects.get(citizen=d.citizen).consent_source == "online"
    assert not Notification.objects.exists()  # no official code yet
    d = dossiers.dossier_act(dossier=d, action="accept", actor=ward.tiepnhan)
    n = Notification.objects.get(dossier=d)
    assert n.kind == Kind.DOSSIER_RECEIVED and d.code in n.text and not d.code.startswith("TT-")


def test_queue_call_tells_the_called_ticket_and_the_one_three_places_behind(ward, freeze):
    from factories import CitizenFactory, CounterFactory
    from motcua.queueing import services as queue
    from motcua.queueing.models import CounterService, Method, Service

    freeze(NOW)
    service = Service.objects.create(office=ward.office, code="A", name="Hộ tịch", sort=1)
    counter = CounterFactory(office=ward.office, number=3)
    CounterService.objects.create(counter=counter, service=service)
    tickets = []
    for i in range(6):
        citizen = CitizenFactory(phone=f"09120000{i:02d}")
        ContactPreference.objects.create(
            citizen=citizen, channels=["sms"], phone=citizen.phone, consent_at=NOW
        )
        tickets.append(
            queue.ticket_issue(
                office=ward.office, service=service, citizen=citizen, method=Method.QR
            ).ticket
        )
    called = queue.ticket_call_next(counter=counter, officer=ward.tiepnhan)
    assert called == tickets[0]
    mine = Notification.objects.get(ticket=called)
    assert (
        mine.kind == Kind.QUEUE_CALLED and mine.urgent and "quay 3" in mine.text
    )  # folded: the link makes it long
    near = Notification.objects.get(kind=Kind.QUEUE_NEAR)
    assert near.ticket == tickets[4] and "con 3 nguoi" in near.text
    # The next call: the called one and the new "3 ahead"; nobody is told twice.
    called.status = "done"
    called.save(update_fields=["status"])
    assert queue.ticket_call_next(counter=counter, officer=ward.tiepnhan) == tickets[1]
    assert Notification.objects.get(kind=Kind.QUEUE_NEAR, ticket=tickets[5])
    assert Notification.objects.filter(ticket=tickets[4]).count() == 1
