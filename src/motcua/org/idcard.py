"""Citizen ID (CCCD) numbers and the chip ID card's QR payload: pure rules, no database."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.core.text import fold, normalize_name

# Birthplace codes of Circular 07/2016/TT-BCA (the 63 provinces before 2025). Cards issued
# before the 2025 mergers keep them, and a number never changes, so these stay valid.
PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa – Vũng Tàu",
    "079": "TP. Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

MALE, FEMALE = "M", "F"
_SEX_LABEL = {MALE: "nam", FEMALE: "nữ"}

_ID_RE = re.compile(r"[0-9]{12}")
_OLD_ID_RE = re.compile(r"[0-9]{9}|[0-9]{12}")
_DATE_RE = re.compile(r"[0-9]{8}")


def century_sex_digit(year: int, sex: str) -> int:
    """The 4th digit of a CCCD number: 0/1 for 1900s male/female, 2/3 for 2000s, … up to 2300s."""
    century = year // 100 - 19
    if not 0 <= century <= 4:
        raise ValueError(f"year {year} outside 1900–2399")
    return century * 2 + (1 if sex == FEMALE else 0)


def decode_century_sex(digit: int) -> tuple[int, str]:
    """(first year of the century, 'M'/'F') encoded by the 4th digit."""
    return 1900 + (digit // 2) * 100, FEMALE if digit % 2 else MALE


def birth_year(id_number: str) -> int:
    """The birth year a well-formed CCCD number encodes."""
    century, _ = decode_century_sex(int(id_number[3]))
    return century + int(id_number[4:6])


def make_id_number(*, province: str, date_of_birth: date, sex: str, serial: int) -> str:
    """Build a CCCD number (demo data and tests); `serial` is the 6 random digits."""
    return f"{province}{century_sex_digit(date_of_birth.year, sex)}{date_of_birth.year % 100:02d}{serial:06d}"


def _clean(text: str) -> str:
    return text.replace("\ufeff", "").strip()


def _normalize_sex(sex: str | None) -> str | None:
    if sex is None:
        return None
    folded = fold(sex)
    if folded in ("", None):
        return None
    if folded in ("m", "nam", "male"):
        return MALE
    if folded in ("f", "nu", "female"):
        return FEMALE
    raise ValidationFailed(
        f"Giới tính không hợp lệ: “{sex}” (chỉ nhận Nam hoặc Nữ).", code="sex_invalid"
    )


def validate_id_number(
    id_number: str, *, date_of_birth: date | None = None, sex: str | None = None
) -> None:
    """Raise ValidationFailed unless `id_number` is a plausible CCCD number (and matches birth date and sex)."""
    if not isinstance(id_number, str) or not _ID_RE.fullmatch(id_number):
        raise ValidationFailed(
            "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số.",
            code="id_number_format",
        )
    province = id_number[:3]
    if province not in PROVINCE_CODES:
        raise ValidationFailed(
            f"Số CCCD có mã nơi đăng ký khai sinh “{province}” không thuộc danh mục mã tỉnh, thành phố.",
            code="id_number_province",
        )
    century, encoded_sex = decode_century_sex(int(id_number[3]))
    year = century + int(id_number[4:6])
    this_year = clock.today().year
    if century > this_year:
        raise ValidationFailed(
            f"Chữ số thứ 4 của số CCCD ({id_number[3]}) ứng với thế kỷ {century // 100 + 1}, chưa thể có người sinh.",
            code="id_number_century",
        )
    if year > this_year:
        raise ValidationFailed(
            f"Số CCCD ứng với năm sinh {year}, sau năm hiện tại.",
            code="id_number_birth_year",
        )
    if date_of_birth is not None:
        if date_of_birth.year // 100 * 100 != century:
            raise ValidationFailed(
                f"Chữ số thứ 4 của số CCCD ({id_number[3]}) ứng với người sinh trong các năm "
                f"{century}–{century + 99}, không khớp với năm sinh {date_of_birth.year}.",
                code="id_number_century",
            )
        if date_of_birth.year != year:
            raise ValidationFailed(
                f"Chữ số thứ 5–6 của số CCCD ({id_number[4:6]}) không khớp với năm sinh {date_of_birth.year}.",
                code="id_number_birth_year",
            )
    wanted_sex = _normalize_sex(sex)
    if wanted_sex is not None and wanted_sex != encoded_sex:
        raise ValidationFailed(
            f"Chữ số thứ 4 của số CCCD ({id_number[3]}) là mã giới tính {_SEX_LABEL[encoded_sex]}, "
            f"không khớp với giới tính {_SEX_LABEL[wanted_sex]} đã khai.",
            code="id_number_sex",
        )


@dataclass(frozen=True)
class IdCardData:
    """What the chip ID card's QR code says about its holder."""

    id_number: str
    old_id_number: str
    full_name: str
    date_of_birth: date
    sex: str  # 'M' or 'F'
    address: str
    issued_on: date


