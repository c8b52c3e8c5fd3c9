"""Demo data of the org app: Hà Nội → Hà Đông before and after 1 July 2025, offices, staff, citizens.

Every function is idempotent (a second run changes nothing) and fast. The unit names, GSO
codes, coordinates and the old → new links come from the `vietnamadminunits` package
(pre- and post-2025 data and its 2025 conversion table), checked against `vietnam_provinces`.
Agency codes (Circular 10/2016/TT-BTTTT format), office addresses, staff and citizens are
illustrative: invented, consistent, and not the real identifiers of those agencies or people.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sqlite3
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction

from motcua.core import clock
from motcua.core.text import fold
from motcua.org.models import Citizen, Counter, Office, Role, StaffRole, Unit, UnitLevel, User

DEMO_PASSWORD = "motcua-demo"

HANOI_CODE = "01"  # GSO code of Thành phố Hà Nội
DISTRICT_CODE = "268"  # GSO code of the former Quận Hà Đông
DISTRICT_END = date(2025, 6, 30)  # the last day of district-level government
NEW_START = date(2025, 7, 1)
# Resolution 1286/NQ-UBTVQH15 merged Nguyễn Trãi and Yết Kiêu into Quang Trung from 2025-01-01:
# the package's pre-2025 table already shows the merged Quang Trung (15 wards) and lists the
# two absorbed names among its keywords; their GSO codes below are from the GSO register.
MERGED_2025_01 = date(2024, 12, 31)
ABSORBED_INTO_QUANG_TRUNG = {"Phường Nguyễn Trãi": "09538", "Phường Yết Kiêu": "09547"}
QUANG_TRUNG_PRE_2025 = (
    "09550"  # the package lists the enlarged ward under 09538 (Nguyễn Trãi's code)
)

# The five current wards that took over (nearly all of) the former district, by GSO code.
HA_DONG_WARDS = {
    "09556": ("ha-dong", "Phường Hà Đông"),
    "09886": ("duong-noi", "Phường Dương Nội"),
    "09562": ("yen-nghia", "Phường Yên Nghĩa"),
    "09568": ("phu-luong", "Phường Phú Lương"),
    "09552": ("kien-hung", "Phường Kiến Hưng"),
}
HA_DONG = "09556"


def old_ward_code(gso: str) -> str:
    """Codes of the pre-2025 wards: GSO codes were reused by the new wards, so prefix the district."""
    return f"{DISTRICT_CODE}-{gso}"


# ---------------------------------------------------------------------------------------------
# Package data


def _package_dir() -> Path:
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the vietnamadminunits package is required for the demo units")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@dataclass
class _UnitRow:
    gso: str
    name: str
    level: str
    key: str = ""
    lat: float | None = None
    lon: float | None = None
    successors: list[str] = field(default_factory=list)  # GSO codes of new wards


@lru_cache(maxsize=1)
def _package_units() -> tuple[list[_UnitRow], list[_UnitRow], dict[str, Any]]:
    """(old Hà Đông wards, new wards that received them, province row) read from the package."""
    data = _package_dir()
    db = sqlite3.connect(f"file:{data / 'dataset.db'}?mode=ro", uri=True)
    try:
        old_rows = db.execute(
            "SELECT DISTINCT ward, wardCode, wardKey, wardLat, wardLon, districtKey FROM admin_units_legacy "
            "WHERE provinceCode = ? AND districtCode = ? ORDER BY wardCode",
            (HANOI_CODE, DISTRICT_CODE),
        ).fetchall()
        province = db.execute(
            "SELECT DISTINCT province, provinceKey, provinceLat, provinceLon FROM admin_units WHERE provinceCode = ?",
            (HANOI_CODE,),
        ).fetchone()
        new_by_key = {
            key: (name, code, ward_type, lat, lon)
            for name, code, ward_type, lat, lon, key in db.execute(
                "SELECT DISTINCT ward, wardCode, wardType, wardLat, wardLon, wardKey FROM admin_units "
                "WHERE provinceCode = ?",
                (HANOI_CODE,),
            )
        }
    finally:
        db.close()
    conversion = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
    province_key = next(k for k, v in conversion["DICT_PROVINCE"].items() if province[1] in v)
    whole = conversion["DICT_PROVINCE_WARD_NO_DIVIDED"][province_key]
    split = conversion["DICT_PROVINCE_WARD_DIVIDED"].get(province_key, {})

    old: list[_UnitRow] = []
    needed_new: set[str] = set()
    for name, gso, key, lat, lon, district_key in old_rows:
        old_key = f"{province_key}_{district_key}_{key}"
        new_keys = [k for k, v in whole.items() if old_key in v] or [
            w["newWardKey"] for w in split.get(old_key, [])
        ]
        needed_new.update(new_keys)
        if name == "Phường Quang Trung":
            gso = QUANG_TRUNG_PRE_2025
        old.append(
            _UnitRow(
                gso, name, UnitLevel.WARD, key, lat, lon, sorted(new_by_key[k][1] for k in new_keys)
            )
        )
    for name, gso in ABSORBED_INTO_QUANG_TRUNG.items():
        quang_trung = next(r for r in old if r.name == "Phường Quang Trung")
        old.append(_UnitRow(gso, name, UnitLevel.WARD, "", quang_trung.lat, quang_trung.lon, []))
    new = []
    for key in sorted(needed_new):
        name, gso, ward_type, lat, lon = new_by_key[key]
        level = UnitLevel.COMMUNE if ward_type == "Xã" else UnitLevel.WARD
        new.append(_UnitRow(gso, name, level, key, lat, lon))
    return (
        sorted(old, key=lambda r: r.gso),
        sorted(new, key=lambda r: r.gso),
        {"name": province[0], "lat": province[2], "lon": province[3]},
    )


# ---------------------------------------------------------------------------------------------
# Upserts that write only when something differs, so a second run changes nothing


def _upsert(model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]) -> Any:
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **values)
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if changed:
        for k in changed:
            setattr(obj, k, values[k])
        obj.save()
    return obj


def _unit(
    code: str, *, name: str, level: str, agency_code: str, parent: Unit | None, **dates: Any
) -> Unit:
    return _upsert(
        Unit,
        {"code": code},
        {
            "name": name,
            "level": level,
            "agency_code": agency_code,
            "parent": parent,
            "valid_from": dates.get("valid_from"),
            "valid_to": dates.get("valid_to"),
        },
    )


# Illustrative agency codes, Circular 10/2016 layout `level4.level3.level2.level1`:
# H26 = Hà Nội; level-2 codes 20 (the former district) and 61–72 (current wards and communes);
# level-3 codes number wards (01–17) and departments (31+) under them.
NEW_DEPARTMENTS = [
    ("VP", "Văn phòng HĐND và UBND"),
    ("KTHTDT", "Phòng Kinh tế, Hạ tầng và Đô thị"),
    ("VHXH", "Phòng Văn hóa – Xã hội"),
]
OLD_DEPARTMENTS = [
    ("TP", "Phòng Tư pháp", "VP"),
    ("TNMT", "Phòng Tài nguyên và Môi trường", "KTHTDT"),
    ("QLDT", "Phòng Quản lý đô thị", "KTHTDT"),
    ("LDTBXH", "Phòng Lao động – Thương binh và Xã hội", "VHXH"),
]

HA_DONG_OFFICE_COUNTERS = [
    "Tư pháp – Hộ tịch",
    "Chứng thực",
    "Đất đai – Môi trường",
    "Xây dựng – Đô thị",
    "Lao động – Thương binh và Xã hội",
    "Kinh tế – Hộ kinh doanh",
]
WARD_OFFICE_COUNTERS = {
    "09886": ["Tư pháp – Hộ tịch – Chứng thực", "Đất đai – Xây dựng", "Văn hóa – Xã hội"],
    "09562": ["Tư pháp – Hộ tịch – Chứng thực", "Đất đai – Xây dựng – Xã hội"],
    "09568": ["Tư pháp – Hộ tịch – Chứng thực", "Đất đai – Xây dựng", "Văn hóa – Xã hội"],
    "09552": ["Tư pháp – Hộ tịch – Chứng thực", "Đất đai – Xây dựng – Xã hội"],
}


def department_code(unit_code: str, short: str) -> str:
    return f"{unit_code}-{short}"


@transaction.atomic
def seed_units() -> None:
    """Hà Nội, the former Hà Đông district with its 17 wards and departments, the wards that replaced them, offices."""
    old_rows, new_rows, province = _package_units()
    hanoi = _unit(
        HANOI_CODE,
        name=province["name"],
        level=UnitLevel.PROVINCE,
        agency_code="000.00.00.H26",
        parent=None,
    )
    district = _unit(
        DISTRICT_CODE,
        name="Quận Hà Đông",
        level=UnitLevel.DISTRICT,
        agency_code="000.00.20.H26",
        parent=hanoi,
        valid_to=DISTRICT_END,
    )
    old_units: dict[str, Unit] = {}
    for number, row in enumerate(old_rows, start=1):
        old_units[row.gso] = _unit(
            old_ward_code(row.gso),
            name=row.name,
            level=row.level,
            agency_code=f"000.{number:02d}.20.H26",
            parent=district,
            valid_to=MERGED_2025_01 if row.name in ABSORBED_INTO_QUANG_TRUNG else DISTRICT_END,
        )
    # Current wards: the five of Hà Đông first, then the neighbours that received a part.
    rank = {gso: i for i, gso in enumerate(HA_DONG_WARDS)}
    ordered_new = sorted(new_rows, key=lambda r: (rank.get(r.gso, len(rank)), r.gso))
    new_units: dict[str, Unit] = {}
    for number, row in enumerate(ordered_new, start=61):
        new_units[row.gso] = _unit(
            row.gso,
            name=row.name,
            level=row.level,
            agency_code=f"000.00.{number}.H26",
            parent=hanoi,
            valid_from=NEW_START,
        )
    old_departments: dict[str, Unit] = {}
    for number, (short, name, _) in enumerate(OLD_DEPARTMENTS, start=31):
        old_departments[short] = _unit(
            department_code(DISTRICT_CODE, short),
            name=name,
            level=UnitLevel.DEPARTMENT,
            agency_code=f"000.{number}.20.H26",
            parent=district,
            valid_to=DISTRICT_END,
        )
    ha_dong = new_units[HA_DONG]
    ha_dong_number = ha_dong.agency_code.split(".")[2]
    new_departments: dict[str, Unit] = {}
    for number, (short, name) in enumerate(NEW_DEPARTMENTS, start=31):
        new_departments[short] = _unit(
            department_code(HA_DONG, short),
            name=name,
            level=UnitLevel.DEPARTMENT,
            agency_code=f"000.{number}.{ha_dong_number}.H26",
            parent=ha_dong,
            valid_from=NEW_START,
        )

    # Successor links: each old ward → the new wards the conversion table sends it to.
    for row in old_rows:
        if row.name in ABSORBED_INTO_QUANG_TRUNG:
            targets = [old_units[QUANG_TRUNG_PRE_2025]]
        else:
            targets = [new_units[g] for g in row.successors]
        old_units[row.gso].successors.set(targets)
    district.successors.set([new_units[g] for g in HA_DONG_WARDS])
    for short, _, successor in OLD_DEPARTMENTS:
        old_departments[short].successors.set([new_departments[successor]])

    seed_offices(new_units=new_units, district=district)


def seed_offices(*, new_units: dict[str, Unit] | None = None, district: Unit | None = None) -> None:
    """One-stop offices and counters of the current wards, and the former district's office as history."""
    new_units = new_units or {code: Unit.objects.get(code=code) for code in HA_DONG_WARDS}
    district = district or Unit.objects.get(code=DISTRICT_CODE)
    _, new_rows, _ = _package_units()
    coords = {row.gso: (row.lat, row.lon) for row in new_rows}

    ha_dong = _upsert(
        Office,
        {"code": "ha-dong"},
        {
            "unit": new_units[HA_DONG],
            "name": "Trung tâm Phục vụ hành chính công phường Hà Đông",
            "address": "Số 2 Quang Trung, phường Hà Đông, thành phố Hà Nội",
            "latitude": 20.97145,
            "longitude": 105.77803,
            "is_active": True,
        },
    )
    for number, name in enumerate(HA_DONG_OFFICE_COUNTERS, start=1):
        _upsert(Counter, {"office": ha_dong, "number": number}, {"name": name})

    for gso, counters in WARD_OFFICE_COUNTERS.items():
        slug, ward_name = HA_DONG_WARDS[gso]
        lat, lon = coords[gso]
        short = ward_name.removeprefix("Phường ")
        office = _upsert(
            Office,
            {"code": slug},
            {
                "unit": new_units[gso],
                "name": f"Trung tâm Phục vụ hành chính công phường {short}",
                "address": f"Trụ sở UBND phường {short}, thành phố Hà Nội",
                "latitude": lat,
                "longitude": lon,
                "is_active": True,
            },
        )
        for number, name in enumerate(counters, start=1):
            _upsert(Counter, {"office": office, "number": number}, {"name": name})

    old = _upsert(
        Office,
        {"code": "quan-ha-dong"},
        {
            "unit": district,
            "name": "Bộ phận tiếp nhận và trả kết quả giải quyết TTHC quận Hà Đông",
            "address": "Quận Hà Đông, thành phố Hà Nội (đã giải thể từ 01/7/2025)",
            "latitude": 20.95709,
            "longitude": 105.770329,
            "is_active": False,
        },
    )
    for number in range(1, 5):
        _upsert(Counter, {"office": old, "number": number}, {"name": "", "is_active": False})


