"""Vietnamese mobile numbers (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.core.errors import ValidationFailed
from motcua.org.phone import normalize_phone


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("0912-345-678", "0912345678"),
        ("(091) 234 5678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("+84 0912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0084912345678", "0912345678"),
        ("0356789012", "0356789012"),
        ("0561234567", "0561234567"),
        ("0701234567", "0701234567"),
        ("0861234567", "0861234567"),
        ("\ufeff 0981234567 ", "0981234567"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_accepted_forms(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "091234567",  # 9 digits
        "09123456789",  # 11 digits
        "02438251234",  # a Hà Nội landline
        "0112345678",  # no mobile range starts 01 since 2018
        "0412345678",
        "0612345678",
        "1912345678",
        "+85512345678",  # Cambodia
        "09123abc78",
        "số điện thoại",
    ],
)
def test_refused_forms(raw):
    with pytest.raises(ValidationFailed) as exc:
        normalize_phone(raw)
    assert exc.value.code == "phone_invalid"
    assert "10 chữ số" in exc.value.message


@given(prefix=st.sampled_from("35789"), rest=st.from_regex(r"[0-9]{8}", fullmatch=True))
def test_every_mobile_number_round_trips_through_plus84(prefix, rest):
    local = f"0{prefix}{rest}"
    assert normalize_phone(local) == local
    assert normalize_phone("+84" + local[1:]) == local
    assert normalize_phone(normalize_phone(local)) == local
