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


class Kind(models.TextChoices):
    DOSSIER_RECEIVED = "dossier_received", "Đã tiếp nhận hồ sơ"
    SUPPLEMENT_NEEDED = "supplement_needed", "Cần bổ sung giấy tờ"
    RESULT_READY = "result_ready", "Đã có kết quả"
    RESULT_DELIVERED = "result_delivered", "Đã trả kết quả"
    QUEUE_NEAR = "queue_near", "Sắp đến lượt"
    QUEUE_CALLED = "queue_called", "Đến lượt tại quầy"
    # Written by motcua.campaigns: a campaign's e-mail to a subscriber, and the double opt-in
    # confirmation of an e-mail subscription.
    CAMPAIGN = "campaign", "Tin chiến dịch cho người đăng ký"
    SUBSCRIPTION_CONFIRM = "subscription_confirm", "Xác nhận đăng ký nhận tin"


# Kinds that may be sent at night: the citizen is standing in the hall right now.
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

    class Meta:
        verbose_name = "thông báo"
        verbose_name_plural = "thông báo"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.get_channel_display()})"
