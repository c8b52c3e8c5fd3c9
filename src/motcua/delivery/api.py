"""JSON API of the delivery app: how a dossier's result goes back, handover, labels, the postal webhook."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema
from ninja import Status as HttpStatus

from motcua.core import clock
from motcua.core.auth import staff_auth
from motcua.core.errors import NotFound, ValidationFailed
from motcua.core.schemas import (
    DB_INT_MAX,
    PATH_CODE_MAX,
    DeliveryMethod,
    ErrorOut,
    InputSchema,
    IsoDate,
    IsoDateTime,
)
from motcua.delivery import documents, selectors, services
from motcua.delivery.models import Direction, Shipment
from motcua.dossiers.api import CitizenIn
from motcua.dossiers.models import Dossier

router = Router(tags=["delivery"])


class _Anonymous:
    """Lets a request through without a token; the endpoint decides what anonymous callers may do."""

    def __call__(self, request: HttpRequest) -> Any:
        return "anonymous"


anonymous = _Anonymous()


class DeliveryIn(InputSchema):
    method: DeliveryMethod
    address: str = Field("", max_length=300)
    recipient_name: str = Field("", max_length=200)
    phone: str = Field("", max_length=20)
    child_name: str = Field("", max_length=200)
    # A citizen without a token (online) proves the dossier is theirs like the public lookup.
    verify: str = Field("", max_length=4)


class HandoverIn(InputSchema):
    signature: str = Field(max_length=8_000_000)  # data: URL or base64 of a PNG/JPEG
    photo: str = Field("", max_length=8_000_000)
    received_by_name: str = Field("", max_length=200)


class ShipIn(InputSchema):
    weight_grams: int = Field(200, ge=1, le=30000)


class InboundIn(InputSchema):
    waybill: str = Field(max_length=30)  # delivery.Shipment.waybill
    procedure_code: str = Field(max_length=40)
    citizen: CitizenIn
    unit: str = Field(max_length=40)
    posted_at: IsoDateTime | None = None  # when the post office took the parcel
    postage: int = Field(0, ge=0, le=DB_INT_MAX)
    delivery_method: DeliveryMethod | Literal[""] = ""


class ShipmentOut(Schema):
    waybill: str
    postage: int
    status: str


class InboundOut(Schema):
    code: str
    waybill: str
    due_at: str | None


class WebhookOut(Schema):
    code: str
    message: str
    outcome: str


class StatsOut(Schema):
    rows: list[dict[str, Any]]


DossierCode = Path(max_length=PATH_CODE_MAX)
LOOKUP_ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


def _user(request: HttpRequest) -> Any:
    user = getattr(request, "auth", None)
    return user if getattr(user, "pk", None) else None


def _dossier(request: HttpRequest, code: str, verify: str = "") -> Dossier:
    from motcua.dossiers import selectors as dossier_selectors
    from motcua.dossiers.services import dossier_by_number

    user = _user(request)
    if user is not None:
        found = dossier_by_number(dossier_selectors.visible_dossiers(user=user), code).first()
    else:
        # Same check (and lock-out after wrong tries) as the public lookup.
        dossier_selectors.dossier_public_view(code=code, verify=verify)
        found = dossier_by_number(Dossier.objects, code).first()
    if found is None:
        raise NotFound(f"Không tìm thấy hồ sơ có mã {code}.", code="dossier_not_found")
    return found


def _bytes(data: str) -> bytes:
    if not data:
        return b""
    if data.startswith("data:"):
        data = data.split(",", 1)[-1]
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed("Ảnh gửi lên không đọc được.", code="invalid_image") from exc


@router.post(
    "/dossiers/{code}/delivery",
    auth=[staff_auth, anonymous],
    response={200: dict, 409: ErrorOut, **LOOKUP_ERRORS},
)
def delivery_set(
    request: HttpRequest, payload: DeliveryIn, code: str = DossierCode
) -> dict[str, Any]:
    """Choose how the result goes back: counter, home (an official brings it) or post."""
    dossier = _dossier(request, code, payload.verify)
    delivery = services.delivery_choose(
        dossier=dossier,
        method=payload.method,
        actor=_user(request),
        address=payload.address,
        recipient_name=payload.recipient_name,
        phone=payload.phone,
        child_name=payload.child_name,
    )
    return selectors.delivery_view(delivery=delivery, public=_user(request) is None)


@router.get(
    "/dossiers/{code}/delivery", auth=[staff_auth, anonymous], response={200: dict, **LOOKUP_ERRORS}
)
def delivery_get(
    request: HttpRequest, code: str = DossierCode, verify: str = Query("", max_length=4)
) -> dict[str, Any]:
    """method, status, waybill, events (staff see the address and the proof; the citizen with verify)."""
    dossier = _dossier(request, code, verify)
    delivery = services.delivery_for(dossier=dossier)
    return selectors.delivery_view(delivery=delivery, public=_user(request) is None)


@router.post(
    "/dossiers/{code}/delivery/handover", auth=staff_auth, response={200: dict, 409: ErrorOut}
)
def delivery_handover(
    request: HttpRequest, payload: HandoverIn, code: str = DossierCode
) -> dict[str, Any]:
    """The official hands the result over with the citizen's signature (and a photo); the dossier is returned."""
    delivery = services.delivery_handover(
        dossier=_dossier(request, code),
        actor=_user(request),
        signature=_bytes(payload.signature),
        photo=_bytes(payload.photo),
        received_by_name=payload.received_by_name,
    )
    return selectors.delivery_view(delivery=delivery)


