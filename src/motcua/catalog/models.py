"""The procedure catalogue: a procedure has versions; a dossier keeps the version it was received under."""

from __future__ import annotations

from django.db import models

from motcua.core.text import fold


class Field(models.Model):
    """A field (lĩnh vực): hộ tịch, chứng thực, đất đai, ..."""

    code = models.SlugField("mã", max_length=40, unique=True)
    name = models.CharField("tên lĩnh vực", max_length=200)

    class Meta:
        verbose_name = "lĩnh vực"
        verbose_name_plural = "lĩnh vực"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    PROVINCE = "province", "Cấp tỉnh"
    DISTRICT = "district", "Cấp huyện"
    COMMUNE = "commune", "Cấp xã"


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", "Ngày làm việc"
    WORKING_HOURS = "working_hours", "Giờ làm việc"
    CALENDAR_DAYS = "calendar_days", "Ngày"
    SAME_DAY = "same_day", "Trong ngày"


class Channel(models.TextChoices):
    DIRECT = "direct", "Trực tiếp"
    ONLINE = "online", "Trực tuyến"
    POST = "post", "Bưu chính công ích"
    HOME = "home", "Tại nhà"


class Procedure(models.Model):
    """The stable identity of a procedure: its national code. Content lives in versions."""

    code = models.CharField("mã thủ tục", max_length=40, unique=True)

    class Meta:
        verbose_name = "thủ tục hành chính"
        verbose_name_plural = "thủ tục hành chính"
        ordering = ["code"]

    def __str__(self) -> str:
        current = self.current_version()
        return f"{self.code} – {current.name}" if current else self.code

    def current_version(self) -> ProcedureVersion | None:
        return self.versions.filter(is_published=True).order_by("-version").first()


class ProcedureVersion(models.Model):
    """One published (or draft) content of a procedure. Never edited once a dossier uses it."""

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField("phiên bản")
    name = models.CharField("tên thủ tục", max_length=500)
    name_folded = models.CharField(max_length=500, editable=False, db_index=True)
    field = models.ForeignKey(
        Field, on_delete=models.PROTECT, related_name="procedure_versions", verbose_name="lĩnh vực"
    )
    level = models.CharField("cấp thực hiện", max_length=20, choices=Level.choices)
    time_unit = models.CharField("đơn vị thời hạn", max_length=20, choices=TimeUnit.choices)
    time_value = models.PositiveIntegerField("thời hạn giải quyết", default=0)
    # A legally variable time: the official chooses the case at reception, e.g. marriage
    # registration at once, or within 5 working days when the conditions must be verified
    # (Law on Civil Status 2014, art. 18(2)). The first case is the one time_unit/time_value
    # describe. [{"code", "label", "time_unit", "time_value", "basis"}]
    time_cases = models.JSONField("các trường hợp thời hạn", default=list, blank=True)
    cutoff = models.TimeField("giờ chốt nhận trong ngày", null=True, blank=True)
    fees = models.JSONField(
        "phí, lệ phí",
        default=list,
        blank=True,
        help_text=(
            '[{"name": "Lệ phí", "kind": "le_phi", "amount": 8000}] – đồng; xem '
            "motcua.catalog.fees cho giá theo hình thức nộp, theo trang/bản và đối tượng miễn"
        ),
    )
    papers = models.JSONField(
        "thành phần hồ sơ",
        default=list,
        blank=True,
        help_text='[{"name": "Tờ khai", "original": 1, "copy": 0, "required": true}]',
    )
    result_paper = models.CharField("kết quả", max_length=500, blank=True)
    legal_basis = models.JSONField("căn cứ pháp lý", default=list, blank=True)
    channels = models.JSONField("cách thức thực hiện", default=list, blank=True)
    holiday_duty = models.BooleanField("giải quyết cả ngày nghỉ (trực)", default=False)
    forms = models.JSONField("mẫu đơn, tờ khai", default=list, blank=True)
    conditions = models.TextField("yêu cầu, điều kiện", blank=True)
    steps = models.TextField("trình tự thực hiện", blank=True)
    agency = models.CharField("cơ quan thực hiện", max_length=300, blank=True)
    # A joint procedure ("liên thông") consults other agencies, each with a sub-deadline within
    # the dossier's: [{"agency", "name", "question", "due_days", "step"}] (catalog.services).
    consultations = models.JSONField("cơ quan phối hợp (liên thông)", default=list, blank=True)
    decision = models.CharField("quyết định công bố", max_length=300, blank=True)
    is_published = models.BooleanField("đã công bố", default=False)
    valid_from = models.DateField("áp dụng từ", null=True, blank=True)
    # Free text for editors, e.g. "cần đối chiếu CSDL quốc gia" on data not yet checked.
    note = models.CharField("ghi chú", max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "phiên bản thủ tục"
        verbose_name_plural = "phiên bản thủ tục"
        ordering = ["procedure__code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "version"], name="procedureversion_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.version} – {self.name}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)

    @property
    def fee_total(self) -> int:
        """The base amount (one case, one page, one copy, at the counter), as before channel fees."""
        return sum(int(f.get("amount", 0)) for f in self.fees)

    def time_case(self, code: str | None) -> dict | None:
        """The time case `code` (None or "" = the first, default one); None if the version has none."""
        cases = list(self.time_cases or [])
        if not cases:
            return None
        if not code:
            return dict(cases[0])
        for case in cases:
            if case.get("code") == code:
                return dict(case)
        raise KeyError(code)

    def with_time_case(self, code: str | None) -> ProcedureVersion:
        """This version as the deadline code sees it for one time case: a copy with that case's time.

        The copy is never saved; the due moment is computed by the usual code path from it.
        """
        case = self.time_case(code)
        if case is None:
            return self
        import copy

        clone = copy.copy(self)
        clone.time_unit = case["time_unit"]
        clone.time_value = int(case.get("time_value", 0))
        return clone

    def time_display(self, case: str | None = None) -> str:
        if case:
            return self.with_time_case(case).time_display()
        if self.time_unit == TimeUnit.SAME_DAY:
            if self.cutoff:
                return f"Trong ngày (nhận sau {self.cutoff:%H:%M} trả ngày làm việc tiếp theo)"
            return "Trong ngày"
        return f"{self.time_value} {self.get_time_unit_display().lower()}"
