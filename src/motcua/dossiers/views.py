"""Back-office dossier pages: counter reception, worklists, the dossier page, forms 01–06."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.core.text import ascii_digits
from motcua.dossiers import selectors, services
from motcua.dossiers.forms import AttachForm, LedgerForm, QrForm, ReceiveForm, SearchForm
from motcua.dossiers.models import Dossier
from motcua.dossiers.workflow import (
    CLOCK_RUNNING,
    HOME_SERVICE,
    LEADER,
    RECEPTION,
    SPECIALIST,
    STEP_LABELS,
    TRANSITIONS,
    Status,
    arrange_actions,
)
from motcua.org.models import Citizen, Unit, User

PAGE_SIZE = 25
FORM_LABELS = {
    "01": "In phiếu tiếp nhận (mẫu 01)",
    "02": "Phiếu yêu cầu bổ sung (mẫu 02)",
    "03": "Phiếu từ chối tiếp nhận (mẫu 03)",
    "04": "Thư xin lỗi, hẹn lại (mẫu 04)",
    "05": "Phiếu kiểm soát quá trình (mẫu 05)",
    "stop": "Thông báo dừng xử lý",
}
WARNING_LABELS = {"soon": "Sắp đến hạn", "overdue": "Quá hạn"}


def _error_page(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "web/error.html", {"message": message}, status=status)


def _visible_dossier(request: HttpRequest, code: str) -> Dossier:
    """The dossier if it belongs to one of the official's units (404 otherwise: codes are not probed)."""
    dossier = (
        selectors.visible_dossiers(user=request.user)
        .select_related(
            "procedure_version", "procedure", "field", "citizen", "unit", "holder", "holder_unit"
        )
        .filter(Q(code=code) | Q(reference=code))
        .first()
    )
    if dossier is None:
        raise Http404("Không tìm thấy hồ sơ")
    return dossier


# --- reception -------------------------------------------------------------------------------


def _citizen_initial(request: HttpRequest) -> tuple[dict[str, Any], str, str]:
    """Citizen fields prefilled from `?citizen=<id number>` or `?ticket=<id>`; (initial, ticket label, message)."""
    initial: dict[str, Any] = {}
    ticket_label = ""
    citizen = None
    ticket_id = request.GET.get("ticket", "").strip()
    if ascii_digits(ticket_id):
        try:
            from motcua.queueing.models import Ticket
        except ImportError:  # queue not installed: keep the raw number
            ticket_label = ticket_id
        else:
            from motcua.org.permissions import visible_unit_ids

            # Only tickets of the official's own offices: a ticket id must not reveal a citizen elsewhere.
            ticket = (
                Ticket.objects.select_related("citizen")
                .filter(pk=int(ticket_id), office__unit_id__in=visible_unit_ids(request.user))
                .first()
            )
            if ticket is not None:
                ticket_label, citizen = ticket.display, ticket.citizen
    number = request.GET.get("citizen", "").strip()
    if number:
        citizen = Citizen.objects.filter(id_number=number).first() or citizen
        if citizen is None:
            initial["id_number"] = number
    if citizen is not None:
        initial.update(
            id_number=citizen.id_number,
            full_name=citizen.full_name,
            date_of_birth=citizen.date_of_birth,
            sex=citizen.sex,
            phone=citizen.phone,
            email=citizen.email,
            address=citizen.address,
        )
    return initial, ticket_label, ""


def _earlier_dossiers(request: HttpRequest, id_number: str) -> list[Dossier]:
    if not id_number:
        return []
    return list(
        selectors.visible_dossiers(user=request.user)
        .filter(citizen_id_number=id_number)
        .select_related("procedure_version")
        .order_by("-received_at", "-id")[:5]
    )


