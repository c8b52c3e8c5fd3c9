"""JSON API of the catalog app: the published catalogue, open to everyone (no token)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from motcua.catalog import selectors
from motcua.catalog.models import Channel, ProcedureVersion
from motcua.core.errors import NotFound, ValidationFailed
from motcua.core.schemas import DB_INT_MAX, InputSchema

router = Router(tags=["catalog"])

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000  # far beyond the catalogue; bounds the SQL OFFSET (issue 9.7)


class FieldOut(Schema):
    code: str
    name: str


class FieldCountOut(FieldOut):
    procedure_count: int


class FeeOut(Schema):
    name: str
    amount: int
    # Added for fees by channel and quantity (motcua.catalog.fees); old fields are unchanged.
    kind: str = "le_phi"
    kind_label: str = "Lệ phí"
    unit: str = "case"
    channels: dict[str, int] = {}
    tiers: list[dict[str, int]] = []
    cap: int | None = None
    basis: str = ""
    exemptions: list[dict[str, Any]] = []
    rate: str = ""


class ProcedureOut(Schema):
    code: str
    version: int
    name: str
    field: FieldOut
    level: str
    level_display: str
    time_unit: str
    time_value: int
    time_display: str
    cutoff: str | None
    fees: list[FeeOut]
    fee_total: int
    time_cases: list[dict[str, Any]]
    # Papers stay plain dicts: a pydantic field named "copy" would shadow BaseModel.copy.
    papers: list[dict[str, Any]]
    result_paper: str
    legal_basis: list[str]
    channels: list[str]
    holiday_duty: bool

    @staticmethod
    def resolve_code(obj: ProcedureVersion) -> str:
        return obj.procedure.code

    @staticmethod
    def resolve_level_display(obj: ProcedureVersion) -> str:
        return obj.get_level_display()

    @staticmethod
    def resolve_time_display(obj: ProcedureVersion) -> str:
        return obj.time_display()

    @staticmethod
    def resolve_fees(obj: ProcedureVersion) -> list[dict[str, Any]]:
        from motcua.catalog.fees import KINDS, fee_describe, kind_of

        return [
            {
                **line,
                "kind": kind_of(line),
                "kind_label": KINDS[kind_of(line)],
                "rate": fee_describe(line),
            }
            for line in obj.fees
        ]

    @staticmethod
    def resolve_cutoff(obj: ProcedureVersion) -> str | None:
        return obj.cutoff.strftime("%H:%M") if obj.cutoff else None


class ProcedureDetailOut(ProcedureOut):
    forms: list[str]
    conditions: str
    steps: str
    agency: str
    decision: str
    valid_from: date | None
    note: str
    is_published: bool
    published_versions: list[int]

    @staticmethod
    def resolve_published_versions(obj: ProcedureVersion) -> list[int]:
        return list(
            obj.procedure.versions.filter(is_published=True)
            .order_by("version")
            .values_list("version", flat=True)
        )


class ProcedurePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ProcedureOut]


class Filters(InputSchema):
    q: str = Field("", max_length=200)
    field: str = Field("", max_length=40)  # catalog.Field.code
    channel: str = Field("", max_length=10, json_schema_extra={"enum": ["", *Channel.values]})
    limit: int = Field(
        100, ge=1, le=DB_INT_MAX, description=f"Số dòng (tối đa {MAX_LIMIT} được trả về)."
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def _page(filters: Filters) -> dict[str, Any]:
    if filters.channel and filters.channel not in Channel.values:
        raise ValidationFailed(
            f"Cách thức «{filters.channel}» không hợp lệ (chọn trong: {', '.join(Channel.values)})."
        )
    if filters.limit < 1 or filters.offset < 0:
        raise ValidationFailed("Tham số phân trang không hợp lệ (limit ≥ 1, offset ≥ 0).")
    limit = min(filters.limit, MAX_LIMIT)
    qs = selectors.procedure_search(q=filters.q, field=filters.field, channel=filters.channel)
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": filters.offset,
        "items": list(qs[filters.offset : filters.offset + limit]),
    }


@router.get("/procedures", response=ProcedurePage, auth=None)
def procedure_list(request: HttpRequest, filters: Query[Filters]) -> dict[str, Any]:
    """The published catalogue: search by name or code (diacritics-insensitive), field and channel."""
    return _page(filters)


@router.get("/public/procedures", response=ProcedurePage, auth=None)
def public_procedure_list(request: HttpRequest, filters: Query[Filters]) -> dict[str, Any]:
    """The portal's procedure disclosure (same list as /procedures)."""
    return _page(filters)


@router.get("/procedures/{code}", response=ProcedureDetailOut, auth=None)
def procedure_detail(
    request: HttpRequest, code: str, version: int | None = None
) -> ProcedureVersion:
    """One procedure in force now, or a given published version of it (?version=N)."""
    if version is None:
        found = selectors.procedure_current(code=code)
    else:
        found = selectors.procedure_version_get(code=code, version=version)
        if found is not None and not found.is_published:
            found = None
    if found is None:
        raise NotFound(
            f"Không tìm thấy thủ tục mã {code}" + (f" phiên bản {version}." if version else ".")
        )
    return found


@router.get("/fields", response=list[FieldCountOut], auth=None)
def field_list(request: HttpRequest) -> Any:
    """The fields (lĩnh vực) with the number of published procedures in each."""
    return list(selectors.field_list())
