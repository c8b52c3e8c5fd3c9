"""seed-demo's notifications part: one edited template and one linked OA follower, made through
the real services, once however often it runs."""

from __future__ import annotations

import pytest

from factories import CitizenFactory, UserFactory
from motcua.core.errors import ValidationFailed
from motcua.notifications import services
from motcua.notifications.demo import DEMO_FOLLOWER, SMS_REMINDER, seed_notifications
from motcua.notifications.models import ContactPreference, MessageTemplate


def test_seed_adds_a_template_and_a_linked_follower_once(db):
    UserFactory(username="admin")
    citizen = CitizenFactory(phone="0912000111")
    assert seed_notifications() == {"templates": 1, "followers": 1}
    assert seed_notifications() == {"templates": 1, "followers": 1}
    row = MessageTemplate.objects.get()
    assert (row.kind, row.channel, row.body) == ("booking_reminder", "sms", SMS_REMINDER)
    assert row.updated_by is not None and row.updated_by.username == "admin"
    pref = ContactPreference.objects.get(citizen=citizen)
    assert pref.zalo_user_id == DEMO_FOLLOWER and pref.zalo_linked_at is not None
    assert "zalo" in pref.active_channels() and pref.consent_source == "online"


def test_the_template_service_refuses_what_the_admin_refuses(db):
    with pytest.raises(ValidationFailed) as exc:
        services.message_template_save(
            kind="booking_reminder", channel="sms", body="Nhắc lịch {khong_co}"
        )
    assert exc.value.code == "template_invalid" and "khong_co" in exc.value.message
    assert not MessageTemplate.objects.exists()
