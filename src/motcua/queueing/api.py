"""JSON API of the queueing app: offices, kiosk check-in, counters, display boards."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from pydantic import StrictStr
from pydantic import ValidationError as PydanticValidationError

from motcua.core import clock
from motcua.core.auth import staff_auth
from motcua.core.errors import NotFound, RateLimited, ValidationFailed
from motcua.core.idempotency import idempotent
from motcua.core.schemas import DB_INT_MAX, InputSchema, JsonInt
from motcua.core.text import ascii_digits
from motcua.org.models import Counter, Office
from motcua.queueing import lookups, selectors, services
from motcua.queueing.models import Service, Ticket

router = Router(tags=["queueing"])


class ErrorOut(Schema):
    code: str
    message: str


class ServiceOut(Schema):
    code: str
    name: str


class CounterOut(Schema):
    id: int
    number: int
    name: str


class OfficeOut(Schema):
    id: int
    code: str
    name: str
    services: list[ServiceOut]
    counters: list[CounterOut]


class CheckInOut(Schema):
    ticket: str
    service: str
    status: str
    people_ahead: int
    estimated_wait_s: int
    reused: bool
    token: str
    url: str
    booking_slot: str | None = None  # "HH:MM" when the ticket came from an appointment
    priority: str | None = None  # the priority group's name, when one applies


class TicketOut(Schema):
    ticket: str
    service: str
    service_code: str
    status: str
    status_label: str
    people_ahead: int
    position: int | None
    estimated_wait_s: int
    counter: int | None
    date: str
    token: str


def resolve_office(value: Any) -> Office:
    """An office by id or by code."""
    text = str(value or "").strip()
    if not text:
        raise ValidationFailed("Thiếu bộ phận một cửa (office).", code="office_required")
    # Remembered per process, forgotten when an office row changes (queueing.lookups).
    office = None if ascii_digits(text) and int(text) > DB_INT_MAX else lookups.office(text)
    if office is None:
        raise NotFound("Không tìm thấy bộ phận một cửa.", code="office_not_found")
    return office


def resolve_service(office: Office, value: Any) -> Service:
    text = str(value or "").strip()
    if not text:
        raise ValidationFailed("Vui lòng chọn dịch vụ (service).", code="service_required")
    service = lookups.service(office.pk, text)
    if service is not None and service.office_id != office.pk:
        service = None
    if service is None:
        raise services.ServiceUnavailable()
    return service


class CheckInIn(InputSchema):
    """The fields of a check-in, JSON or multipart (the image comes as a multipart file)."""

    office: (
        Annotated[StrictStr, Field(max_length=40)]
        | Annotated[JsonInt, Field(ge=0, le=DB_INT_MAX)]
        | None
    ) = None
    service: (
        Annotated[StrictStr, Field(max_length=40)]
        | Annotated[JsonInt, Field(ge=0, le=DB_INT_MAX)]
        | None
    ) = None
    qr: StrictStr | None = Field(None, max_length=1000)  # a chip-card QR is ~150 characters
    phone: StrictStr | None = Field(None, max_length=20)  # org.Citizen.phone
    consent: Literal["today", "remember", "none"] | None = None
    device: StrictStr | None = Field(None, max_length=80)  # queueing.Ticket.device


_ID_OR_CODE = {
    "anyOf": [
        {"type": "string", "maxLength": 40},
        {"type": "integer", "minimum": 0, "maximum": DB_INT_MAX},
    ]
}
CHECK_IN_FIELDS: dict[str, Any] = {
    "qr": {"type": "string", "maxLength": 1000},
    "phone": {"type": "string", "maxLength": 20},
    "office": _ID_OR_CODE,
    "service": _ID_OR_CODE,
    "consent": {"type": "string", "enum": ["today", "remember", "none"]},
    "device": {"type": "string", "maxLength": 80},
}


def _check_in_input(request: HttpRequest) -> dict[str, Any]:
    ctype = request.content_type or ""
    image = None
    if ctype.startswith("multipart/") or ctype.startswith("application/x-www-form-urlencoded"):
        body: Any = {k: request.POST.get(k) for k in request.POST if k in CheckInIn.model_fields}
        upload = request.FILES.get("image")
        image = upload.read() if upload else None
    else:
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ValidationFailed("Dữ liệu gửi lên không phải JSON hợp lệ.", code="invalid")
        if not isinstance(body, dict):
            raise ValidationFailed("Dữ liệu gửi lên không hợp lệ.", code="invalid")
        body = {k: v for k, v in body.items() if k in CheckInIn.model_fields}
    if not body.get("device") and request.headers.get("X-Kiosk-Device"):
        body["device"] = request.headers["X-Kiosk-Device"]  # checked like the field
    try:
        data = CheckInIn.model_validate(body).model_dump()
    except PydanticValidationError as exc:
        fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        raise ValidationFailed(
            f"Dữ liệu gửi lên không hợp lệ ({fields}): các trường là văn bản, trong giới hạn độ dài.",
            code="invalid",
        )
    data["image"] = image  # images come as multipart only
    return data


def check_in_response(result: services.IssueResult) -> dict[str, Any]:
    from django.urls import reverse

    view = selectors.ticket_view(result.ticket, line=result.line)
    booking, priority = result.ticket.booking, result.ticket.priority
    return {
        "ticket": view["ticket"],
        "service": view["service"],
        "status": view["status"],
        "people_ahead": view["people_ahead"],
        "estimated_wait_s": view["estimated_wait_s"],
        "reused": result.reused,
        "booking_slot": f"{clock.local(booking.slot_start):%H:%M}" if booking else None,
        "priority": priority.name if priority else None,
        "token": result.ticket.token,
        "url": reverse("queueing:ticket_live", args=[result.ticket.token]),
    }


def _rate_limit(request: HttpRequest, *, identify: bool) -> None:
    from django.conf import settings

    from motcua.core.throttle import first_limited

    conf = settings.MOTCUA
    limits = [("queue.kiosk", f"{int(conf.get('KIOSK_CHECK_IN_PER_MINUTE', 1200))}/m")]
    if identify:
        limits.append(
            ("queue.kiosk.identify", f"{int(conf.get('KIOSK_IDENTIFY_PER_MINUTE', 120))}/m")
        )
    # Both windows counted at once (one transaction on the database cache, one Redis round trip).
    over = first_limited(request, limits)
    if over == "queue.kiosk":
        raise RateLimited("Kiosk đang nhận quá nhiều yêu cầu, vui lòng thử lại sau ít phút.")
    if over is not None:
        raise RateLimited(
            "Đã nhập mã QR hoặc số điện thoại quá nhiều lần, vui lòng thử lại sau 1 phút "
            "hoặc đến bàn hướng dẫn."
        )


def do_check_in(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    office = resolve_office(data.get("office"))
    service = resolve_service(office, data.get("service"))
    _rate_limit(request, identify=bool(data.get("qr") or data.get("phone")))
    device = str(
        data.get("device")
        or request.headers.get("X-Kiosk-Device")
        or f"kiosk:{request.META.get('REMOTE_ADDR', '')}"
    )
    result = services.kiosk_check_in(
        office=office,
        service=service,
        image=data.get("image") or None,
        qr=data.get("qr") or None,
        phone=data.get("phone") or None,
        consent=str(data.get("consent") or "today"),
        device=device,
    )  # priority: by age from the ID card, or confirmed by staff, never claimed at the kiosk
    return check_in_response(result)


@router.get("/queue/offices", response=list[OfficeOut], auth=None, url_name="queue_offices")
def offices(request: HttpRequest) -> list[dict[str, Any]]:
    """Each office with its queue services and counters."""
    return selectors.offices_with_queues()


@router.post(
    "/kiosk/check-in",
    response={
        200: CheckInOut,
        201: CheckInOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    auth=None,
    url_name="kiosk_check_in",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "image": {"type": "string", "format": "binary"},
                            **CHECK_IN_FIELDS,
                        },
                        "required": ["office", "service"],
                    }
                },
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": CHECK_IN_FIELDS,
                        "required": ["office", "service"],
                    }
                },
            }
        }
    },
)
@idempotent("queue.check_in", out=CheckInOut)
def kiosk_check_in(request: HttpRequest) -> Status:
    """Check in by face image (multipart), ID card QR or phone; returns the ticket (reused if already held)."""
    body = do_check_in(request, _check_in_input(request))
    return Status(200 if body["reused"] else 201, body)


@router.get(
    "/queue/tickets/{token}",
    response={200: TicketOut, 404: ErrorOut},
    auth=None,
    url_name="queue_ticket",
)
def ticket_status(request: HttpRequest, token: str) -> dict[str, Any]:
    """Live position of one ticket (the token printed as a QR on the slip)."""
    ticket = get_object_or_404(
        Ticket.objects.select_related("service", "office", "counter"), token=token
    )
    return selectors.ticket_view(ticket)


def request_fields(request: HttpRequest, *, strict: bool = True) -> dict[str, Any]:
    """A write's fields: JSON, a form (a call button posting fields), or nothing at all.
    `strict=False`: a body that is none of these counts as no fields (an endpoint that took
    no body before keeps answering the clients that sent one anyway)."""
    ctype = request.content_type or ""
    if ctype.startswith(("multipart/", "application/x-www-form-urlencoded")):
        return {k: request.POST.get(k) for k in request.POST}
    if not request.body.strip():
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        if not strict:
            return {}
        raise ValidationFailed("Dữ liệu gửi lên không phải JSON hợp lệ.", code="invalid")
    if not isinstance(body, dict):
        if not strict:
            return {}
        raise ValidationFailed("Dữ liệu gửi lên không hợp lệ.", code="invalid")
    return body


@router.post(
    "/counters/{counter_id}/call-next",
    response={
        200: TicketOut,
        204: None,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    auth=staff_auth,
    url_name="counter_call_next",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "end": {
                                "type": "string",
                                "enum": ["finish", "no-show"],
                                "description": "one press of next: end the current ticket so",
                            },
                            "ticket": {
                                "type": "string",
                                "description": "with end: the current ticket's number (A012)",
                            },
                        },
                    }
                }
            },
        }
    },
)
@idempotent("queue.call_next", out=TicketOut)
def call_next(request: HttpRequest, counter_id: int) -> Any:
    """Call the next ticket for a counter; 204 when nobody waits. With `end` and `ticket` in
    the body (one press of "next"): first end the counter's current ticket, the one numbered
    `ticket`, as served (`finish`) or absent (`no-show`); 409 `ticket_not_current` when
    another ticket is current (a double press)."""
    fields = request_fields(request, strict=False)  # before `end`, call-next took no body
    end, number = fields.get("end"), fields.get("ticket")
    counter = Counter(pk=counter_id)
    try:  # the counter row is read (and locked) once, inside the call
        if end is None and number is None:
            ticket = services.ticket_call_next(counter=counter, officer=request.user)
        elif not isinstance(end, str) or not isinstance(number, str) or not number.strip():
            raise ValidationFailed(
                "Kết thúc số hiện tại cần cả cách kết thúc (end: finish hoặc no-show) và số "
                "đang gọi (ticket).",
                code="end_invalid",
            )
        else:
            ticket = services.ticket_call_next_ending(
                counter=counter, officer=request.user, end=end, display=number
            )
    except Counter.DoesNotExist:
        raise Http404 from None
    if ticket is None:
        return Status(204, None)
    return Status(200, selectors.ticket_view(ticket))


@router.get("/queue/{office}/board", auth=None, url_name="queue_board")
def board(request: HttpRequest, office: str) -> HttpResponse:
    """A display board's snapshot (JSON); `If-None-Match` with the last ETag answers 304 while
    nothing happened at the office."""
    body, etag = selectors.board_body(office=resolve_office(office))
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@router.get(
    "/queue/{office}/events",
    auth=None,
    url_name="queue_events",
    openapi_extra={
        "responses": {
            200: {"description": "text/event-stream", "content": {"text/event-stream": {}}}
        }
    },
)
def events(request: HttpRequest, office: str) -> StreamingHttpResponse:
    """Server-sent events of an office's queue (`?once=1` returns after the first batch)."""
    from motcua.queueing.streams import event_stream_response

    return event_stream_response(request, resolve_office(office))


class SlotOut(Schema):
    start: str
    left: int


@router.get(
    "/queue/{office}/slots",
    response={200: list[SlotOut], 404: ErrorOut, 422: ErrorOut},
    auth=None,
    url_name="queue_slots",
)
def booking_slots(
    request: HttpRequest, office: str, service: str = "", day: str = ""
) -> list[dict[str, Any]]:
    """Bookable slots of a service on a day (`day`: YYYY-MM-DD) with the places left in each."""
    from datetime import date

    from motcua.queueing.bookings import booking_slots as slots_of_day

    found = resolve_office(office)
    svc = resolve_service(found, service)
    try:
        when = date.fromisoformat(day.strip())
    except ValueError:
        raise ValidationFailed("Ngày phải có dạng YYYY-MM-DD.", code="day_invalid")
    return [
        {"start": s.start.isoformat(), "left": s.left}
        for s in slots_of_day(office=found, service=svc, day=when)
    ]