# ---------------------------------------------------------------------------------------------
# Staff

_VP, _KT, _VH = (department_code(HA_DONG, s) for s, _ in NEW_DEPARTMENTS)

# username, full name, title, [(unit code, role)]
STAFF: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    ("admin", "Đỗ Mạnh Hùng", "Quản trị hệ thống", [(HA_DONG, Role.SYSADMIN)]),
    ("tiepnhan", "Nguyễn Thị Thu Hà", "Cán bộ tiếp nhận – Quầy số 1", [(HA_DONG, Role.RECEPTION)]),
    ("tiepnhan2", "Trần Minh Tuấn", "Cán bộ tiếp nhận – Quầy số 2", [(HA_DONG, Role.RECEPTION)]),
    ("tiepnhan3", "Lê Thị Hồng Nhung", "Cán bộ tiếp nhận – Quầy số 3", [(HA_DONG, Role.RECEPTION)]),
    ("tiepnhan4", "Phạm Quang Huy", "Cán bộ tiếp nhận – Quầy số 4", [(HA_DONG, Role.RECEPTION)]),
    ("tiepnhan5", "Vũ Thị Mai Anh", "Cán bộ tiếp nhận – Quầy số 5", [(HA_DONG, Role.RECEPTION)]),
    ("tiepnhan6", "Hoàng Văn Long", "Cán bộ tiếp nhận – Quầy số 6", [(HA_DONG, Role.RECEPTION)]),
    (
        "chuyenvien",
        "Bùi Thị Lan Hương",
        "Chuyên viên Văn phòng HĐND và UBND (tư pháp – hộ tịch)",
        [(_VP, Role.SPECIALIST), (HA_DONG, Role.SPECIALIST)],
    ),
    (
        "chuyenvien2",
        "Đặng Quốc Bảo",
        "Chuyên viên Phòng Kinh tế, Hạ tầng và Đô thị (đất đai)",
        [(_KT, Role.SPECIALIST)],
    ),
    (
        "chuyenvien3",
        "Ngô Thị Thanh Tâm",
        "Chuyên viên Phòng Văn hóa – Xã hội",
        [(_VH, Role.SPECIALIST)],
    ),
    (
        "chuyenvien4",
        "Dương Văn Thành",
        "Chuyên viên Phòng Kinh tế, Hạ tầng và Đô thị (xây dựng)",
        [(_KT, Role.SPECIALIST)],
    ),
    ("lanhdao", "Nguyễn Văn Thắng", "Phó Chủ tịch UBND phường Hà Đông", [(HA_DONG, Role.LEADER)]),
    (
        "quanly",
        "Trịnh Thị Phương Thảo",
        "Giám đốc Trung tâm Phục vụ hành chính công phường Hà Đông",
        [(HA_DONG, Role.MANAGER), ("09886", Role.MANAGER)],
    ),
    ("tainha", "Lý Văn Hậu", "Cán bộ phục vụ tại nhà", [(HA_DONG, Role.HOME_SERVICE)]),
    (
        "duongnoi.tiepnhan",
        "Phan Thị Ngọc Ánh",
        "Cán bộ tiếp nhận phường Dương Nội",
        [("09886", Role.RECEPTION)],
    ),
    (
        "duongnoi.lanhdao",
        "Tạ Đình Khôi",
        "Phó Chủ tịch UBND phường Dương Nội",
        [("09886", Role.LEADER)],
    ),
    (
        "yennghia.tiepnhan",
        "Mai Thị Hải Yến",
        "Cán bộ tiếp nhận phường Yên Nghĩa",
        [("09562", Role.RECEPTION)],
    ),
    (
        "phuluong.tiepnhan",
        "Đinh Công Sơn",
        "Cán bộ tiếp nhận phường Phú Lương",
        [("09568", Role.RECEPTION)],
    ),
    (
        "kienhung.tiepnhan",
        "Cao Thị Bích Ngọc",
        "Cán bộ tiếp nhận phường Kiến Hưng",
        [("09552", Role.RECEPTION)],
    ),
    (
        "kienhung.lanhdao",
        "Lương Văn Đức",
        "Phó Chủ tịch UBND phường Kiến Hưng",
        [("09552", Role.LEADER)],
    ),
]


