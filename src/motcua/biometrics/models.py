"""Face templates (never photos unless consented), consents, and the log of every face search."""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import models

from motcua.biometrics.engine import EMBEDDING_DIM


class Scope(models.TextChoices):
    TODAY = "today", "Chỉ hôm nay"
    REMEMBER = "remember", "Ghi nhớ cho lần sau"


class Operation(models.TextChoices):
    IDENTIFY = "identify", "Nhận diện (1:N)"
    ENROL = "enrol", "Đăng ký khuôn mặt"
    VERIFY = "verify", "Đối chiếu tại quầy (1:1)"
    DELETE = "delete", "Xóa dữ liệu khuôn mặt"
    PURGE = "purge", "Tự động xóa hết hạn"
    VIEW = "view", "Cán bộ xem dữ liệu khuôn mặt"


# What the access log stores in `result` (machine codes), as officials and citizens read them.
RESULT_LABELS = {
    "match": "Nhận diện được",
    "no_match": "Không nhận diện được",
    "ambiguous": "Không phân biệt được (nhiều người gần giống)",
    "no_template": "Chưa có mẫu khuôn mặt để đối chiếu",
    "viewed": "Đã xem",
    Scope.TODAY.value: f"Đã đăng ký – {Scope.TODAY.label.lower()}",
    Scope.REMEMBER.value: f"Đã đăng ký – {Scope.REMEMBER.label.lower()}",
}


def result_label(code: str) -> str:
    """A log result in Vietnamese ("deleted:3" reads "Đã xóa 3 mẫu"); an unknown code as is."""
    if code.startswith("deleted:"):
        return f"Đã xóa {code.split(':', 1)[1]} mẫu"
    return RESULT_LABELS.get(code, code)


def device_label(code: str) -> str:
    """The device that used face data, in Vietnamese ("kiosk" is the self-service number machine)."""
    kind, _, rest = code.partition(":")
    if code in ("", "-"):
        return ""
    if "kiosk" in kind:  # "kiosk", "kiosk-7", "kiosk:2", "demo-kiosk"
        name = (kind.replace("kiosk", " ").strip(" -_") + " " + rest).strip()
        return "Máy lấy số tự động" + (f" {name}" if name else "")
    if kind == "counter":
        return f"Quầy số {rest}" if rest else "Quầy phục vụ"
    if kind == "staff":
        return "Bàn hướng dẫn (cán bộ)"
    if kind == "huey":
        return "Tác vụ tự động của hệ thống"
    return code


class FaceTemplate(models.Model):
    """One embedding of one citizen at one office, tagged with the model that made it.

    Rows are never updated except `last_seen_at` (not held by the gallery cache); any other
    change, even one made behind the services' back, is counted by the triggers of
    `biometrics/triggers.py` and reloads every process's gallery.
    """

    citizen = models.ForeignKey(
        "org.Citizen",
        on_delete=models.CASCADE,
        related_name="face_templates",
        verbose_name="công dân",
    )
    office = models.ForeignKey(
        "org.Office",
        on_delete=models.CASCADE,
        related_name="face_templates",
        verbose_name="bộ phận",
    )
    model_id = models.CharField("mô hình", max_length=120)
    vector = models.BinaryField("vectơ đặc trưng")  # EMBEDDING_DIM float32, little-endian
    scope = models.CharField("phạm vi", max_length=10, choices=Scope.choices)
    created_at = models.DateTimeField("tạo lúc")
    expires_at = models.DateTimeField("hết hạn lúc", null=True, blank=True, db_index=True)
    last_seen_at = models.DateTimeField("nhận diện gần nhất", db_index=True)
    photo = models.FileField("ảnh (có đồng ý riêng)", upload_to="faces/%Y/%m/", blank=True)

    class Meta:
        verbose_name = "mẫu khuôn mặt"
        verbose_name_plural = "mẫu khuôn mặt"
        indexes = [
            models.Index(fields=["office", "model_id", "id"], name="facetemplate_gallery"),
            # A check-in's "last seen" update (citizen and office): without it SQLite, lacking
            # statistics, walked the office index, every template of the office (40 ms at 100k).
            models.Index(fields=["citizen", "office"], name="facetemplate_citizen_office"),
        ]

    def __str__(self) -> str:
        return f"mẫu #{self.pk} của công dân #{self.citizen_id} ({self.get_scope_display()})"

    @staticmethod
    def pack(vector: np.ndarray) -> bytes:
        v = np.asarray(vector, dtype="<f4").reshape(-1)
        if v.size != EMBEDDING_DIM:
            raise ValueError(f"expected {EMBEDDING_DIM} values, got {v.size}")
        return v.tobytes()

    def unpack(self) -> np.ndarray:
        return np.frombuffer(bytes(self.vector), dtype="<f4").astype(np.float32)


