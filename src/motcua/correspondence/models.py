"""Registers of outgoing and incoming official documents, their dispatches and attachments.

Not the official forms of dossiers (those are `motcua.documents`): these are the documents
agencies send each other (công văn, quyết định, tờ trình...), kept in the registers that the
rules on clerical work require (Decree 30/2020/NĐ-CP, see `rules.py`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from motcua.correspondence.rules import DOC_TYPE_CHOICES


class Direction(models.TextChoices):
    OUTGOING = "out", "Văn bản đi"
    INCOMING = "in", "Văn bản đến"


class Urgency(models.TextChoices):
    NORMAL = "normal", "Thường"
    URGENT = "urgent", "Khẩn"
    VERY_URGENT = "very_urgent", "Thượng khẩn"
    FLASH = "flash", "Hỏa tốc"


class Secrecy(models.TextChoices):
    NORMAL = "normal", "Thường"
    CONFIDENTIAL = "confidential", "Mật"
    SECRET = "secret", "Tối mật"
    TOP_SECRET = "top_secret", "Tuyệt mật"


class DocStatus(models.TextChoices):
    ISSUED = "issued", "Đã ban hành"  # outgoing, numbered, not sent yet
    SENT = "sent", "Đã gửi"
    ARRIVED = "arrived", "Chờ vào sổ"  # incoming, delivered, no incoming number yet
    REGISTERED = "registered", "Đã vào sổ"
    ASSIGNED = "assigned", "Đã phân công"
    DONE = "done", "Đã xử lý xong"
    REFUSED = "refused", "Đã trả lại"
    RECALLED = "recalled", "Đã thu hồi"


class ReceivedVia(models.TextChoices):
    INTERNAL = "internal", "Trong hệ thống"
    EDXML = "edxml", "Trục liên thông văn bản"
    PAPER = "paper", "Văn bản giấy"


class Register(models.Model):
    """A register book (sổ văn bản) of a unit: its documents are numbered per year within it."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="doc_registers")
    direction = models.CharField("loại sổ", max_length=3, choices=Direction.choices)
    code = models.SlugField("mã sổ", max_length=40)
    name = models.CharField("tên sổ", max_length=200)

    class Meta:
        verbose_name = "sổ văn bản"
        verbose_name_plural = "sổ văn bản"
        constraints = [
            models.UniqueConstraint(fields=["unit", "direction", "code"], name="register_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} – {self.unit}"


class Partner(models.Model):
    """An agency outside motcua reached through the national document exchange platform."""

    code = models.CharField("mã định danh", max_length=60, unique=True)
    name = models.CharField("tên cơ quan", max_length=200)

    class Meta:
        verbose_name = "cơ quan liên thông"
        verbose_name_plural = "cơ quan liên thông"

    def __str__(self) -> str:
        return self.name


class InboundPackage(models.Model):
    """An edXML package received from the exchange platform (once: a replay registers nothing)."""

    sha256 = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField("nhận lúc")
    sender_code = models.CharField("mã cơ quan gửi", max_length=60)
    sender_name = models.CharField("cơ quan gửi", max_length=200)
    document_id = models.CharField("mã văn bản trên trục", max_length=100, blank=True)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = "gói tin edXML nhận"
        verbose_name_plural = "gói tin edXML nhận"

    def __str__(self) -> str:
        return f"{self.sender_name} {self.received_at:%Y-%m-%d %H:%M}"


class Document(models.Model):
    """An official document in a unit's outgoing or incoming register.

    Outgoing: `number` is the document's number in its register and year, `number_notation`
    ("15/QĐ-UBND") is printed on it. Incoming: `number` is the incoming number (số đến), given
    when a clerk registers it; `number_notation` is the number the sender printed.
    """

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="documents")
    direction = models.CharField("chiều", max_length=3, choices=Direction.choices, db_index=True)
    register = models.ForeignKey(
        Register, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    year = models.PositiveSmallIntegerField("năm", null=True, blank=True)
    number = models.PositiveIntegerField("số trong sổ", null=True, blank=True)
    number_notation = models.CharField("số, ký hiệu", max_length=80, blank=True)
    doc_type = models.CharField("loại văn bản", max_length=4, choices=DOC_TYPE_CHOICES)
    issued_on = models.DateField("ngày ban hành")
    summary = models.CharField("trích yếu", max_length=500)
    signer_name = models.CharField("người ký", max_length=200)
    signer_title = models.CharField("chức vụ người ký", max_length=200, blank=True)
    urgency = models.CharField(
        "độ khẩn", max_length=12, choices=Urgency.choices, default=Urgency.NORMAL
    )
    secrecy = models.CharField(
        "độ mật", max_length=12, choices=Secrecy.choices, default=Secrecy.NORMAL
    )
    recipients = models.TextField("nơi nhận", blank=True)
    issuer_code = models.CharField("mã cơ quan ban hành", max_length=60, blank=True)
    issuer_name = models.CharField("cơ quan ban hành", max_length=200, blank=True)
    status = models.CharField("tình trạng", max_length=12, choices=DocStatus.choices)
    received_at = models.DateTimeField("nhận lúc", null=True, blank=True)
    opened_at = models.DateTimeField("mở lần đầu lúc", null=True, blank=True)
    registered_at = models.DateTimeField("vào sổ lúc", null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_documents",
        verbose_name="người xử lý",
    )
    due_on = models.DateField("hạn xử lý", null=True, blank=True)
    instruction = models.CharField("ý kiến phân công", max_length=500, blank=True)
    done_at = models.DateTimeField("xong lúc", null=True, blank=True)
    inbound = models.ForeignKey(
        InboundPackage, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    received_via = models.CharField(
        "nhận qua", max_length=10, choices=ReceivedVia.choices, blank=True, default=""
    )
    status_note = models.CharField("lý do trả lại, thu hồi", max_length=500, blank=True)
    recalled_at = models.DateTimeField("thu hồi lúc", null=True, blank=True)
    # An answer names the document it answers (edXML ResponseFor): consultations match on it.
    response_for = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        verbose_name="trả lời văn bản",
    )
    response_for_code = models.CharField(
        "trả lời văn bản số",
        max_length=80,
        blank=True,
        help_text="số, ký hiệu văn bản được trả lời",
    )
    response_for_organ = models.CharField(
        "mã cơ quan của văn bản được trả lời", max_length=60, blank=True
    )
    # Published on the portal ("Công khai minh bạch"): directives, announcements of procedures.
    published_at = models.DateTimeField("công khai lúc", null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("tạo lúc")
    search = models.TextField(editable=False, blank=True)  # folded text of every field

    class Meta:
        verbose_name = "văn bản"
        verbose_name_plural = "văn bản"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["register", "year", "number"],
                condition=Q(number__isnull=False),
                name="document_number_unique",
            )
        ]
        indexes = [models.Index(fields=["unit", "direction", "created_at"])]

    def __str__(self) -> str:
        return f"{self.number_notation or '(chưa số)'} {self.summary[:60]}"


class Dispatch(models.Model):
    """One recipient of an outgoing document: its delivery receipt and the states it went through."""

    class Channel(models.TextChoices):
        INTERNAL = "internal", "Trong hệ thống"
        EDXML = "edxml", "Trục liên thông văn bản"

    class State(models.TextChoices):
        QUEUED = "queued", "Chờ gửi lên trục"
        DELIVERED = "delivered", "Đã đến"
        OPENED = "opened", "Đã mở"
        REGISTERED = "registered", "Đã vào sổ"
        ASSIGNED = "assigned", "Đã phân công"
        DONE = "done", "Đã xử lý xong"
        REFUSED = "refused", "Bị trả lại"
        RECALLING = "recalling", "Đang thu hồi"
        RECALLED = "recalled", "Đã thu hồi"
        RECALL_REFUSED = "recall_refused", "Nơi nhận từ chối thu hồi"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="dispatches")
    to_code = models.CharField("mã nơi nhận", max_length=60)
    to_name = models.CharField("nơi nhận", max_length=200)
    to_unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    state = models.CharField("tình trạng", max_length=16, choices=State.choices)
    sent_at = models.DateTimeField("gửi lúc")
    delivered_at = models.DateTimeField("đến lúc", null=True, blank=True)
    opened_at = models.DateTimeField("mở lúc", null=True, blank=True)
    incoming = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="delivery"
    )
    remote_id = models.CharField("mã gói tin trên trục", max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField("số lần gửi lên trục", default=0)
    last_error = models.CharField("lỗi lần gửi cuối", max_length=300, blank=True)
    status_at = models.DateTimeField("cập nhật tình trạng lúc", null=True, blank=True)
    status_note = models.CharField("lý do", max_length=500, blank=True)

    class Meta:
        verbose_name = "nơi nhận văn bản"
        verbose_name_plural = "nơi nhận văn bản"
        constraints = [
            models.UniqueConstraint(fields=["document", "to_code"], name="dispatch_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document} → {self.to_name}"


class DocumentFile(models.Model):
    """The document's PDF (is_main) or an attachment; checked whole like dossier scans."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="files")
    is_main = models.BooleanField("bản chính", default=False)
    file = models.FileField(upload_to="correspondence/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = "tệp văn bản"
        verbose_name_plural = "tệp văn bản"
        ordering = ["-is_main", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Consultation(models.Model):
    """A joint procedure's request to another agency about a dossier, and its answer.

    The request goes out as an official document; the answer is an incoming document linked
    back. `due_on` is the partner's sub-deadline (working days, within the dossier's deadline);
    an answer that arrives after it is counted against the partner (`late_days`), not against
    the office that waited for it.
    """

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="consultations"
    )
    agency_code = models.CharField("mã cơ quan phối hợp", max_length=60)
    agency_name = models.CharField("cơ quan phối hợp", max_length=200)
    question = models.TextField("nội dung đề nghị")
    asked_at = models.DateTimeField("gửi lúc")
    due_on = models.DateField("hạn trả lời")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request = models.OneToOneField(
        Document, on_delete=models.PROTECT, related_name="consultation_request"
    )
    answer = models.OneToOneField(
        Document,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultation_answer",
    )
    answered_at = models.DateTimeField("trả lời lúc", null=True, blank=True)
    late_days = models.PositiveSmallIntegerField("số ngày làm việc trả lời muộn", default=0)
    # Sent by itself at a step of the dossier because its procedure version names this agency.
    from_procedure = models.BooleanField("theo quy trình liên thông của thủ tục", default=False)

    class Meta:
        verbose_name = "lấy ý kiến cơ quan phối hợp"
        verbose_name_plural = "lấy ý kiến cơ quan phối hợp"
        ordering = ["asked_at", "pk"]
        indexes = [models.Index(fields=["agency_code", "due_on"])]

    def __str__(self) -> str:
        return f"{self.agency_name} – hồ sơ {self.dossier_id}"


class StatusMessage(models.Model):
    """A status of a document's handling passed between sender and recipient (edXML status
    package, QCVN 102:2016/BTTTT): arrived, refused, accepted, assigned, done, recalled...

    `out` rows to an agency outside wait in this outbox (`sent_at` empty) until the exchange
    job hands them to the platform; `in` rows came from the platform; `internal` rows record a
    status passed between two units of motcua (applied at once)."""

    class Way(models.TextChoices):
        OUT = "out", "Gửi đi"
        IN = "in", "Nhận về"
        INTERNAL = "internal", "Trong hệ thống"

    way = models.CharField(max_length=10, choices=Way.choices)
    code = models.CharField("mã trạng thái", max_length=2)
    description = models.CharField("mô tả", max_length=500, blank=True)
    at = models.DateTimeField("lúc")
    from_code = models.CharField("mã cơ quan gửi trạng thái", max_length=60)
    from_name = models.CharField("cơ quan gửi trạng thái", max_length=200)
    to_code = models.CharField("mã cơ quan nhận trạng thái", max_length=60)
    # What the status is about: the document as its sender numbered it (ResponseFor).
    doc_organ = models.CharField("mã cơ quan ban hành", max_length=60)
    doc_code = models.CharField("số, ký hiệu", max_length=80)
    doc_date = models.DateField("ngày ban hành")
    dispatch = models.ForeignKey(
        Dispatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="statuses"
    )
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="statuses"
    )
    sent_at = models.DateTimeField("gửi lên trục lúc", null=True, blank=True)
    remote_id = models.CharField("mã gói tin trên trục", max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = "trạng thái văn bản"
        verbose_name_plural = "trạng thái văn bản"
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["way", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.code} {self.doc_code} {self.from_code}→{self.to_code}"

    @property
    def label(self) -> str:
        from motcua.correspondence.edxml import STATUS_LABELS

        return STATUS_LABELS.get(self.code, self.code)