@transaction.atomic
def seed_staff() -> dict[str, User]:
    """About 20 officials (password `motcua-demo`); existing accounts keep their password."""
    units = {
        u.code: u
        for u in Unit.objects.filter(code__in={c for *_, roles in STAFF for c, _ in roles})
    }
    missing = {c for *_, roles in STAFF for c, _ in roles} - set(units)
    if missing:
        raise RuntimeError(f"seed_units() must run first (missing units: {sorted(missing)})")
    existing = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in STAFF])}
    password_hash = make_password(DEMO_PASSWORD) if len(existing) < len(STAFF) else ""
    users: dict[str, User] = {}
    for username, full_name, title, roles in STAFF:
        is_admin = username == "admin"
        values = {
            "full_name": full_name,
            "title": title,
            "is_active": True,
            "is_staff": is_admin,
            "is_superuser": is_admin,
        }
        user = existing.get(username)
        if user is None:
            last, first = full_name.split(" ", 1)[0], full_name.split(" ")[-1]
            user = User.objects.create(
                username=username,
                password=password_hash,
                first_name=first,
                last_name=last,
                **values,
            )
        else:
            changed = [k for k, v in values.items() if getattr(user, k) != v]
            if changed:
                for k in changed:
                    setattr(user, k, values[k])
                user.save(update_fields=changed)
        for code, role in roles:
            StaffRole.objects.get_or_create(user=user, unit=units[code], role=role)
        users[username] = user
    return users


