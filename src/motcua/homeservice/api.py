"""JSON API of home visits: public booking and status, the day's plan, the officer's actions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.utils import check_csrf
from pydantic import WrapValidator

from motcua.core.auth import SessionOrToken
from motcua.core.challenge import challenge_check_request
from motcua.core.errors import NotFound, PermissionDenied, RateLimited
from motcua.core.idempotency import idempotent
from motcua.core.schemas import (
    DB_INT_MAX,
    PATH_CODE_MAX,
    DeliveryMethod,
    ErrorOut,
    InputSchema,
    IsoDate,
    coded,
)
from motcua.homeservice import selectors, services
from motcua.homeservice.models import VisitChannel

router = Router(tags=["homeservice"])


class SessionCsrfOrToken(SessionOrToken):
    """A logged-in page calling the API must send the CSRF token (X-CSRFToken); tokens need none."""

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request) is not None:
                return None
            return user
        return super(SessionOrToken, self).__call__(request)


auth = SessionCsrfOrToken()


HalfDay = Literal["morning", "afternoon"]  # homeservice.HalfDay
# homeservice.services.ACTIONS (a test keeps the two the same)
Action = Annotated[
    Literal[
        "assign",
        "start",
        "arrive",
        "receive",
        "appraise",
        "no_one_home",
        "reschedule",
        "complete",
        "cancel",
    ],
    WrapValidator(coded("action_invalid", "Thao tác không hợp lệ.")),
]
DayQuery = Annotated[IsoDate, WrapValidator(coded("date_invalid", "Ngày phải có dạng YYYY-MM-DD."))]
PHOTO_MAX = 8_000_000  # a phone photo as base64 or a data: URL


class VisitIn(InputSchema):
    unit: str = Field(max_length=40)
    procedure: str = Field(max_length=40)
    full_name: str = Field(max_length=200)
    id_number: str = Field(max_length=12)
    phone: str = Field(max_length=20)
    address: str = Field(max_length=300)
    date: IsoDate
    half_day: HalfDay
    needs: str = Field("", max_length=300)
    eligibility: Literal["social", "elderly", "disabled", "ill"] = (
        "social"  # homeservice.Eligibility
    )


class VisitCreated(Schema):
    code: str
    status: str
    date: str
    half_day: str


class VisitPublic(Schema):
    code: str
    status: str
    status_label: str
    date: str
    half_day: str
    procedure: str
    officer_name: str | None
    eta: str | None
    dossier: str | None


class VisitRow(Schema):
    code: str
    status: str
    status_label: str
    date: str
    half_day: str
    officer: str | None
    officer_name: str | None
    position: int
    dossier: str | None
    unit: str
    procedure: str
    full_name: str
    phone: str
    address: str
    needs: str
    minutes: int
    eta: str | None


class PhotoIn(InputSchema):
    data: str = Field(max_length=PHOTO_MAX)
    paper: int | None = Field(None, ge=0, le=DB_INT_MAX)  # the paper's position in the dossier


class LocationIn(InputSchema):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ActionIn(InputSchema):
    action: Action
    key: str = Field(min_length=1, max_length=100)  # homeservice.HomeVisitEvent.key
    officer: str | None = Field(None, max_length=150)  # a username, or a user id as text
    position: int | None = Field(None, ge=0, le=DB_INT_MAX)
    papers: list[Annotated[int, Field(ge=0, le=DB_INT_MAX)]] | None = Field(None, max_length=200)
    photos: list[Annotated[str, Field(max_length=PHOTO_MAX)] | PhotoIn] = Field([], max_length=12)
    signature: str | None = Field(None, max_length=PHOTO_MAX)
    checklist: dict[Annotated[str, Field(max_length=200)], bool] = Field({}, max_length=50)
    notes: str = Field("", max_length=2000)
    note: str = Field("", max_length=500)
    reason: str = Field("", max_length=500)
    date: IsoDate | None = None  # reschedule: the new day and half-day
    half_day: HalfDay | None = None
    location: LocationIn | None = None
    record_location: bool = False
    # receive: how the result goes back (default: brought home, "trả tại nhà").
    delivery_method: DeliveryMethod | None = None


class ActionOut(Schema):
    code: str
    status: str
    status_label: str
    date: str
    half_day: str
    officer: str | None
    officer_name: str | None
    position: int
    dossier: str | None
    replayed: bool


def _unit(code: str) -> Any:
    from motcua.org.models import Unit

    unit = Unit.objects.filter(code=code).first() or Unit.objects.filter(agency_code=code).first()
    if unit is None:
        raise NotFound("Không tìm thấy đơn vị.", code="unit_not_found")
    return unit


def _version(code: str) -> Any:
    from motcua.catalog.selectors import procedure_current

    version = procedure_current(code=code)
    if version is None:
        raise NotFound("Không tìm thấy thủ tục đang áp dụng.", code="procedure_not_found")
    return version


RATE_API_VISIT = ("5/m", "30/h")


@router.post(
    "/public/home-visits",
    response={
        201: VisitCreated,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },  # fmt: skip
    auth=None,
    url_name="public_home_visit",
)
@idempotent("homeservice.booking", status=201, out=VisitCreated)
def public_home_visit(request: HttpRequest, payload: VisitIn) -> Status:
    """Book a home visit (anonymous callers send a solved challenge in X-Altcha); returns its code."""
    from motcua.core.auth import staff_auth

    for i, rate in enumerate(RATE_API_VISIT):
        if is_ratelimited(
            request, group=f"homeservice.api_booking.{i}", key="ip", rate=rate, increment=True
        ):
            raise RateLimited()
    challenge_check_request(request)
    staff = staff_auth(request)
    visit = services.visit_book(
        unit=_unit(payload.unit),
        version=_version(payload.procedure),
        full_name=payload.full_name,
        id_number=payload.id_number,
        phone=payload.phone,
        address=payload.address,
        day=payload.date,
        half_day=payload.half_day,
        eligibility=payload.eligibility,
        needs=payload.needs,
        channel=VisitChannel.DESK if staff else VisitChannel.PORTAL,
        created_by=staff or None,
    )
    return Status(
        201,
        {
            "code": visit.code,
            "status": visit.status,
            "date": visit.date.isoformat(),
            "half_day": visit.half_day,
        },  # fmt: skip
    )


def public_view(visit: Any) -> dict[str, Any]:
    """What the citizen sees: status, day, who is coming and about when."""
    at = selectors.eta(visit)
    officer = visit.officer
    return {
        "code": visit.code,
        "status": visit.status,
        "status_label": visit.get_status_display(),
        "date": visit.date.isoformat(),
        "half_day": visit.half_day,
        "procedure": visit.procedure_version.name,
        "officer_name": (officer.full_name or officer.username) if officer else None,
        "eta": at.isoformat() if at else None,
        "dossier": visit.dossier.code if visit.dossier_id else None,
    }


@router.get(
    "/public/home-visits/{code}",
    response={200: VisitPublic, 404: ErrorOut, 429: ErrorOut},
    auth=None,
)
def public_home_visit_status(
    request: HttpRequest,
    code: str = Path(max_length=PATH_CODE_MAX),
    verify: str = Query("", max_length=20),  # last 4 digits, or the phone
) -> Any:
    """A visit's status for the citizen (verify: last 4 digits of the CCCD or of the phone)."""
    from motcua.core.throttle import verifier_guard

    if is_ratelimited(request, group="homeservice.lookup", key="ip", rate="30/m", increment=True):
        raise RateLimited()
    with verifier_guard("home_visit", code, mismatch={"home_visit_not_found"}):
        visit = services.visit_verify(code=code, proof=verify)
    return public_view(visit)


