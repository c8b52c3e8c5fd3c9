"""Home visits ("ba tại nhà"): officials receive, appraise and return dossiers at the citizen's home.

A visit is booked for a day and a half-day; the unit's home-service officers each have a fixed
number of working minutes per half-day, and every visit uses its procedure's duration plus a
travel allowance (the unit's rule). A manager assigns visits to officers and orders them; the
officer works through them on a phone, possibly offline, each action carrying a client key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class HalfDay(models.TextChoices):
    MORNING = "morning", "Buổi sáng"
    AFTERNOON = "afternoon", "Buổi chiều"


class Eligibility(models.TextChoices):
    SOCIAL = "social", "Thủ tục bảo trợ xã hội"
    ELDERLY = "elderly", "Người cao tuổi"
    DISABLED = "disabled", "Người khuyết tật"
    ILL = "ill", "Người ốm đau, không tự đi lại được"


class VisitStatus(models.TextChoices):
    REQUESTED = "requested", "Chờ phân công"
    ASSIGNED = "assigned", "Đã phân công cán bộ"
    ON_THE_WAY = "on_the_way", "Cán bộ đang đến"
    ARRIVED = "arrived", "Cán bộ đã đến"
    RECEIVED = "received", "Đã tiếp nhận hồ sơ"
    APPRAISED = "appraised", "Đã thẩm định tại nhà"
    COMPLETED = "completed", "Hoàn thành"
    NO_ONE_HOME = "no_one_home", "Không có người ở nhà"
    CANCELLED = "cancelled", "Đã hủy"


# Statuses that hold officer time on their day.
HOLDING = (
    VisitStatus.REQUESTED,
    VisitStatus.ASSIGNED,
    VisitStatus.ON_THE_WAY,
    VisitStatus.ARRIVED,
    VisitStatus.RECEIVED,
    VisitStatus.APPRAISED,
    VisitStatus.COMPLETED,
)


class VisitChannel(models.TextChoices):
    PORTAL = "portal", "Cổng dịch vụ công"
    DESK = "desk", "Bàn hướng dẫn (qua điện thoại)"


class HomeServiceRule(models.Model):
    """A unit's rule for home visits: who qualifies, how long a visit takes, officer time."""

    unit = models.OneToOneField(
        "org.Unit", on_delete=models.CASCADE, related_name="home_rule", verbose_name="đơn vị"
    )
    enabled = models.BooleanField("nhận đặt lịch tại nhà", default=True)
    # Social-protection procedures are done at home for anyone who asks.
    social_fields = models.JSONField(
        "lĩnh vực phục vụ tại nhà cho mọi người",
        default=list,
        blank=True,
        help_text='Mã lĩnh vực, ví dụ ["bao-tro-xa-hoi"]',
    )
    min_age = models.PositiveSmallIntegerField("tuổi tối thiểu (người cao tuổi)", default=75)
    allow_disabled = models.BooleanField("phục vụ người khuyết tật", default=True)
    allow_ill = models.BooleanField("phục vụ người ốm đau", default=True)
    visit_minutes = models.PositiveSmallIntegerField("thời gian một lượt (phút)", default=30)
    procedure_minutes = models.JSONField(
        "thời gian theo thủ tục (phút)",
        default=dict,
        blank=True,
        help_text='{"1.000001": 45}: mã thủ tục → số phút tại nhà',
    )
    travel_minutes = models.PositiveSmallIntegerField(
        "thời gian di chuyển mỗi lượt (phút)", default=20
    )
    half_day_minutes = models.PositiveSmallIntegerField(
        "số phút làm việc của một cán bộ trong một buổi", default=210
    )
    days_ahead = models.PositiveSmallIntegerField("đặt trước tối đa (ngày)", default=14)

    class Meta:
        verbose_name = "quy định phục vụ tại nhà"
        verbose_name_plural = "quy định phục vụ tại nhà"

    def __str__(self) -> str:
        return f"Phục vụ tại nhà – {self.unit}"


class OfficerAbsence(models.Model):
    """A home-service officer not available on a half-day (leave, training, counter duty)."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="home_absences"
    )
    date = models.DateField("ngày")
    half_day = models.CharField("buổi", max_length=10, choices=HalfDay.choices)
    reason = models.CharField("lý do", max_length=200, blank=True)

    class Meta:
        verbose_name = "lịch vắng của cán bộ tại nhà"
        verbose_name_plural = "lịch vắng của cán bộ tại nhà"
        constraints = [
            models.UniqueConstraint(
                fields=["officer", "date", "half_day"], name="homeservice_absence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.officer} vắng {self.get_half_day_display().lower()} {self.date:%d/%m/%Y}"


class HomeVisit(models.Model):
    """One booked home visit, from the request to the dossier received at home."""

    code = models.CharField("mã lịch hẹn", max_length=12, unique=True)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="home_visits")
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion", on_delete=models.PROTECT, related_name="home_visits"
    )
    citizen = models.ForeignKey("org.Citizen", on_delete=models.PROTECT, related_name="home_visits")
    full_name = models.CharField("họ và tên", max_length=200)
    phone = models.CharField("số điện thoại", max_length=20)
    address = models.CharField("địa chỉ", max_length=300)
    date = models.DateField("ngày hẹn", db_index=True)
    half_day = models.CharField("buổi", max_length=10, choices=HalfDay.choices)
    eligibility = models.CharField("đối tượng", max_length=10, choices=Eligibility.choices)
    needs = models.CharField("nhu cầu hỗ trợ", max_length=300, blank=True)
    minutes = models.PositiveSmallIntegerField("thời gian dự kiến (phút, gồm di chuyển)")
    status = models.CharField(
        "trạng thái", max_length=12, choices=VisitStatus.choices, default=VisitStatus.REQUESTED
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="home_visits",
        verbose_name="cán bộ",
    )
    position = models.PositiveSmallIntegerField("thứ tự trong buổi", default=0)
    channel = models.CharField("kênh đặt", max_length=10, choices=VisitChannel.choices)
    created_at = models.DateTimeField("đặt lúc")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="home_visits",
        verbose_name="hồ sơ",
    )
    appraisal = models.JSONField("thẩm định tại nhà", default=dict, blank=True)
    signature = models.FileField("chữ ký của công dân", upload_to="home/signatures/", blank=True)
    cancel_reason = models.CharField("lý do hủy", max_length=200, blank=True)

    class Meta:
        verbose_name = "lịch phục vụ tại nhà"
        verbose_name_plural = "lịch phục vụ tại nhà"
        ordering = ["date", "half_day", "officer_id", "position", "pk"]
        indexes = [models.Index(fields=["unit", "date", "half_day"])]

    def __str__(self) -> str:
        return self.code


class HomeVisitEvent(models.Model):
    """One action on a visit (immutable). `key` is the client's key: a resend finds this row."""

    visit = models.ForeignKey(HomeVisit, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("lúc")
    action = models.CharField("thao tác", max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    key = models.CharField("khóa thao tác", max_length=100, blank=True)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    note = models.CharField("ghi chú", max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "diễn biến lịch tại nhà"
        verbose_name_plural = "diễn biến lịch tại nhà"
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "key"],
                condition=~models.Q(key=""),
                name="homeservice_event_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.visit_id}: {self.action}"
