"""Numbers and notations of official documents (Decree 30/2020/NĐ-CP, see rules.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.correspondence import rules


def test_decision_of_a_peoples_committee():
    assert rules.number_and_notation(number=15, doc_type="QD", issuer_abbr="UBND") == "15/QĐ-UBND"


def test_numbers_below_ten_have_a_leading_zero():
    assert rules.number_and_notation(number=3, doc_type="TTR", issuer_abbr="UBND") == "03/TTr-UBND"


def test_a_letter_has_no_type_part():
    assert (
        rules.number_and_notation(number=127, doc_type="CV", issuer_abbr="UBND", drafter_abbr="VP")
        == "127/UBND-VP"
    )


def test_number_zero_is_refused():
    with pytest.raises(ValueError):
        rules.format_number(0)


@given(st.integers(min_value=1, max_value=10**6))
def test_printed_number_reads_back(n):
    printed = rules.format_number(n)
    assert int(printed) == n and len(printed) >= 2


def test_issuer_abbreviation_of_a_ward_is_its_peoples_committee():
    assert rules.issuer_abbreviation("Phường Hà Đông", "ward") == "UBND"