# ---------------------------------------------------------------------------------------------
# Citizens

FAMILY_NAMES = [
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 50),
    ("Phan", 45),
    ("Vũ", 39),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 8),
    ("Trịnh", 7),
    ("Đào", 6),
    ("Mai", 5),
    ("Tạ", 4),
    ("Lương", 4),
    ("Cao", 4),
    ("Chu", 3),
    ("Kiều", 2),
    ("Khuất", 2),
]
MIDDLE_MALE = [
    "Văn",
    "Văn",
    "Đức",
    "Minh",
    "Quang",
    "Hữu",
    "Công",
    "Xuân",
    "Thanh",
    "Ngọc",
    "Đình",
    "Quốc",
    "Mạnh",
]
MIDDLE_FEMALE = [
    "Thị",
    "Thị",
    "Thị",
    "Thu",
    "Ngọc",
    "Thanh",
    "Minh",
    "Thùy",
    "Phương",
    "Hồng",
    "Bích",
    "Kim",
    "Mai",
]
GIVEN_MALE = [
    "An", "Anh", "Bảo", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Giang", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy",
    "Khánh", "Khoa", "Kiên", "Lâm", "Long", "Mạnh", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang",
    "Sơn", "Tài", "Thắng", "Thành", "Tiến", "Toàn", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ",
]  # fmt: skip
GIVEN_FEMALE = [
    "An", "Anh", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Huyền", "Hương", "Lan", "Linh",
    "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quỳnh", "Tâm", "Thảo", "Thơ",
    "Thu", "Thủy", "Trang", "Trinh", "Uyên", "Vân", "Yến",
]  # fmt: skip
# Streets near each current ward (illustrative addresses for demo citizens).
STREETS = {
    "Phường Hà Đông": [
        "Quang Trung",
        "Trần Phú",
        "Tô Hiệu",
        "Lê Lợi",
        "Bà Triệu",
        "Phùng Hưng",
        "Vạn Phúc",
    ],
    "Phường Dương Nội": ["Tố Hữu", "Lê Quang Đạo", "Lê Trọng Tấn", "La Khê", "Nguyễn Thanh Bình"],
    "Phường Yên Nghĩa": ["Quốc lộ 6", "Yên Lộ", "Ba La", "Đồng Mai"],
    "Phường Phú Lương": ["Phú Lương", "Phú Lãm", "Quốc lộ 21B", "Cự Đà"],
    "Phường Kiến Hưng": ["Lê Văn Lương", "Xa La", "Kiến Hưng", "Phúc La"],
}
# Where demo citizens were registered at birth (CCCD province codes): mostly Hà Nội.
BIRTH_PROVINCES = (
    [("001", 70)]
    + [
        (code, 2)
        for code in (
            "036",
            "034",
            "038",
            "040",
            "030",
            "033",
            "035",
            "037",
            "026",
            "025",
            "027",
            "019",
            "042",
        )
    ]
    + [("022", 1), ("079", 1), ("048", 1)]
)
MOBILE_PREFIXES = ["090", "091", "093", "094", "096", "097", "098", "032", "033", "035", "038", "039", "070", "077",
                   "081", "083", "085", "086", "088", "056", "058"]  # fmt: skip


