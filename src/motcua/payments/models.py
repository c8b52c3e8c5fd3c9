"""Payments of charges and fees (phí, lệ phí), receipt series and electronic receipts (biên lai điện tử).

Rules followed (as far as they could be checked on this machine, see STATUS.md):

- Decree 123/2020/NĐ-CP on invoices and documents (chứng từ), its part on receipts of charges
  and fees, amended by Decree 70/2025/NĐ-CP; Circular 78/2021/TT-BTC guiding it (replaced by
  Circular 32/2025/TT-BTC from 01/6/2025). A receipt carries the receipt template number
  ("mẫu số"), the receipt series symbol ("ký hiệu"), a number that runs gapless within the
  series, the collecting agency, the payer, the name of each charge or fee and its amount,
  the total in figures and in words, the date of issue and who collected it.
- A receipt is never edited or deleted: it is cancelled with a reason and, where the money
  stays collected, replaced by a new receipt (a new number) that names the one it replaces.

Since 01/7/2026 the texts in force are Decree 254/2026/NĐ-CP on electronic invoices and
documents (its Art. 43(2) repeals Decree 123/2020/NĐ-CP and Decree 70/2025/NĐ-CP) and
Circular 91/2026/TT-BTC (its Art. 25(2) repeals Circular 32/2025/TT-BTC). What this module
follows from them was read in a secondary summary citing the official PDFs (the official
sites could not be reached from this machine; see STATUS.md):

- Decree 254/2026 Art. 4(2): charges and fees are collected against an electronic receipt.
- Decree 254/2026 Art. 23(2): the receipt number has at most 8 digits, starts at 1 on
  1 January and ends on 31 December; the receipt carries the collecting organisation's
  digital signature and is written in Vietnamese. Hence one series per unit and year
  (``ReceiptSeries.year``), numbered from 1 by its own counter, and ``MAX_NUMBER``.
- Decree 254/2026 Art. 29(3)(b) with Circular 91/2026 Art. 4(6)(d): receipt data goes to the
  tax authority as a summary table (form 01/TH-BLĐT) on the day of issue. The transmission
  itself is not built (no connection to the tax authority); the usage report gives the
  figures per series and period.

The template number and series symbol are stored as the office registered them with the tax
authority (free text). Offices have registered them in the shape "01BLP0-001" (template) and
"AA-26E" (two letters, the year's last two digits, E for electronic), which is what the demo
uses; the symbol table of Circular 91/2026 Appendix I could not be read here.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


def _public_id() -> str:
    # Unguessable handle for links the citizen gets (the QR image, the receipt download).
    return secrets.token_urlsafe(12)


class Method(models.TextChoices):
    CASH = "cash", "Tiền mặt tại quầy"
    VIETQR = "vietqr", "Chuyển khoản (VietQR)"
    ONLINE = "online", "Thanh toán trực tuyến"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Chờ thanh toán"
    PAID = "paid", "Đã thanh toán"
    CANCELLED = "cancelled", "Đã hủy"
    REFUNDED = "refunded", "Đã hoàn trả"


class Payment(models.Model):
    """One attempt to pay what a dossier owes; the amount and its lines are frozen at creation."""

    public_id = models.CharField(max_length=24, unique=True, default=_public_id, editable=False)
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="payments", verbose_name="hồ sơ"
    )
    method = models.CharField("hình thức thanh toán", max_length=10, choices=Method.choices)
    amount = models.PositiveBigIntegerField("số tiền (đồng)")
    # The fee lines as catalog.fees.fee_compute priced them for this dossier (frozen).
    fee_detail = models.JSONField("chi tiết phí, lệ phí", default=dict, blank=True)
    status = models.CharField(
        "trạng thái",
        max_length=10,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING,
        db_index=True,
    )
    # The client's key for this payment (body field `key`): a retry gets the same payment.
    key = models.CharField("khóa chống trùng", max_length=80, blank=True)
    # What the money is tagged with: the transfer description (VietQR) or our order id at the
    # gateway. Unique so a statement line or a callback finds one payment.
    reference = models.CharField("mã tham chiếu", max_length=40, unique=True)
    provider = models.CharField("cổng thanh toán", max_length=40, blank=True)
    provider_order_id = models.CharField("mã đơn tại cổng", max_length=80, blank=True)
    provider_transaction_id = models.CharField("mã giao dịch tại cổng", max_length=80, blank=True)
    redirect_url = models.URLField("địa chỉ trang thanh toán", max_length=500, blank=True)
    payer_name = models.CharField("người nộp tiền", max_length=200, blank=True)
    created_at = models.DateTimeField("tạo lúc")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField("thanh toán lúc", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="cán bộ thu tiền",
    )
    cancelled_at = models.DateTimeField("hủy lúc", null=True, blank=True)
    cancel_reason = models.TextField("lý do hủy", blank=True)
    # Cash only: the handover that took this money from the officer's drawer (once).
    handover = models.ForeignKey(
        "CashHandover",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name="lần bàn giao tiền mặt",
    )

    class Meta:
        verbose_name = "khoản thanh toán"
        verbose_name_plural = "khoản thanh toán"
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "key"], condition=~Q(key=""), name="payment_dossier_key"
            ),
            # At most one paid payment per dossier: a second one would be money taken twice.
            models.UniqueConstraint(
                fields=["dossier"], condition=Q(status="paid"), name="payment_one_paid"
            ),
            # A gateway transaction pays once (a replayed callback finds it taken).
            models.UniqueConstraint(
                fields=["provider", "provider_transaction_id"],
                condition=~Q(provider_transaction_id=""),
                name="payment_provider_transaction",
            ),
        ]
        indexes = [models.Index(fields=["method", "status", "paid_at"], name="payment_method")]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.status}"


class BankAccount(models.Model):
    """The account a unit collects transfers on (shown as a VietQR with the exact amount)."""

    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="bank_accounts", verbose_name="đơn vị"
    )
    bank_bin = models.CharField("mã BIN ngân hàng (6 số)", max_length=6)
    bank_name = models.CharField("ngân hàng", max_length=120, blank=True)
    account_number = models.CharField("số tài khoản", max_length=19)
    account_name = models.CharField("tên tài khoản", max_length=200)
    active = models.BooleanField("đang dùng", default=True)

    class Meta:
        verbose_name = "tài khoản thu"
        verbose_name_plural = "tài khoản thu"

    def __str__(self) -> str:
        return f"{self.bank_name or self.bank_bin} {self.account_number}"


class ReceiptSeries(models.Model):
    """A receipt template and series an agency registered ("mẫu số", "ký hiệu") for one year."""

    unit = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        related_name="receipt_series",
        verbose_name="đơn vị thu phí, lệ phí",
    )
    template_number = models.CharField("mẫu số biên lai", max_length=20)
    symbol = models.CharField("ký hiệu biên lai", max_length=20)
    year = models.PositiveSmallIntegerField("năm")
    # The agency's tax code as printed on the receipt (optional: not every unit has its own).
    tax_code = models.CharField("mã số thuế", max_length=14, blank=True)
    active = models.BooleanField("đang dùng", default=True)
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)

    class Meta:
        verbose_name = "ký hiệu biên lai"
        verbose_name_plural = "ký hiệu biên lai"
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "template_number", "symbol", "year"], name="receipt_series_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template_number} {self.symbol} ({self.year})"

    @property
    def counter_key(self) -> str:
        """The core.Sequence row that numbers this series' receipts."""
        return f"receipt:{self.pk}"


