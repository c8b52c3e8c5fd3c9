"""JSON API of the org app: the unit tree and the ID card QR parser."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from motcua.core.schemas import InputSchema, IsoDate
from motcua.org import selectors
from motcua.org.idcard import parse_idcard_qr
from motcua.org.models import Unit

router = Router(tags=["org"])


class ErrorOut(Schema):
    code: str
    message: str


class UnitOut(Schema):
    code: str
    agency_code: str
    name: str
    level: str
    parent: str | None
    valid_from: date | None
    valid_to: date | None
    successors: list[str]


class UnitsQuery(InputSchema):
    at: IsoDate | None = Field(None, description="Ngày tra cứu (YYYY-MM-DD); mặc định hôm nay.")
    all: bool = Field(False, description="1 để lấy cả các đơn vị đã hết hiệu lực.")


def _unit_out(unit: Unit) -> UnitOut:
    return UnitOut(
        code=unit.code,
        agency_code=unit.agency_code,
        name=unit.name,
        level=unit.level,
        parent=unit.parent.code if unit.parent else None,
        valid_from=unit.valid_from,
        valid_to=unit.valid_to,
        successors=sorted(s.code for s in unit.successors.all()),
    )


@router.get("/units", response=list[UnitOut], auth=None)
def units(request: HttpRequest, filters: Query[UnitsQuery]) -> list[UnitOut]:
    """Administrative units and departments valid today (or on `at`; every unit with `all=1`)."""
    qs = selectors.units_all() if filters.all else selectors.units_current(filters.at)
    return [_unit_out(u) for u in qs]


class QrIn(InputSchema):
    qr: str = Field(max_length=1000)  # a chip-card QR is ~150 characters


class IdCardOut(Schema):
    id_number: str
    old_id_number: str
    full_name: str
    date_of_birth: date
    sex: str
    address: str
    issued_on: date


@router.post("/idcard/parse", response={200: IdCardOut, 422: ErrorOut}, auth=None)
def idcard_parse(request: HttpRequest, payload: QrIn) -> IdCardOut:
    """Read the chip ID card's QR text; 422 with a code and a Vietnamese message when it is malformed."""
    card = parse_idcard_qr(payload.qr)
    return IdCardOut(**card.__dict__)
