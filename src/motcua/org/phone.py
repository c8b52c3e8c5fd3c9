"""Vietnamese mobile phone numbers: pure rules, no database."""

from __future__ import annotations

import re

from motcua.core.errors import ValidationFailed

# Mobile ranges since the 2018 renumbering: 03x, 05x, 07x, 08x, 09x (10 digits with the leading 0).
_MOBILE_RE = re.compile(r"0[35789][0-9]{8}")
_SEPARATORS = re.compile(r"[\s.\-()\u00a0]")


def normalize_phone(phone: str) -> str:
    """'+84 912 345 678' / '84912345678' / '0912.345.678' → '0912345678'; '' stays ''; else ValidationFailed."""
    raw = (phone or "").replace("\ufeff", "").strip()
    if not raw:
        return ""
    digits = _SEPARATORS.sub("", raw)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if digits.startswith("00"):  # '+84 0912…': the trunk 0 written after the country code
        digits = digits[1:]
    if not _MOBILE_RE.fullmatch(digits):
        raise ValidationFailed(
            f"Số điện thoại “{raw}” không hợp lệ: cần số di động Việt Nam gồm 10 chữ số, bắt đầu bằng "
            "03, 05, 07, 08 hoặc 09 (hoặc +84).",
            code="phone_invalid",
        )
    return digits