class Receipt(models.Model):
    """An electronic receipt of charges and fees; never edited, only cancelled (and replaced)."""

    NUMBER_DIGITS = 7
    # Decree 254/2026/NĐ-CP Art. 23(2): at most 8 digits, restarting each 1 January.
    MAX_NUMBER = 99_999_999

    public_id = models.CharField(max_length=24, unique=True, default=_public_id, editable=False)
    series = models.ForeignKey(
        ReceiptSeries, on_delete=models.PROTECT, related_name="receipts", verbose_name="ký hiệu"
    )
    number = models.PositiveIntegerField("số biên lai")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="receipts", verbose_name="khoản thanh toán"
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="receipts", verbose_name="hồ sơ"
    )
    agency_name = models.CharField("đơn vị thu", max_length=200)
    payer_name = models.CharField("người nộp tiền", max_length=200)
    payer_id_number = models.CharField("số định danh người nộp", max_length=12, blank=True)
    payer_address = models.CharField("địa chỉ người nộp", max_length=300, blank=True)
    # [{"name", "kind", "kind_label", "amount"}]: what was collected, line by line.
    lines = models.JSONField("các khoản thu", default=list)
    amount = models.PositiveBigIntegerField("tổng số tiền (đồng)")
    amount_in_words = models.CharField("số tiền bằng chữ", max_length=300)
    method = models.CharField("hình thức thanh toán", max_length=10, choices=Method.choices)
    issued_at = models.DateTimeField("ngày lập")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="người thu tiền",
    )
    cancelled_at = models.DateTimeField("hủy lúc", null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.TextField("lý do hủy", blank=True)
    # The receipt this one replaces (the new receipt names the cancelled one).
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        verbose_name="thay thế biên lai",
    )
    # The XML data signed with the agency's certificate at issue, kept as issued and served
    # byte for byte (never signed again). `public_xml` is the copy for the public handle,
    # signed at the same moment, with the payer's ID number masked to its last 4 digits.
    signed_xml = models.TextField("dữ liệu XML đã ký", blank=True, editable=False)
    public_xml = models.TextField("bản XML công khai đã ký", blank=True, editable=False)
    xml_sha256 = models.CharField("mã băm SHA-256 của XML", max_length=64, blank=True)

    class Meta:
        verbose_name = "biên lai"
        verbose_name_plural = "biên lai"
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="receipt_series_number"),
            # One valid receipt per payment; cancelled ones stay beside it.
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(cancelled_at__isnull=True),
                name="receipt_one_valid_per_payment",
            ),
        ]
        indexes = [models.Index(fields=["series", "issued_at"], name="receipt_series_issued")]

    def __str__(self) -> str:
        return f"{self.series.symbol} {self.number_display}"

    # What may still be written once a receipt exists: its cancellation, and (receipts issued
    # before the XML was stored at issue) the XML signed once on first request.
    WRITABLE_AFTER_ISSUE = frozenset(
        {"cancelled_at", "cancelled_by", "cancel_reason", "signed_xml", "public_xml", "xml_sha256"}
    )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or set(fields) - self.WRITABLE_AFTER_ISSUE:
                raise ValueError(
                    "A receipt is never edited: cancel it (and issue a replacement) instead."
                )
        super().save(*args, **kwargs)

    @property
    def number_display(self) -> str:
        return f"{self.number:0{self.NUMBER_DIGITS}d}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class CallbackLog(models.Model):
    """Every callback a payment gateway sent, accepted or not (forged, replayed, mismatched)."""

    provider = models.CharField(max_length=40)
    received_at = models.DateTimeField(db_index=True)
    body = models.TextField(blank=True)
    signature = models.CharField(max_length=200, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=30, db_index=True)
    detail = models.CharField(max_length=300, blank=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks"
    )

    class Meta:
        verbose_name = "thông báo từ cổng thanh toán"
        verbose_name_plural = "thông báo từ cổng thanh toán"

    def __str__(self) -> str:
        return f"{self.provider} {self.received_at:%Y-%m-%d %H:%M} {self.outcome}"


