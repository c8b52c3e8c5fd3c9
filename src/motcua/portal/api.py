"""JSON API of the portal: citizens' service ratings (no token).

The public procedure list (/public/procedures) lives in the catalog app's router."""

from __future__ import annotations

from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited
from ninja import Router, Schema, Status

from motcua.core.errors import RateLimited
from motcua.portal.models import RatingChannel

router = Router(tags=["portal"])


class ErrorOut(Schema):
    code: str
    message: str


class RatingIn(Schema):
    dossier: str | None = None
    ticket: str | int | None = None
    verify: str
    level: str
    indicators: dict[str, int] = {}
    channel: str = RatingChannel.KIOSK


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
def public_rating(request: HttpRequest, payload: RatingIn) -> Status:
    """A citizen rates a dossier (verify: last 4 digits of ID or phone) or a visit (verify: ticket token)."""
    from motcua.portal.services import rating_submit

    if is_ratelimited(request, group="portal.api_rating", key="ip", rate="10/m", increment=True):
        raise RateLimited()
    rating = rating_submit(
        dossier_code=payload.dossier,
        ticket=payload.ticket if not payload.dossier else None,
        verify=payload.verify,
        level=payload.level,
        indicators=payload.indicators,
        channel=payload.channel,
    )
    return Status(201, {"id": rating.pk, "level": rating.level, "channel": rating.channel})
