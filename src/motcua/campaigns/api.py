"""JSON API of campaigns (staff) and of subscriptions (citizens).

- ``POST /api/v1/campaigns``: compose a campaign (a unit's leaders and managers).
- ``POST /api/v1/campaigns/{campaign_id}/publish``: publish now or at ``at``.
- ``GET /api/v1/campaigns/{campaign_id}/report``: reach and what followed, per channel and day.
- ``POST /api/v1/public/subscriptions``: subscribe to a ward's or a field's announcements.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited
from ninja import Field, Path, Router, Schema, Status
from pydantic import WrapValidator

from motcua.campaigns import selectors, services
from motcua.campaigns.models import Campaign, Channel, LinkKind
from motcua.core.challenge import challenge_check_request
from motcua.core.errors import NotFound, RateLimited, ValidationFailed
from motcua.core.idempotency import idempotent
from motcua.core.schemas import DB_INT_MAX, ErrorOut, InputSchema, IsoDateTime, coded
from motcua.homeservice.api import SessionCsrfOrToken

router = Router(tags=["campaigns"])
auth = SessionCsrfOrToken()  # a page's session must send its CSRF token; bearer tokens need none
CampaignId = Path(ge=1, le=DB_INT_MAX)

ChannelName = Annotated[
    Literal["portal", "zalo", "facebook", "email"],
    WrapValidator(
        coded("invalid_channel", "Kênh đăng không hợp lệ (portal, zalo, facebook, email).")
    ),
]
LinkKindName = Annotated[
    Literal["procedure", "booking", "article"],
    WrapValidator(
        coded("invalid_link_kind", "Loại liên kết không hợp lệ (procedure, booking, article).")
    ),
]
assert set(Channel.values) == {"portal", "zalo", "facebook", "email"}
assert set(LinkKind.values) == {"procedure", "booking", "article"}


class CampaignIn(InputSchema):
    unit: str = Field(max_length=40)  # org.Unit.code
    title: str = Field(min_length=1, max_length=150)
    text: str = Field(min_length=1, max_length=5000)
    link_kind: LinkKindName
    link_target: str = Field("", max_length=120)
    channels: list[ChannelName] = Field(min_length=1, max_length=4)
    field: str | None = Field(None, max_length=40)  # catalog.Field.code
    # A JPEG or PNG, base64 (a data: URL is accepted); checked, downscaled, EXIF removed.
    image: str | None = Field(None, max_length=7_000_000)
    image_alt: str = Field("", max_length=200)


class PublishIn(InputSchema):
    at: IsoDateTime | None = None  # omitted or past: now


class CampaignOut(Schema):
    id: int
    code: str
    unit: str
    title: str
    status: str
    status_label: str
    channels: list[str]
    link_kind: str
    link_target: str
    links: dict[str, str]
    image_url: str
    scheduled_at: str | None
    published_at: str | None


class ChannelReport(Schema):
    channel: str
    channel_label: str
    state: str
    state_label: str
    attempts: int
    posted_at: str | None
    failed_at: str | None
    error: str
    provider_id: str
    url: str
    link: str
    reach: int | None
    reach_at: str | None
    visits: int
    bookings: int
    dossiers: int


class DayReport(Schema):
    day: str
    channel: str
    channel_label: str
    visits: int
    bookings: int
    dossiers: int


class Totals(Schema):
    reach: int
    visits: int
    bookings: int
    dossiers: int


class ReportOut(Schema):
    id: int
    code: str
    title: str
    unit: str
    status: str
    status_label: str
    scheduled_at: str | None
    published_at: str | None
    channels: list[ChannelReport]
    days: list[DayReport]
    totals: Totals


def campaign_out(campaign: Campaign) -> dict[str, Any]:
    from motcua.core import clock

    def iso(moment: Any) -> str | None:
        return clock.local(moment).isoformat() if moment else None

    return {
        "id": campaign.pk,
        "code": campaign.code,
        "unit": campaign.unit.code,
        "title": campaign.title,
        "status": campaign.status,
        "status_label": campaign.get_status_display(),
        "channels": list(campaign.channels),
        "link_kind": campaign.link_kind,
        "link_target": campaign.link_target,
        "links": {c: services.tracking_link(campaign, c) for c in campaign.channels},
        "image_url": services.image_url(campaign),
        "scheduled_at": iso(campaign.scheduled_at),
        "published_at": iso(campaign.published_at),
    }


def _image(data: str | None) -> bytes | None:
    if not data:
        return None
    text = data.partition(",")[2] if data.startswith("data:") else data
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("Ảnh không đọc được (cần base64).", code="image_invalid")


@router.post(
    "/campaigns",
    auth=auth,
    response={201: CampaignOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Soạn chiến dịch truyền thông",
)
@idempotent("campaigns.create", status=201, out=CampaignOut)
def campaign_create(request: HttpRequest, payload: CampaignIn) -> Status:
    """A draft campaign of a unit (leaders, managers); publish it with /publish."""
    from motcua.catalog.models import Field as CatalogField
    from motcua.org.models import Unit

    user = request.auth  # type: ignore[attr-defined]
    unit = Unit.objects.filter(code=payload.unit).first()
    if unit is None:
        raise NotFound(f"Không tìm thấy đơn vị có mã {payload.unit}.", code="unit_not_found")
    field = None
    if payload.field:
        field = CatalogField.objects.filter(code=payload.field).first()
        if field is None:
            raise NotFound("Không tìm thấy lĩnh vực đã chọn.", code="field_not_found")
    campaign = services.campaign_create(
        actor=user,
        unit=unit,
        title=payload.title,
        text=payload.text,
        link_kind=payload.link_kind,
        link_target=payload.link_target,
        channels=list(payload.channels),
        field=field,
        image=_image(payload.image),
        image_alt=payload.image_alt,
    )
    return Status(201, campaign_out(campaign))


@router.post(
    "/campaigns/{campaign_id}/publish",
    auth=auth,
    response={200: CampaignOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Đăng chiến dịch (ngay hoặc hẹn giờ)",
)
@idempotent("campaigns.publish", status=200, out=CampaignOut)
def campaign_publish(
    request: HttpRequest, payload: PublishIn, campaign_id: int = CampaignId
) -> Any:
    """Publish to every chosen channel now, or at `at`; asking again changes nothing (a
    scheduled campaign takes the new time)."""
    user = request.auth  # type: ignore[attr-defined]
    campaign = services.campaign_visible(user, campaign_id)
    at = payload.at
    if at is not None and at.tzinfo is None:
        from motcua.core import clock

        at = at.replace(tzinfo=clock.VN_TZ)  # a time without its zone is Vietnam's
    return campaign_out(services.campaign_publish(campaign=campaign, actor=user, at=at))


@router.get(
    "/campaigns/{campaign_id}/report",
    auth=auth,
    response={200: ReportOut, 404: ErrorOut},
    summary="Báo cáo chiến dịch theo kênh",
)
def campaign_report(request: HttpRequest, campaign_id: int = CampaignId) -> Any:
    """Per channel: post state (and the error of a failed one), reach, visits through the link,
    bookings and online dossiers that followed; per day as well. Aggregates only."""
    user = request.auth  # type: ignore[attr-defined]
    return selectors.campaign_report(services.campaign_visible(user, campaign_id))


class SubscriptionIn(InputSchema):
    channel: Annotated[
        Literal["email", "zalo"],
        WrapValidator(coded("invalid_channel", "Kênh nhận tin không hợp lệ (email, zalo).")),
    ]
    address: str = Field(min_length=1, max_length=254)  # e-mail, or the phone used on Zalo
    unit: str | None = Field(None, max_length=40)  # a ward's code (org.Unit.code)
    field: str | None = Field(None, max_length=40)  # or a field's code (catalog.Field.code)
    consent: bool


class SubscriptionOut(Schema):
    channel: str
    topic: str
    status: Literal["pending_confirmation", "active"]
    message: str


@router.post(
    "/public/subscriptions",
    auth=None,
    response={201: SubscriptionOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    url_name="public_subscription",
    summary="Đăng ký nhận tin của phường, xã hoặc lĩnh vực",
)
@idempotent("campaigns.subscription", status=201, out=SubscriptionOut)
def public_subscription(request: HttpRequest, payload: SubscriptionIn) -> Status:
    """Subscribe (consent required). E-mail: a confirmation message with a signed link is sent;
    nothing else is sent before it is used. Anonymous callers solve the proof-of-work challenge
    (X-Altcha header, GET /public/challenge)."""
    if is_ratelimited(
        request, group="campaigns.api_subscribe", key="ip", rate="10/m", increment=True
    ):
        raise RateLimited()
    challenge_check_request(request)
    sub, _mailed = services.subscription_create(
        channel=payload.channel,
        address=payload.address,
        unit_code=payload.unit or "",
        field_code=payload.field or "",
        consent=payload.consent,
        source="api",
    )
    pending = sub.confirmed_at is None
    return Status(
        201,
        {
            "channel": sub.channel,
            "topic": sub.topic_label,
            "status": "pending_confirmation" if pending else "active",
            "message": (
                "Đã gửi thư xác nhận; mời mở đường dẫn trong thư để bắt đầu nhận tin."
                if pending
                else "Đã đăng ký nhận tin."
            ),
        },
    )
