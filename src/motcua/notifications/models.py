"""The outbox of messages to citizens and each citizen's choice of channels.

A `Notification` row is written in the same transaction as the event that causes it (dossier
received, papers missing, result ready, queue call): if the event commits, the message will be
sent; if it rolls back, nothing is sent. One row is one message on one channel; its id is the
idempotency key the channel receives (the gateway's request id), reused on every retry.
"""

from __future__ import annotations

import uuid

from django.db import models


class ChannelName(models.TextChoices):
    SMS = "sms", "Tin nhắn SMS"
    EMAIL = "email", "Thư điện tử"
    ZALO = "zalo", "Zalo (tin ZNS)"
    # Not a choice of the citizen: their "zalo" goes through the Official Account when they
    # follow the office's OA and agreed to be written there (ContactPreference.zalo_user_id).
    ZALO_OA = "zalo_oa", "Zalo (Official Account)"


# What a citizen chooses (the OA is how "zalo" is delivered to followers).
CHOOSABLE = ("sms", "email", "zalo")


class Kind(models.TextChoices):
    DOSSIER_RECEIVED = "dossier_received", "Đã tiếp nhận hồ sơ"
    SUPPLEMENT_NEEDED = "supplement_needed", "Cần bổ sung giấy tờ"
    RESULT_READY = "result_ready", "Đã có kết quả"
    RESULT_DELIVERED = "result_delivered", "Đã trả kết quả"
    QUEUE_NEAR = "queue_near", "Sắp đến lượt"
    QUEUE_CALLED = "queue_called", "Đến lượt tại quầy"
    OVERDUE_APOLOGY = "overdue_apology", "Xin lỗi, hẹn lại ngày trả kết quả"
    PAYMENT_DUE = "payment_due", "Cần nộp phí, lệ phí"
    RECEIPT_ISSUED = "receipt_issued", "Đã cấp biên lai"
    BOOKING_REMINDER = "booking_reminder", "Nhắc lịch hẹn tại bộ phận một cửa"
    VISIT_REMINDER = "visit_reminder", "Nhắc lịch cán bộ đến tận nhà"
    # Written by motcua.campaigns: a campaign's e-mail to a subscriber, and the double opt-in
    # confirmation of an e-mail subscription.
    CAMPAIGN = "campaign", "Tin chiến dịch cho người đăng ký"
    SUBSCRIPTION_CONFIRM = "subscription_confirm", "Xác nhận đăng ký nhận tin"


# Kinds that may be sent at night: the citizen is standing in the hall right now. Everything else
# (reminders, payment, apology, results) waits for 07:00: none of it needs an answer at night.
URGENT_KINDS = {Kind.QUEUE_NEAR, Kind.QUEUE_CALLED}


class State(models.TextChoices):
    PENDING = "pending", "Chờ gửi"
    SENDING = "sending", "Đang gửi"
    SENT = "sent", "Đã gửi"
    FAILED = "failed", "Gửi không thành công"


class ContactPreference(models.Model):
    """How a citizen agreed to be told: channels, addresses and when and where consent was given."""

    citizen = models.OneToOneField(
        "org.Citizen",
        on_delete=models.CASCADE,
        related_name="contact_preference",
        verbose_name="công dân",
    )
    channels = models.JSONField("kênh nhận thông báo", default=list, blank=True)
    phone = models.CharField("số điện thoại nhận tin", max_length=20, blank=True)
    email = models.EmailField("thư điện tử nhận tin", blank=True)
    consent_at = models.DateTimeField("đồng ý lúc", null=True, blank=True)
    consent_source = models.CharField(
        "đồng ý qua", max_length=20, blank=True, help_text="reception, online, booking"
    )
    recorded_by = models.ForeignKey(
        "org.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Channels the citizen stopped through the signed link in a message.
    stopped = models.JSONField("kênh đã hủy đăng ký", default=list, blank=True)
    # The citizen follows the office's Zalo Official Account and agreed to be written there:
    # their follower id (per OA) and when they linked it (by sending their code to the OA).
    zalo_user_id = models.CharField("mã người theo dõi Zalo OA", max_length=64, blank=True)
    zalo_linked_at = models.DateTimeField("liên kết Zalo OA lúc", null=True, blank=True)
    # Recorded from a booking's phone, whose form only asks consent to be contacted about that
    # appointment: only messages about the citizen's own appointments use it (each to its
    # booking's phone), never those about dossiers. A standing consent turns it off.
    appointments_only = models.BooleanField(
        "chỉ cho lịch hẹn",
        default=False,
        help_text="Chỉ dùng để báo về lịch hẹn công dân đã đặt (không dùng cho hồ sơ).",
    )
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)

    class Meta:
        verbose_name = "lựa chọn nhận thông báo"
        verbose_name_plural = "lựa chọn nhận thông báo"

    def __str__(self) -> str:
        return f"{self.citizen_id}: {', '.join(self.channels) or '—'}"

    def active_channels(self) -> list[str]:
        if self.consent_at is None:
            return []
        return [c for c in self.channels if c not in self.stopped]


