"""JSON API of the dossiers app: receive, read, act, public lookup, statistics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router
from ninja import Status as HttpStatus

from motcua.core import clock
from motcua.core.auth import staff_auth
from motcua.core.challenge import HEADER_NAME as CHALLENGE_HEADER
from motcua.core.challenge import challenge_verify
from motcua.core.errors import DomainError, NotFound, RateLimited, ValidationFailed
from motcua.core.idempotency import idempotent
from motcua.core.schemas import DB_INT_MAX, DeliveryMethod, InputSchema, IsoDate, IsoDateTime
from motcua.dossiers import selectors, services
from motcua.dossiers.models import Dossier
from motcua.dossiers.workflow import STEP_LABELS, TIMELINESS_LABELS

router = Router(tags=["dossiers"])


class _Anonymous:
    """Lets a request through without a token; the endpoint decides what anonymous callers may do."""

    def __call__(self, request: HttpRequest) -> Any:
        return "anonymous"


anonymous = _Anonymous()


class NotImplementedYet(DomainError):
    code = "not_implemented"
    status = 501
    message = "Chức năng in biểu mẫu PDF chưa được triển khai."


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401
    message = "Cần đăng nhập (mã truy cập Bearer) để tiếp nhận hồ sơ trực tiếp; công dân chỉ nộp trực tuyến."


# Text limits are the database columns' sizes (org.Citizen, dossiers.Dossier, catalog.Procedure,
# org.Unit, org.User); free text stored in a TextField gets NOTE_MAX.
NOTE_MAX = 4000
MAX_QUANTITY = 10_000  # pages or copies of one dossier


class CitizenIn(InputSchema):
    id_number: str = Field(max_length=12)
    full_name: str = Field(max_length=200)
    date_of_birth: str | None = Field(None, max_length=10)
    sex: str = Field("", max_length=1)
    phone: str = Field("", max_length=20)
    address: str = Field("", max_length=300)
    email: str = Field("", max_length=254)
    # Messages about the dossier (motcua.notifications): the citizen's consent and channels
    # (none chosen: SMS to `phone`). Without consent nothing is sent.
    notify_consent: bool = False
    notify_channels: list[Literal["sms", "email", "zalo"]] | None = Field(None, max_length=3)


class DeliveryChoiceIn(InputSchema):
    """How the citizen wants the result (motcua.delivery): counter, home or post."""

    method: DeliveryMethod = "counter"
    address: str = Field("", max_length=300)


class DossierIn(InputSchema):
    procedure: str = Field(max_length=40)
    channel: str = Field(max_length=10)
    citizen: CitizenIn
    unit: str = Field(max_length=40)
    papers: list[Annotated[int, Field(ge=0, le=DB_INT_MAX)]] | None = Field(None, max_length=200)
    fees_due: int | None = Field(None, ge=0, le=DB_INT_MAX)  # dossiers.Dossier.fees_due
    ticket: str | None = Field(None, max_length=20)
    notes: str = Field("", max_length=NOTE_MAX)
    # Fee inputs (catalog.fees): {"pages": 12, "copies": 2}, an exemption code and its checked proof.
    quantities: (
        dict[Annotated[str, Field(max_length=40)], Annotated[int, Field(ge=0, le=MAX_QUANTITY)]]
        | None
    ) = Field(None, max_length=10)
    exemption: str | None = Field(None, max_length=40)
    exemption_proof: str = Field("", max_length=300)
    # The case of a legally variable time (e.g. marriage: "ngay" or "xac-minh").
    time_case: str | None = Field(None, max_length=40)
    # Optional: how the result goes back, recorded in the reception's transaction.
    delivery: DeliveryChoiceIn | None = None


class ActionIn(InputSchema):
    action: str = Field(max_length=32)
    note: str = Field("", max_length=NOTE_MAX)
    reason: str = Field("", max_length=NOTE_MAX)
    to_user: str | None = Field(None, max_length=150)
    to_unit: str | None = Field(None, max_length=40)
    new_date: str | None = Field(None, max_length=10)
    new_due_at: IsoDateTime | None = None
    repeat_reason: str | None = Field(None, max_length=NOTE_MAX)


def _iso(dt: datetime | None) -> str | None:
    return clock.local(dt).isoformat() if dt else None


def _user(request: HttpRequest) -> Any:
    user = getattr(request, "auth", None)
    return user if getattr(user, "pk", None) else None


def _visible(request: HttpRequest, code: str) -> Dossier:
    user = _user(request)
    dossier = (
        services.dossier_by_number(selectors.visible_dossiers(user=user), code).first()
        if user
        else None
    )
    if dossier is None:
        raise NotFound(f"Không tìm thấy hồ sơ có mã {code}.", code="dossier_not_found")
    return dossier


def dossier_summary(d: Dossier) -> dict[str, Any]:
    return {
        # The official code; null while an online submission awaits acceptance (its
        # `reference` is what the citizen keeps and looks up by).
        "code": d.official_code,
        "reference": d.reference,
        "status": d.status,
        "status_label": d.status_label,
        "channel": d.channel,
        "unit": d.unit.code,
        "procedure": d.procedure_version.procedure.code,
        "procedure_name": d.procedure_version.name,
        "procedure_version": d.procedure_version.version,
        "received_at": _iso(d.received_at),
        "accepted_at": _iso(d.accepted_at),
        "due_at": _iso(d.due_at),  # the legal due moment: every statistic uses it
        "original_due_at": _iso(d.original_due_at),
        "appointment_at": _iso(d.appointment_at),  # the date promised by an apology letter
        "supplement_requests": d.supplement_requests,
        "repeat_supplement": d.repeat_supplement,
        "paused": d.paused_at is not None,
        "result_ready_at": _iso(d.result_ready_at),
        "result_timeliness": d.result_timeliness,
        "returned_at": _iso(d.returned_at),
        "fees_due": d.fees_due,
        "fee_detail": d.fee_detail,
        "fee_exemption": d.fee_exemption,
        "time_case": d.time_case,
        "holder": d.holder.username if d.holder else None,
        "holder_unit": d.holder_unit.code if d.holder_unit else None,
        "step": d.step,
        "step_label": STEP_LABELS.get(d.step, ""),
        "step_due_at": _iso(d.step_due_at),
        "warning": selectors.warning_level(d),
        "approved": d.approved,
    }


def dossier_detail(d: Dossier, user: Any) -> dict[str, Any]:
    body = dossier_summary(d)
    body["citizen"] = {
        "id_number": d.citizen.id_number,
        "full_name": d.citizen.full_name,
        "date_of_birth": d.citizen.date_of_birth.isoformat() if d.citizen.date_of_birth else None,
        "phone": d.citizen.phone,
        "address": d.citizen.address,
    }
    body["papers"] = [
        {"position": p.position, "name": p.name, "required": p.required, "provided": p.provided}
        for p in d.papers.all()
    ]
    body["extensions"] = [
        {
            "number": e.number,
            "reason": e.reason,
            "previous_due_at": _iso(e.previous_due_at),
            "new_due_at": _iso(e.new_due_at),
            "issued_at": _iso(e.issued_at),
            "signed_by": e.signed_by.username if e.signed_by else None,
            "issued_by": e.issued_by.username if e.issued_by else None,
        }
        for e in d.extensions.select_related("signed_by", "issued_by")
    ]
    body["events"] = [
        {
            "at": _iso(e["at"]),
            "action": e["action"],
            "action_label": e["action_label"],
            "from_status": e["from_status"],
            "to_status": e["to_status"],
            "actor": e["actor"],
            "to_user": e["to_user"],
            "to_unit": e["to_unit"],
            "note": e["note"],
            "step": e["step"],
            "step_due_at": _iso(e["step_due_at"]),
            "closed_step": e["closed_step"],
            "closed_step_timeliness": e["closed_step_timeliness"],
            "closed_step_timeliness_label": TIMELINESS_LABELS.get(e["closed_step_timeliness"], ""),
        }
        for e in selectors.dossier_timeline(dossier=d)
    ]
    # The moves the service would accept now (a specialist gets none on a colleague's dossier).
    body["allowed_actions"] = services.dossier_actions(dossier=d, actor=user)
    return body


@router.post("/dossiers", auth=[staff_auth, anonymous], response={201: dict})
@idempotent("dossiers.create", status=201)
def dossier_create(request: HttpRequest, payload: DossierIn) -> Any:
    """Receive a dossier (staff token), or register an online submission (no token, channel online)."""
    from motcua.org.models import Unit

    user = _user(request)
    if user is None and payload.channel != "online":
        raise Unauthorized()
    if user is None:
        online_submission_throttle(request)
        # Anonymous submissions prove some work (X-Altcha header, GET /public/challenge).
        challenge_verify(request.headers.get(CHALLENGE_HEADER))
    unit = Unit.objects.filter(code=payload.unit).first()
    if unit is None:
        raise NotFound(f"Không tìm thấy đơn vị có mã {payload.unit}.", code="unit_not_found")
    with transaction.atomic():
        dossier = services.dossier_receive(
            procedure_code=payload.procedure,
            channel=payload.channel,
            citizen=payload.citizen.dict(),
            unit=unit,
            actor=user,
            papers=payload.papers,
            fees_due=payload.fees_due,
            ticket=payload.ticket,
            notes=payload.notes,
            quantities=payload.quantities,
            exemption=payload.exemption,
            exemption_proof=payload.exemption_proof,
            time_case=payload.time_case,
        )
        if payload.delivery is not None and payload.delivery.method != "counter":
            from motcua.delivery.services import delivery_choose

            delivery_choose(
                dossier=dossier,
                method=payload.delivery.method,
                actor=user,
                address=payload.delivery.address,
            )
    if user is None:
        from motcua.campaigns.tracking import record_dossier

        record_dossier(request)  # an online submission a campaign's link brought
    return HttpStatus(201, dossier_summary(dossier))


@router.get("/dossiers", auth=staff_auth, response=dict)
def dossier_list(
    request: HttpRequest,
    q: str = "",
    kind: str = "",
    status: Annotated[int, Field(ge=0, le=99)] | None = None,
    procedure: str = "",
    date_from: IsoDate | None = None,
    date_to: IsoDate | None = None,
    cursor: str = "",
    limit: Annotated[int, Field(ge=1, le=DB_INT_MAX)] = 50,
) -> dict[str, Any]:
    """A worklist (`kind`: mine, due_soon, overdue, supplement, ready, online) or a search with a keyset cursor."""
    user = _user(request)
    if kind:
        rows = list(selectors.dossier_worklist(user=user, kind=kind)[: max(1, min(limit, 200))])
        return {"items": [dossier_summary(d) for d in rows], "next_cursor": ""}
    rows, next_cursor = selectors.dossier_search(
        user=user,
        q=q,
        status=status,
        procedure=procedure,
        date_from=date_from,
        date_to=date_to,
        cursor=cursor,
        limit=limit,
    )
    return {"items": [dossier_summary(d) for d in rows], "next_cursor": next_cursor}


@router.get("/dossiers/{code}", auth=staff_auth, response=dict)
def dossier_read(request: HttpRequest, code: str) -> dict[str, Any]:
    """One dossier with its papers, apology letters, events and the moves the caller may make."""
    return dossier_detail(_visible(request, code), _user(request))


@router.post("/dossiers/{code}/actions", auth=staff_auth, response=dict)
@idempotent("dossiers.act")
def dossier_action(request: HttpRequest, code: str, payload: ActionIn) -> dict[str, Any]:
    """Apply one move of the transition table."""
    dossier = _visible(request, code)
    params = payload.dict(exclude={"action"}, exclude_none=True)
    dossier = services.dossier_act(
        dossier=dossier, action=payload.action, actor=_user(request), **params
    )
    return dossier_detail(dossier, _user(request))


@router.get("/dossiers/{code}/forms/{form}.pdf", auth=staff_auth)
def dossier_form(request: HttpRequest, code: str, form: str) -> Any:
    """Official forms 01–05 as PDF, rendered by the documents app (501 when it is not installed)."""
    from django.http import HttpResponse

    dossier = _visible(request, code)
    if form not in {"01", "02", "03", "04", "05"}:
        raise NotFound("Không có biểu mẫu này.", code="form_not_found")
    try:
        from motcua.documents.dossier_forms import dossier_form_pdf
    except ImportError:
        raise NotImplementedYet()
    pdf = dossier_form_pdf(dossier=dossier, code=form)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{dossier.code}-mau-{form}.pdf"'
    return response


def online_submission_throttle(request: HttpRequest) -> None:
    """At most MOTCUA["ONLINE_SUBMISSIONS_PER_HOUR"] anonymous submissions per client address."""
    from django_ratelimit.core import is_ratelimited

    limit = int(settings.MOTCUA.get("ONLINE_SUBMISSIONS_PER_HOUR", 10))
    if is_ratelimited(
        request, group="dossiers.online_submit", key="ip", rate=f"{limit}/h", increment=True
    ):
        raise RateLimited(
            "Địa chỉ mạng này đã nộp quá nhiều hồ sơ trực tuyến, vui lòng thử lại sau 1 giờ.",
            code="online_submission_rate_limited",
        )


def public_lookup_throttle(request: HttpRequest) -> None:
    """At most N public lookups per client per minute (settings.MOTCUA['PUBLIC_LOOKUP_PER_MINUTE'], 20).

    Counted in the shared rate-limit cache, in one group with the portal's lookup page.
    """
    from motcua.core.throttle import public_lookup_limited

    if public_lookup_limited(request):
        raise RateLimited("Bạn tra cứu quá nhiều lần, vui lòng thử lại sau 1 phút.")


@router.get("/public/dossiers/{code}", auth=None, response=dict)
def dossier_public(request: HttpRequest, code: str, verify: str = "") -> dict[str, Any]:
    """Public lookup: status timeline and due date, no personal data (verify: last 4 digits of ID or phone)."""
    from motcua.core.throttle import public_lookup_count

    # The client's count and the code's wrong-verifier count in one round trip.
    over, failures = public_lookup_count(request, "dossier", code)
    if over:
        raise RateLimited("Bạn tra cứu quá nhiều lần, vui lòng thử lại sau 1 phút.")
    view = selectors.dossier_public_view(code=code, verify=verify, failures=failures)
    for key in ("received_at", "due_at", "appointment_at", "result_ready_at", "returned_at"):
        view[key] = _iso(view[key])
    view["timeline"] = [{**e, "at": _iso(e["at"])} for e in view["timeline"]]
    return view


@router.get("/stats/dossiers", auth=None, response=dict)
def dossier_statistics(
    request: HttpRequest,
    unit: str = "",
    field: str = "",
    procedure: str = "",
    group_by: str = "unit",
) -> dict[str, Any]:
    """On-time statistics per unit, field, procedure or month (`from`, `to`: YYYY-MM-DD, received in the period)."""
    from motcua.catalog.models import Field, Procedure
    from motcua.org.models import Unit

    def parse(name: str) -> date | None:
        raw = request.GET.get(name) or ""
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValidationFailed(
                f"Ngày không hợp lệ ({name}): cần dạng YYYY-MM-DD.", code="invalid_date"
            )

    unit_obj = Unit.objects.filter(code=unit).first() if unit else None
    if unit and unit_obj is None:
        raise NotFound("Không tìm thấy đơn vị.", code="unit_not_found")
    field_obj = Field.objects.filter(code=field).first() if field else None
    if field and field_obj is None:
        raise NotFound("Không tìm thấy lĩnh vực.", code="field_not_found")
    proc_obj = Procedure.objects.filter(code=procedure).first() if procedure else None
    if procedure and proc_obj is None:
        raise NotFound("Không tìm thấy thủ tục.", code="procedure_not_found")
    date_from, date_to = parse("from"), parse("to")
    rows = selectors.dossier_stats(
        unit=unit_obj,
        field=field_obj,
        procedure=proc_obj,
        date_from=date_from,
        date_to=date_to,
        group_by=group_by,
    )
    return {
        "group_by": group_by,
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "rows": rows,
    }


__all__ = ["router"]
