"""Absolute links that work outside this machine: PDFs, QR codes and messages.

Every absolute address the system prints or sends is built here from the configured public
address of the portal (`MOTCUA["PUBLIC_BASE_URL"]`, env `PUBLIC_BASE_URL`), never from the
request's Host header: a receipt printed on the office's own machine must not carry
`http://127.0.0.1:8101/...`, and a forged Host header must not end up in a citizen's QR code.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

# What the demo and a developer's machine answer on (`make run`); production must set its own.
DEV_BASE_URL = "http://127.0.0.1:8000"


def configured_base_url() -> str:
    """The configured public address without a trailing slash, or "" when unset."""
    return str(settings.MOTCUA.get("PUBLIC_BASE_URL", "") or "").strip().rstrip("/")


def public_base_url() -> str:
    """The public address of the portal (scheme://host[:port][/prefix]), no trailing slash."""
    return configured_base_url() or DEV_BASE_URL


def public_url(path: str) -> str:
    """`path` (a site path such as reverse(...) gives, with its query) as an absolute public URL."""
    if urlsplit(path).scheme:
        raise ValueError(f"public_url expects a site path, got an absolute URL: {path!r}")
    return public_base_url() + "/" + path.lstrip("/")


def _malformed(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "phải bắt đầu bằng http:// hoặc https:// và có tên miền"
    if parts.query or parts.fragment:
        return "không được có tham số (?...) hay dấu #"
    return None


@checks.register(checks.Tags.urls)
def check_public_base_url(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """PUBLIC_BASE_URL must be well formed; in production (DEBUG off) it should be set."""
    value = configured_base_url()
    if value:
        problem = _malformed(value)
        if problem:
            return [
                checks.Error(
                    f"PUBLIC_BASE_URL={value!r} {problem}.",
                    hint="Ví dụ: PUBLIC_BASE_URL=https://motcua.phuong-hadong.hanoi.gov.vn",
                    id="motcua.E001",
                )
            ]
        return []
    if not settings.DEBUG:
        return [
            checks.Warning(
                "PUBLIC_BASE_URL chưa được đặt: mã QR và đường dẫn trên phiếu, biểu mẫu sẽ trỏ "
                f"về {DEV_BASE_URL}, chỉ dùng được trên chính máy này.",
                hint="Đặt biến môi trường PUBLIC_BASE_URL là địa chỉ công khai của cổng.",
                id="motcua.W001",
            )
        ]
    return []
