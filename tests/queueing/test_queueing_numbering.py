"""Ticket numbering and the Vietnamese reading of numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.queueing.numbering import (
    call_phrase,
    call_phrase_parts,
    read_display_vi,
    read_number_vi,
    split_display,
    ticket_display,
)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "không"),
        (1, "một"),
        (5, "năm"),
        (10, "mười"),
        (11, "mười một"),
        (14, "mười bốn"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (25, "hai mươi lăm"),
        (55, "năm mươi lăm"),
        (100, "một trăm"),
        (101, "một trăm linh một"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (115, "một trăm mười lăm"),
        (999, "chín trăm chín mươi chín"),
        (1000, "một nghìn"),
        (1005, "một nghìn không trăm linh năm"),
        (1015, "một nghìn không trăm mười lăm"),
        (2024, "hai nghìn không trăm hai mươi tư"),
        (12345, "mười hai nghìn ba trăm bốn mươi lăm"),
        (1_000_000, "một triệu"),
    ],
)
def test_read_number_vi(n, words):
    assert read_number_vi(n) == words


@given(st.integers(min_value=0, max_value=999_999_999))
def test_reading_is_words_only(n):
    text = read_number_vi(n)
    assert text and not any(ch.isdigit() for ch in text)
    assert "  " not in text


def test_ticket_display_pads_per_service():
    assert ticket_display("A", 15) == "A015"
    assert ticket_display("B", 1) == "B001"
    assert ticket_display("A", 1015) == "A1015"
    assert split_display("A015") == ("A", 15)
    with pytest.raises(ValueError):
        ticket_display("A", 0)


def test_call_phrase_and_spoken_parts():
    assert call_phrase("1015", 3) == "Mời công dân có số thứ tự 1015 đến quầy số 3"
    assert call_phrase("A015", 3) == "Mời công dân có số thứ tự A015 đến quầy số 3"
    assert read_display_vi("A015") == "a mười lăm"
    assert read_display_vi("1015") == "một nghìn không trăm mười lăm"
    assert call_phrase_parts("B105", 12) == [
        "mời công dân có số thứ tự",
        "bê một trăm linh năm",
        "đến quầy số",
        "mười hai",
    ]
