"""The small office that app tests build on: ward WARD1, its staff, and its civil-status procedures.

`tests/delivery/conftest.py` and `tests/dossiers/conftest.py` make their `office` fixture from
these parts (each adds what its own tests need: a department, a second ward, more staff);
`tests/campaigns/conftest.py` and `tests/notifications/conftest.py` their `ward` fixture from
`kien_hung()` (Phường Kiến Hưng, its office and its neighbour Phường Phú Lương).
"""

from __future__ import annotations

from datetime import time
from typing import Any

from factories import (
    OfficeFactory,
    ProcedureVersionFactory,
    StaffRoleFactory,
    UnitFactory,
    UserFactory,
)
from motcua.catalog.models import TimeUnit
from motcua.org.models import UnitLevel


def ward() -> Any:
    return UnitFactory(
        code="WARD1", agency_code="000.00.20.H26", name="Phường Hà Đông", level=UnitLevel.WARD
    )


def kien_hung(*, code: str, agency: int, office: str) -> tuple[Any, Any, Any]:
    """Phường Kiến Hưng (unit `code`, agency code 000.00.<agency>.H26), its one-stop office (code
    `office`) and its neighbour Phường Phú Lương (unit `code`2, the next agency number)."""
    unit = UnitFactory(
        code=code, agency_code=f"000.00.{agency}.H26", name="Phường Kiến Hưng", level=UnitLevel.WARD
    )
    other = UnitFactory(
        code=f"{code}2",
        agency_code=f"000.00.{agency + 1}.H26",
        name="Phường Phú Lương",
        level=UnitLevel.WARD,
    )
    place = OfficeFactory(unit=unit, code=office, name="Bộ phận một cửa phường Kiến Hưng")
    return unit, other, place


def staff(*people: tuple[str, str, Any], prefix: str = "") -> dict[str, Any]:
    """One user a (name, role, unit), username `prefix` + name, full name the name; by name."""
    users = {}
    for name, role, unit in people:
        user = UserFactory(username=f"{prefix}{name}", full_name=name.title())
        StaffRoleFactory(user=user, unit=unit, role=role)
        users[name] = user
    return users


def birth() -> Any:
    """Birth registration (1.001193), in 3 working days."""
    return ProcedureVersionFactory(
        procedure__code="1.001193",
        name="Đăng ký khai sinh",
        time_unit=TimeUnit.WORKING_DAYS,
        time_value=3,
    )


def birth_and_death() -> tuple[Any, Any]:
    """Birth registration (3 working days) and death registration (same day, 15:00 cut-off)."""
    born = birth()
    death = ProcedureVersionFactory(
        procedure__code="1.000656",
        name="Đăng ký khai tử",
        time_unit=TimeUnit.SAME_DAY,
        time_value=0,
        cutoff=time(15, 0),
        holiday_duty=True,
        fees=[],
    )
    return born, death


def extract_copy(*, time_value: int, **overrides: Any) -> Any:
    """A copy of a civil-status extract (2.000635), in the given working days."""
    return ProcedureVersionFactory(
        procedure__code="2.000635",
        **{
            "name": "Cấp bản sao trích lục hộ tịch",
            "time_unit": TimeUnit.WORKING_DAYS,
            "time_value": time_value,
            **overrides,
        },
    )
