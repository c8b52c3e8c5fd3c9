"""How a dossier's result reaches the citizen (counter, home, post) and the postal shipments."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Method(models.TextChoices):
    COUNTER = "counter", "Nhận tại bộ phận một cửa"
    HOME = "home", "Cán bộ trả tận nhà"
    POST = "post", "Qua dịch vụ bưu chính công ích"


class DeliveryStatus(models.TextChoices):
    WAITING = "waiting", "Chờ có kết quả"
    READY = "ready", "Có kết quả, chờ trả"  # the delivery task is open
    SHIPPED = "shipped", "Đã gửi bưu chính"  # order created, waiting for the postman
    IN_TRANSIT = "in_transit", "Bưu điện đang chuyển phát"
    DELIVERED = "delivered", "Đã trao kết quả"
    FAILED = "failed", "Phát không thành công, kết quả chuyển về bộ phận một cửa"


class Delivery(models.Model):
    """One per dossier: how the result goes back, the task once it is ready, and the handover proof."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="delivery"
    )
    method = models.CharField("cách nhận kết quả", max_length=8, choices=Method.choices)
    status = models.CharField(
        "trạng thái", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.WAITING
    )
    recipient_name = models.CharField("người nhận", max_length=200, blank=True)
    phone = models.CharField("điện thoại", max_length=20, blank=True)
    address = models.CharField("địa chỉ nhận", max_length=300, blank=True)
    # The moment the result must reach the citizen (the dossier's legal due moment: a same-day
    # death registration stays same-day, holidays included, when it is delivered at home).
    due_at = models.DateTimeField("hạn trả", null=True, blank=True)
    task_at = models.DateTimeField("giao nhiệm vụ lúc", null=True, blank=True)
    # A birth registration delivered at home: a congratulation card and flowers.
    card = models.BooleanField("kèm thiệp chúc mừng", default=False)
    child_name = models.CharField("tên của bé", max_length=200, blank=True)
    task_note = models.TextField("ghi chú nhiệm vụ", blank=True)
    # The handover (home or counter): who gave it, when, the citizen's signature and a photo.
    delivered_at = models.DateTimeField("trao lúc", null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_by_name = models.CharField("người ký nhận", max_length=200, blank=True)
    proof_signature = models.FileField(upload_to="delivery/%Y/%m/", blank=True)
    proof_photo = models.FileField(upload_to="delivery/%Y/%m/", blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "trả kết quả"
        verbose_name_plural = "trả kết quả"
        indexes = [models.Index(fields=["method", "status", "due_at"], name="delivery_task")]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.method} {self.status}"


class Direction(models.TextChoices):
    IN = "in", "Công dân gửi hồ sơ qua bưu chính"
    OUT = "out", "Trả kết quả qua bưu chính"


class Shipment(models.Model):
    """A parcel carried by the postal operator for a dossier, with its waybill number."""

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="shipments"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    provider = models.CharField(max_length=20)
    order_ref = models.CharField(max_length=60, unique=True)
    order_id = models.CharField(max_length=60, blank=True)
    waybill = models.CharField("số vận đơn", max_length=30, unique=True)
    status = models.CharField(max_length=12, default="created")
    postage = models.PositiveIntegerField("cước bưu chính (đồng)", default=0)
    recipient_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    address = models.CharField(max_length=300, blank=True)
    weight_grams = models.PositiveIntegerField(default=200)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_at = models.DateTimeField("bưu điện nhận gửi lúc", null=True, blank=True)
    delivered_at = models.DateTimeField("phát thành công lúc", null=True, blank=True)
    returned_at = models.DateTimeField("chuyển hoàn lúc", null=True, blank=True)

    class Meta:
        verbose_name = "bưu gửi"
        verbose_name_plural = "bưu gửi"

    def __str__(self) -> str:
        return self.waybill


class OrderState(models.TextChoices):
    PENDING = "pending", "Chờ gửi đơn cho bưu điện"
    SENT = "sent", "Đã có số vận đơn"
    FAILED = "failed", "Không gửi được đơn cho bưu điện"
    CANCELLED = "cancelled", "Đã hủy (công dân đổi cách nhận)"


class PostalOrder(models.Model):
    """The outbox of orders to the postal operator.

    Written in the transaction that makes the result ready to go by post (the leader's result,
    or the citizen choosing the post once it is ready); the background worker sends it with
    retries. The operator answers a repeated `order_ref` with the same order, so a resend after
    a lost answer (or a worker killed before our bookkeeping) gets the same waybill."""

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="postal_orders"
    )
    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="orders")
    order_ref = models.CharField(max_length=60, unique=True)
    state = models.CharField(
        max_length=10, choices=OrderState.choices, default=OrderState.PENDING, db_index=True
    )
    weight_grams = models.PositiveIntegerField(default=200)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    shipment = models.OneToOneField(
        Shipment, null=True, blank=True, on_delete=models.SET_NULL, related_name="order"
    )
    # Who the parcel's events are attributed to (the official who made the result ready to go).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "đơn gửi bưu chính (hàng chờ)"
        verbose_name_plural = "đơn gửi bưu chính (hàng chờ)"

    def __str__(self) -> str:
        return f"{self.order_ref} {self.state}"


class PostalEvent(models.Model):
    """A tracking event the operator reported (applied once: the event id is unique)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=60, unique=True)
    status = models.CharField(max_length=12)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.status}"


class WebhookLog(models.Model):
    """Every webhook call received, applied or refused (unsigned, forged, stale, replayed)."""

    received_at = models.DateTimeField(db_index=True)
    body = models.TextField(blank=True)
    signature = models.CharField(max_length=200, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=30, db_index=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "thông báo từ bưu chính"
        verbose_name_plural = "thông báo từ bưu chính"

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.outcome}"


# DossierEvent actions written by this app (labels joined to the dossier's in apps.ready).
EVENT_LABELS = {
    "delivery_choose": "Chọn cách nhận kết quả",
    "delivery_task": "Giao nhiệm vụ trả kết quả",
    "delivery_handover": "Trao kết quả cho công dân",
    "post_inbound": "Nhận hồ sơ gửi qua bưu chính",
    "post_order": "Lập đơn gửi kết quả qua bưu chính",
    "post_order_failed": "Không gửi được đơn cho bưu điện",
    "post_shipped": "Gửi kết quả qua bưu chính",
    "post_accepted": "Bưu điện đã nhận bưu gửi",
    "post_in_transit": "Bưu điện đang chuyển phát",
    "post_delivered": "Bưu điện đã phát kết quả",
    "post_returned": "Bưu điện chuyển hoàn kết quả về bộ phận một cửa",
}
