"""The official calendar shipped as data (``data/calendar_vn.json``): pure code, no Django.

Each entry is a day off (holiday, swapped day off, compensatory day off) or a make-up working
Saturday, with the legal act or official notice that set it. The `holidays` package is only a
cross-check: for the years the file covers, the file decides.

Legal frame (Bộ luật Lao động 45/2019/QH14):
* art. 112(1): the public holidays (1/1; 5 days of Tết; 30/4; 1/5; 2/9 and one adjacent day;
  Hùng Kings 10/3 lunar); art. 112(3): the Prime Minister fixes each year the Tết days and the
  day adjacent to 2/9;
* art. 111(3): a holiday on a weekly rest day gives a compensatory day off on the next
  working day;
* swaps (a weekday off, paid back by a Saturday) are set each year by the Government Office /
  Ministry of Labour (Ministry of Home Affairs since 2025) on the Prime Minister's direction.

An entry is *confirmed* when its act or notice was found, *unconfirmed* when only what is known
is recorded (then ``applies_while_unconfirmed`` says whether it counts until an administrator
decides), or *removed* by an administrator.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "calendar_vn.json"

HOLIDAY = "holiday"
SWAPPED_DAY_OFF = "swapped_day_off"
COMPENSATORY_DAY_OFF = "compensatory_day_off"
MAKEUP_WORKING_DAY = "makeup_working_day"
DUTY_DAY = "duty_day"

DAY_OFF_KINDS = frozenset({HOLIDAY, SWAPPED_DAY_OFF, COMPENSATORY_DAY_OFF})
KINDS = DAY_OFF_KINDS | {MAKEUP_WORKING_DAY}

KIND_LABELS = {
    HOLIDAY: "Ngày nghỉ lễ, tết",
    SWAPPED_DAY_OFF: "Ngày nghỉ hoán đổi",
    COMPENSATORY_DAY_OFF: "Ngày nghỉ bù",
    MAKEUP_WORKING_DAY: "Ngày làm bù",
    DUTY_DAY: "Ngày trực giải quyết",
}

CONFIRMED = "confirmed"
UNCONFIRMED = "unconfirmed"
REMOVED = "removed"
STATUSES = (CONFIRMED, UNCONFIRMED, REMOVED)


@dataclass(frozen=True)
class OfficialEntry:
    """One day of the official calendar with the act that set it."""

    date: date
    kind: str
    name: str
    legal_basis: str
    source_number: str
    source_date: dt.date | None
    source_issuer: str
    source_title: str
    status: str = CONFIRMED
    applies_while_unconfirmed: bool = True
    known: str = ""

    @property
    def in_force(self) -> bool:
        """Whether the entry changes the calendar now (confirmed, or unconfirmed by default)."""
        if self.status == CONFIRMED:
            return True
        if self.status == UNCONFIRMED:
            return self.applies_while_unconfirmed
        return False

    @property
    def is_day_off(self) -> bool:
        return self.kind in DAY_OFF_KINDS

    def source_text(self) -> str:
        """The act in one line, e.g. 'Công văn 12729/VPCP-KGVX ngày 25/12/2025 của Văn phòng Chính phủ'."""
        return source_text(
            number=self.source_number,
            issued=self.source_date,
            issuer=self.source_issuer,
            legal_basis=self.legal_basis,
        )


def _doc_type(number: str) -> str:
    """The kind of act its number denotes (Vietnamese numbering conventions)."""
    if "/QH" in number:
        return "Luật số" if "Luật" in number else "Bộ luật số"
    if "-NQ/TW" in number:
        return "Nghị quyết"
    if "/NĐ-CP" in number:
        return "Nghị định"
    if "/TB-" in number:
        return "Thông báo"
    if "/VPCP-" in number or "/BNV-" in number:
        return "Công văn"
    return "Văn bản số"


def source_text(*, number: str, issued: date | None, issuer: str, legal_basis: str = "") -> str:
    parts = [f"{_doc_type(number)} {number}" if number else "Chưa có văn bản"]
    if issued is not None:
        parts.append(f"ngày {issued:%d/%m/%Y}")
    if issuer:
        parts.append(f"của {issuer}")
    text = " ".join(parts)
    if legal_basis:
        text += f" ({legal_basis})"
    return text


class CalendarDataError(ValueError):
    """The shipped calendar file is malformed."""


@lru_cache(maxsize=1)
def shipped_calendar() -> tuple[tuple[int, ...], tuple[OfficialEntry, ...]]:
    """The years covered and the entries of the shipped file (validated, sorted by date)."""
    return parse_calendar(json.loads(DATA_FILE.read_text(encoding="utf-8")))


def parse_calendar(raw: dict) -> tuple[tuple[int, ...], tuple[OfficialEntry, ...]]:  # type: ignore[type-arg]
    """Validate the JSON structure: every day names a known kind, status and source."""
    years = tuple(sorted(int(y) for y in raw["years"]))
    sources = raw["sources"]
    entries: list[OfficialEntry] = []
    seen: set[date] = set()
    for item in raw["days"]:
        day = date.fromisoformat(item["date"])
        if day.year not in years:
            raise CalendarDataError(f"{day} is outside the years the file declares")
        if day in seen:
            raise CalendarDataError(f"{day} appears twice")
        seen.add(day)
        if item["kind"] not in KINDS:
            raise CalendarDataError(f"{day}: unknown kind {item['kind']!r}")
        status = item.get("status", CONFIRMED)
        if status not in (CONFIRMED, UNCONFIRMED):
            raise CalendarDataError(f"{day}: unknown status {status!r}")
        if status == UNCONFIRMED and not item.get("known"):
            raise CalendarDataError(f"{day}: an unconfirmed day must say what is known")
        src = sources[item["source"]]
        entries.append(
            OfficialEntry(
                date=day,
                kind=item["kind"],
                name=item["name"],
                legal_basis=item.get("legal_basis", ""),
                source_number=src["number"],
                source_date=date.fromisoformat(src["date"]) if src.get("date") else None,
                source_issuer=src["issuer"],
                source_title=src["title"],
                status=status,
                applies_while_unconfirmed=bool(item.get("applies_while_unconfirmed", True)),
                known=item.get("known", ""),
            )
        )
    entries.sort(key=lambda e: e.date)
    return years, tuple(entries)


@dataclass(frozen=True)
class OfficialCalendar:
    """Days off and make-up working days in force.

    For the ``years`` it covers the calendar decides alone. Any other year falls back to the
    `holidays` package, plus the days an administrator added for that year (``extra_*``), so
    that entering one early notice for a later year does not erase that year's fixed holidays.
    ``holidays_of`` / ``makeup_of`` are the date sources a ``WorkCalendar`` takes.
    """

    years: frozenset[int]
    days_off: frozenset[date]
    working_days: frozenset[date]
    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    @classmethod
    def from_entries(
        cls, years: Iterable[int], entries: Iterable[OfficialEntry]
    ) -> OfficialCalendar:
        entries = list(entries)
        return cls(
            years=frozenset(years),
            days_off=frozenset(e.date for e in entries if e.in_force and e.is_day_off),
            working_days=frozenset(
                e.date for e in entries if e.in_force and e.kind == MAKEUP_WORKING_DAY
            ),
        )

    def holidays_of(self, year: int) -> frozenset[date]:
        from motcua.worktime.calendar import _vn_holidays_year

        if year in self.years:
            return self.days_off
        return _vn_holidays_year(year) | self.extra_days_off

    def makeup_of(self, year: int) -> frozenset[date]:
        from motcua.worktime.calendar import _vn_makeup_year

        if year in self.years:
            return self.working_days
        return _vn_makeup_year(year) | self.extra_working_days


@lru_cache(maxsize=1)
def shipped_official_calendar() -> OfficialCalendar:
    years, entries = shipped_calendar()
    return OfficialCalendar.from_entries(years, entries)


def shipped_holidays_year(year: int) -> frozenset[date]:
    """Days off of a year by the shipped calendar (the `holidays` package outside its years)."""
    return shipped_official_calendar().holidays_of(year)


def shipped_makeup_year(year: int) -> frozenset[date]:
    """Make-up working days of a year by the shipped calendar (the package outside its years)."""
    return shipped_official_calendar().makeup_of(year)
