"""Vietnamese text helpers."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, strip diacritics (đ → d) and collapse spaces: 'Nguyễn  Văn A' → 'nguyen van a'."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return _SPACES.sub(" ", stripped.lower()).strip()


def normalize_name(text: str) -> str:
    """NFC-normalise a person's name and collapse spaces, keeping its diacritics."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> bool:
    """True when text holds a NUL byte or a lone surrogate: neither can be stored (PostgreSQL
    refuses NUL in text, UTF-8 has no surrogates) nor shown, so input carrying one is refused."""
    return bool(_FORBIDDEN.search(text))


def ascii_digits(text: str) -> bool:
    """Only the digits 0-9 (and at least one). `str.isdigit()` is also true for '²' or '١',
    which `int()` then refuses (a 500 on a path like /queue/²/board): check this one before
    `int(text)`."""
    return text.isascii() and text.isdigit()