def row(visit: Any) -> dict[str, Any]:
    at = selectors.eta(visit)
    return {
        **services.visit_out(visit),
        "status_label": visit.get_status_display(),
        "unit": visit.unit.code,
        "procedure": visit.procedure_version.procedure.code,
        "full_name": visit.full_name,
        "phone": visit.phone,
        "address": visit.address,
        "needs": visit.needs,
        "minutes": visit.minutes,
        "eta": at.isoformat() if at else None,
    }


@router.get("/home-visits", response={200: list[VisitRow], 403: ErrorOut, 422: ErrorOut}, auth=auth)
def home_visits(request: HttpRequest, date: DayQuery) -> Any:
    """The day's visits with officer and order, in the units where the caller works on them."""
    from motcua.org.models import Role

    day = date
    user = request.auth  # type: ignore[attr-defined]
    units = selectors.staff_units(user, (Role.MANAGER, Role.HOME_SERVICE, Role.RECEPTION))
    if not units:
        raise PermissionDenied("Bạn không phụ trách lịch phục vụ tại nhà của đơn vị nào.")
    return [row(v) for v in selectors.visits_for_day(units, day)]


@router.post(
    "/home-visits/{code}/actions",
    response={200: ActionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    auth=auth,
)
@idempotent("homeservice.action", status=200, out=ActionOut)
def home_visit_action(
    request: HttpRequest, payload: ActionIn, code: str = Path(max_length=PATH_CODE_MAX)
) -> Any:
    """One action on a visit; the same `key` again returns the first answer (nothing done twice)."""
    params = payload.dict(exclude={"action", "key"})
    answer, replayed = services.visit_act(
        code=code,
        action=payload.action,
        key=payload.key,
        actor=request.auth,  # type: ignore[attr-defined]
        params=params,
    )
    return {**answer, "replayed": replayed}
