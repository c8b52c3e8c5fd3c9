"""Context of each official form, read from the dossier tables; the templates themselves are data."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from motcua.core import clock
from motcua.core.errors import NotFound, ValidationFailed
from motcua.core.links import public_url
from motcua.documents.services import qr_svg, render_form_pdf

DOSSIER_FORMS = ("01", "02", "03", "04", "05", "stop")

# Which event row a form reads its reason from.
_REASON_ACTION = {"02": "request_supplement", "03": "refuse", "stop": "stop"}


def lookup_url(code: str, base_url: str = "") -> str:
    """The public lookup address of a dossier (printed as text and as a QR code).

    Built from the configured public address (core.links), never from a request's host;
    `base_url` is only for callers that print for another portal explicitly.
    """
    from urllib.parse import urlencode

    from django.urls import reverse

    path = f"{reverse('portal:lookup')}?{urlencode({'ma': code})}"
    return f"{base_url.rstrip('/')}{path}" if base_url else public_url(path)


def _person(user: Any) -> str:
    if user is None:
        return ""
    return str(getattr(user, "full_name", "") or getattr(user, "username", ""))


def _agency(unit: Any) -> dict[str, str]:
    parent = getattr(unit, "parent", None)
    return {
        "name": unit.name,
        "parent": parent.name if parent else "",
        "code": unit.agency_code or unit.code,
    }


def _place(unit: Any) -> str:
    """The place written before the date: the province-level ancestor, without its title."""
    node = unit
    while getattr(node, "parent", None) is not None:
        node = node.parent
    name = node.name
    for prefix in ("Thành phố ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def _office(unit: Any) -> dict[str, str]:
    """The receiving office (Bộ phận Một cửa) of a unit: its one-stop office, or the unit itself."""
    office = unit.offices.filter(is_active=True).order_by("id").first()
    if office is not None:
        return {"name": office.name, "address": office.address, "phone": office.phone}
    return {"name": f"Bộ phận Một cửa – {unit.name}", "address": "", "phone": ""}


def _ledger_number(dossier: Any) -> tuple[int, int]:
    """(book, number) of a dossier in its unit's tracking ledger: the year, and its rank in it."""
    from motcua.dossiers.models import Dossier

    received = clock.local(dossier.received_at)
    start = datetime.combine(date(received.year, 1, 1), time.min, tzinfo=clock.VN_TZ)
    earlier = Dossier.objects.filter(
        unit_id=dossier.unit_id, received_at__gte=start, received_at__lt=dossier.received_at
    ).count()
    same = Dossier.objects.filter(
        unit_id=dossier.unit_id, received_at=dossier.received_at, id__lte=dossier.id
    ).count()
    return received.year, earlier + same


_RESULT_AT = {
    "post": "Địa chỉ của người nộp, qua dịch vụ bưu chính công ích",
    "online": "Trực tuyến (tài khoản dịch vụ công) hoặc tại Bộ phận Một cửa",
}


def _fee_lines(dossier: Any) -> list[dict[str, Any]]:
    from motcua.catalog.fees import UNITS

    out = []
    for line in (dossier.fee_detail or {}).get("lines", []):
        qty = line.get("quantities") or {}
        if line.get("unit") == "page":
            qty_text = f"{qty.get('pages', 1)} trang × {qty.get('copies', 1)} bản"
        elif line.get("unit") == "copy":
            qty_text = f"{qty.get('copies', 1)} bản"
        else:
            qty_text = f"1 {UNITS['case']}"
        out.append({**line, "quantity_text": qty_text, "amount_display": _money(line["amount"])})
    return out


def _dossier_view(dossier: Any) -> dict[str, Any]:
    return {
        "code": dossier.code,
        "received_at": clock.local(dossier.received_at),
        "due_at": clock.local(dossier.due_at) if dossier.due_at else None,
        "appointment_at": clock.local(dossier.appointment_at) if dossier.appointment_at else None,
        "channel_label": dossier.get_channel_display(),
        "fees_due": dossier.fees_due,
        "fees_due_display": _money(dossier.fees_due),
        "status_label": dossier.get_status_display(),
    }