def _new_token() -> str:
    import secrets

    return secrets.token_hex(8)


class GalleryVersion(models.Model):
    """Bumped by every write to an office's templates, in the same transaction (cache check).

    `version` is bumped by the services (enrol, delete, purge) before they write, which also
    locks the row until they commit. `changes` is bumped by database triggers (migration 0004)
    on every insert or delete of a template and on every update of a column the gallery holds,
    whoever wrote it (a service, a CASCADE from a deleted citizen, raw SQL), so reading this one
    row tells a process whether its cached gallery is still the database's.
    `token` is random per row: a database recreated or restored (or a test rolled back) can
    repeat versions and ids, never the token, so a cache never mistakes it for the one it holds.
    """

    office = models.OneToOneField(
        "org.Office", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    token = models.CharField(max_length=16, default=_new_token)
    version = models.BigIntegerField(default=0)
    changes = models.BigIntegerField(default=0)  # written by the triggers only

    class Meta:
        verbose_name = "phiên bản thư viện khuôn mặt"
        verbose_name_plural = "phiên bản thư viện khuôn mặt"

    def __str__(self) -> str:
        return f"{self.office_id}: {self.version}"


class FaceConsent(models.Model):
    """What a citizen agreed to, on which text, where and when; withdrawn when data is deleted."""

    citizen = models.ForeignKey(
        "org.Citizen",
        on_delete=models.CASCADE,
        related_name="face_consents",
        verbose_name="công dân",
    )
    scope = models.CharField("phạm vi", max_length=10, choices=Scope.choices)
    keep_photo = models.BooleanField("đồng ý lưu ảnh", default=False)
    purpose = models.TextField("mục đích")
    text_version = models.CharField("phiên bản nội dung đồng ý", max_length=40)
    granted_at = models.DateTimeField("đồng ý lúc")
    channel = models.CharField("kênh (thiết bị)", max_length=80)
    withdrawn_at = models.DateTimeField("rút lại lúc", null=True, blank=True)

    class Meta:
        verbose_name = "đồng ý xử lý dữ liệu khuôn mặt"
        verbose_name_plural = "đồng ý xử lý dữ liệu khuôn mặt"

    def __str__(self) -> str:
        return f"đồng ý {self.get_scope_display()} của công dân #{self.citizen_id}"

    @property
    def channel_label(self) -> str:
        return device_label(self.channel)


class FaceAccessLog(models.Model):
    """Every use of face data: who, when, which device, what came out."""

    at = models.DateTimeField("lúc", db_index=True)
    office = models.ForeignKey(
        "org.Office",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="bộ phận",
    )
    device = models.CharField("thiết bị", max_length=80, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="cán bộ",
    )
    operation = models.CharField("thao tác", max_length=10, choices=Operation.choices)
    result = models.CharField("kết quả", max_length=40)
    citizen = models.ForeignKey(
        "org.Citizen",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="face_access_logs",
        verbose_name="công dân",
    )
    best_score = models.FloatField("điểm cao nhất", null=True, blank=True)
    second_score = models.FloatField("điểm thứ hai", null=True, blank=True)
    duration_ms = models.FloatField("thời gian (ms)", null=True, blank=True)
    detail = models.JSONField("chi tiết", default=dict, blank=True)

    class Meta:
        verbose_name = "nhật ký truy cập khuôn mặt"
        verbose_name_plural = "nhật ký truy cập khuôn mặt"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M:%S} {self.get_operation_display()} {self.result_label}"

    @property
    def result_label(self) -> str:
        return result_label(self.result)

    @property
    def device_label(self) -> str:
        return device_label(self.device)
