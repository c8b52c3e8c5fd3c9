"""Reform campaigns published to several channels, their per-channel posts, the aggregate counts
of what followed (no personal data), and citizens' subscriptions to announcements.

A campaign is composed once (title, text, image, one link) and posted to each chosen channel by
a `CampaignPost` row: pending → sending → posted | failed, claimed by a conditional UPDATE so
two workers never post one channel twice; see services.py for how a worker that died after the
provider answered is recovered without a second post.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    PORTAL = "portal", "Cổng thông tin (tin bài)"
    ZALO = "zalo", "Zalo Official Account"
    FACEBOOK = "facebook", "Trang Facebook"
    EMAIL = "email", "Thư điện tử cho người đăng ký"


class LinkKind(models.TextChoices):
    PROCEDURE = "procedure", "Một thủ tục hành chính"
    BOOKING = "booking", "Trang đặt lịch hẹn"
    ARTICLE = "article", "Một tin bài trên cổng"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Bản nháp"
    SCHEDULED = "scheduled", "Đã hẹn giờ đăng"
    PUBLISHING = "publishing", "Đang đăng"
    PUBLISHED = "published", "Đã đăng"
    PARTLY_FAILED = "partly_failed", "Có kênh đăng không thành công"


class Campaign(models.Model):
    """One reform message composed by a unit's leaders or managers."""

    code = models.CharField("mã chiến dịch", max_length=12, unique=True)
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="đơn vị"
    )
    field = models.ForeignKey(
        "catalog.Field",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="lĩnh vực",
    )
    title = models.CharField("tiêu đề", max_length=150)
    text = models.TextField("nội dung", max_length=5000)
    image = models.FileField("ảnh", upload_to="campaigns/%Y/%m/", blank=True)
    image_alt = models.CharField("mô tả ảnh", max_length=200, blank=True)
    link_kind = models.CharField("liên kết tới", max_length=10, choices=LinkKind.choices)
    # A procedure's code, an office's code (booking page) or an announcement's slug.
    link_target = models.CharField("đích liên kết", max_length=120, blank=True)
    channels = models.JSONField("kênh đăng", default=list)
    status = models.CharField(
        "trạng thái",
        max_length=15,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
        db_index=True,
    )
    scheduled_at = models.DateTimeField("hẹn đăng lúc", null=True, blank=True)
    published_at = models.DateTimeField("đăng lúc", null=True, blank=True)
    announcement = models.OneToOneField(
        "portal.Announcement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign",
        verbose_name="tin bài trên cổng",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="người soạn",
    )
    created_at = models.DateTimeField("soạn lúc")

    class Meta:
        verbose_name = "chiến dịch truyền thông"
        verbose_name_plural = "chiến dịch truyền thông"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


class PostState(models.TextChoices):
    PENDING = "pending", "Chờ đăng"
    SENDING = "sending", "Đang đăng"
    POSTED = "posted", "Đã đăng"
    FAILED = "failed", "Đăng không thành công"


class CampaignPost(models.Model):
    """A campaign on one channel: at most one per channel, posted at most once."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="posts")
    channel = models.CharField("kênh", max_length=10, choices=Channel.choices)
    state = models.CharField(
        "trạng thái", max_length=10, choices=PostState.choices, default=PostState.PENDING
    )
    attempts = models.PositiveIntegerField("số lần thử", default=0)
    next_attempt_at = models.DateTimeField("thử lúc", db_index=True)
    sending_since = models.DateTimeField("bắt đầu đăng lúc", null=True, blank=True)
    posted_at = models.DateTimeField("đăng lúc", null=True, blank=True)
    failed_at = models.DateTimeField("thất bại lúc", null=True, blank=True)
    provider_id = models.CharField("mã bài của kênh", max_length=120, blank=True)
    url = models.CharField("địa chỉ bài đăng", max_length=500, blank=True)
    last_error = models.CharField("lỗi gần nhất", max_length=500, blank=True)
    # People the channel says it reached (Facebook unique impressions, Zalo article views,
    # e-mails sent, portal article views), refreshed by a periodic job.
    reach = models.PositiveIntegerField("lượt tiếp cận", null=True, blank=True)
    reach_at = models.DateTimeField("cập nhật tiếp cận lúc", null=True, blank=True)

    class Meta:
        verbose_name = "bài đăng theo kênh"
        verbose_name_plural = "bài đăng theo kênh"
        ordering = ["campaign", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "channel"], name="campaign_post_once")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.campaign.code} → {self.get_channel_display()}"


class CampaignDay(models.Model):
    """What followed a campaign's links on one channel on one day: counts only, nobody's data."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="days")
    channel = models.CharField("kênh", max_length=10, choices=Channel.choices)
    day = models.DateField("ngày")
    visits = models.PositiveIntegerField("lượt truy cập qua liên kết", default=0)
    bookings = models.PositiveIntegerField("lịch hẹn", default=0)
    dossiers = models.PositiveIntegerField("hồ sơ trực tuyến", default=0)

    class Meta:
        verbose_name = "số liệu theo ngày"
        verbose_name_plural = "số liệu theo ngày"
        ordering = ["campaign", "day", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "channel", "day"], name="campaign_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.channel} {self.day}"


class SubChannel(models.TextChoices):
    EMAIL = "email", "Thư điện tử"
    ZALO = "zalo", "Zalo"


class Subscription(models.Model):
    """A citizen's request for announcements of a ward or a field, with its consent.

    E-mail is double opt-in: nothing is sent before the address confirms through the signed
    link of the confirmation message (`confirmed_at`)."""

    channel = models.CharField("kênh", max_length=10, choices=SubChannel.choices)
    # An e-mail address, or a phone number for Zalo.
    address = models.CharField("địa chỉ nhận", max_length=254)
    unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="phường, xã",
    )
    field = models.ForeignKey(
        "catalog.Field",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="lĩnh vực",
    )
    purpose = models.CharField("mục đích", max_length=300)
    consent_at = models.DateTimeField("đồng ý lúc")
    consent_source = models.CharField("đồng ý qua", max_length=10)  # portal, api
    confirmed_at = models.DateTimeField("xác nhận lúc", null=True, blank=True)
    unsubscribed_at = models.DateTimeField("hủy lúc", null=True, blank=True)
    created_at = models.DateTimeField("đăng ký lúc")

    class Meta:
        verbose_name = "đăng ký nhận tin"
        verbose_name_plural = "đăng ký nhận tin"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit__isnull=False, field__isnull=True)
                | models.Q(unit__isnull=True, field__isnull=False),
                name="subscription_one_topic",
            ),
            models.UniqueConstraint(
                fields=["channel", "address", "unit"],
                condition=models.Q(unit__isnull=False),
                name="subscription_once_per_unit",
            ),
            models.UniqueConstraint(
                fields=["channel", "address", "field"],
                condition=models.Q(field__isnull=False),
                name="subscription_once_per_field",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.topic_label}"

    @property
    def topic_label(self) -> str:
        if self.unit is not None:
            return str(self.unit.name)
        return f"Lĩnh vực {self.field.name}" if self.field is not None else ""

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class CampaignEmail(models.Model):
    """The message of a campaign to one subscriber: one outbox message, never two.

    An e-mail for an e-mail subscription; for a Zalo subscription whose phone is linked to a
    follower of the office's Official Account, an OA message (outbox channel `zalo_oa`)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="emails")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    notification = models.OneToOneField(
        "notifications.Notification", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = "thư chiến dịch"
        verbose_name_plural = "thư chiến dịch"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "subscription"], name="campaign_email_once")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.subscription_id}"
