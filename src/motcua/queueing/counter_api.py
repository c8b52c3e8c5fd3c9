"""The whole counter over the API: act on the counter's current ticket (issue 10 point 5).

`POST /api/v1/counters/{id}/tickets/current/{action}` with action one of start, finish, recall,
no-show, park, resume, transfer. Same permission rules and services as the counter page; a
hardware call button or a load test drives a counter the way the page does. Every action
honours `Idempotency-Key` like call-next.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from motcua.core.auth import staff_auth
from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.core.idempotency import idempotent
from motcua.core.text import ascii_digits
from motcua.org.models import Counter
from motcua.queueing import lookups, selectors, services
from motcua.queueing.api import ErrorOut, TicketOut, request_fields, resolve_service
from motcua.queueing.models import EventKind, Service, Status, Ticket

router = Router(tags=["queueing"])

ACTIONS = ("start", "finish", "recall", "no-show", "park", "resume", "transfer")
_SIMPLE = {
    "start": services.ticket_start,
    "finish": services.ticket_finish,
    "recall": services.ticket_recall,
    "no-show": services.ticket_no_show,
    "park": services.ticket_park,
}


class NoParkedTicket(Conflict):
    code = "no_parked_ticket"
    message = "Quầy không có số nào đang tạm hoãn để đưa lại vào hàng chờ."


def _text(value: Any) -> str:
    return (
        str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    )


def _parked(counter: Counter, wanted: str) -> Ticket:
    """A parked ticket of this counter: the one named (number or id), else the last one parked."""
    qs = Ticket.objects.filter(counter=counter, status=Status.PARKED)
    if wanted:
        ticket = qs.filter(display__iexact=wanted).order_by("-service_date").first()
        if ticket is None and ascii_digits(wanted) and len(wanted) < 19:
            ticket = qs.filter(pk=int(wanted)).first()
    else:
        last = (
            qs.filter(events__kind=EventKind.PARK, events__counter=counter)
            .order_by("-events__id")
            .values_list("pk", flat=True)
            .first()
        )
        ticket = qs.filter(pk=last).first() if last else qs.order_by("-id").first()
    if ticket is None:
        raise NoParkedTicket()
    return ticket


def _transfer_targets(
    counter: Counter, body: dict[str, Any]
) -> tuple[Service | None, Counter | None]:
    service_text = _text(body.get("to_service"))
    counter_text = _text(body.get("to_counter"))
    if not service_text and not counter_text:
        raise ValidationFailed(
            "Chọn dịch vụ (to_service) hoặc quầy (to_counter) cần chuyển đến.",
            code="transfer_target_required",
        )
    to_service = resolve_service(counter.office, service_text) if service_text else None
    to_counter = None
    if counter_text:
        to_counter = (
            Counter.objects.filter(
                office=counter.office, is_active=True, pk=int(counter_text)
            ).first()
            if ascii_digits(counter_text) and len(counter_text) < 19
            else None
        )
        if to_counter is None:
            raise NotFound("Không tìm thấy quầy chuyển đến.", code="counter_not_found")
    return to_service, to_counter


@router.post(
    "/counters/{counter_id}/tickets/current/{action}",
    response={
        200: TicketOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    auth=staff_auth,
    url_name="counter_ticket_action",
    openapi_extra={
        "parameters": [
            {"in": "path", "name": "action", "required": True, "schema": {"enum": list(ACTIONS)}}
        ],
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "to_service": {"type": "string", "description": "transfer: code or id"},
                            "to_counter": {
                                "type": "integer",
                                "description": "transfer: counter id",
                            },
                            "ticket": {"type": "string", "description": "resume: number or id"},
                        },
                    }
                }
            },
        },
    },
)
@idempotent("queue.counter_action", out=TicketOut)
def counter_ticket_action(request: HttpRequest, counter_id: int, action: str) -> dict[str, Any]:
    """Act on the counter's current ticket: start, finish, recall, no-show, park, transfer;
    resume puts a ticket this counter parked back in line (`ticket` in the body, else the last)."""
    if action not in ACTIONS:
        raise NotFound(
            "Thao tác không có. Dùng: " + ", ".join(ACTIONS) + ".", code="action_unknown"
        )
    counter = lookups.counter(counter_id)  # where it stands: slow-changing, per process
    if counter is None:
        raise NotFound("Không tìm thấy quầy.", code="counter_not_found")
    services._require_staff(request.user, counter.office)
    body = request_fields(request)
    officer = request.user
    # The counter's current ticket (`CurrentOf`) is read and locked by the action's own
    # transaction, in one statement; none: 409 no_current_ticket.
    if action == "resume":
        ticket = services.ticket_resume(
            ticket=_parked(counter, _text(body.get("ticket"))), officer=officer
        )
    elif action == "transfer":
        to_service, to_counter = _transfer_targets(counter, body)
        ticket = services.ticket_transfer(
            ticket=services.CurrentOf(counter.pk),
            to_service=to_service,
            to_counter=to_counter,
            officer=officer,
        )
    else:
        ticket = _SIMPLE[action](ticket=services.CurrentOf(counter.pk), officer=officer)
    return selectors.ticket_view(ticket)
