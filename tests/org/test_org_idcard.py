"""CCCD number rules and the chip ID card QR parser (pure: no database)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.core.errors import ValidationFailed
from motcua.org.idcard import (
    PROVINCE_CODES,
    IdCardData,
    birth_year,
    century_sex_digit,
    make_id_number,
    parse_idcard_qr,
    validate_id_number,
)


@pytest.fixture(autouse=True)
def _clock(freeze):
    freeze(datetime(2026, 3, 10, 9, 0))


def code_of(fn, *args, **kwargs) -> str:
    with pytest.raises(ValidationFailed) as exc:
        fn(*args, **kwargs)
    assert exc.value.message  # every refusal explains itself
    assert exc.value.status == 422
    return exc.value.code


# --- validate_id_number ------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, dob, sex",
    [
        ("001085012345", None, None),  # Hà Nội, male, 1985
        ("001185012345", date(1985, 5, 17), "F"),
        ("079203000001", date(2003, 1, 1), "M"),  # TP. HCM, male, 2003
        ("096325999999", date(2025, 12, 31), "F"),  # Cà Mau, female, 2025
        ("036099000000", date(1999, 7, 1), "Nam"),
        ("036199000000", date(1999, 7, 1), "Nữ"),
        ("001000123456", date(1900, 1, 1), "M"),
    ],
)
def test_valid_numbers_pass(number, dob, sex):
    assert validate_id_number(number, date_of_birth=dob, sex=sex) is None


@pytest.mark.parametrize(
    "number, dob, sex, code",
    [
        ("00108501234", None, None, "id_number_format"),  # 11 digits
        ("0010850123456", None, None, "id_number_format"),  # 13 digits
        ("00108501234a", None, None, "id_number_format"),
        (" 001085012345", None, None, "id_number_format"),
        ("", None, None, "id_number_format"),
        ("001 085 012 345", None, None, "id_number_format"),
        ("００１０８５０１２３４５", None, None, "id_number_format"),  # full-width digits
        ("003085012345", None, None, "id_number_province"),  # 003 is not a province code
        ("000085012345", None, None, "id_number_province"),
        ("097085012345", None, None, "id_number_province"),  # after Cà Mau (096)
        ("101085012345", None, None, "id_number_province"),
        ("001485012345", None, None, "id_number_century"),  # 2185: nobody born yet
        ("001985012345", None, None, "id_number_century"),
        ("001299012345", None, None, "id_number_birth_year"),  # 2099
        ("001227012345", None, None, "id_number_birth_year"),  # 2027, the clock says 2026
        ("001085012345", date(2085, 1, 1), None, "id_number_century"),
        ("001205012345", date(1905, 1, 1), None, "id_number_century"),
        ("001285012345", date(1985, 1, 1), None, "id_number_birth_year"),  # 2085 is checked first
        ("001085012345", date(1986, 1, 1), None, "id_number_birth_year"),
        ("001085012345", date(1985, 1, 1), "F", "id_number_sex"),
        ("001185012345", date(1985, 1, 1), "M", "id_number_sex"),
        ("001185012345", None, "Nam", "id_number_sex"),
        ("001085012345", None, "X", "sex_invalid"),
    ],
)
def test_invalid_numbers_are_refused_with_a_stable_code(number, dob, sex, code):
    assert code_of(validate_id_number, number, date_of_birth=dob, sex=sex) == code


def test_messages_are_vietnamese():
    with pytest.raises(ValidationFailed) as exc:
        validate_id_number("001085012345", date_of_birth=date(1986, 2, 3))
    assert "không khớp với năm sinh 1986" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        validate_id_number("12345")
    assert exc.value.message == "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số."


def test_province_list_is_the_63_old_provinces_matching_gso_codes():
    """CCCD birthplace codes are the pre-2025 GSO province codes with a leading zero."""
    import sqlite3

    from motcua.org.demo import _package_dir

    with sqlite3.connect(f"file:{_package_dir() / 'dataset.db'}?mode=ro", uri=True) as db:
        gso = {row[0] for row in db.execute("SELECT DISTINCT provinceCode FROM admin_units_legacy")}
    assert len(PROVINCE_CODES) == 63
    assert {code[1:] for code in PROVINCE_CODES} == gso
    assert PROVINCE_CODES["001"] == "Hà Nội" and PROVINCE_CODES["096"] == "Cà Mau"


@pytest.mark.parametrize(
    "year, sex, digit",
    [
        (1900, "M", 0),
        (1999, "F", 1),
        (2000, "M", 2),
        (2099, "F", 3),
        (2100, "M", 4),
        (2250, "F", 7),
        (2399, "M", 8),
    ],
)
def test_century_sex_digit_table(year, sex, digit):
    assert century_sex_digit(year, sex) == digit


def test_century_outside_range_is_an_error():
    with pytest.raises(ValueError):
        century_sex_digit(1899, "M")


@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 3, 10)),
    sex=st.sampled_from(["M", "F"]),
    serial=st.integers(0, 999_999),
)
def test_any_built_number_validates_against_its_own_birth_date_and_sex(province, born, sex, serial):
    number = make_id_number(province=province, date_of_birth=born, sex=sex, serial=serial)
    assert len(number) == 12 and number.isdigit()
    validate_id_number(number, date_of_birth=born, sex=sex)
    assert birth_year(number) == born.year


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 3, 10)),
    other=st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 3, 10)),
    sex=st.sampled_from(["M", "F"]),
)
def test_a_number_never_validates_against_another_birth_year(born, other, sex):
    number = make_id_number(province="001", date_of_birth=born, sex=sex, serial=1)
    if other.year == born.year:
        validate_id_number(number, date_of_birth=other)
    else:
        assert code_of(validate_id_number, number, date_of_birth=other) in {
            "id_number_century",
            "id_number_birth_year",
        }
    wrong_sex = "F" if sex == "M" else "M"
    assert code_of(validate_id_number, number, sex=wrong_sex) == "id_number_sex"


@given(st.text(max_size=20))
def test_arbitrary_text_is_either_valid_or_refused_with_a_known_code(text):
    try:
        validate_id_number(text)
    except ValidationFailed as exc:
        assert exc.code in {
            "id_number_format",
            "id_number_province",
            "id_number_century",
            "id_number_birth_year",
        }
    else:
        assert len(text) == 12 and text.isdigit()


# --- parse_idcard_qr ---------------------------------------------------------------------

GOOD = "001085012345|123456789|Nguyễn Văn An|17051985|Nam|Số 2 Quang Trung, phường Hà Đông, Hà Nội|01022022"


def test_parses_all_seven_fields():
    card = parse_idcard_qr(GOOD)
    assert card == IdCardData(
        id_number="001085012345",
        old_id_number="123456789",
        full_name="Nguyễn Văn An",
        date_of_birth=date(1985, 5, 17),
        sex="M",
        address="Số 2 Quang Trung, phường Hà Đông, Hà Nội",
        issued_on=date(2022, 2, 1),
    )


@pytest.mark.parametrize(
    "payload, check",
    [
        # empty old-ID field (people who never had a 9-digit card)
        (
            "001185012345||Trần Thị Bình|01011985|Nữ|Hà Đông, Hà Nội|10102021",
            lambda c: c.old_id_number == "" and c.sex == "F",
        ),
        # extra trailing fields are ignored
        (GOOD + "|extra|0912345678|", lambda c: c.issued_on == date(2022, 2, 1)),
        # BOM, surrounding whitespace and a scanner's CR LF
        ("\ufeff  " + GOOD + "\r\n", lambda c: c.id_number == "001085012345"),
        # spaces around fields and inside the name
        (
            " 001085012345 | 123456789 |  Nguyễn   Văn  An |17051985| nam |Hà Nội | 01022022 ",
            lambda c: c.full_name == "Nguyễn Văn An" and c.sex == "M" and c.address == "Hà Nội",
        ),
        # decomposed (NFD) Vietnamese from some scanners becomes NFC
        (
            __import__("unicodedata").normalize(
                "NFD", GOOD.replace("Nam", "Nữ").replace("0010", "0011")
            ),
            lambda c: c.full_name == "Nguyễn Văn An" and c.sex == "F",
        ),
        # upper-case sex
        (GOOD.replace("|Nam|", "|NAM|"), lambda c: c.sex == "M"),
        # a 12-digit old number
        (GOOD.replace("123456789", "001085099999"), lambda c: c.old_id_number == "001085099999"),
    ],
)
def test_tolerated_variants(payload, check):
    assert check(parse_idcard_qr(payload))


@pytest.mark.parametrize(
    "payload, code",
    [
        ("", "qr_malformed"),
        ("   ", "qr_malformed"),
        ("001085012345", "qr_malformed"),
        ("001085012345|123456789|Nguyễn Văn An|17051985|Nam|Hà Nội", "qr_malformed"),  # 6 fields
        ("https://example.com/?q=001085012345", "qr_malformed"),
        (GOOD.replace("001085012345", "00108501234"), "qr_id_number"),
        (GOOD.replace("001085012345", "ABC085012345"), "qr_id_number"),
        (GOOD.replace("123456789", "12345"), "qr_old_id"),
        (GOOD.replace("Nguyễn Văn An", ""), "qr_name"),
        (GOOD.replace("Nguyễn Văn An", "1234"), "qr_name"),
        (GOOD.replace("17051985", "1985-05-17"), "qr_date"),
        (GOOD.replace("17051985", "31021985"), "qr_date"),  # 31 February
        (GOOD.replace("01022022", "0102202"), "qr_date"),
        (GOOD.replace("01022022", "01011980"), "qr_date"),  # issued before birth
        (GOOD.replace("01022022", "01012030"), "qr_date"),  # issued in the future
        (GOOD.replace("|Nam|", "|M|"), "qr_sex"),
        (GOOD.replace("|Nam|", "||"), "qr_sex"),
        (GOOD.replace("001085012345", "003085012345"), "id_number_province"),
        (GOOD.replace("17051985", "17051986"), "id_number_birth_year"),
        (GOOD.replace("|Nam|", "|Nữ|"), "id_number_sex"),
    ],
)
def test_malformed_payloads_are_refused(payload, code):
    assert code_of(parse_idcard_qr, payload) == code


def test_malformed_message_names_the_format():
    with pytest.raises(ValidationFailed) as exc:
        parse_idcard_qr("001085012345|x")
    assert "7 trường" in exc.value.message and "nhận được 2" in exc.value.message


def _qr(card: IdCardData) -> str:
    sex = "Nam" if card.sex == "M" else "Nữ"
    return "|".join(
        [
            card.id_number,
            card.old_id_number,
            card.full_name,
            card.date_of_birth.strftime("%d%m%Y"),
            sex,
            card.address,
            card.issued_on.strftime("%d%m%Y"),
        ]
    )


names = st.lists(
    st.sampled_from(["Nguyễn", "Thị", "Văn", "Đỗ", "Ánh", "Hằng", "Lưu", "Yến"]),
    min_size=2,
    max_size=5,
)


@given(
    born=st.dates(min_value=date(1920, 1, 1), max_value=date(2020, 12, 31)),
    sex=st.sampled_from(["M", "F"]),
    serial=st.integers(0, 999_999),
    name=names,
    old=st.one_of(st.just(""), st.from_regex(r"[0-9]{9}", fullmatch=True)),
    address=st.text(
        alphabet=st.characters(blacklist_characters="|\r\n", blacklist_categories=["Cs", "Cc"]),
        max_size=60,
    ),
    issue_after=st.integers(0, 2000),
    extra=st.lists(st.text(max_size=5), max_size=3),
)
def test_round_trip(born, sex, serial, name, old, address, issue_after, extra):
    from datetime import timedelta

    issued = min(born + timedelta(days=issue_after), date(2026, 3, 10))
    card = IdCardData(
        id_number=make_id_number(province="001", date_of_birth=born, sex=sex, serial=serial),
        old_id_number=old,
        full_name=" ".join(name),
        date_of_birth=born,
        sex=sex,
        address=" ".join(address.split()),
        issued_on=issued,
    )
    payload = "|".join([_qr(card), *extra])
    parsed = parse_idcard_qr(payload)
    assert parsed.id_number == card.id_number
    assert parsed.full_name == card.full_name
    assert (parsed.date_of_birth, parsed.sex, parsed.issued_on) == (born, sex, issued)
    assert parsed.old_id_number == old


@given(st.text(max_size=120))
def test_arbitrary_text_never_crashes_the_parser(text):
    try:
        card = parse_idcard_qr(text)
    except ValidationFailed as exc:
        assert exc.code.startswith(("qr_", "id_number_"))
    else:
        assert len(card.id_number) == 12
