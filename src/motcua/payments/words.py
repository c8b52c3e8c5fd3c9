"""Amounts of money in Vietnamese words, as a receipt writes them ("Số tiền bằng chữ"); pure."""

from __future__ import annotations

from motcua.queueing.numbering import read_number_vi


def amount_in_words(amount: int) -> str:
    """21_000 → 'Hai mươi mốt nghìn đồng'; 0 → 'Không đồng'. Whole đồng, 0 to 999,999,999,999."""
    if amount < 0:
        raise ValueError("an amount on a receipt is never negative")
    words = read_number_vi(amount)
    return f"{words[0].upper()}{words[1:]} đồng"
