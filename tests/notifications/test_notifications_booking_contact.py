"""A booking's phone is for that appointment's messages only: the booking form asks consent to
be contacted about the appointment, not about the citizen's dossiers. Only a standing consent
(the channel choice with its own consent, an official, the preferences page) makes a choice
that dossiers use."""

from __future__ import annotations

from datetime import timedelta

from notifications_helpers import CITIZEN, vn

from factories import CitizenFactory
from motcua.notifications import services
from motcua.notifications.models import ContactPreference, Kind, Notification

NOW = vn(2026, 11, 17, 9, 30)  # a Tuesday morning
TOMORROW = vn(2026, 11, 18, 8, 30)


def _service(ward):
    from motcua.queueing.models import Service

    service, _ = Service.objects.get_or_create(
        office=ward.office, code="A", defaults={"name": "Hộ tịch", "sort": 1}
    )
    return service


def _booking(ward, citizen, phone, slot=TOMORROW, code="LH-7K2Q9M"):
    from motcua.queueing.models import Booking

    return Booking.objects.create(
        office=ward.office,
        service=_service(ward),
        citizen=citizen,
        slot_start=slot,
        created_at=NOW - timedelta(days=3),
        code=code,
        full_name=citizen.full_name,
        phone=phone,
        channel="portal",
    )


def _citizen():
    return CitizenFactory(
        id_number=CITIZEN["id_number"], full_name=CITIZEN["full_name"], phone="", email=""
    )


def _finish_a_dossier(ward, citizen):
    """The citizen hands in a dossier at the desk (no choice asked) and its result is ready:
    the messages written for it."""
    from motcua.dossiers import services as dossiers

    dossier = dossiers.dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen={**CITIZEN, "phone": "", "email": ""},
        unit=ward.unit,
        actor=ward.tiepnhan,
    )
    assert dossier.citizen == citizen
    received = list(Notification.objects.filter(dossier=dossier))
    return received + services.notification_dossier_event(dossier=dossier, action="finish")


def test_the_booking_phone_gets_the_reminder_but_never_the_dossier_messages(ward, freeze):
    freeze(NOW)
    citizen = _citizen()
    _booking(ward, citizen, "0987654321")
    assert services.reminders_enqueue() == {"booking": 1, "visit": 0}
    [sms] = Notification.objects.filter(kind=Kind.BOOKING_REMINDER)
    assert sms.channel == "sms" and sms.recipient == "0987654321"
    kept = ContactPreference.objects.get(citizen=citizen)
    assert kept.appointments_only and kept.consent_source == "booking"
    assert _finish_a_dossier(ward, citizen) == []


def test_each_booking_is_reminded_on_its_own_phone(ward, freeze):
    freeze(NOW)
    citizen = _citizen()
    _booking(ward, citizen, "0987000111")
    _booking(ward, citizen, "0987000222", slot=TOMORROW + timedelta(days=1), code="LH-8K2Q9M")
    services.reminders_enqueue()
    freeze(NOW + timedelta(days=1))
    services.reminders_enqueue()
    first, second = (
        Notification.objects.filter(kind=Kind.BOOKING_REMINDER).order_by("created_at").all()
    )
    assert (first.recipient, second.recipient) == ("0987000111", "0987000222")
    assert "LH-8K2Q9M" in second.text
    assert ContactPreference.objects.get(citizen=citizen).phone == "0987000111"


def test_a_booking_leaves_the_standing_choice_as_it_was(ward, freeze):
    freeze(NOW)
    citizen = _citizen()
    ContactPreference.objects.create(
        citizen=citizen, channels=["email"], email="an@example.vn", consent_at=NOW
    )
    _booking(ward, citizen, "0987654321")
    services.reminders_enqueue()
    pref = ContactPreference.objects.get(citizen=citizen)
    assert pref.channels == ["email"] and pref.phone == "" and not pref.appointments_only
    told = _finish_a_dossier(ward, citizen)
    assert [(n.kind, n.channel) for n in told] == [
        (Kind.DOSSIER_RECEIVED, "email"),
        (Kind.RESULT_READY, "email"),
    ]


def test_a_standing_consent_given_later_replaces_the_appointments_only_row(ward, freeze):
    freeze(NOW)
    citizen = _citizen()
    _booking(ward, citizen, "0987654321")
    services.reminders_enqueue()
    # The next booking's form, this time with the channel choice's own consent ticked.
    services.contact_preference_record(
        citizen=citizen,
        consent=True,
        channels=["sms"],
        phone="0987654321",
        source="booking",
        if_absent=True,
    )
    pref = ContactPreference.objects.get(citizen=citizen)
    assert not pref.appointments_only and pref.active_channels() == ["sms"]
    told = _finish_a_dossier(ward, citizen)
    assert [(n.kind, n.recipient) for n in told] == [
        (Kind.DOSSIER_RECEIVED, "0987654321"),
        (Kind.RESULT_READY, "0987654321"),
    ]


def test_stop_in_an_appointment_message_stops_the_next_ones(ward, freeze):
    freeze(NOW)
    citizen = _citizen()
    _booking(ward, citizen, "0987000111")
    services.reminders_enqueue()
    [sms] = Notification.objects.filter(kind=Kind.BOOKING_REMINDER)
    pref = ContactPreference.objects.get(citizen=citizen)
    assert sms.params["huy_dang_ky"].endswith(f"/{services.unsubscribe_token(pref, 'sms')}/")
    services.contact_preference_stop(token=services.unsubscribe_token(pref, "sms"))
    _booking(ward, citizen, "0987000222", slot=TOMORROW + timedelta(days=1), code="LH-8K2Q9M")
    freeze(NOW + timedelta(days=1))
    assert services.reminders_enqueue() == {"booking": 0, "visit": 0}


def test_a_walk_in_ticket_is_not_told_on_a_booking_phone_a_booked_one_is(ward, freeze):
    from motcua.queueing import services as queue
    from motcua.queueing.models import Method, Ticket

    freeze(NOW)
    citizen = _citizen()
    booking = _booking(ward, citizen, "0987654321")
    services.reminders_enqueue()  # the booking's consent is kept for appointments only
    assert ContactPreference.objects.get(citizen=citizen).appointments_only
    walk_in = queue.ticket_issue(
        office=ward.office, service=_service(ward), citizen=citizen, method=Method.QR
    ).ticket
    assert services.notification_ticket_called(ticket=walk_in, near_id=None) == []
    Ticket.objects.filter(pk=walk_in.pk).update(booking=booking)
    booked = Ticket.objects.select_related("booking", "counter", "citizen").get(pk=walk_in.pk)
    [n] = services.notification_ticket_called(ticket=booked, near_id=None)
    assert n.kind == Kind.QUEUE_CALLED and n.recipient == "0987654321"


def test_rows_recorded_before_keep_serving_dossiers():
    """The migration adds the flag off: every choice recorded before stays a standing one."""
    assert ContactPreference._meta.get_field("appointments_only").default is False