def _last_event(dossier: Any, action: str) -> Any:
    return dossier.events.filter(action=action).order_by("-at", "-id").first()


def _handoff_rows(dossier: Any) -> list[dict[str, Any]]:
    """Form 05: one row per event; the deadline and result are those of the step the row closes."""
    from motcua.dossiers.workflow import ACTION_LABELS, TIMELINESS_LABELS

    rows = []
    previous_due = None
    for event in dossier.events.select_related("actor", "from_user", "to_user", "unit", "to_unit"):
        giver = _person(event.from_user or event.actor) or (
            event.unit.name if event.unit else "Công dân"
        )
        if event.to_user is not None:
            receiver = _person(event.to_user)
        elif event.to_unit is not None:
            receiver = event.to_unit.name
        else:
            receiver = _person(event.actor) or giver
        rows.append(
            {
                "giver": giver,
                "receiver": receiver,
                "at": clock.local(event.at),
                "action": ACTION_LABELS.get(event.action, event.action),
                "deadline": clock.local(previous_due) if previous_due else None,
                "timeliness": TIMELINESS_LABELS.get(event.closed_step_timeliness or "", ""),
                "note": event.note,
            }
        )
        previous_due = event.step_due_at or previous_due
    return rows


def dossier_form_context(*, dossier: Any, code: str, base_url: str = "") -> dict[str, Any]:
    """Everything the template of form `code` may print about `dossier`."""
    if code not in DOSSIER_FORMS:
        raise NotFound(f"Không có biểu mẫu «{code}» cho hồ sơ.", code="form_not_found")
    version = dossier.procedure_version
    citizen = dossier.citizen
    receive_event = (
        dossier.events.filter(action__in=("receive", "accept")).order_by("at", "id").first()
    )
    officer = _person(receive_event.actor if receive_event else None) or _person(dossier.created_by)
    url = lookup_url(dossier.code, base_url)
    ctx: dict[str, Any] = {
        "dossier": _dossier_view(dossier),
        "citizen": citizen,
        "procedure": {
            "name": version.name,
            "code": dossier.procedure.code,
            "time_display": version.time_display(dossier.time_case or None),
            "field": dossier.field.name,
        },
        "time_case": version.time_case(dossier.time_case) if dossier.time_case else None,
        "office": _office(dossier.unit),
        "result_at": _RESULT_AT.get(dossier.channel, "") or _office(dossier.unit)["name"],
        "fee_lines": _fee_lines(dossier),
        "exemption_proof": dossier.fee_exemption_proof,
        "exemption_checked_by": _person(dossier.fee_exemption_checked_by),
        "agency": _agency(dossier.unit),
        "place": _place(dossier.unit),
        "today": clock.today(),
        "officer": officer,
        "signer": "",
        "papers": list(dossier.papers.all()),
        "lookup_url": url,
        "qr": qr_svg(url),
        "number": "",
        "vietqr": "",
    }
    if code == "01":
        # What is still owed, as a VietQR to the unit's account with the dossier code (issue 12).
        from motcua.payments.services import dossier_vietqr_payload

        payload = dossier_vietqr_payload(dossier)
        if payload:
            ctx["vietqr"] = qr_svg(payload)
    if code in _REASON_ACTION:
        event = _last_event(dossier, _REASON_ACTION[code])
        if event is None and code != "02":
            raise ValidationFailed(
                "Hồ sơ chưa có thao tác tương ứng nên chưa in được biểu mẫu này.",
                code="form_not_applicable",
            )
        ctx["reason"] = event.note if event else ""
        if event is not None:
            ctx["officer"] = _person(event.actor) or officer
            ctx["signer"] = _person(event.actor)
        ctx["requested_at"] = clock.local(event.at) if event else None
        ctx["stopped_at"] = ctx["requested_at"]
        ctx["missing"] = [p.name for p in dossier.papers.all() if p.required and not p.provided]
    if code == "04":
        extension = dossier.extensions.order_by("-number").first()
        if extension is None:
            raise ValidationFailed(
                "Hồ sơ chưa có thư xin lỗi, hẹn lại ngày trả kết quả.", code="form_not_applicable"
            )
        ctx["extension"] = {
            "reason": extension.reason,
            "previous_due_at": clock.local(extension.previous_due_at),
            "new_due_at": clock.local(extension.new_due_at),
            "number": extension.number,
        }
        # Signed in the name of the head of the agency (the leader, or the leader who delegated
        # the official that issued it), never by whoever clicked.
        head = extension.signed_by or extension.issued_by
        ctx["signer"] = _person(head)
        ctx["signer_title"] = str(getattr(head, "title", "") or "")
        ctx["delegation"] = (
            {"delegate": _person(extension.issued_by), "document": extension.delegation.document}
            if extension.delegation_id
            else None
        )
        ctx["number"] = f"{extension.number:02d}/TXL"
    if code == "05":
        ctx["rows"] = _handoff_rows(dossier)
    if code == "01":
        book, seq = _ledger_number(dossier)
        ctx["ledger_book"], ctx["ledger_seq"] = book, seq
        ctx["number"] = f"{seq}/{book}"
    return ctx