@login_required
def receive(request: HttpRequest) -> HttpResponse:
    """Receive a dossier at the counter (step 1: pick the procedure; step 2: citizen, papers, scans, fees)."""
    from motcua.catalog.selectors import procedure_current, procedure_search

    unit = getattr(request, "current_unit", None)
    if unit is None:
        return _error_page(
            request, "Tài khoản chưa được phân công tại đơn vị nào nên chưa tiếp nhận được hồ sơ."
        )
    if not services.actor_roles(request.user, [unit]) & {RECEPTION, HOME_SERVICE}:
        return _error_page(request, f"Bạn không có vai trò tiếp nhận hồ sơ tại {unit.name}.")

    params = request.POST if request.method == "POST" else request.GET
    code = params.get("procedure") or params.get("thu_tuc") or ""
    version = procedure_current(code=code) if code else None
    if version is None:
        q = request.GET.get("q", "")
        results = list(procedure_search(q=q)[:30])
        template = (
            "dossiers/_procedure_results.html"
            if request.headers.get("HX-Request")
            else "dossiers/receive.html"
        )
        return render(
            request,
            template,
            {
                "step": "procedure",
                "q": q,
                "results": results,
                "carry": request.GET.urlencode(),
                "unit": unit,
            },
        )

    initial, ticket_label, _ = _citizen_initial(request)
    qr_form = QrForm(request.POST or None)
    qr_error = ""
    if request.method == "POST" and "read_qr" in request.POST:
        # Fill the citizen fields from the ID card QR payload; nothing is saved yet.
        from motcua.org.idcard import parse_idcard_qr

        data = request.POST.copy()
        try:
            card = parse_idcard_qr(request.POST.get("qr", ""))
        except DomainError as exc:
            qr_error = exc.message
        else:
            data.update(
                {
                    "id_number": card.id_number,
                    "full_name": card.full_name,
                    "date_of_birth": f"{card.date_of_birth:%d/%m/%Y}",
                    "sex": card.sex,
                    "address": card.address,
                }
            )
            if not data.get("delivery_address"):
                data["delivery_address"] = card.address
        form = ReceiveForm(data, version=version, channels=version.channels)
        form.errors.clear()  # showing the prefilled form, not validating it yet
        return _render_receive(request, form, qr_form, version, unit, ticket_label, qr_error)

    if request.method == "POST":
        form = ReceiveForm(request.POST, request.FILES, version=version, channels=version.channels)
        if form.is_valid():
            try:
                dossier = _receive_with_scans(request, version, unit, form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, f"Đã tiếp nhận hồ sơ {dossier.code}. Hẹn trả: {_fmt(dossier.due_at)}."
                )
                return redirect("dossiers:detail", code=dossier.code)
        return _render_receive(
            request, form, qr_form, version, unit, ticket_label, qr_error, status=422
        )

    initial.update(
        procedure=version.procedure.code,
        ticket=ticket_label,
        fees_due=_counter_fee(version),
        delivery_address=initial.get("address") or "",
        papers=[i for i, p in enumerate(version.papers or []) if p.get("required", True)],
    )
    form = ReceiveForm(initial=initial, version=version, channels=version.channels)
    return _render_receive(request, form, qr_form, version, unit, ticket_label, qr_error)


def _counter_fee(version: Any) -> int:
    """What the law charges at the counter for one page, one copy, no exemption (the form's start)."""
    from motcua.catalog.fees import FeeError, fee_compute

    try:
        return fee_compute(version, channel="direct").total
    except FeeError:
        return version.fee_total


def _fmt(dt: Any) -> str:
    return f"{clock.local(dt):%H:%M ngày %d/%m/%Y}" if dt else "chưa xác định"


@transaction.atomic
def _receive_with_scans(
    request: HttpRequest, version: Any, unit: Unit, data: dict[str, Any]
) -> Dossier:
    """The dossier and its scans in one transaction: a rejected scan leaves no dossier and no used number."""
    citizen = {
        k: data.get(k)
        for k in ("id_number", "full_name", "date_of_birth", "sex", "phone", "email", "address")
        if data.get(k) not in (None, "")
    }
    if data.get("notify_consent"):
        citizen["notify_consent"] = True
        citizen["notify_channels"] = list(data.get("notify_channels") or [])
    dossier = services.dossier_receive(
        procedure_code=version.procedure.code,
        channel=data["channel"],
        citizen=citizen,
        unit=unit,
        actor=request.user,
        papers=list(data.get("papers") or []),
        ticket=data.get("ticket") or None,
        notes=data.get("notes") or "",
        quantities={k: data[k] for k in ("pages", "copies") if data.get(k)},
        exemption=data.get("exemption") or None,
        exemption_proof=data.get("exemption_proof") or "",
        time_case=data.get("time_case") or None,
    )
    for f in data.get("scans") or []:
        services.attachment_add(
            dossier=dossier, content=f.read(), filename=f.name, actor=request.user
        )
    if data.get("post_waybill"):
        # The parcel it came in, recorded with the reception (the time limit starts now).
        from motcua.delivery.services import shipment_inbound_record

        shipment_inbound_record(
            dossier=dossier, waybill=data["post_waybill"], actor=request.user,
            address=data.get("address") or "",
        )  # fmt: skip
    method = data.get("delivery_method") or "counter"
    if method != "counter":
        # How the result goes back, in the reception's transaction (counter is the default).
        from motcua.delivery.services import delivery_choose

        delivery_choose(
            dossier=dossier,
            method=method,
            actor=request.user,
            address=data.get("delivery_address") or "",
        )
    return dossier


