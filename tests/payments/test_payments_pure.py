"""VietQR payloads and amounts in words: pure rules, no database."""

from __future__ import annotations

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from motcua.payments import vietqr
from motcua.payments.words import amount_in_words

# --- VietQR ---------------------------------------------------------------------------------


def test_crc_matches_the_published_check_value():
    # CRC-16/CCITT-FALSE of "123456789" is 0x29B1 (the catalogue check value of this CRC).
    assert vietqr.crc16_ccitt("123456789") == "29B1"


def test_payload_layout_for_a_dossier_fee():
    qr = vietqr.VietQR(
        bank_bin="970415", account="113366668888", amount=21000, purpose="H01-261117-0001"
    )
    payload = qr.payload()
    assert payload.startswith("000201" + "010212")  # EMVCo, dynamic (one amount, one reference)
    assert "0010A000000727" in payload and "0208QRIBFTTA" in payload
    assert "0126" + "0006970415" + "0112113366668888" in payload  # beneficiary: BIN then account
    assert "5303704" in payload and "540521000" in payload and "5802VN" in payload
    assert "62190815H01-261117-0001" in payload
    assert payload[-8:-4] == "6304" and payload[-4:] == vietqr.crc16_ccitt(payload[:-4])


def test_static_payload_has_no_amount():
    payload = vietqr.VietQR(bank_bin="970436", account="0011001234567").payload()
    assert payload.startswith("000201010211")  # static: reusable, the payer types the amount
    assert vietqr.parse(payload).amount is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bank_bin": "97041", "account": "1"},
        {"bank_bin": "970415", "account": "1234567890123456789X"},
        {"bank_bin": "970415", "account": "1", "amount": 0},
        {"bank_bin": "970415", "account": "1", "amount": -5},
        {"bank_bin": "970415", "account": "1", "purpose": "Lệ phí hộ tịch"},
        {"bank_bin": "970415", "account": "1", "purpose": "X" * 26},
    ],
)
def test_bad_input_is_refused(kwargs):
    with pytest.raises(vietqr.VietQRError):
        vietqr.VietQR(**kwargs).payload()


def test_a_changed_character_fails_the_crc():
    payload = vietqr.VietQR(
        bank_bin="970415", account="113366668888", amount=15000, purpose="ABC"
    ).payload()
    tampered = payload.replace("15000", "16000")
    with pytest.raises(vietqr.VietQRError, match="CRC"):
        vietqr.parse(tampered)


def test_png_decodes_with_an_independent_reader():
    qr = vietqr.VietQR(
        bank_bin="970415", account="113366668888", amount=105000, purpose="H01-261117-0042"
    )
    payload = qr.payload()
    import io

    image = Image.open(io.BytesIO(vietqr.png(payload)))
    found = zxingcpp.read_barcodes(image)
    assert [r.text for r in found] == [payload]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert vietqr.parse(found[0].text) == qr


_DIGITS = "0123456789"
_ALNUM = _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@given(
    bank_bin=st.text(_DIGITS, min_size=4, max_size=4).map(lambda d: "97" + d),
    account=st.text(_ALNUM, min_size=1, max_size=19),
    amount=st.none() | st.integers(1, 9_999_999_999_999),
    purpose=st.text(_ALNUM + "-", max_size=25),
)
def test_payload_round_trips(bank_bin, account, amount, purpose):
    qr = vietqr.VietQR(bank_bin=bank_bin, account=account, amount=amount, purpose=purpose)
    assert vietqr.parse(qr.payload()) == qr


# --- amounts in words -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (1_000, "Một nghìn đồng"),
        (15_000, "Mười lăm nghìn đồng"),
        (21_000, "Hai mươi mốt nghìn đồng"),
        (105_000, "Một trăm linh năm nghìn đồng"),
        (1_000_000, "Một triệu đồng"),
        (
            1_234_567_890,
            "Một tỷ hai trăm ba mươi tư triệu năm trăm sáu mươi bảy nghìn tám trăm chín mươi đồng",
        ),
        (1_000_005, "Một triệu không trăm linh năm đồng"),
        (50_500, "Năm mươi nghìn năm trăm đồng"),
        (2_014_000, "Hai triệu không trăm mười bốn nghìn đồng"),
    ],
)
def test_amount_in_words(amount, words):
    assert amount_in_words(amount) == words


_UNITS = {"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5,
          "lăm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}  # fmt: skip
_SCALES = {"nghìn": 1_000, "triệu": 1_000_000, "tỷ": 1_000_000_000}


def _read_back(words: str) -> int:
    """An independent reader of the words: the inverse the property test checks against."""
    tokens = words.removesuffix(" đồng").lower().split()
    total = group = 0
    digit = 0
    for t in tokens:
        if t in _SCALES:
            total += (group + digit) * _SCALES[t]
            group = digit = 0
        elif t == "trăm":
            group += digit * 100
            digit = 0
        elif t == "mươi":
            group += digit * 10
            digit = 0
        elif t == "mười":
            group += 10
        elif t == "linh":
            continue
        else:
            digit = _UNITS[t]
    return total + group + digit


@given(st.integers(0, 999_999_999_999))
def test_amount_in_words_reads_back(amount):
    words = amount_in_words(amount)
    assert words[0].isupper() and words.endswith(" đồng")
    assert _read_back(words) == amount
    tokens = words.lower().split()
    # "mốt" and "tư" only after a tens word of twenty or more; "lăm" only after a tens word.
    for i, t in enumerate(tokens):
        if t in ("mốt", "tư"):
            assert tokens[i - 1] == "mươi"
        if t == "lăm":
            assert tokens[i - 1] in ("mươi", "mười")


def test_negative_amount_is_refused():
    with pytest.raises(ValueError):
        amount_in_words(-1)
