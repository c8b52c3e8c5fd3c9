"""Pure rules of notifications (no database): SMS length and alphabet, night hours, back-off.

An SMS is one message of 160 GSM-7 characters, or of 70 UCS-2 characters as soon as one
character is outside the GSM-7 alphabet (Vietnamese letters with diacritics are, save a few).
The rule here: keep the Vietnamese text when it fits one UCS-2 message; otherwise drop the
diacritics (GSM-7, 160) and, if it is still too long, cut it at a word boundary before any
protected span (a dossier code, a booking code) rather than through it. The tail (the
unsubscribe link) is always kept whole.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, time, timedelta

# 3GPP TS 23.038 default alphabet (basic set) and the characters of its extension table,
# which cost two positions each (escape + character).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
GSM7_LIMIT = 160
UCS2_LIMIT = 70
ELLIPSIS = "..."

# Characters outside GSM-7 that have an obvious plain form.
_PLAIN = {
    "đ": "d",
    "Đ": "D",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "–": "-",
    "—": "-",
    "…": "...",
    "«": '"',
    "»": '"',
    "\u00a0": " ",
}


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def gsm7_length(text: str) -> int:
    return sum(2 if c in GSM7_EXTENSION else 1 for c in text)


def fold(text: str) -> str:
    """The text in the GSM-7 alphabet: Vietnamese without diacritics, other signs made plain."""
    out = []
    for ch in text:
        # Keep plain ASCII; accented Latin letters that GSM-7 happens to hold are folded too,
        # so that a Vietnamese word is written one way ("ve", not "vé" beside "ve").
        if ord(ch) < 128 and (ch in GSM7_BASIC or ch in GSM7_EXTENSION):
            out.append(ch)
            continue
        if ch in _PLAIN:
            out.append(_PLAIN[ch])
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        base = unicodedata.normalize("NFC", base)
        if base and all(ord(c) < 128 and (c in GSM7_BASIC or c in GSM7_EXTENSION) for c in base):
            out.append(base)
        elif ch in GSM7_BASIC:
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def _cut(body: str, limit: int, protected: list[str]) -> str:
    """`body` cut to `limit` GSM-7 positions (with an ellipsis), never inside a protected span."""
    if gsm7_length(body) <= limit:
        return body
    room = limit - len(ELLIPSIS)
    # The longest prefix that fits.
    end, used = 0, 0
    for i, ch in enumerate(body):
        used += 2 if ch in GSM7_EXTENSION else 1
        if used > room:
            break
        end = i + 1
    # Never inside a protected span: move the cut to the span's start.
    for code in protected:
        start = body.find(code)
        while start != -1:
            if start < end < start + len(code):
                end = start
            start = body.find(code, start + 1)
    # Prefer a word boundary when one is near (no half words).
    space = body.rfind(" ", 0, end + 1)
    if end < len(body) and body[end] != " " and space > end - 20 and space > 0:
        end = space
    return body[:end].rstrip() + ELLIPSIS


def sms_text(text: str, *, protected: list[str] | tuple[str, ...] = (), tail: str = "") -> str:
    """The SMS to send for `text` (+ `tail`, kept whole): one message, codes never cut."""
    full = f"{text} {tail}".strip() if tail else text
    if is_gsm7(full) and gsm7_length(full) <= GSM7_LIMIT:
        return full
    if not is_gsm7(full) and len(full) <= UCS2_LIMIT:
        return full
    plain_tail = fold(tail)
    room = GSM7_LIMIT - (gsm7_length(plain_tail) + 1 if plain_tail else 0)
    body = _cut(fold(text), room, [fold(p) for p in protected if p])
    return f"{body} {plain_tail}".strip() if plain_tail else body


def sms_fits_one(text: str) -> bool:
    """True when `text` goes as a single SMS."""
    if is_gsm7(text):
        return gsm7_length(text) <= GSM7_LIMIT
    return len(text) <= UCS2_LIMIT


# --- night hours and retries --------------------------------------------------------------------
QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(7, 0)


def is_quiet(local: datetime) -> bool:
    """21:00–07:00 local time: no message but an urgent one."""
    t = local.timetz().replace(tzinfo=None)
    return t >= QUIET_FROM or t < QUIET_UNTIL


def next_allowed(local: datetime, *, urgent: bool = False) -> datetime:
    """The earliest moment at or after `local` when a message may go out."""
    if urgent or not is_quiet(local):
        return local
    day = (
        local.date()
        if local.timetz().replace(tzinfo=None) < QUIET_UNTIL
        else (local.date() + timedelta(days=1))
    )
    return datetime.combine(day, QUIET_UNTIL, tzinfo=local.tzinfo)


BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=2)
MAX_ATTEMPTS = 8


def backoff(attempt: int) -> timedelta:
    """The wait after the `attempt`-th failed try (1-based): 30 s, 1 min, 2 min … capped at 2 h."""
    return min(BACKOFF_BASE * (2 ** max(attempt - 1, 0)), BACKOFF_CAP)
