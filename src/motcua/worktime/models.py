"""Administrator-entered calendar data: official day swaps and holiday duty rosters."""

from __future__ import annotations

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
