"""Official form templates kept as data the office edits.

The forms of the one-stop mechanism were those of Circular 01/2018/TT-VPCP, which guided Decree
61/2018/NĐ-CP; Decree 118/2025/NĐ-CP replaced Decrees 61/2018 and 107/2021 from 1/7/2025, and a
detailing text lapses with the text it details (Law on Promulgation of Legal Normative Documents
2015, art. 154(3)). The shipped templates therefore cite Decree 118/2025 (see services.FORM_META).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class FormCode(models.TextChoices):
    RECEIPT = "01", "Mẫu 01 – Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    SUPPLEMENT = "02", "Mẫu 02 – Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
    REFUSAL = "03", "Mẫu 03 – Phiếu từ chối tiếp nhận giải quyết hồ sơ"
    APOLOGY = "04", "Mẫu 04 – Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    CONTROL = "05", "Mẫu 05 – Phiếu kiểm soát quá trình giải quyết hồ sơ"
    LEDGER = "06", "Mẫu 06 – Sổ theo dõi hồ sơ"
    STOP = "stop", "Thông báo dừng xử lý hồ sơ"


class PaperSize(models.TextChoices):
    A4 = "A4", "A4 dọc"
    A4_LANDSCAPE = "A4-landscape", "A4 ngang"
    A5 = "A5", "A5 dọc"
    A5_LANDSCAPE = "A5-landscape", "A5 ngang"


class FormTemplate(models.Model):
    """One version of an official form: its body is Django template source rendered to PDF.

    The law changes the forms (Decree 118/2025 added the stop notice), so the office edits them
    in the admin instead of waiting for a release; exactly one version per code is active.
    """

    code = models.CharField("mã mẫu", max_length=8, choices=FormCode.choices)
    name = models.CharField("tên mẫu", max_length=300)
    legal_basis = models.CharField("căn cứ", max_length=300, blank=True)
    body = models.TextField(
        "nội dung (mẫu Django)",
        help_text="Mã nguồn mẫu Django; biến có sẵn: dossier, citizen, unit, papers, rows, qr, today…",
    )
    # The paper the form prescribes; the PDF page is exactly this size.
    paper = models.CharField(
        "khổ giấy", max_length=16, choices=PaperSize.choices, default=PaperSize.A4
    )
    version = models.PositiveIntegerField("phiên bản", default=1)
    valid_from = models.DateField("áp dụng từ", null=True, blank=True)
    is_active = models.BooleanField("đang dùng", default=True)
    note = models.CharField("ghi chú", max_length=300, blank=True)
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)

    class Meta:
        verbose_name = "biểu mẫu"
        verbose_name_plural = "biểu mẫu"
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="formtemplate_code_version"),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(is_active=True),
                name="formtemplate_one_active_per_code",
                violation_error_message="Mỗi mẫu chỉ được có một phiên bản đang dùng.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} (phiên bản {self.version})"
