"""Dossiers, their immutable event rows, ticked papers, attachments and apology letters."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from motcua.catalog.models import Channel
from motcua.dossiers.workflow import STATUS_LABELS, STEP_LABELS, TIMELINESS_LABELS, Status

STATUS_CHOICES = Status.choices()
STEP_CHOICES = list(STEP_LABELS.items())
TIMELINESS_CHOICES = [(k, v) for k, v in TIMELINESS_LABELS.items() if k]


class Dossier(models.Model):
    """One dossier (hồ sơ) from receipt to return; it keeps the procedure version it was received under."""

    # The official code `<agency>-<YYMMDD>-<NNNN>` from the gapless counter; an online
    # submission holds its reference here until an official accepts it (see `reference`).
    code = models.CharField("mã hồ sơ", max_length=60, unique=True)
    # What an online applicant is given at submission (TT-<YYMMDD>-<random>): kept for good,
    # so the citizen's lookup works before and after acceptance. No official number is used
    # up by a submission that is never accepted.
    reference = models.CharField(
        "mã tham chiếu nộp trực tuyến", max_length=30, unique=True, null=True, blank=True
    )
    unit = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name="cơ quan tiếp nhận",
    )
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion",
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name="thủ tục",
    )
    # Copied from the version so that worklists and statistics group without joins.
    procedure = models.ForeignKey(
        "catalog.Procedure", on_delete=models.PROTECT, related_name="dossiers"
    )
    field = models.ForeignKey("catalog.Field", on_delete=models.PROTECT, related_name="dossiers")
    citizen = models.ForeignKey(
        "org.Citizen", on_delete=models.PROTECT, related_name="dossiers", verbose_name="công dân"
    )
    # Copied from the citizen for fast search (ID exact, folded name) and the public verify check.
    citizen_id_number = models.CharField(max_length=12, db_index=True)
    citizen_name_folded = models.CharField(max_length=200, db_index=True)
    citizen_phone_last4 = models.CharField(max_length=4, blank=True)
    channel = models.CharField("hình thức", max_length=10, choices=Channel.choices)
    status = models.PositiveSmallIntegerField("trạng thái", choices=STATUS_CHOICES)
    ticket = models.CharField("số thứ tự", max_length=20, blank=True)

    received_at = models.DateTimeField("ngày nhận")
    # First day of the (Vietnam-time) month of receipt: monthly statistics group on a plain
    # column instead of converting a million timestamps to local time.
    received_month = models.DateField("tháng nhận", editable=False)
    accepted_at = models.DateTimeField("ngày tiếp nhận", null=True, blank=True)
    # The legal due moment: every statistic (early / on time / late, the Decision 766 index, the
    # public statistics page) compares with it. An apology letter never moves it.
    due_at = models.DateTimeField("hẹn trả", null=True, blank=True)
    original_due_at = models.DateTimeField("hẹn trả ban đầu", null=True, blank=True)
    # The new date promised to the citizen by the latest apology letter (form 04); shown beside
    # the legal due moment, never used to classify the dossier.
    appointment_at = models.DateTimeField("hẹn trả mới (thư xin lỗi)", null=True, blank=True)
    # Supplement requests (form 02): the law asks for one complete written list; a further
    # request needs its own reason and flags the dossier (Decision 766 counts it as not on time).
    supplement_requests = models.PositiveSmallIntegerField("số lần yêu cầu bổ sung", default=0)
    repeat_supplement_reason = models.TextField("lý do yêu cầu bổ sung thêm lần", blank=True)
    allowed_seconds = models.BigIntegerField("thời gian giải quyết (giây làm việc)", default=0)
    paused_at = models.DateTimeField("tạm dừng từ", null=True, blank=True)
    remaining_seconds = models.BigIntegerField(
        "thời gian còn lại khi tạm dừng", null=True, blank=True
    )
    paused_seconds = models.BigIntegerField("tổng thời gian tạm dừng (giây)", default=0)
    result_ready_at = models.DateTimeField("có kết quả lúc", null=True, blank=True)
    result_timeliness = models.CharField(max_length=8, choices=TIMELINESS_CHOICES, blank=True)
    returned_at = models.DateTimeField("trả kết quả lúc", null=True, blank=True)
    return_timeliness = models.CharField(max_length=8, choices=TIMELINESS_CHOICES, blank=True)
    closed_at = models.DateTimeField("kết thúc lúc", null=True, blank=True)

    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="held_dossiers",
        verbose_name="cán bộ đang giữ",
    )
    holder_unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="held_dossiers"
    )
    step = models.CharField("bước", max_length=12, choices=STEP_CHOICES, blank=True)
    step_due_at = models.DateTimeField("hạn của bước", null=True, blank=True)
    approved = models.BooleanField("đã phê duyệt", default=False)

    fees_due = models.PositiveIntegerField("phí, lệ phí (đồng)", default=0)
    # How fees_due was computed (motcua.catalog.fees.fee_compute), frozen at reception: the lines,
    # the channel, the quantities (pages, copies) and the exemption applied.
    fee_detail = models.JSONField("chi tiết phí, lệ phí", default=dict, blank=True)
    fee_quantities = models.JSONField("số trang, số bản tính phí", default=dict, blank=True)
    fee_exemption = models.CharField("đối tượng miễn, giảm", max_length=40, blank=True)
    fee_exemption_proof = models.CharField(
        "giấy tờ chứng minh miễn, giảm", max_length=300, blank=True
    )
    fee_exemption_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="người kiểm tra giấy tờ miễn, giảm",
    )
    # The case of a legally variable time chosen at reception (ProcedureVersion.time_cases).
    time_case = models.CharField("trường hợp thời hạn", max_length=40, blank=True)
    notes = models.TextField("ghi chú", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "hồ sơ"
        verbose_name_plural = "hồ sơ"
        indexes = [
            # Worklists: per unit by status and due moment (overdue, due soon, ready to return).
            models.Index(fields=["unit", "status", "due_at"], name="dossier_unit_status_due"),
            models.Index(fields=["holder", "status", "due_at"], name="dossier_holder_status_due"),
            # Search and keyset pagination, newest first.
            models.Index(fields=["unit", "received_at", "id"], name="dossier_unit_received"),
            models.Index(fields=["received_at", "id"], name="dossier_received"),
            models.Index(fields=["status", "due_at"], name="dossier_status_due"),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.received_at is not None and self.received_month is None:
            from motcua.core.clock import local

            self.received_month = local(self.received_at).date().replace(day=1)
        super().save(*args, **kwargs)

    @property
    def official_code(self) -> str | None:
        """The official dossier code, or None while an online submission awaits acceptance."""
        if self.reference and self.code == self.reference:
            return None
        return self.code

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[Status(self.status)]

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def repeat_supplement(self) -> bool:
        """More than one supplement request: flagged on the dossier page and in the reports."""
        return self.supplement_requests > 1


class DossierEvent(models.Model):
    """One change of a dossier, never edited: form 05 and every statistic are read from these rows."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField("lúc")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField("thao tác", max_length=32)
    from_status = models.PositiveSmallIntegerField(null=True, blank=True, choices=STATUS_CHOICES)
    to_status = models.PositiveSmallIntegerField(choices=STATUS_CHOICES)
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField("ghi chú", blank=True)
    # The step this move opens and its deadline; the timeliness of the step it closes.
    step = models.CharField(max_length=12, choices=STEP_CHOICES, blank=True)
    step_due_at = models.DateTimeField(null=True, blank=True)
    closed_step = models.CharField(max_length=12, choices=STEP_CHOICES, blank=True)
    closed_step_timeliness = models.CharField(max_length=8, choices=TIMELINESS_CHOICES, blank=True)
    due_at = models.DateTimeField("hẹn trả sau thao tác", null=True, blank=True)

    class Meta:
        verbose_name = "diễn biến hồ sơ"
        verbose_name_plural = "diễn biến hồ sơ"
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["dossier", "at"], name="dossierevent_dossier_at"),
            models.Index(fields=["action", "at"], name="dossierevent_action_at"),
        ]

    def __str__(self) -> str:
        from motcua.core.clock import local
        from motcua.dossiers.workflow import ACTION_LABELS

        return f"{self.dossier_id} {ACTION_LABELS.get(self.action, self.action)} {local(self.at):%H:%M %d/%m/%Y}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise ValueError("DossierEvent rows are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("DossierEvent rows are immutable")