def _weighted(pairs: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    values, weights = zip(*pairs, strict=True)
    cumulative, total = [], 0
    for w in weights:
        total += w
        cumulative.append(total)
    return list(values), cumulative


def _citizen_rows(n: int, offset: int) -> Iterator[tuple[str, str, str, date, str, str, str]]:
    """n demo citizens as (id, name, folded name, birth date, sex, phone, address), the same for the same offset."""
    rng = random.Random(f"motcua-demo-citizens:{offset}")
    bits64 = rng.getrandbits
    family, family_cum = _weighted(FAMILY_NAMES)
    provinces, province_cum = _weighted(BIRTH_PROVINCES)
    family_total, province_total = family_cum[-1], province_cum[-1]
    middles = {"M": MIDDLE_MALE, "F": MIDDLE_FEMALE}
    seconds = {"M": MIDDLE_MALE[2:], "F": MIDDLE_FEMALE[3:]}
    givens = {"M": GIVEN_MALE, "F": GIVEN_FEMALE}
    places = [
        (street, ward.replace("Phường", "phường"))
        for ward, streets in STREETS.items()
        for street in streets
    ]
    folded: dict[str, str] = {}  # names repeat a lot; folding is the slow part
    day0 = date(1940, 1, 1)
    span = (date(2012, 12, 31) - day0).days
    # One 64-bit draw per person, cut into fields: 100k people must take seconds, not minutes.
    for i in range(n):
        r = bits64(64)
        sex = "F" if r & 1 else "M"
        r >>= 1
        born = day0 + timedelta(days=r % span)
        r //= span
        province = provinces[bisect(province_cum, r % province_total)]
        r //= province_total
        name_family = family[bisect(family_cum, r % family_total)]
        r //= family_total
        middle = middles[sex][r % 13]
        r //= 13
        given = givens[sex][r % len(givens[sex])]
        r //= 40
        if r % 10 < 3:  # a second middle name, common in recent generations
            second = seconds[sex][(r // 10) % len(seconds[sex])]
            if second != middle:
                middle = f"{middle} {second}"
        full_name = f"{name_family} {middle} {given}"
        name_folded = folded.get(full_name)
        if name_folded is None:
            name_folded = folded[full_name] = fold(full_name)
        # A permutation of the index, not a random draw: numbers never repeat within a run.
        # Each further million of indexes is shifted, so block 1,000,000+ (the bulk runs) does
        # not reuse the serials of block 0 (the base demo people).
        g = offset + i
        serial = ((g + g // 1_000_000 * 618_034) * 611_953 + 271_828) % 1_000_000
        digit = (born.year // 100 - 19) * 2 + (sex == "F")
        id_number = f"{province}{digit}{born.year % 100:02d}{serial:06d}"
        r = bits64(64)
        street, ward = places[r % len(places)]
        r //= len(places)
        if r & 1:
            address = f"Số {r % 250 + 1} {street}, {ward}, thành phố Hà Nội"
        else:
            address = f"Số {r % 60 + 1}, ngõ {r // 60 % 299 + 2} {street}, {ward}, thành phố Hà Nội"
        r //= 1 << 20
        phone = ""
        if r % 100 < 92:
            r //= 100
            phone = MOBILE_PREFIXES[r % len(MOBILE_PREFIXES)] + f"{r // 64 % 10_000_000:07d}"
        yield id_number, full_name, name_folded, born, sex, phone, address


def seed_citizens(n: int, *, batch: int = 5000, offset: int = 0) -> int:
    """Bulk-insert n deterministic demo citizens (existing numbers skipped); returns how many rows were new.

    The same (n, offset) always yields the same people, so a second run inserts nothing; use
    another offset for more people. Rows go in as multi-row INSERT … ON CONFLICT DO NOTHING
    (SQLite and PostgreSQL): building 100k model objects for bulk_create costs more than the insert.
    """
    if n <= 0:
        return 0
    table = connection.ops.quote_name(Citizen._meta.db_table)
    columns = "id_number, old_id_number, full_name, name_folded, date_of_birth, sex, phone, email, address, created_at"
    per_statement = min(1000, (connection.features.max_query_params or 65_535) // 8)
    created_at = connection.ops.adapt_datetimefield_value(clock.now())
    adapt_date = connection.ops.adapt_datefield_value
    before = Citizen.objects.count()
    rows = _citizen_rows(n, offset)
    while chunk := list(islice(rows, batch)):
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One statement per batch: arrays of columns, so the driver parses 8 placeholders, not 40,000.
                ids, names, folded, born, sexes, phones, addresses = (
                    list(col) for col in zip(*chunk, strict=True)
                )
                sql = (
                    f"INSERT INTO {table} ({columns}) "  # noqa: S608
                    "SELECT i, '', n, f, b, s, p, '', a, %s FROM unnest("
                    "%s::varchar[], %s::varchar[], %s::varchar[], %s::date[], %s::varchar[], %s::varchar[], %s::varchar[]"
                    ") AS t(i, n, f, b, s, p, a) ON CONFLICT DO NOTHING"
                )
                cursor.execute(
                    sql, [created_at, ids, names, folded, born, sexes, phones, addresses]
                )
                continue
            for start in range(0, len(chunk), per_statement):
                part = chunk[start : start + per_statement]
                values = ", ".join(["(%s, '', %s, %s, %s, %s, %s, '', %s, %s)"] * len(part))
                params: list[Any] = []
                for id_number, name, name_folded, date_of_birth, sex, phone, address in part:
                    params += [
                        id_number,
                        name,
                        name_folded,
                        adapt_date(date_of_birth),
                        sex,
                        phone,
                        address,
                        created_at,
                    ]
                # The table and columns come from code; every value is a parameter.
                sql = f"INSERT INTO {table} ({columns}) VALUES {values} ON CONFLICT DO NOTHING"  # noqa: S608
                cursor.execute(sql, params)
    return Citizen.objects.count() - before