def _parse_date(text: str, label: str) -> date:
    if not _DATE_RE.fullmatch(text):
        raise ValidationFailed(
            f"Mã QR có {label} “{text}” không đúng dạng ngàythángnăm (ddmmyyyy).",
            code="qr_date",
        )
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        raise ValidationFailed(
            f"Mã QR có {label} “{text}” không phải một ngày có thật.", code="qr_date"
        ) from None


def parse_idcard_qr(payload: str) -> IdCardData:
    """Parse `ID|oldID|name|ddmmyyyy|Nam/Nữ|address|ddmmyyyy` from a chip ID card's QR code."""
    if not isinstance(payload, str):
        raise ValidationFailed("Mã QR trên thẻ căn cước không đọc được.", code="qr_malformed")
    text = unicodedata.normalize("NFC", _clean(payload))
    fields = [_clean(f) for f in text.split("|")]
    if len(fields) < 7:
        raise ValidationFailed(
            f"Mã QR trên thẻ căn cước không đúng định dạng: cần 7 trường ngăn cách bởi dấu “|”, "
            f"nhận được {len(fields)}.",
            code="qr_malformed",
        )
    id_number, old_id, name, born, sex_text, address, issued = fields[:7]
    if not _ID_RE.fullmatch(id_number):
        raise ValidationFailed(
            "Trường đầu tiên của mã QR phải là số định danh cá nhân gồm 12 chữ số.",
            code="qr_id_number",
        )
    if old_id and not _OLD_ID_RE.fullmatch(old_id):
        raise ValidationFailed(
            "Số chứng minh nhân dân cũ trong mã QR phải gồm 9 hoặc 12 chữ số (hoặc để trống).",
            code="qr_old_id",
        )
    full_name = normalize_name(name)
    if not full_name or any(ch.isdigit() for ch in full_name):
        raise ValidationFailed("Mã QR không có họ và tên hợp lệ.", code="qr_name")
    date_of_birth = _parse_date(born, "ngày sinh")
    issued_on = _parse_date(issued, "ngày cấp")
    folded_sex = fold(sex_text)
    if folded_sex not in ("nam", "nu"):
        raise ValidationFailed(
            f"Mã QR có giới tính “{sex_text}” không hợp lệ (chỉ nhận Nam hoặc Nữ).",
            code="qr_sex",
        )
    sex = MALE if folded_sex == "nam" else FEMALE
    if issued_on < date_of_birth:
        raise ValidationFailed("Mã QR có ngày cấp trước ngày sinh.", code="qr_date")
    if issued_on > clock.today():
        raise ValidationFailed("Mã QR có ngày cấp sau ngày hôm nay.", code="qr_date")
    validate_id_number(id_number, date_of_birth=date_of_birth, sex=sex)
    return IdCardData(
        id_number=id_number,
        old_id_number=old_id,
        full_name=full_name,
        date_of_birth=date_of_birth,
        sex=sex,
        address=" ".join(address.split()),
        issued_on=issued_on,
    )
