"""JSON API of the dossiers app: receive, read, act, public lookup, statistics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja import Router, Schema
from ninja import Status as HttpStatus

from motcua.core import clock
from motcua.core.auth import staff_auth
from motcua.core.errors import DomainError, NotFound, RateLimited, ValidationFailed
from motcua.dossiers import selectors, services
from motcua.dossiers.models import Dossier
from motcua.dossiers.workflow import STEP_LABELS, TIMELINESS_LABELS, allowed_actions

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


class CitizenIn(Schema):
    id_number: str
    full_name: str
    date_of_birth: str | None = None
    sex: str = ""
    phone: str = ""
    address: str = ""
    email: str = ""


class DossierIn(Schema):
    procedure: str
    channel: str
    citizen: CitizenIn
    unit: str
    papers: list[int] | None = None
    fees_due: int | None = None
    ticket: str | None = None
    notes: str = ""


class ActionIn(Schema):
    action: str
    note: str = ""
    reason: str = ""
    to_user: str | None = None
    to_unit: str | None = None
    new_date: str | None = None
    new_due_at: datetime | None = None


def _iso(dt: datetime | None) -> str | None:
    return clock.local(dt).isoformat() if dt else None


def _user(request: HttpRequest) -> Any:
    user = getattr(request, "auth", None)
    return user if getattr(user, "pk", None) else None


def _visible(request: HttpRequest, code: str) -> Dossier:
    user = _user(request)
    dossier = selectors.visible_dossiers(user=user).filter(code=code).first() if user else None
    if dossier is None:
        raise NotFound(f"Không tìm thấy hồ sơ có mã {code}.", code="dossier_not_found")
    return dossier


def dossier_summary(d: Dossier) -> dict[str, Any]:
    return {
        "code": d.code,
        "status": d.status,
        "status_label": d.status_label,
        "channel": d.channel,
        "unit": d.unit.code,
        "procedure": d.procedure_version.procedure.code,
        "procedure_name": d.procedure_version.name,
        "procedure_version": d.procedure_version.version,
        "received_at": _iso(d.received_at),
        "accepted_at": _iso(d.accepted_at),
        "due_at": _iso(d.due_at),
        "original_due_at": _iso(d.original_due_at),
        "paused": d.paused_at is not None,
        "result_ready_at": _iso(d.result_ready_at),
        "result_timeliness": d.result_timeliness,
        "returned_at": _iso(d.returned_at),
        "fees_due": d.fees_due,
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
        }
        for e in d.extensions.all()
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
    body["allowed_actions"] = allowed_actions(
        d.status, services.actor_roles(user, [d.unit, d.holder_unit])
    )
    return body


@router.post("/dossiers", auth=[staff_auth, anonymous], response={201: dict})
def dossier_create(request: HttpRequest, payload: DossierIn) -> Any:
    """Receive a dossier (staff token), or register an online submission (no token, channel online)."""
    from motcua.org.models import Unit

    user = _user(request)
    if user is None and payload.channel != "online":
        raise Unauthorized()
    unit = Unit.objects.filter(code=payload.unit).first()
    if unit is None:
        raise NotFound(f"Không tìm thấy đơn vị có mã {payload.unit}.", code="unit_not_found")
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
    )
    return HttpStatus(201, dossier_summary(dossier))


@router.get("/dossiers", auth=staff_auth, response=dict)
def dossier_list(
    request: HttpRequest,
    q: str = "",
    kind: str = "",
    status: int | None = None,
    procedure: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    cursor: str = "",
    limit: int = 50,
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


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a forwarded-for header is set by the client and would bypass the limit.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def public_lookup_throttle(request: HttpRequest) -> None:
    """At most N public lookups per client per minute (settings.MOTCUA['PUBLIC_LOOKUP_PER_MINUTE'], 20)."""
    limit = int(getattr(settings, "MOTCUA", {}).get("PUBLIC_LOOKUP_PER_MINUTE", 20))
    window = int(clock.now().timestamp() // 60)
    key = f"rl:dossier-lookup:{_client_ip(request)}:{window}"
    cache.add(key, 0, timeout=90)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=90)
        count = 1
    if count > limit:
        raise RateLimited("Bạn tra cứu quá nhiều lần, vui lòng thử lại sau 1 phút.")


@router.get("/public/dossiers/{code}", auth=None, response=dict)
def dossier_public(request: HttpRequest, code: str, verify: str = "") -> dict[str, Any]:
    """Public lookup: status timeline and due date, no personal data (verify: last 4 digits of ID or phone)."""
    public_lookup_throttle(request)
    view = selectors.dossier_public_view(code=code, verify=verify)
    for key in ("received_at", "due_at", "result_ready_at", "returned_at"):
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
