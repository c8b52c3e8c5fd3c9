"""JSON API of the portal: citizens' service ratings and appointment bookings (no token).

The public procedure list (/public/procedures) lives in the catalog app's router."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited
from ninja import Field, Router, Schema, Status
from pydantic import BeforeValidator

from motcua.core import clock
from motcua.core.challenge import challenge_check_request
from motcua.core.errors import RateLimited
from motcua.core.idempotency import idempotent
from motcua.core.schemas import InputSchema, IsoDateTime, JsonDbInt, json_int
from motcua.portal.models import INDICATOR_KEYS, RatingChannel, SatisfactionLevel

router = Router(tags=["portal"])


class ErrorOut(Schema):
    code: str
    message: str


class RatingIn(InputSchema):
    dossier: str | None = Field(None, max_length=60)  # dossiers.Dossier.code
    ticket: Annotated[str, Field(max_length=32)] | JsonDbInt | None = None  # queueing.Ticket.token
    verify: str = Field(max_length=32)
    level: str = Field(max_length=20, json_schema_extra={"enum": [*SatisfactionLevel.values]})
    # portal.models.INDICATORS, each scored 0 (chưa tốt) to 2 (tốt)
    indicators: dict[
        Annotated[str, Field(max_length=40, json_schema_extra={"enum": [*INDICATOR_KEYS]})],
        Annotated[int, Field(ge=0, le=2), BeforeValidator(json_int)],
    ] = Field({}, max_length=20)
    channel: str = Field(
        RatingChannel.KIOSK, max_length=10, json_schema_extra={"enum": [*RatingChannel.values]}
    )


class RatingOut(Schema):
    id: int
    level: str
    channel: str


@router.post(
    "/public/ratings",
    response={
        201: RatingOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    auth=None,
)
@idempotent("portal.rating", status=201, out=RatingOut)
def public_rating(request: HttpRequest, payload: RatingIn) -> Status:
    """A citizen rates a dossier (verify: last 4 digits of ID or phone) or a visit (verify: ticket token)."""
    from motcua.portal.services import rating_submit

    if is_ratelimited(request, group="portal.api_rating", key="ip", rate="10/m", increment=True):
        raise RateLimited()
    from motcua.core.throttle import verifier_guard

    # A dossier code shares its wrong-verifier lock with the lookup (issue 9.8).
    with verifier_guard(
        "dossier", payload.dossier or "", mismatch={"verify_mismatch", "not_found"}
    ):
        rating = rating_submit(
            dossier_code=payload.dossier,
            ticket=payload.ticket if not payload.dossier else None,
            verify=payload.verify,
            level=payload.level,
            indicators=payload.indicators,
            channel=payload.channel,
        )
    return Status(201, {"id": rating.pk, "level": rating.level, "channel": rating.channel})


class BookingIn(InputSchema):
    office: str = Field(max_length=40)
    service: str = Field(max_length=40)
    slot_start: IsoDateTime
    id_number: str = Field(max_length=12)
    full_name: str = Field(max_length=200)
    phone: str = Field(max_length=20)


class BookingOut(Schema):
    code: str
    slot_start: str
    office: str
    service: str


# Anonymous callers solve the proof-of-work challenge (X-Altcha header, see
# GET /public/challenge), staff tokens do not; a tighter per-client limit as well.
RATE_API_BOOKING = ("5/m", "30/h")


@router.post(
    "/public/bookings",
    response={
        201: BookingOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    auth=None,
    url_name="public_booking",
)
@idempotent("portal.booking", status=201, out=BookingOut)
def public_booking(request: HttpRequest, payload: BookingIn) -> Status:
    """Book an appointment in a slot (see GET /queue/{office}/slots); returns its code."""
    from motcua.queueing.api import resolve_office, resolve_service
    from motcua.queueing.bookings import booking_book
    from motcua.queueing.models import BookingChannel

    for i, rate in enumerate(RATE_API_BOOKING):
        if is_ratelimited(
            request, group=f"portal.api_booking.{i}", key="ip", rate=rate, increment=True
        ):
            raise RateLimited()
    challenge_check_request(request)
    office = resolve_office(payload.office)
    service = resolve_service(office, payload.service)
    booking = booking_book(
        office=office,
        service=service,
        slot_start=payload.slot_start,
        id_number=payload.id_number,
        full_name=payload.full_name,
        phone=payload.phone,
        channel=BookingChannel.PORTAL,
    )
    from motcua.campaigns.tracking import record_booking

    record_booking(request)  # from the portal's own pages: the campaign's link, if any
    return Status(
        201,
        {
            "code": booking.code,
            "slot_start": clock.local(booking.slot_start).isoformat(),
            "office": office.code,
            "service": service.code,
        },
    )
