"""Public portal tables: announcements with ratings and comments, web links, visit counts,
and citizens' satisfaction ratings of a counter visit or a dossier."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

# The 9 indicators of the citizen survey (DOMAIN.md, "Satisfaction and indexes"), 0–2 points each.
INDICATORS: list[tuple[str, str]] = [
    ("total_time", "Tổng thời gian giải quyết so với quy định"),
    ("agency_time", "Thời gian giải quyết tại từng cơ quan"),
    ("contacts", "Số lần phải liên hệ để hoàn thành thủ tục"),
    ("agencies", "Số cơ quan phải liên hệ"),
    ("one_stop", "Tiếp nhận, trả kết quả tại bộ phận một cửa"),
    ("disclosure", "Công khai thủ tục hành chính"),
    ("attitude", "Thái độ của cán bộ"),
    ("feedback", "Tiếp nhận, xử lý phản ánh, kiến nghị"),
    ("online", "Chất lượng dịch vụ công trực tuyến"),
]
INDICATOR_KEYS = [k for k, _ in INDICATORS]
INDICATOR_LEVELS = [(2, "Tốt"), (1, "Trung bình"), (0, "Chưa tốt")]


class Announcement(models.Model):
    """A news item written by staff; `body` is sanitised HTML (see motcua.portal.sanitize)."""

    title = models.CharField("tiêu đề", max_length=300)
    slug = models.SlugField("đường dẫn", max_length=120, unique=True)
    summary = models.CharField("tóm tắt", max_length=500, blank=True)
    body = models.TextField("nội dung")
    published_at = models.DateTimeField("ngày đăng", null=True, blank=True, db_index=True)
    unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="đơn vị",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="người viết",
    )
    updated_at = models.DateTimeField("cập nhật", auto_now=True)

    class Meta:
        verbose_name = "tin bài"
        verbose_name_plural = "tin bài"
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Sanitised on every save, whatever path wrote it (service, admin, shell), so no
        # stored body can carry a script.
        from motcua.portal.sanitize import clean_html

        self.body = clean_html(self.body)
        super().save(*args, **kwargs)


class AnnouncementRating(models.Model):
    """One 1–5 star rating of one article by one anonymous visitor (hash of a random cookie)."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="ratings")
    visitor = models.CharField(max_length=64)
    stars = models.PositiveSmallIntegerField("số sao")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "đánh giá tin bài"
        verbose_name_plural = "đánh giá tin bài"
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "visitor"], name="announcementrating_one_per_visitor"
            ),
            models.CheckConstraint(
                condition=Q(stars__gte=1, stars__lte=5), name="announcementrating_stars_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.announcement_id}: {self.stars}★"


class Comment(models.Model):
    """A reader's comment, shown only after a moderator approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Chờ duyệt"
        APPROVED = "approved", "Đã duyệt"
        REJECTED = "rejected", "Không duyệt"

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="comments"
    )
    name = models.CharField("họ tên (tên hiển thị)", max_length=100)
    body = models.TextField("nội dung", max_length=2000)
    status = models.CharField(
        "trạng thái", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField("gửi lúc")
    moderated_at = models.DateTimeField("duyệt lúc", null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="người duyệt",
    )

    class Meta:
        verbose_name = "bình luận"
        verbose_name_plural = "bình luận"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.name}: {self.body[:40]}"


class WebLink(models.Model):
    """An entry of the "Liên kết" block on the home page."""

    title = models.CharField("tên", max_length=200)
    url = models.URLField("địa chỉ")
    position = models.PositiveSmallIntegerField("thứ tự", default=0)

    class Meta:
        verbose_name = "liên kết"
        verbose_name_plural = "liên kết"
        ordering = ["position", "title"]
        constraints = [models.UniqueConstraint(fields=["url"], name="weblink_unique_url")]

    def __str__(self) -> str:
        return self.title


class VisitCount(models.Model):
    """Portal visits of one day, added in batches from the cache (never one write per request)."""

    day = models.DateField(unique=True)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "lượt truy cập"
        verbose_name_plural = "lượt truy cập"
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.count}"


class SatisfactionLevel(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", "Rất hài lòng"
    SATISFIED = "satisfied", "Hài lòng"
    DISSATISFIED = "dissatisfied", "Không hài lòng"


class RatingChannel(models.TextChoices):
    KIOSK = "kiosk", "Ki-ốt tại bộ phận một cửa"
    QR = "qr", "Mã QR trên phiếu"
    LOOKUP = "lookup", "Trang tra cứu hồ sơ"
    TABLET = "tablet", "Máy tính bảng tại quầy"


class ServiceRating(models.Model):
    """A citizen's rating of one counter visit (ticket) or one dossier; written once, never edited.

    Unit, officer, procedure version and field are copied at rating time so that statistics keep
    who and what was rated even if the dossier or ticket changes later.
    """

    dossier = models.ForeignKey(
        "dossiers.Dossier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="hồ sơ",
    )
    ticket = models.ForeignKey(
        "queueing.Ticket",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="lượt phục vụ",
    )
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="đơn vị"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="cán bộ",
    )
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="thủ tục",
    )
    field = models.ForeignKey(
        "catalog.Field",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="lĩnh vực",
    )
    level = models.CharField("mức độ hài lòng", max_length=20, choices=SatisfactionLevel.choices)
    indicators = models.JSONField("chỉ số (0–2 điểm)", default=dict, blank=True)
    channel = models.CharField("kênh đánh giá", max_length=10, choices=RatingChannel.choices)
    created_at = models.DateTimeField("đánh giá lúc", db_index=True)

    class Meta:
        verbose_name = "đánh giá mức độ hài lòng"
        verbose_name_plural = "đánh giá mức độ hài lòng"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(dossier__isnull=False),
                name="servicerating_one_per_dossier",
            ),
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(ticket__isnull=False),
                name="servicerating_one_per_ticket",
            ),
            models.CheckConstraint(
                condition=Q(dossier__isnull=False) | Q(ticket__isnull=False),
                name="servicerating_has_subject",
            ),
        ]
        indexes = [models.Index(fields=["unit", "created_at"])]

    def __str__(self) -> str:
        from motcua.core.clock import local

        return f"{self.get_level_display()} – {local(self.created_at):%d/%m/%Y}"

    @property
    def indicator_points(self) -> int:
        return sum(int(v) for v in (self.indicators or {}).values())
