"""Ticket numbers and how they are read aloud in Vietnamese (pure, no database)."""

from __future__ import annotations

DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
# Letters as a Vietnamese caller says them ("A015" → "a, mười lăm").
LETTERS = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "E": "e", "F": "ép", "G": "giê", "H": "hát",
    "I": "i", "K": "ca", "L": "lờ", "M": "mờ", "N": "nờ", "O": "o", "P": "pê", "Q": "quy",
    "R": "rờ", "S": "ét", "T": "tê", "U": "u", "V": "vê", "X": "ích", "Y": "i dài",
}  # fmt: skip
SCALES = ["", "nghìn", "triệu", "tỷ"]


def ticket_display(prefix: str, number: int, width: int = 3) -> str:
    """'A' + 15 → 'A015'; numbers wider than `width` keep all their digits ('A1015')."""
    if number < 1:
        raise ValueError("ticket numbers start at 1")
    return f"{prefix}{number:0{width}d}"


def ticket_display_sql(number: str) -> str:
    """`ticket_display(prefix, <number>)` as a PostgreSQL expression of the SQL expression
    `number`, the prefix its one parameter (for a statement that takes the number itself)."""
    return (
        f"%s || CASE WHEN {number} < 1000 THEN lpad({number}::text, 3, '0') ELSE {number}::text END"
    )


def split_display(display: str) -> tuple[str, int]:
    """'A015' → ('A', 15)."""
    i = 0
    while i < len(display) and not display[i].isdigit():
        i += 1
    return display[:i], int(display[i:] or 0)


def _read_triple(n: int, *, full: bool) -> list[str]:
    """Read 0..999; `full` means a higher group precedes it, so hundreds and 'linh' are spoken."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if hundreds or full:
                words.append("linh")
            words.append(DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units == 0:
        return words
    if units == 5:
        words.append("lăm")
    elif units == 1 and tens > 1:
        words.append("mốt")
    elif units == 4 and tens > 1:
        words.append("tư")
    else:
        words.append(DIGITS[units])
    return words


def read_number_vi(n: int) -> str:
    """The Vietnamese reading of a whole number: 105 → 'một trăm linh năm', 24 → 'hai mươi tư'."""
    if n < 0:
        return "âm " + read_number_vi(-n)
    if n == 0:
        return DIGITS[0]
    groups: list[int] = []
    while n:
        n, g = divmod(n, 1000)
        groups.append(g)
    if len(groups) > len(SCALES):
        raise ValueError("number too large to read")
    words: list[str] = []
    top = len(groups) - 1
    for i in range(top, -1, -1):
        g = groups[i]
        if g == 0:
            continue
        # A group after a higher one is read in full ("nghìn không trăm mười lăm").
        words += _read_triple(g, full=i < top)
        if SCALES[i]:
            words.append(SCALES[i])
    return " ".join(words)


def read_display_vi(display: str) -> str:
    """'A015' → 'a mười lăm'; a display of digits only → its number."""
    prefix, number = split_display(display)
    letters = [LETTERS.get(ch.upper(), ch.lower()) for ch in prefix]
    return " ".join([*letters, read_number_vi(number)])


CALL_LEAD = "Mời công dân có số thứ tự"
CALL_TO = "đến quầy số"


def call_phrase(display: str, counter_number: int) -> str:
    """The sentence shown and spoken: 'Mời công dân có số thứ tự A015 đến quầy số 3'."""
    return f"{CALL_LEAD} {display} {CALL_TO} {counter_number}"


def call_phrase_parts(display: str, counter_number: int) -> list[str]:
    """The call as spoken parts (each cached as its own audio clip)."""
    return [CALL_LEAD.lower(), read_display_vi(display), CALL_TO, read_number_vi(counter_number)]


def call_phrase_spoken(display: str, counter_number: int) -> str:
    """The call fully in words, for a speech engine that cannot read digits."""
    return ", ".join(call_phrase_parts(display, counter_number))
