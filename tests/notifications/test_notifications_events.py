"""The messages of issue 13 written by the events themselves: the apology letter, payment due and
receipt issued (same transaction as the event), and the reminders of tomorrow's bookings and
home visits (once per booking/visit and day however often the job runs)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from notifications_helpers import CITIZEN, vn

from dossiers.dossiers_helpers import pay_cash
from motcua.dossiers import services as dossiers
from motcua.notifications import services
from motcua.notifications.models import ContactPreference, Kind, Notification, State

NOW = vn(2026, 11, 17, 9, 30)  # a Tuesday morning


class Boom(Exception):
    pass


def _receive(ward, channels=("email",)):
    return dossiers.dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen={**CITIZEN, "notify_consent": True, "notify_channels": list(channels)},
        unit=ward.unit,
        actor=ward.tiepnhan,
    )


def test_the_apology_letter_tells_the_new_date_and_why(ward, freeze):
    freeze(NOW)
    d = _receive(ward, ["email", "sms"])
    promised = f"{d.due_at.astimezone(NOW.tzinfo):%d/%m/%Y}"
    dossiers.dossier_act(
        dossier=d,
        action="extend",
        actor=ward.lanhdao,
        note="Cần xác minh tại nơi cư trú",
        new_date="2026-11-30",
    )
    rows = {n.channel: n for n in Notification.objects.filter(kind=Kind.OVERDUE_APOLOGY)}
    assert set(rows) == {"email", "sms"}
    mail = rows["email"]
    assert "xin lỗi" in mail.text and "Cần xác minh tại nơi cư trú" in mail.text
    assert promised in mail.text and "30/11/2026" in mail.text and d.code in mail.subject
    assert mail.params["ngay_hen"] == "30/11/2026" and mail.params["ngay_hen_cu"] == promised
    assert d.code in rows["sms"].text  # the code whole, whatever the SMS rules cut


def test_a_refused_apology_writes_no_message(ward, freeze):
    freeze(NOW)
    d = _receive(ward)
    with pytest.raises(Boom), transaction.atomic():
        dossiers.dossier_act(
            dossier=d, action="extend", actor=ward.lanhdao, note="x", new_date="2026-11-30"
        )
        assert Notification.objects.filter(kind=Kind.OVERDUE_APOLOGY).count() == 1
        raise Boom
    assert not Notification.objects.filter(kind=Kind.OVERDUE_APOLOGY).exists()


def test_payment_due_names_the_amount_and_the_receipt_follows_the_money(ward, freeze):
    freeze(NOW)
    d = _receive(ward)
    dossiers.dossier_act(dossier=d, action="assign", actor=ward.tiepnhan, to_user=ward.chuyenvien)
    dossiers.dossier_act(dossier=d, action="request_payment", actor=ward.chuyenvien)
    due = Notification.objects.get(kind=Kind.PAYMENT_DUE)
    assert "8.000 đồng" in due.text and due.params["so_tien"] == "8.000 đồng"
    assert d.code in due.subject and "/tra-cuu/" in due.text
    receipt = pay_cash(d, ward.tiepnhan, vn(2026, 11, 17, 10, 0))
    issued = Notification.objects.get(kind=Kind.RECEIPT_ISSUED)
    assert issued.params["so_bien_lai"] == str(receipt) and str(receipt) in issued.text
    assert "8.000 đồng" in issued.text and "17/11/2026" in issued.text


def test_a_payment_rolled_back_leaves_no_receipt_message(ward, freeze):
    freeze(NOW)
    d = _receive(ward)
    with pytest.raises(Boom), transaction.atomic():
        pay_cash(d, ward.tiepnhan, vn(2026, 11, 17, 10, 0))
        assert Notification.objects.filter(kind=Kind.RECEIPT_ISSUED).count() == 1
        raise Boom
    assert not Notification.objects.filter(kind=Kind.RECEIPT_ISSUED).exists()


def _booking(ward, slot, phone="0987654321", **over):
    from factories import CitizenFactory
    from motcua.queueing.models import Booking, Service

    service, _ = Service.objects.get_or_create(
        office=ward.office, code="A", defaults={"name": "Hộ tịch", "sort": 1}
    )
    citizen = over.pop("citizen", None) or CitizenFactory(phone=phone)
    return Booking.objects.create(
        office=ward.office,
        service=service,
        citizen=citizen,
        slot_start=slot,
        created_at=NOW - timedelta(days=3),
        code=over.pop("code", "LH-7K2Q9M"),
        full_name="Trần Thị Bình",
        phone=phone,
        channel="portal",
        **over,
    )


def _visit(ward, day, phone="0977000111"):
    from factories import CitizenFactory
    from motcua.homeservice.models import HomeVisit

    return HomeVisit.objects.create(
        code="TN-ABC123",
        unit=ward.unit,
        procedure_version=ward.birth,
        citizen=CitizenFactory(phone=phone),
        full_name="Lê Văn Cường",
        phone=phone,
        address="Số 5 ngõ 12, tổ dân phố 3",
        date=day,
        half_day="afternoon",
        eligibility="elderly",
        minutes=50,
        channel="portal",
        created_at=NOW - timedelta(days=5),
    )


def test_reminders_the_day_before_once_per_booking_and_day(ward, freeze):
    freeze(NOW)
    ward.office.address = "Số 1 Phúc La"
    ward.office.save()
    tomorrow = vn(2026, 11, 18, 8, 30)
    booking = _booking(ward, tomorrow)
    _booking(ward, vn(2026, 11, 19, 8, 30), phone="0987000222", code="LH-LATER1")  # not yet
    cancelled = _booking(ward, tomorrow, phone="0987000333", code="LH-GONE01")
    cancelled.status = "cancelled"
    cancelled.save()
    visit = _visit(ward, date(2026, 11, 18))
    assert services.reminders_enqueue() == {"booking": 1, "visit": 1}
    # The job runs every hour: nothing twice, from a second run or later the same day.
    assert services.reminders_enqueue() == {"booking": 0, "visit": 0}
    freeze(NOW + timedelta(hours=5))
    assert services.reminders_enqueue() == {"booking": 0, "visit": 0}
    b = Notification.objects.get(kind=Kind.BOOKING_REMINDER)
    assert b.channel == "sms" and b.recipient == "0987654321" and booking.code in b.text
    assert b.params["gio_hen"] == "08:30" and b.params["ngay_hen"] == "18/11/2026"
    assert "Phúc La" in b.params["dia_diem"]
    assert ContactPreference.objects.get(citizen=booking.citizen).consent_source == "booking"
    v = Notification.objects.get(kind=Kind.VISIT_REMINDER)
    assert visit.code in v.text and v.params["buoi"] == "chiều" and v.recipient == "0977000111"
    # Not urgent: the reminders wait for the morning if written at night, like every other kind.
    assert not b.urgent and not v.urgent


def test_reminder_written_at_night_waits_for_seven(ward, freeze):
    night = vn(2026, 11, 17, 22, 15)
    freeze(night)
    _booking(ward, vn(2026, 11, 18, 14, 0))
    services.reminders_enqueue()
    n = Notification.objects.get(kind=Kind.BOOKING_REMINDER)
    assert n.next_attempt_at == vn(2026, 11, 18, 7, 0)
    assert services.notifications_send_due() == {}


def test_a_reminder_uses_the_citizens_own_channels(ward, freeze):
    from factories import CitizenFactory

    freeze(NOW)
    citizen = CitizenFactory(phone="0912000999", email="binh@example.vn")
    ContactPreference.objects.create(
        citizen=citizen, channels=["email"], email="binh@example.vn", consent_at=NOW
    )
    _booking(ward, vn(2026, 11, 18, 9, 0), citizen=citizen)
    services.reminders_enqueue()
    [n] = Notification.objects.filter(kind=Kind.BOOKING_REMINDER)
    assert n.channel == "email" and n.recipient == "binh@example.vn"
    assert n.subject == "Nhắc lịch hẹn LH-7K2Q9M ngày 18/11/2026"


def test_reminders_are_sent_once_by_the_sender(ward, doubles, freeze):
    freeze(NOW)
    _booking(ward, vn(2026, 11, 18, 8, 30))
    services.reminders_enqueue()
    services.reminders_enqueue()
    assert services.notifications_send_due() == {"sent": 1}
    [sms] = doubles.sms.delivered
    assert "LH-7K2Q9M" in sms["message"]
    assert Notification.objects.get().state == State.SENT


def test_the_urgent_rule_still_covers_only_the_queue():
    from motcua.notifications.models import URGENT_KINDS

    assert {Kind.QUEUE_NEAR, Kind.QUEUE_CALLED} == URGENT_KINDS
    assert all(k not in URGENT_KINDS for k in Kind.values if not k.startswith("queue_"))


def test_the_sender_job_sends_more_than_one_batch_a_minute(ward, doubles, freeze):
    from motcua.notifications.models import ChannelName
    from motcua.notifications.tasks import notifications_send_periodic

    freeze(NOW)
    Notification.objects.bulk_create(
        Notification(
            kind=Kind.QUEUE_CALLED,
            channel=ChannelName.SMS,
            recipient=f"0912{i:06d}",
            text=f"Den luot so A{i:03d}: moi den quay 1.",
            urgent=True,
            created_at=NOW,
            next_attempt_at=NOW,
        )
        for i in range(230)
    )
    assert notifications_send_periodic.call_local() == {"sent": 230}
    assert len(doubles.sms.delivered) == 230


def test_the_reminders_job(ward, freeze):
    from motcua.notifications.tasks import notifications_remind_periodic

    freeze(NOW)
    _booking(ward, vn(2026, 11, 18, 8, 30))
    assert notifications_remind_periodic.call_local() == {"booking": 1, "visit": 0}
    assert notifications_remind_periodic.call_local() == {"booking": 0, "visit": 0}