@router.post(
    "/dossiers/{code}/delivery/shipment",
    auth=staff_auth,
    response={201: ShipmentOut, 409: ErrorOut, 502: ErrorOut},
)
def delivery_ship(request: HttpRequest, payload: ShipIn, code: str = DossierCode) -> Any:
    """Order the postal operator to carry the result: waybill number and postage."""
    from motcua.delivery.postal import PostalError

    try:
        shipment = services.shipment_send(
            dossier=_dossier(request, code), actor=_user(request), weight_grams=payload.weight_grams
        )
    except PostalError as exc:
        return HttpStatus(
            502,
            {
                "code": "postal_unavailable",
                "message": f"Không gửi được yêu cầu tới dịch vụ bưu chính ({exc}). Vui lòng thử lại.",
            },
        )
    return HttpStatus(
        201, {"waybill": shipment.waybill, "postage": shipment.postage, "status": shipment.status}
    )


PDF = {"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}}


@router.get(
    "/dossiers/{code}/delivery/label.pdf", auth=staff_auth, response={200: None}, openapi_extra=PDF
)
def delivery_label(request: HttpRequest, code: str = DossierCode) -> HttpResponse:
    """The printable address label with the waybill's barcode."""
    dossier = _dossier(request, code)
    shipment = (
        Shipment.objects.filter(dossier=dossier, direction=Direction.OUT)
        .order_by("-created_at")
        .first()
    )
    if shipment is None:
        raise NotFound("Hồ sơ chưa có bưu gửi trả kết quả.", code="shipment_not_found")
    response = HttpResponse(documents.label_pdf(shipment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="nhan-{shipment.waybill}.pdf"'
    return response


@router.get(
    "/dossiers/{code}/delivery/card.pdf", auth=staff_auth, response={200: None}, openapi_extra=PDF
)
def delivery_card(request: HttpRequest, code: str = DossierCode) -> HttpResponse:
    """The congratulation card of a birth registration delivered at home."""
    delivery = services.delivery_for(dossier=_dossier(request, code))
    if not delivery.card:
        raise NotFound("Hồ sơ này không kèm thiệp chúc mừng.", code="card_not_found")
    response = HttpResponse(documents.card_pdf(delivery), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="thiep-chuc-mung.pdf"'
    return response


@router.post("/postal/inbound", auth=staff_auth, response={201: InboundOut, 409: ErrorOut})
def postal_inbound(request: HttpRequest, payload: InboundIn) -> Any:
    """A dossier arrived by post: received now (its time limit starts at the office's receipt)."""
    from motcua.org.models import Unit

    unit = Unit.objects.filter(code=payload.unit).first()
    if unit is None:
        raise NotFound(f"Không tìm thấy đơn vị có mã {payload.unit}.", code="unit_not_found")
    shipment = services.shipment_inbound_receive(
        waybill=payload.waybill,
        procedure_code=payload.procedure_code,
        citizen=payload.citizen.dict(),
        unit=unit,
        actor=_user(request),
        posted_at=payload.posted_at,
        postage=payload.postage,
        delivery_method=payload.delivery_method,
    )
    return HttpStatus(
        201,
        {
            "code": shipment.dossier.code,
            "waybill": shipment.waybill,
            "due_at": clock.local(shipment.dossier.due_at).isoformat()
            if shipment.dossier.due_at
            else None,
        },
    )


@router.post(
    "/postal/webhook",
    auth=None,
    response={200: WebhookOut, 401: WebhookOut, 404: WebhookOut, 409: WebhookOut},
)
def postal_webhook(request: HttpRequest) -> Any:
    """The postal operator's tracking event: verified (signature, time, event id) and applied once."""
    outcome, _shipment = services.postal_webhook(
        body=request.body, headers=request.headers, remote_addr=request.META.get("REMOTE_ADDR", "")
    )
    if outcome == "applied":
        return {"code": "ok", "message": "Đã ghi nhận trạng thái bưu gửi.", "outcome": outcome}
    if outcome == "replay":
        # Answered as success so the operator stops retrying; nothing was changed.
        return {"code": "ok", "message": "Sự kiện đã được ghi nhận trước đó.", "outcome": outcome}
    messages = {
        "unsigned": (401, "Thông báo không có chữ ký."),
        "forged": (401, "Chữ ký của thông báo không hợp lệ."),
        "stale": (409, "Thông báo đã quá hạn hoặc bị phát lại."),
        "unknown_waybill": (404, "Không tìm thấy bưu gửi của thông báo."),
    }
    status, message = messages.get(outcome, (409, "Thông báo không hợp lệ, không được ghi nhận."))
    return HttpStatus(
        status, {"code": f"webhook_{outcome}", "message": message, "outcome": outcome}
    )


@router.get("/stats/deliveries", auth=staff_auth, response=StatsOut)
def delivery_statistics(
    request: HttpRequest, date_from: IsoDate | None = None, date_to: IsoDate | None = None
) -> dict[str, Any]:
    """Per method: results to deliver, delivered, failed, success rate, mean days to deliver."""
    from motcua.org.permissions import visible_unit_ids

    user = _user(request)
    ids = None if getattr(user, "is_superuser", False) else visible_unit_ids(user)
    return {"rows": selectors.delivery_stats(unit_ids=ids, date_from=date_from, date_to=date_to)}