class Notification(models.Model):
    """One message to one citizen on one channel (the outbox row)."""

    # The idempotency key: sent to the channel as its request id, the same on every retry.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("loại", max_length=30, choices=Kind.choices)
    channel = models.CharField("kênh", max_length=10, choices=ChannelName.choices)
    recipient = models.CharField("gửi tới", max_length=254)
    citizen = models.ForeignKey(
        "org.Citizen", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    ticket = models.ForeignKey(
        "queueing.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    subject = models.CharField("tiêu đề", max_length=200, blank=True)
    text = models.TextField("nội dung")
    params = models.JSONField("tham số mẫu tin", default=dict, blank=True)
    urgent = models.BooleanField("khẩn (gửi cả ban đêm)", default=False)
    state = models.CharField(
        "trạng thái", max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField("số lần gửi", default=0)
    created_at = models.DateTimeField("tạo lúc")
    next_attempt_at = models.DateTimeField("gửi lần tới", db_index=True)
    sending_since = models.DateTimeField("bắt đầu gửi lúc", null=True, blank=True)
    sent_at = models.DateTimeField("đã gửi lúc", null=True, blank=True)
    failed_at = models.DateTimeField("thất bại lúc", null=True, blank=True)
    provider_id = models.CharField("mã tin của nhà cung cấp", max_length=100, blank=True)
    last_error = models.CharField("lỗi gần nhất", max_length=500, blank=True)
    # One message per event and channel when an event may be seen twice (the reminders' job runs
    # every hour): "<kind>:<object>:<day>:<channel>"; a second insert is ignored by the database.
    dedupe_key = models.CharField(
        "khóa chống trùng", max_length=120, null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        verbose_name = "thông báo"
        verbose_name_plural = "thông báo"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.get_channel_display()})"


# Kinds worded here (campaign e-mails carry the campaign's own text).
TEMPLATE_KINDS = [
    (value, label)
    for value, label in Kind.choices
    if value not in (Kind.CAMPAIGN, Kind.SUBSCRIPTION_CONFIRM)
]


class TemplateChannel(models.TextChoices):
    SMS = "sms", "Tin nhắn SMS"
    EMAIL = "email", "Thư điện tử"
    ZALO = "zalo", "Zalo Official Account (tin văn bản)"


class MessageTemplate(models.Model):
    """The office's wording of one kind of message on one channel (edited in the admin).

    Without a row the default text of `texts.DEFAULTS` is used. Variables are written `{name}`;
    `texts.template_errors` refuses an unknown one or a missing required one on save. Zalo ZNS
    messages keep their approved template on Zalo's side (only its parameters go from here).
    """

    kind = models.CharField("loại thông báo", max_length=30, choices=TEMPLATE_KINDS)
    channel = models.CharField("kênh", max_length=10, choices=TemplateChannel.choices)
    subject = models.CharField(
        "tiêu đề (thư điện tử)", max_length=200, blank=True, help_text="Chỉ dùng cho thư điện tử."
    )
    body = models.TextField("nội dung")
    active = models.BooleanField("đang dùng", default=True)
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)
    updated_by = models.ForeignKey(
        "org.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "mẫu thông báo"
        verbose_name_plural = "mẫu thông báo"
        ordering = ["kind", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "channel"], name="notifications_template_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.get_channel_display()}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from motcua.notifications.texts import template_errors

        errors = template_errors(
            kind=self.kind, channel=self.channel, subject=self.subject, body=self.body
        )
        if errors:
            raise ValidationError(errors)
