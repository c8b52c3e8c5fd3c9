"""Shared tables: gapless counters, the audit trail, API tokens."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models


class Sequence(models.Model):
    """A named counter, locked in the caller's transaction so that numbers are gapless."""

    key = models.CharField(max_length=120, unique=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "bộ đếm số"
        verbose_name_plural = "bộ đếm số"

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class AuditEvent(models.Model):
    """Who did what to which object: written in the same transaction as the change."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "nhật ký thao tác"
        verbose_name_plural = "nhật ký thao tác"
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class ApiToken(models.Model):
    """A bearer token for staff API clients; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = "mã truy cập API"
        verbose_name_plural = "mã truy cập API"

    def __str__(self) -> str:
        return f"token {self.user} đến {self.expires_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class IdempotencyKey(models.Model):
    """The first answer to a creating API call sent with an `Idempotency-Key` header.

    Written in the same transaction as the record the call creates: if the server dies after
    the commit but before the client hears the answer, the client's retry with the same key
    finds this row and gets the same answer instead of a second record.
    """

    client = models.CharField("người gọi", max_length=120)  # "user:<id>" or "ip:<address>"
    endpoint = models.CharField("chức năng", max_length=80)
    key = models.CharField("khóa", max_length=255)
    fingerprint = models.CharField("dấu vân tay yêu cầu", max_length=64)
    status = models.PositiveSmallIntegerField("mã trạng thái HTTP", default=0)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "khóa chống gửi lặp"
        verbose_name_plural = "khóa chống gửi lặp"
        constraints = [
            models.UniqueConstraint(
                fields=["client", "endpoint", "key"], name="idempotencykey_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"
