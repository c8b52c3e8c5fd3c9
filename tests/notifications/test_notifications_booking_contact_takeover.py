"""An anonymous form (if_absent=True) never turns an appointments-only row into a standing
choice for another phone, and never undoes the citizen's "stop" (review: whoever knows a name
and an ID number could otherwise take the citizen's dossier messages to their own phone)."""

from __future__ import annotations

from test_notifications_booking_contact import NOW, _booking, _citizen, _finish_a_dossier

from motcua.notifications import services
from motcua.notifications.models import ContactPreference, Kind, Notification


def test_an_anonymous_form_never_redirects_a_citizen_who_stopped_the_booking_sms(ward, freeze):
    freeze(NOW)
    citizen = _citizen()
    _booking(ward, citizen, "0987000111")
    services.reminders_enqueue()
    assert Notification.objects.filter(kind=Kind.BOOKING_REMINDER).count() == 1
    pref = ContactPreference.objects.get(citizen=citizen)
    services.contact_preference_stop(token=services.unsubscribe_token(pref, "sms"))
    # A stranger who knows the name and ID number books on the portal with the consent ticked.
    services.contact_preference_record(
        citizen=citizen,
        consent=True,
        channels=["sms"],
        phone="0911222333",
        source="booking",
        if_absent=True,
    )
    pref.refresh_from_db()
    told = _finish_a_dossier(ward, citizen)
    to_stranger = [n.kind for n in told if n.recipient == "0911222333"]
    assert (pref.stopped, to_stranger) == (["sms"], []), (
        "stop undone / dossier messages to a stranger"
    )
