"""Back-office pages of the document registers (/can-bo/van-ban/): registers, issue, send, receive."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from motcua.core.errors import DomainError, NotFound
from motcua.core.text import ascii_digits
from motcua.correspondence import selectors, services
from motcua.correspondence.forms import (
    AssignForm,
    DocumentForm,
    PaperForm,
    ReasonForm,
    SearchForm,
    SendForm,
)
from motcua.correspondence.models import Direction, DocStatus, Document, ReceivedVia
from motcua.org.models import Unit, User
from motcua.org.permissions import has_role


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {"message": "Sổ văn bản dành cho cán bộ tiếp nhận, chuyên viên và lãnh đạo của đơn vị."},
        status=403,
    )


def _unit(request: HttpRequest) -> Unit | None:
    """The unit the official works in now, if they may read its registers."""
    unit = getattr(request, "current_unit", None)
    if unit is not None and services.may_read(request.user, unit):
        return unit
    readable = selectors.readable_unit_ids(request.user)
    if not readable:
        return None
    from motcua.org.models import StaffRole

    own = (
        StaffRole.objects.filter(
            user_id=int(request.user.pk or 0), unit_id__in=readable, role__in=services.READ_ROLES
        )
        .order_by("pk")
        .values_list("unit_id", flat=True)
        .first()
    )
    return Unit.objects.filter(pk=own or min(readable)).first()


def _document(request: HttpRequest, pk: int) -> Document:
    try:
        return selectors.document_for(user=request.user, pk=pk)
    except NotFound:
        raise Http404("Không tìm thấy văn bản") from None


@login_required
def registers(request: HttpRequest) -> HttpResponse:
    """The unit's outgoing or incoming register with search."""
    unit = _unit(request)
    if unit is None:
        return _forbidden(request)
    box = "incoming" if request.GET.get("so") == "den" else "outgoing"
    form = SearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    rows = list(selectors.documents_search(user=request.user, box=box, q=q, unit=unit)[:200])
    return render(
        request,
        "correspondence/list.html",
        {
            "unit": unit,
            "box": box,
            "form": form,
            "q": q,
            "rows": rows,
            "late_to_register": selectors.late_to_register(rows) if box == "incoming" else set(),
            # Only those who keep the register see the way to paper arrivals (the page is theirs).
            "can_register": has_role(request.user, services.REGISTER_ROLES, unit),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    """Issue an outgoing document: it takes the next number of the unit's register."""
    unit = _unit(request)
    if unit is None or not has_role(request.user, services.WRITE_ROLES, unit):
        return _forbidden(request)
    answered = None
    reply_to = request.POST.get("tra_loi") or request.GET.get("tra-loi") or ""
    if ascii_digits(reply_to):
        answered = _document(request, int(reply_to))
        if answered.direction != Direction.INCOMING or answered.unit_id != unit.pk:
            answered = None
    initial = {}
    if answered is not None:
        initial = {
            "doc_type": "CV",
            "summary": f"V/v trả lời Văn bản số {answered.number_notation} "
            f"ngày {answered.issued_on:%d/%m/%Y} của {answered.issuer_name}"[:500],
            "recipients": answered.issuer_name,
        }
    form = DocumentForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        uploads = []
        for field, main in (("pdf", True), ("attachment", False)):
            f = data.get(field)
            if f:
                uploads.append(services.Upload(name=f.name, content=f.read(), is_main=main))
        try:
            doc = services.document_create(
                unit=unit,
                actor=request.user,
                doc_type=data["doc_type"],
                summary=data["summary"],
                signer_name=data["signer_name"],
                signer_title=data["signer_title"],
                issued_on=data["issued_on"],
                urgency=data["urgency"],
                secrecy=data["secrecy"],
                recipients=data["recipients"],
                drafter_abbr=data["drafter_abbr"],
                files=uploads,
                response_for=answered,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Đã cấp số {doc.number_notation} cho văn bản.")
            return redirect("correspondence:detail", pk=doc.pk)
    return render(
        request,
        "correspondence/create.html",
        {"unit": unit, "form": form, "answered": answered},
    )


def _send_form(doc: Document, data: Any = None) -> SendForm:
    units = list(Unit.objects.current().exclude(pk=doc.unit_id).order_by("name"))
    return SendForm(data, units=units)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One document; the first time an official of the receiving unit opens it is recorded."""
    doc = services.document_open(document=_document(request, pk), actor=request.user)
    doc = _document(request, doc.pk)
    user = request.user
    can_write = has_role(user, services.WRITE_ROLES, doc.unit)
    can_register = has_role(user, services.REGISTER_ROLES, doc.unit)
    incoming = doc.direction == Direction.INCOMING
    ctx: dict[str, Any] = {
        "doc": doc,
        "incoming": incoming,
        "files": list(doc.files.all()),
        "dispatches": list(doc.dispatches.all()),
        "delivery": getattr(doc, "delivery", None) if incoming else None,
        "send_form": _send_form(doc) if can_write and not incoming else None,
        "can_register": can_register and incoming and doc.status == "arrived",
        "assign_form": (
            AssignForm(staff=services.unit_staff(doc.unit), initial={"due_on": doc.due_on})
            if can_register and incoming and doc.status in ("registered", "assigned")
            else None
        ),
        "can_finish": incoming
        and doc.status == "assigned"
        and (doc.assignee_id == user.pk or has_role(user, ["leader", "manager"], doc.unit)),
        "can_refuse": can_register
        and incoming
        and doc.status == DocStatus.ARRIVED
        and doc.received_via != ReceivedVia.PAPER,
        "can_recall": not incoming
        and doc.status == DocStatus.SENT
        and has_role(user, services.RECALL_ROLES, doc.unit),
        "can_publish": not incoming
        and doc.secrecy == "normal"
        and doc.status != DocStatus.RECALLED
        and has_role(user, ["leader", "manager"], doc.unit),
        "can_reply": incoming
        and can_write
        and doc.status not in (DocStatus.REFUSED, DocStatus.RECALLED, DocStatus.ARRIVED),
        "reason_form": ReasonForm(),
        "statuses": selectors.document_statuses(doc),
        "consultation": selectors.consultation_of(doc),
    }
    return render(request, "correspondence/detail.html", ctx)


def _act(request: HttpRequest, pk: int, run: Any, done: str) -> HttpResponse:
    doc = _document(request, pk)
    try:
        run(doc)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("correspondence:detail", pk=doc.pk)


@login_required
@require_POST
def send(request: HttpRequest, pk: int) -> HttpResponse:
    doc = _document(request, pk)
    form = _send_form(doc, request.POST)
    codes = form.codes() if form.is_valid() else []
    return _act(
        request,
        pk,
        lambda d: services.document_send(document=d, to=codes, actor=request.user),
        "Đã gửi văn bản.",
    )


@login_required
@require_POST
def register(request: HttpRequest, pk: int) -> HttpResponse:
    def run(d: Document) -> None:
        doc = services.incoming_register(document=d, actor=request.user)
        messages.info(request, f"Số đến: {doc.number:02d}.")

    return _act(request, pk, run, "Đã vào sổ văn bản đến.")


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    doc = _document(request, pk)
    form = AssignForm(request.POST, staff=services.unit_staff(doc.unit))

    def run(d: Document) -> None:
        if not form.is_valid():
            raise DomainError(
                "Cần chọn người xử lý và ghi hạn xử lý đúng dạng ngày.", code="invalid"
            )
        assignee = User.objects.filter(username=form.cleaned_data["assignee"]).first()
        services.incoming_assign(
            document=d,
            actor=request.user,
            assignee=assignee,
            due_on=form.cleaned_data["due_on"],
            instruction=form.cleaned_data["instruction"],
        )

    return _act(request, pk, run, "Đã phân công xử lý văn bản.")


@login_required
@require_POST
def finish(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda d: services.incoming_finish(document=d, actor=request.user),
        "Đã ghi nhận xử lý xong văn bản.",
    )


@login_required
def file(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    doc = _document(request, pk)
    row = doc.files.filter(pk=file_pk).first()
    if row is None:
        raise Http404("Không tìm thấy tệp")
    return FileResponse(
        row.file.open("rb"),
        as_attachment=False,
        filename=row.original_name,
        content_type=row.content_type,
    )


@login_required
@require_POST
def refuse(request: HttpRequest, pk: int) -> HttpResponse:
    """Refuse an arrival at the desk, with the reason its sender will be told."""
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        pk,
        lambda d: services.incoming_refuse(document=d, actor=request.user, reason=reason),
        "Đã trả lại văn bản cho nơi gửi.",
    )


@login_required
@require_POST
def recall(request: HttpRequest, pk: int) -> HttpResponse:
    """Recall a sent document from every place it went."""
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        pk,
        lambda d: services.document_recall(document=d, actor=request.user, reason=reason),
        "Đã thu hồi văn bản.",
    )


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the document on the portal, or withdraw it from there."""
    on = request.POST.get("cong_khai") == "1"
    return _act(
        request,
        pk,
        lambda d: services.document_publish(document=d, actor=request.user, publish=on),
        "Đã công khai văn bản trên cổng." if on else "Đã thôi công khai văn bản.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def paper(request: HttpRequest) -> HttpResponse:
    """Register a paper document that arrived at the desk, with its scan: số đến at once."""
    unit = _unit(request)
    if unit is None or not has_role(request.user, services.REGISTER_ROLES, unit):
        return _forbidden(request)
    form = PaperForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        scan = data.get("scan")
        try:
            doc = services.paper_register(
                unit=unit,
                actor=request.user,
                issuer_name=data["issuer_name"],
                number_notation=data["number_notation"],
                doc_type=data["doc_type"],
                issued_on=data["issued_on"],
                summary=data["summary"],
                signer_name=data["signer_name"],
                urgency=data["urgency"],
                secrecy=data["secrecy"],
                scan=services.Upload(name=scan.name, content=scan.read()) if scan else None,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Đã vào sổ văn bản đến, số đến {doc.number:02d}.")
            return redirect("correspondence:detail", pk=doc.pk)
    return render(request, "correspondence/paper.html", {"unit": unit, "form": form})


@login_required
def consultations(request: HttpRequest) -> HttpResponse:
    """Consultations of joint procedures: what waits on which agency, whose delay it is."""
    unit = _unit(request)
    if unit is None:
        return _forbidden(request)
    state = request.GET.get("tinh-trang", "")
    if state not in ("", "waiting", "overdue", "answered", "late"):
        state = ""
    rows = selectors.consultations_for(user=request.user, unit=unit, state=state)
    return render(
        request,
        "correspondence/consultations.html",
        {
            "unit": unit,
            "rows": rows,
            "state": state,
            "delays": selectors.partner_delays(unit_ids={unit.pk}),
        },
    )


@login_required
@require_POST
def consult(request: HttpRequest, code: str) -> HttpResponse:
    """Ask another agency about a dossier from its page (the API's consultation, by hand)."""
    from motcua.dossiers.selectors import visible_dossiers
    from motcua.dossiers.services import dossier_by_number

    dossier = dossier_by_number(visible_dossiers(user=request.user), code).first()
    if dossier is None:
        raise Http404("Không tìm thấy hồ sơ")
    days = request.POST.get("due_days", "")
    try:
        if not ascii_digits(days):
            raise DomainError("Thời hạn trả lời từ 1 đến 30 ngày làm việc.", code="invalid")
        c = services.consultation_open(
            dossier=dossier,
            agency=request.POST.get("agency", "")[:60],
            question=request.POST.get("question", "")[:2000],
            due_days=int(days[:3]),
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Đã gửi văn bản {c.request.number_notation} lấy ý kiến {c.agency_name}, "
            f"hạn trả lời {c.due_on:%d/%m/%Y}.",
        )
    return redirect("dossiers:detail", code=dossier.code)