class CashHandover(models.Model):
    """An officer hands the day's cash over (to the treasurer or accountant) with its totals."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="cán bộ bàn giao",
    )
    handed_at = models.DateTimeField("bàn giao lúc")
    amount = models.PositiveBigIntegerField("số tiền bàn giao (đồng)")
    payments_count = models.PositiveIntegerField("số biên lai")
    received_by = models.CharField("người nhận tiền", max_length=200)
    note = models.TextField("ghi chú", blank=True)

    class Meta:
        verbose_name = "bàn giao tiền mặt"
        verbose_name_plural = "bàn giao tiền mặt"

    def __str__(self) -> str:
        return f"{self.officer} {self.handed_at:%d/%m/%Y %H:%M} {self.amount}"


class Refund(models.Model):
    """Money given back for a refused or withdrawn dossier, recorded against its receipt."""

    public_id = models.CharField(max_length=24, unique=True, default=_public_id, editable=False)
    # A receipt is refunded at most once, in full (what the law refunds is what was collected).
    receipt = models.OneToOneField(
        Receipt, on_delete=models.PROTECT, related_name="refund", verbose_name="biên lai"
    )
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveBigIntegerField("số tiền hoàn trả (đồng)")
    method = models.CharField("hình thức hoàn trả", max_length=10, choices=Method.choices)
    reason = models.TextField("lý do hoàn trả")
    basis = models.CharField("căn cứ hoàn trả", max_length=300)
    refunded_at = models.DateTimeField("hoàn trả lúc")
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "hoàn trả phí, lệ phí"
        verbose_name_plural = "hoàn trả phí, lệ phí"

    def __str__(self) -> str:
        return f"{self.receipt} {self.amount}"


class StatementLineStatus(models.TextChoices):
    MATCHED = "matched", "Đã khớp"
    UNMATCHED = "unmatched", "Chưa khớp"
    RESOLVED = "resolved", "Đã xử lý"


class BankStatementLine(models.Model):
    """One credit line of an imported bank statement, matched to a VietQR payment or left for a person."""

    # The bank's own transaction id: a line imported twice is the same line (idempotent).
    transaction_id = models.CharField("mã giao dịch ngân hàng", max_length=80, unique=True)
    # The statement it came from, hence the account and the unit whose officials see it.
    # Empty only on lines imported before statements were tied to an account.
    statement = models.ForeignKey(
        "BankStatement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name="sao kê",
    )
    account = models.ForeignKey(
        BankAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="tài khoản thu",
    )
    booked_on = models.DateField("ngày giao dịch")
    amount = models.BigIntegerField("số tiền (đồng)")
    description = models.CharField("nội dung", max_length=500, blank=True)
    source_name = models.CharField("tệp sao kê", max_length=200, blank=True)
    imported_at = models.DateTimeField("nhập lúc")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        "trạng thái", max_length=10, choices=StatementLineStatus.choices, db_index=True
    )
    problem = models.CharField("lý do chưa khớp", max_length=300, blank=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_lines"
    )
    resolved_at = models.DateTimeField("xử lý lúc", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField("cách xử lý", blank=True)

    class Meta:
        verbose_name = "dòng sao kê ngân hàng"
        verbose_name_plural = "dòng sao kê ngân hàng"

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.amount} {self.status}"


class OrderState(models.TextChoices):
    QUEUED = "queued", "Chờ gửi cổng thanh toán"
    SENT = "sent", "Đã tạo đơn tại cổng"
    FAILED = "failed", "Cổng không tạo được đơn"


class OrderOutbox(models.Model):
    """An online payment's order, to be created at the gateway after the payment is committed.

    Written in the transaction that opens the payment (which locks the dossier); the gateway is
    called only after that transaction has ended: by the request once it committed, or by the
    worker (`payments.tasks`) for what is still queued. The order carries the payment's
    reference, on which the gateway creates it once (a repeated request gets the same order).
    """

    MAX_ATTEMPTS = 5

    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="order_outbox", verbose_name="khoản"
    )
    provider = models.CharField("cổng thanh toán", max_length=40)
    return_path = models.CharField("trang quay về", max_length=300, blank=True)
    state = models.CharField(
        "trạng thái",
        max_length=10,
        choices=OrderState.choices,
        default=OrderState.QUEUED,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField("số lần gửi", default=0)
    last_error = models.CharField("lỗi lần gửi gần nhất", max_length=300, blank=True)
    created_at = models.DateTimeField("tạo lúc")
    next_attempt_at = models.DateTimeField("gửi lại lúc", db_index=True)
    sent_at = models.DateTimeField("đã tạo đơn lúc", null=True, blank=True)

    class Meta:
        verbose_name = "đơn hàng chờ gửi cổng thanh toán"
        verbose_name_plural = "đơn hàng chờ gửi cổng thanh toán"

    def __str__(self) -> str:
        return f"{self.payment_id} {self.state}"


class BankStatement(models.Model):
    """One imported statement file of one collection account (so of one unit)."""

    account = models.ForeignKey(
        BankAccount,
        on_delete=models.PROTECT,
        related_name="statements",
        verbose_name="tài khoản thu",
    )
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="đơn vị"
    )
    source_name = models.CharField("tệp sao kê", max_length=200, blank=True)
    imported_at = models.DateTimeField("nhập lúc")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows = models.PositiveIntegerField("số dòng ghi có", default=0)

    class Meta:
        verbose_name = "sao kê ngân hàng"
        verbose_name_plural = "sao kê ngân hàng"

    def __str__(self) -> str:
        return f"{self.account} {self.imported_at:%d/%m/%Y %H:%M}"