class DossierPaper(models.Model):
    """A paper of the catalogue version, and whether reception received it."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="papers")
    position = models.PositiveSmallIntegerField()
    name = models.CharField("tên giấy tờ", max_length=500)
    originals = models.PositiveSmallIntegerField("bản chính", default=0)
    copies = models.PositiveSmallIntegerField("bản sao", default=0)
    required = models.BooleanField("bắt buộc", default=True)
    provided = models.BooleanField("đã nộp", default=False)

    class Meta:
        verbose_name = "thành phần hồ sơ"
        verbose_name_plural = "thành phần hồ sơ"
        ordering = ["dossier", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "position"], name="dossierpaper_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Attachment(models.Model):
    """A scan attached to a dossier; its type is read from the content, not from the file name."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    paper = models.ForeignKey(DossierPaper, null=True, blank=True, on_delete=models.SET_NULL)
    file = models.FileField(upload_to="dossiers/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "tệp đính kèm"
        verbose_name_plural = "tệp đính kèm"

    def __str__(self) -> str:
        return self.original_name


class Extension(models.Model):
    """An apology letter (form 04): why the dossier is late and the new return date."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="extensions")
    number = models.PositiveIntegerField("số thứ tự thư xin lỗi")
    reason = models.TextField("lý do")
    previous_due_at = models.DateTimeField("hẹn trả cũ")
    new_due_at = models.DateTimeField("hẹn trả mới")
    issued_at = models.DateTimeField("ngày phát hành")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The letter is signed in the name of the head of the agency: the leader who issued it, or
    # the leader who delegated the official that issued it.
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="ký thay mặt thủ trưởng",
    )
    delegation = models.ForeignKey(
        "dossiers.ApologyDelegation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="extensions",
        verbose_name="theo ủy quyền",
    )

    class Meta:
        verbose_name = "thư xin lỗi, hẹn lại"
        verbose_name_plural = "thư xin lỗi, hẹn lại"
        ordering = ["dossier", "number"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "number"], name="extension_unique")
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} #{self.number}"


class ApologyDelegation(models.Model):
    """A leader's recorded delegation to an official to issue apology letters (form 04) for a unit."""

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="đơn vị"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="lãnh đạo ủy quyền",
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="cán bộ được ủy quyền",
    )
    document = models.CharField("số, ngày văn bản ủy quyền", max_length=200)
    valid_from = models.DateField("hiệu lực từ ngày")
    valid_to = models.DateField("hiệu lực đến ngày", null=True, blank=True)
    created_at = models.DateTimeField("ghi nhận lúc")
    revoked_at = models.DateTimeField("thu hồi lúc", null=True, blank=True)

    class Meta:
        verbose_name = "ủy quyền ký thư xin lỗi"
        verbose_name_plural = "ủy quyền ký thư xin lỗi"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.leader} → {self.delegate} ({self.unit})"


class StepShare(models.Model):
    """Share of the legal time given to a step; a blank procedure code is the office default."""

    procedure_code = models.CharField("mã thủ tục (trống: mặc định)", max_length=40, blank=True)
    step = models.CharField("bước", max_length=12, choices=STEP_CHOICES)
    percent = models.PositiveSmallIntegerField("tỷ lệ (%)")

    class Meta:
        verbose_name = "tỷ lệ thời gian theo bước"
        verbose_name_plural = "tỷ lệ thời gian theo bước"
        constraints = [
            models.UniqueConstraint(fields=["procedure_code", "step"], name="stepshare_unique")
        ]

    def __str__(self) -> str:
        return f"{self.procedure_code or '*'} {self.step} {self.percent}%"