def dossier_form_pdf(*, dossier: Any, code: str, base_url: str = "") -> bytes:
    """Form 01–05 (or the stop notice) of one dossier as a PDF."""
    return render_form_pdf(
        code=code, context=dossier_form_context(dossier=dossier, code=code, base_url=base_url)
    )


def ledger_rows(*, unit: Any, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """Form 06 rows: the dossiers a unit received in a period, oldest first."""
    from motcua.dossiers.models import Dossier

    start = datetime.combine(date_from, time.min, tzinfo=clock.VN_TZ)
    end = datetime.combine(date_to, time.max, tzinfo=clock.VN_TZ)
    qs = (
        Dossier.objects.filter(unit=unit, received_at__gte=start, received_at__lte=end)
        .select_related("citizen", "procedure_version", "unit", "holder_unit")
        .order_by("received_at", "id")
    )
    from django.db.models import Min, OuterRef, Subquery

    from motcua.dossiers.models import DossierEvent

    first_assign = (
        DossierEvent.objects.filter(dossier=OuterRef("pk"), action="assign")
        .values("dossier")
        .annotate(m=Min("at"))
        .values("m")
    )
    qs = qs.annotate(assigned_at=Subquery(first_assign))
    rows = []
    for d in qs:
        timeliness = d.get_return_timeliness_display() or d.get_result_timeliness_display()
        rows.append(
            {
                "code": d.code,
                "procedure": d.procedure_version.name,
                "citizen": d.citizen.full_name,
                "contact": ", ".join(x for x in (d.citizen.address, d.citizen.phone) if x),
                "unit": (d.holder_unit or d.unit).name,
                "received_at": clock.local(d.received_at),
                "due_at": clock.local(d.due_at) if d.due_at else None,
                "assigned_at": clock.local(d.assigned_at) if d.assigned_at else None,
                "result_ready_at": clock.local(d.result_ready_at) if d.result_ready_at else None,
                "returned_at": clock.local(d.returned_at) if d.returned_at else None,
                "status": d.get_status_display(),
                "timeliness": timeliness,
            }
        )
    return rows


def ledger_pdf(*, unit: Any, date_from: date, date_to: date) -> bytes:
    """Form 06, the tracking ledger of a unit for a period, as a PDF (A4 landscape)."""
    if date_from > date_to:
        raise ValidationFailed("Ngày bắt đầu phải trước ngày kết thúc.", code="invalid_period")
    ctx = {
        "agency": _agency(unit),
        "place": _place(unit),
        "today": clock.today(),
        "date_from": date_from,
        "date_to": date_to,
        "rows": ledger_rows(unit=unit, date_from=date_from, date_to=date_to),
        "number": "",
    }
    return render_form_pdf(code="06", context=ctx)
