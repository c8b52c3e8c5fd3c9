"""Demo data of the notifications, through the real services: the office's own wording of one
message, and one citizen linked as a follower of the office's Zalo Official Account (the OA's
webhook event the citizen's code would cause)."""

from __future__ import annotations

MARKER = "demo:notifications"
DEMO_FOLLOWER = "4412000000000001"  # a made-up OA follower id
SMS_REMINDER = (
    "Nhắc lịch hẹn {ma_lich_hen}: {gio_hen} ngày {ngay_hen} tại {dia_diem}. "
    "Mang theo căn cước khi đến."
)


def seed_notifications() -> dict[str, int]:
    from django.db import transaction

    from motcua.core.models import Sequence
    from motcua.notifications import services
    from motcua.notifications.models import ContactPreference, MessageTemplate
    from motcua.org.models import Citizen, User

    if Sequence.objects.filter(key=MARKER).exists():
        return {
            "templates": MessageTemplate.objects.count(),
            "followers": ContactPreference.objects.exclude(zalo_user_id="").count(),
        }
    with transaction.atomic():
        admin = User.objects.filter(username="admin").first()
        services.message_template_save(
            kind="booking_reminder", channel="sms", body=SMS_REMINDER, actor=admin
        )
        citizen = Citizen.objects.exclude(phone="").order_by("pk").first()
        if citizen is not None:
            pref = services.contact_preference_record(
                citizen=citizen, consent=True, channels=["sms", "zalo"], source="online"
            )
            if pref is not None:
                services.zalo_oa_event(
                    event={
                        "event_name": "user_send_text",
                        "sender": {"id": DEMO_FOLLOWER},
                        "message": {"text": services.zalo_link_code(pref)},
                    }
                )
        Sequence.objects.get_or_create(key=MARKER, defaults={"value": 1})
    return {
        "templates": MessageTemplate.objects.count(),
        "followers": ContactPreference.objects.exclude(zalo_user_id="").count(),
    }
