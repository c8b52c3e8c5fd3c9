"""Staff page of delivery tasks (/can-bo/tra-ket-qua/): hand over with proof, ship by post, print."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.delivery import selectors, services
from motcua.delivery.forms import HandoverForm, ShipForm, TaskFilterForm
from motcua.delivery.models import EVENT_LABELS, Delivery, DeliveryStatus, Method
from motcua.dossiers.models import Dossier
from motcua.org.models import Role

# Who works on delivery tasks: reception and home-service officials hand over, the manager follows.
PAGE_ROLES = {Role.RECEPTION, Role.HOME_SERVICE, Role.MANAGER}


def _allowed(request: HttpRequest) -> bool:
    user = request.user
    return bool(getattr(user, "is_superuser", False) or (user.role_set() & PAGE_ROLES))  # type: ignore[union-attr]


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {
            "message": "Trang trả kết quả dành cho cán bộ một cửa, cán bộ phục vụ tại nhà và lãnh đạo bộ phận."
        },
        status=403,
    )


def _dossier(request: HttpRequest, code: str) -> Dossier:
    from motcua.dossiers.selectors import visible_dossiers
    from motcua.dossiers.services import dossier_by_number

    found = (
        dossier_by_number(visible_dossiers(user=request.user), code)
        .select_related("procedure_version", "procedure", "citizen", "unit")
        .first()
    )
    if found is None:
        raise Http404("Không tìm thấy hồ sơ")
    return found


def _fmt(moment: Any) -> str:
    return f"{clock.local(moment):%H:%M ngày %d/%m/%Y}" if moment else ""


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    """Open delivery tasks with filters, and the results the post brought back (for the counter)."""
    from motcua.org.permissions import visible_unit_ids

    if not _allowed(request):
        return _forbidden(request)
    form = TaskFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    units = visible_unit_ids(request.user)
    rows = list(
        selectors.delivery_tasks(
            unit_ids=units,
            method=data.get("method") or "",
            state=data.get("state") or "open",
            q=data.get("q") or "",
        )[:200]
    )
    now = clock.now()
    for d in rows:
        d.overdue = bool(d.due_at and d.due_at < now)  # type: ignore[attr-defined]
    failed = list(selectors.delivery_tasks(unit_ids=units, state="failed")[:50])
    return render(
        request,
        "delivery/tasks.html",
        {"form": form, "rows": rows, "failed": failed, "filtered": bool(data)},
    )


def _task_context(request: HttpRequest, dossier: Dossier, delivery: Delivery) -> dict[str, Any]:
    shipment = selectors.latest_shipment(dossier_id=dossier.pk)
    ready = delivery.status == DeliveryStatus.READY
    return {
        "dossier": dossier,
        "delivery": delivery,
        "shipment": shipment,
        "events": [
            {"at": e.occurred_at, "label": EVENT_LABELS.get(f"post_{e.status}", e.status), "e": e}
            for e in (shipment.events.all() if shipment else [])
        ],
        "postage": f"{shipment.postage:,}".replace(",", ".") if shipment else "",
        "order": delivery.orders.exclude(state="sent").first() if not shipment else None,
        "can_handover": (ready and delivery.method != Method.POST)
        or delivery.status == DeliveryStatus.FAILED,
        "can_ship": ready and delivery.method == Method.POST,
        "card_url": f"/api/v1/dossiers/{dossier.code}/delivery/card.pdf" if delivery.card else "",
        "label_url": f"/api/v1/dossiers/{dossier.code}/delivery/label.pdf" if shipment else "",
        "now": clock.now(),
    }


@login_required
def task(request: HttpRequest, code: str) -> HttpResponse:
    """One delivery task: who, where, the handover form (signature, photo) or the parcel."""
    if not _allowed(request):
        return _forbidden(request)
    dossier = _dossier(request, code)
    delivery = Delivery.objects.filter(dossier=dossier).first()
    if delivery is None:
        raise Http404("Hồ sơ chưa có nhiệm vụ trả kết quả")
    context = _task_context(request, dossier, delivery)
    context.update(
        handover_form=HandoverForm(initial={"received_by_name": delivery.recipient_name}),
        ship_form=ShipForm(),
    )
    return render(request, "delivery/task.html", context)


@login_required
@require_POST
def handover(request: HttpRequest, code: str) -> HttpResponse:
    if not _allowed(request):
        return _forbidden(request)
    dossier = _dossier(request, code)
    delivery = Delivery.objects.filter(dossier=dossier).first()
    if delivery is None:
        raise Http404("Hồ sơ chưa có nhiệm vụ trả kết quả")
    form = HandoverForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.delivery_handover(
                dossier=dossier,
                actor=request.user,
                signature=form.cleaned_data["signature"],
                photo=form.cleaned_data["photo_bytes"],
                received_by_name=form.cleaned_data["received_by_name"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            delivery.refresh_from_db()
            messages.success(
                request,
                f"Đã trao kết quả hồ sơ {dossier.code} cho {delivery.received_by_name} "
                f"lúc {_fmt(delivery.delivered_at)}.",
            )
            return redirect("delivery:task", code=dossier.code)
    context = _task_context(request, dossier, delivery)
    context.update(handover_form=form, ship_form=ShipForm())
    return render(request, "delivery/task.html", context, status=422)


@login_required
@require_POST
def ship(request: HttpRequest, code: str) -> HttpResponse:
    from motcua.delivery.postal import PostalError

    if not _allowed(request):
        return _forbidden(request)
    dossier = _dossier(request, code)
    form = ShipForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Khối lượng bưu gửi không hợp lệ (1 đến 30.000 gam).")
        return redirect("delivery:task", code=dossier.code)
    try:
        shipment = services.shipment_send(
            dossier=dossier, actor=request.user, weight_grams=form.cleaned_data["weight_grams"]
        )
    except PostalError as exc:
        messages.error(
            request, f"Không gửi được yêu cầu tới dịch vụ bưu chính ({exc}). Vui lòng thử lại."
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        postage = f"{shipment.postage:,}".replace(",", ".")
        messages.success(
            request,
            f"Đã tạo bưu gửi, số vận đơn {shipment.waybill}, cước {postage} đồng. In nhãn địa chỉ để dán lên bưu gửi.",
        )
    return redirect("delivery:task", code=dossier.code)


# ---------------------------------------------------------------- the citizen's choice online

# Delivery states in which the citizen may still change how the result comes back.
CHOOSABLE = (DeliveryStatus.WAITING, DeliveryStatus.READY)


def public_choice(dossier: Any, verify: str, form: Any = None) -> dict[str, Any] | None:
    """What the public lookup shows about the result's delivery once the citizen is verified:
    the current choice and, while it can change, the form to change it. None for a closed dossier
    with no delivery."""
    from motcua.delivery.forms import PublicChoiceForm
    from motcua.delivery.services import BIRTH_PROCEDURES
    from motcua.dossiers.workflow import Status

    delivery = Delivery.objects.filter(dossier=dossier).first()
    closed = dossier.status in (Status.RETURNED, Status.REFUSED, Status.WITHDRAWN, Status.STOPPED)
    if closed and delivery is None:
        return None
    method = delivery.method if delivery else Method.COUNTER
    can_change = not closed and (delivery is None or delivery.status in CHOOSABLE)
    if can_change and form is None:
        form = PublicChoiceForm(initial={"code": dossier.code, "verify": verify, "method": method})
    shipment = selectors.latest_shipment(dossier_id=dossier.pk) if delivery else None
    return {
        "method_label": Method(method).label,
        "status_label": delivery.get_status_display() if delivery else "",
        "waybill": shipment.waybill if shipment else "",
        "form": form if can_change else None,
        "birth": dossier.procedure.code in BIRTH_PROCEDURES,
    }


@require_POST
def public_choose(request: HttpRequest) -> HttpResponse:
    """POST /tra-cuu/nhan-ket-qua/: the citizen's choice from the lookup (plain form, CSRF, proof
    of work; verified like the lookup, with its lock-out after wrong digits)."""
    from motcua.core.throttle import public_lookup_limited
    from motcua.delivery.forms import PublicChoiceForm
    from motcua.dossiers.selectors import dossier_public_view
    from motcua.dossiers.services import dossier_by_number

    if public_lookup_limited(request):
        return render(
            request,
            "portal/message.html",
            {"heading": "Thao tác quá nhanh",
             "message": "Bạn thao tác quá nhanh, vui lòng thử lại sau 1 phút."},
            status=429,
        )  # fmt: skip
    form = PublicChoiceForm(request.POST)
    code = str(request.POST.get("code", ""))[:60].strip()
    verify = str(request.POST.get("verify", ""))[:4].strip()
    try:
        view = dossier_public_view(code=code, verify=verify)
    except DomainError as exc:
        return render(
            request,
            "portal/message.html",
            {"heading": "Không đổi được cách nhận kết quả", "message": exc.message},
            status=exc.status,
        )
    dossier = (
        dossier_by_number(Dossier.objects, view["code"])
        .select_related("procedure", "citizen", "unit")
        .get()
    )
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            delivery = services.delivery_choose(
                dossier=dossier,
                method=data["method"],
                actor=None,
                address=data["address"],
                phone=data["phone"],
                child_name=data["child_name"] if data["method"] == Method.HOME else "",
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            # Whoever holds the code and 4 digits sees only the address they typed, never the
            # one on file (an address is personal data the lookup has never shown).
            if delivery.method == Method.COUNTER:
                where = ""
            elif data["address"]:
                where = f" Địa chỉ nhận: {data['address']}."
            else:
                where = " Địa chỉ nhận: địa chỉ đã khai khi nộp hồ sơ."
            return render(
                request,
                "delivery/public_done.html",
                {"code": dossier.code, "method_label": Method(delivery.method).label,
                 "where": where},
            )  # fmt: skip
    return render(
        request,
        "delivery/public_choose.html",
        {"view": view, "choice": public_choice(dossier, verify, form)},
        status=status,
    )
