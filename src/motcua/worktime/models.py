"""Administrator-entered calendar data: official day swaps and holiday duty rosters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class OverrideKind(models.TextChoices):
    DAY_OFF = "day_off", "Ngày nghỉ"
    WORKING_DAY = "working_day", "Ngày làm việc (làm bù)"


class CalendarOverride(models.Model):
    """An official swap for one date: an extra day off or a make-up working day.

    Without a unit it applies nationwide; with a unit it applies to that unit and the units
    under it, and the most specific unit wins over the holiday library and over its parents.
    """

    date = models.DateField("ngày", db_index=True)
    kind = models.CharField("loại", max_length=20, choices=OverrideKind.choices)
    name = models.CharField("tên", max_length=200, help_text="Ví dụ: Nghỉ bù Tết Dương lịch")
    unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_overrides",
        verbose_name="đơn vị",
        help_text="Để trống: áp dụng toàn quốc.",
    )
    note = models.TextField("ghi chú", blank=True, help_text="Văn bản công bố, lý do...")
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)

    class Meta:
        verbose_name = "ngày nghỉ/làm bù điều chỉnh"
        verbose_name_plural = "ngày nghỉ/làm bù điều chỉnh"
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "unit"], name="calendaroverride_unique_unit_date"
            ),
            models.UniqueConstraint(
                fields=["date"],
                condition=Q(unit__isnull=True),
                name="calendaroverride_unique_national_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} – {self.get_kind_display()} – {self.name}"


class HolidayDuty(models.Model):
    """A unit on duty over a period (holidays, weekends) for chosen procedures.

    No procedures chosen means every procedure flagged "giải quyết cả ngày nghỉ".
    """

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.CASCADE, related_name="holiday_duties", verbose_name="đơn vị"
    )
    date_from = models.DateField("từ ngày")
    date_to = models.DateField("đến ngày")
    procedures = models.ManyToManyField(
        "catalog.Procedure",
        blank=True,
        related_name="holiday_duties",
        verbose_name="thủ tục",
        help_text="Để trống: mọi thủ tục được đánh dấu giải quyết cả ngày nghỉ.",
    )
    note = models.TextField("ghi chú", blank=True)
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)

    class Meta:
        verbose_name = "lịch trực ngày nghỉ"
        verbose_name_plural = "lịch trực ngày nghỉ"
        ordering = ["-date_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_to__gte=F("date_from")), name="holidayduty_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} trực {self.date_from:%d/%m/%Y}–{self.date_to:%d/%m/%Y}"


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "Ngày nghỉ lễ, tết"
    SWAPPED_DAY_OFF = "swapped_day_off", "Ngày nghỉ hoán đổi"
    COMPENSATORY_DAY_OFF = "compensatory_day_off", "Ngày nghỉ bù"
    MAKEUP_WORKING_DAY = "makeup_working_day", "Ngày làm bù"


class DayStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Đã xác nhận"
    UNCONFIRMED = "unconfirmed", "Chưa xác nhận"
    REMOVED = "removed", "Đã loại bỏ"


class OfficialDay(models.Model):
    """A day of the official national calendar, with the act or notice that set it.

    Loaded from the shipped file ``data/calendar_vn.json`` (migration, ``motcua calendar-load``,
    the demo). An unconfirmed day counts or not by ``applies_while_unconfirmed`` until an
    administrator confirms or removes it with one recorded decision (who, when, reason,
    reference); a reload never overwrites that decision.
    """

    date = models.DateField("ngày", unique=True)
    kind = models.CharField("loại", max_length=30, choices=DayKind.choices)
    name = models.CharField("tên", max_length=200)
    status = models.CharField(
        "tình trạng", max_length=20, choices=DayStatus.choices, default=DayStatus.CONFIRMED
    )
    applies_while_unconfirmed = models.BooleanField(
        "áp dụng khi chưa xác nhận",
        default=True,
        help_text="Khi chưa xác nhận: có tính theo loại ngày này không (nghỉ hoặc làm bù).",
    )
    legal_basis = models.CharField("căn cứ pháp lý", max_length=300, blank=True)
    source_number = models.CharField("số văn bản", max_length=100, blank=True)
    source_date = models.DateField("ngày văn bản", null=True, blank=True)
    source_issuer = models.CharField("cơ quan ban hành", max_length=200, blank=True)
    source_title = models.TextField("trích yếu văn bản", blank=True)
    known = models.TextField("thông tin đã biết", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="người quyết định",
    )
    decided_at = models.DateTimeField("quyết định lúc", null=True, blank=True)
    decision_reason = models.TextField("lý do quyết định", blank=True)
    decision_reference = models.CharField(
        "văn bản làm căn cứ quyết định", max_length=300, blank=True
    )
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)

    class Meta:
        verbose_name = "ngày trong lịch chính thức"
        verbose_name_plural = "lịch nghỉ lễ, làm bù chính thức"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} – {self.get_kind_display()} – {self.name}"

    @property
    def in_force(self) -> bool:
        if self.status == DayStatus.CONFIRMED:
            return True
        if self.status == DayStatus.UNCONFIRMED:
            return self.applies_while_unconfirmed
        return False


class CalendarYearReview(models.Model):
    """An administrator reviewed the official calendar of a year (the December check asks)."""

    year = models.PositiveSmallIntegerField("năm", unique=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="người duyệt",
    )
    reviewed_at = models.DateTimeField("duyệt lúc")
    note = models.TextField("ghi chú", blank=True)

    class Meta:
        verbose_name = "duyệt lịch năm"
        verbose_name_plural = "duyệt lịch năm"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"Lịch năm {self.year} đã duyệt lúc {self.reviewed_at:%d/%m/%Y %H:%M}"