def _render_receive(
    request: HttpRequest,
    form: ReceiveForm,
    qr_form: QrForm,
    version: Any,
    unit: Unit,
    ticket_label: str,
    qr_error: str,
    status: int = 200,
) -> HttpResponse:
    id_number = str(form["id_number"].value() or "")
    return render(
        request,
        "dossiers/receive.html",
        {
            "step": "details",
            "form": form,
            "qr_form": qr_form,
            "qr_error": qr_error,
            "version": version,
            "unit": unit,
            "ticket_label": ticket_label,
            "earlier": _earlier_dossiers(request, id_number),
        },
        status=status,
    )


# --- worklists and search --------------------------------------------------------------------


def _badge(d: Dossier, now: Any, soon_limit: Any) -> str:
    if d.status not in CLOCK_RUNNING or d.paused_at or d.due_at is None:
        return ""
    if d.due_at < now:
        return "overdue"
    return "soon" if d.due_at <= soon_limit else ""


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """Worklists per role (tabs) and the search over the official's units, paginated."""
    unit = getattr(request, "current_unit", None)
    now = clock.now()
    search = SearchForm(request.GET or None)
    tabs = list(selectors.WORKLISTS.items())
    kind = request.GET.get("ds", "mine")
    if kind not in selectors.WORKLISTS:
        kind = "mine"
    next_url = prev_url = ""
    if search.is_search():
        data = search.cleaned_data
        cursor = request.GET.get("sau", "")
        try:
            rows, next_cursor = selectors.dossier_search(
                user=request.user,
                q=data["q"] or "",
                code=data["code"] or "",
                id_number=data["id_number"] or "",
                name=data["name"] or "",
                procedure=data["procedure"] or "",
                status=data["status"],
                date_from=data["date_from"],
                date_to=data["date_to"],
                cursor=cursor,
                limit=PAGE_SIZE,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            rows, next_cursor = [], ""
        if next_cursor:
            query = request.GET.copy()
            query["sau"] = next_cursor
            next_url = "?" + query.urlencode()
        if cursor:
            query = request.GET.copy()
            query.pop("sau", None)
            prev_url = "?" + query.urlencode()
        kind = ""
    else:
        # Keyset pages (no OFFSET, no COUNT(*)): one row more than a page tells whether a
        # next page exists, and page 2,000 costs what page 1 costs.
        cursor = request.GET.get("sau", "")
        try:
            rows, next_cursor = selectors.dossier_worklist_page(
                user=request.user, kind=kind, unit=unit, now=now, cursor=cursor, limit=PAGE_SIZE
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            rows, next_cursor = [], ""
        if next_cursor:
            next_url = "?" + urlencode({"ds": kind, "sau": next_cursor})
        if cursor:
            prev_url = "?" + urlencode({"ds": kind})
    soon_limit = selectors.due_soon_limit(unit=unit, now=now)
    from motcua.correspondence.selectors import waiting_on_partners

    waits = waiting_on_partners([d.pk for d in rows])
    items = [
        {"d": d, "badge": _badge(d, now, soon_limit), "waits": waits.get(d.pk, [])} for d in rows
    ]
    context = {
        "tabs": tabs,
        "kind": kind,
        "search": search,
        "items": items,
        "next_url": next_url,
        "prev_url": prev_url,
        "warning_labels": WARNING_LABELS,
        "unit": unit,
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "worklist-results":
        return render(request, "dossiers/_worklist_table.html", context)
    return render(request, "dossiers/worklist.html", context)


# --- the dossier page and its actions --------------------------------------------------------


def _staff_choices(dossier: Dossier, roles: set[str]) -> list[User]:
    unit_ids = dossier.unit.descendant_ids() | (
        {dossier.holder_unit_id} if dossier.holder_unit_id else set()
    )
    return list(
        User.objects.filter(
            is_active=True, unit_roles__unit_id__in=unit_ids, unit_roles__role__in=roles
        )
        .distinct()
        .order_by("full_name", "username")
    )


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """The dossier: status timeline, deadlines, papers, scans, the moves the official may make, forms."""
    dossier = _visible_dossier(request, code)
    roles = services.dossier_roles(request.user, dossier)
    now = clock.now()
    holds = dossier.holder_id in (None, request.user.pk)
    primary, others, destructive = arrange_actions(
        services.dossier_actions(dossier=dossier, actor=request.user),
        status=dossier.status,
        step=dossier.step,
        holds=holds,
        supervises=LEADER in roles or bool(getattr(request.user, "is_superuser", False)),
    )
    actions = []
    for name in ([primary] if primary else []) + others + destructive:
        t = TRANSITIONS[name]
        action: dict[str, Any] = {"name": name, "label": t.label, "needs_reason": t.needs_reason}
        if name in ("assign", "forward"):
            action["users"] = _staff_choices(dossier, {SPECIALIST, LEADER})
            action["user_required"] = name == "assign"
        elif name == "submit_for_approval":
            action["users"] = _staff_choices(dossier, {LEADER})
        elif name == "approve":
            action["users"] = _staff_choices(dossier, {RECEPTION})
        elif name == "transfer":
            action["units"] = list(
                Unit.objects.current().exclude(pk=dossier.unit_id).order_by("name")[:300]
            )
        elif name == "extend":
            promised = dossier.appointment_at or dossier.due_at
            action["new_date_min"] = (
                (clock.local(promised).date() + timedelta(days=1)) if promised else None
            )
        action["primary"] = name == primary
        action["destructive"] = name in destructive
        actions.append(action)
    events = set(dossier.events.values_list("action", flat=True))
    forms = ["01", "05"]
    if "request_supplement" in events:
        forms.insert(1, "02")
    if "refuse" in events:
        forms.append("03")
    if dossier.extensions.exists():
        forms.append("04")
    if "stop" in events:
        forms.append("stop")
    forms.sort(key=lambda f: (f == "stop", f))
    warning = selectors.warning_level(dossier, now=now)
    return render(
        request,
        "dossiers/detail.html",
        {
            "dossier": dossier,
            "timeline": selectors.dossier_timeline(dossier=dossier),
            "papers": list(dossier.papers.all()),
            "attachments": list(dossier.attachments.all().order_by("uploaded_at", "id")),
            "extensions": list(
                dossier.extensions.select_related("signed_by", "issued_by", "delegation")
            ),
            "actions": actions,
            "main_actions": [a for a in actions if not a["destructive"]],
            "destructive_actions": [a for a in actions if a["destructive"]],
            "held_by_other": dossier.holder if not holds else None,
            "forms": [(f, FORM_LABELS[f]) for f in forms],
            "warning": warning,
            "fees_display": f"{dossier.fees_due:,}".replace(",", "."),
            "money": _money_panel(dossier, request.user),
            "warning_label": WARNING_LABELS.get(warning, ""),
            "step_warning": selectors.step_warning(dossier, now=now),
            "step_label": STEP_LABELS.get(dossier.step, ""),
            "needs_apology": warning in ("soon",) and "extend" in [a["name"] for a in actions],
            "attach_form": AttachForm(),
            "consult": _consult_panel(dossier, request.user),
            "can_attach": bool(roles)
            and Status(dossier.status)
            not in (Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED),
        },
    )


def _consult_panel(dossier: Dossier, user: Any) -> dict[str, Any] | None:
    """Joint procedures: the agencies asked (correspondence app), what still waits on them and
    whose delay it is; the agencies the procedure version names; the form to ask one more."""
    from motcua.correspondence.selectors import consultation_state
    from motcua.correspondence.services import CONSULT_ROLES
    from motcua.org.permissions import has_role

    rows = list(dossier.consultations.select_related("request", "answer"))
    planned = list(getattr(dossier.procedure_version, "consultations", None) or [])
    can_ask = has_role(user, CONSULT_ROLES, dossier.unit) and Status(dossier.status) in (
        Status.ACCEPTED,
        Status.PROCESSING,
        Status.SUPPLEMENT,
    )
    if not rows and not planned and not can_ask:
        return None
    today = clock.today()
    for c in rows:
        c.state = consultation_state(c, today)  # type: ignore[attr-defined]
    asked = {c.agency_code for c in rows}
    return {
        "rows": rows,
        "waiting": [c for c in rows if not c.answer_id],
        "planned": [p for p in planned if p["agency"] not in asked],
        "can_ask": can_ask,
    }


def _money_panel(dossier: Dossier, user: Any) -> dict[str, Any] | None:
    """What is owed and paid, receipts and the cash button (payments app), for dossiers with fees."""
    from motcua.payments.views import dossier_money

    if not dossier.fees_due and not dossier.payments.exists():
        return None
    return dossier_money(dossier, user)


@login_required
@require_POST
def act(request: HttpRequest, code: str) -> HttpResponse:
    """Apply one move (the service checks role, unit and status and explains a refusal in Vietnamese)."""
    dossier = _visible_dossier(request, code)
    action = request.POST.get("action", "")
    params: dict[str, Any] = {}
    for key in ("note", "to_user", "to_unit", "new_date", "repeat_reason"):
        value = request.POST.get(key, "").strip()
        if value:
            params[key] = value
    try:
        dossier = services.dossier_act(dossier=dossier, action=action, actor=request.user, **params)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        label = TRANSITIONS[action].label if action in TRANSITIONS else action
        messages.success(
            request, f"Đã thực hiện «{label}». Trạng thái hồ sơ: {dossier.status_label}."
        )
    return redirect("dossiers:detail", code=dossier.code)


@login_required
@require_POST
def attach(request: HttpRequest, code: str) -> HttpResponse:
    """Add scans to a dossier after reception."""
    dossier = _visible_dossier(request, code)
    form = AttachForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, str(e))
        return redirect("dossiers:detail", code=dossier.code)
    try:
        with transaction.atomic():
            for f in form.cleaned_data["scans"]:
                services.attachment_add(
                    dossier=dossier, content=f.read(), filename=f.name, actor=request.user
                )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Đã đính kèm bản quét.")
    return redirect("dossiers:detail", code=dossier.code)


@login_required
def attachment(request: HttpRequest, code: str, pk: int) -> FileResponse:
    """Download a scan of a dossier the official may see."""
    dossier = _visible_dossier(request, code)
    att = dossier.attachments.filter(pk=pk).first()
    if att is None:
        raise Http404("Không tìm thấy tệp")
    # Always a download, with the type its content was checked as (never rendered inline).
    response = FileResponse(
        att.file.open("rb"),
        content_type=att.content_type,
        filename=att.original_name,
        as_attachment=True,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def form_pdf(request: HttpRequest, code: str, form: str) -> HttpResponse:
    """Form 01–05 or the stop notice of a dossier as PDF."""
    from motcua.documents.dossier_forms import DOSSIER_FORMS, dossier_form_pdf

    dossier = _visible_dossier(request, code)
    if form not in DOSSIER_FORMS:
        raise Http404("Không có biểu mẫu này")
    try:
        pdf = dossier_form_pdf(dossier=dossier, code=form)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("dossiers:detail", code=dossier.code)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{dossier.code}-mau-{form}.pdf"'
    return response


# --- ledger (form 06) ------------------------------------------------------------------------


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """The tracking ledger (form 06) of a unit for a period: preview on the page, PDF on request."""
    from motcua.documents.dossier_forms import ledger_pdf, ledger_rows
    from motcua.org.permissions import visible_unit_ids

    units = Unit.objects.filter(pk__in=visible_unit_ids(request.user)).order_by("level", "name")
    today = clock.today()
    current = getattr(request, "current_unit", None)
    initial = {"unit": current, "date_from": date(today.year, today.month, 1), "date_to": today}
    form = LedgerForm(request.GET or None, units=units, initial=initial)
    rows: list[dict[str, Any]] = []
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if request.GET.get("pdf"):
            pdf = ledger_pdf(
                unit=data["unit"], date_from=data["date_from"], date_to=data["date_to"]
            )
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = (
                f'inline; filename="so-theo-doi-{data["unit"].code}-{data["date_from"]:%Y%m%d}-{data["date_to"]:%Y%m%d}.pdf"'
            )
            return response
        rows = ledger_rows(unit=data["unit"], date_from=data["date_from"], date_to=data["date_to"])
    pdf_url = ""
    if form.is_bound and form.is_valid():
        query = request.GET.copy()
        query["pdf"] = "1"
        pdf_url = reverse("dossiers:ledger") + "?" + query.urlencode()
    return render(request, "dossiers/ledger.html", {"form": form, "rows": rows, "pdf_url": pdf_url})
