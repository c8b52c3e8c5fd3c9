"""Pages of the payments app: cash at the counter, the VietQR image, the citizen's online payment."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from motcua.core.errors import DomainError
from motcua.core.text import ascii_digits
from motcua.payments import selectors, services
from motcua.payments.models import Method


def _money(n: Any) -> str:
    return f"{int(n):,}".replace(",", ".")


def dossier_money(dossier: Any, user: Any) -> dict[str, Any]:
    """The money panel of the back-office dossier page (what is owed, receipts, the cash button)."""
    from django.urls import reverse

    statement = selectors.dossier_fee_statement(dossier)
    roles = services._roles(user, dossier) if getattr(user, "pk", None) else set()
    outstanding = statement["outstanding"]
    has_qr = outstanding > 0 and services.bank_account_for(dossier.unit) is not None
    return {
        "statement": statement,
        "total_display": _money(statement["total"]),
        "paid_display": _money(statement["paid"]),
        "outstanding_display": _money(outstanding),
        "receipts": selectors.dossier_receipts(dossier),
        "can_take_cash": outstanding > 0 and bool(roles & {str(r) for r in services.CASH_ROLES}),
        "cash_url": reverse("payments:cash", args=[dossier.code]),
        "vietqr_url": reverse("payments:vietqr", args=[dossier.code]) if has_qr else "",
        "key": secrets.token_urlsafe(12),
        "can_refund": dossier.status in (3, 7)  # refused, withdrawn
        and bool(roles & {str(r) for r in services.REFUND_ROLES}),
    }


def public_money(dossier: Any) -> dict[str, Any]:
    """What the public lookup shows once the citizen proved the dossier is theirs."""
    statement = selectors.dossier_fee_statement(dossier)
    return {
        "statement": statement,
        "total_display": _money(statement["total"]),
        "paid_display": _money(statement["paid"]),
        "outstanding_display": _money(statement["outstanding"]),
        "receipts": [r for r in selectors.dossier_receipts(dossier) if not r["cancelled"]],
    }


@login_required
@require_POST
def cash(request: HttpRequest, code: str) -> HttpResponse:
    """Take cash at the counter for what the dossier owes and issue the receipt at once."""
    from motcua.dossiers.views import _visible_dossier

    dossier = _visible_dossier(request, code)
    try:
        payment = services.payment_create(
            dossier=dossier,
            method=Method.CASH,
            actor=request.user,
            key=request.POST.get("key", "")[:80],
        )
        receipt: Any
        if payment.status == "pending":
            receipt = services.payment_confirm(payment=payment, actor=request.user)
        else:
            receipt = selectors.receipt_valid_for(payment)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if receipt is not None:
            messages.success(
                request,
                f"Đã thu {_money(receipt.amount)} đồng tiền mặt, biên lai "
                f"{receipt.series.symbol} số {receipt.number_display}. Bấm «In biên lai» để in.",
            )
    return redirect("dossiers:detail", code=dossier.code)


@login_required
def vietqr(request: HttpRequest, code: str) -> HttpResponse:
    """The VietQR of what the dossier owes (PNG), shown at the counter."""
    from motcua.dossiers.views import _visible_dossier
    from motcua.payments.vietqr import png

    dossier = _visible_dossier(request, code)
    payload = services.dossier_vietqr_payload(dossier)
    if payload is None:
        return HttpResponse(status=404)
    response = HttpResponse(png(payload), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def pay_online(request: HttpRequest) -> HttpResponse:
    """The citizen's «Thanh toán trực tuyến» from the public lookup: open an order and go pay."""
    from motcua.core.throttle import public_lookup_limited
    from motcua.dossiers.models import Dossier
    from motcua.dossiers.selectors import dossier_public_view

    code = request.POST.get("code", "").strip()[:60]
    verify = request.POST.get("verify", "").strip()[:4]
    back = "/tra-cuu/?" + urlencode({"ma": code})
    if public_lookup_limited(request):
        return render(
            request,
            "payments/pay_error.html",
            {"message": "Bạn thao tác quá nhanh, vui lòng thử lại sau ít phút.", "back": back},
            status=429,
        )
    try:
        view = dossier_public_view(code=code, verify=verify)
        dossier = Dossier.objects.select_related("unit", "citizen").get(code=view["code"])
        payment = services.payment_create(
            dossier=dossier,
            method=Method.ONLINE,
            key=request.POST.get("key", "")[:80],
            return_path="/tra-cuu/?" + urlencode({"ma": dossier.code}),
        )
    except DomainError as exc:
        return render(
            request,
            "payments/pay_error.html",
            {"message": exc.message, "back": back},
            status=exc.status,
        )
    if payment.status != "pending" or not payment.redirect_url:
        return redirect(back)
    return redirect(payment.redirect_url)


def pay_order(request: HttpRequest, public_id: str) -> HttpResponse:
    """Our hop to the gateway for an online payment whose order may still be queued: create it
    now (outside any lock on the dossier) and send the citizen to the gateway's page."""
    from motcua.payments.models import Payment

    payment = Payment.objects.filter(public_id=public_id[:24], method=Method.ONLINE).first()
    if payment is None:
        return render(
            request,
            "payments/pay_error.html",
            {"message": "Không tìm thấy khoản thanh toán.", "back": "/tra-cuu/"},
            status=404,
        )
    back = "/tra-cuu/?" + urlencode({"ma": payment.dossier.code})
    if payment.status != "pending":
        return redirect(back)
    try:
        payment = services.order_send(payment=payment)
    except DomainError as exc:
        return render(
            request, "payments/pay_error.html", {"message": exc.message, "back": back}, status=503
        )
    if not payment.redirect_url:
        return redirect(back)
    return redirect(payment.redirect_url)


def _day_param(request: HttpRequest) -> tuple[Any, str]:
    from motcua.core import clock
    from motcua.core.dates import INVALID_MESSAGE, parse_date

    try:
        day = parse_date(request.GET.get("ngay", "")) or clock.today()
    except ValueError:
        return clock.today(), INVALID_MESSAGE
    return day, ""


def _officer_name(user: Any) -> str:
    return getattr(user, "full_name", "") or user.get_username()


@login_required
def cash_book(request: HttpRequest) -> HttpResponse:
    """The officer's cash book for a day, and the handover of the cash with its totals."""
    from motcua.core import clock

    error = ""
    if request.method == "POST":
        try:
            handover = services.cash_handover(
                actor=request.user,
                received_by=request.POST.get("received_by", ""),
                note=request.POST.get("note", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"Đã bàn giao {_money(handover.amount)} đồng ({handover.payments_count} biên lai) "
                f"cho {handover.received_by}.",
            )
        return redirect("payments:cash_book")
    day, error = _day_param(request)
    book = selectors.cash_book(request.user, day)
    rows = [
        {
            "at": clock.local(r.issued_at),
            "symbol": f"{r.series.template_number} {r.series.symbol}",
            "number": r.number_display,
            "code": r.dossier.code,
            "payer": r.payer_name,
            "amount": _money(r.amount),
            "state": f"Đã hủy: {r.cancel_reason}" if r.cancelled_at else "Hợp lệ",
        }
        for r in book["receipts"]
    ]
    for h in book["handovers"]:
        h.amount_display = _money(h.amount)
    totals = {
        k: _money(book[k]) for k in ("collected", "cancelled", "refunded", "handed_over", "on_hand")
    }
    return render(
        request,
        "payments/cash_book.html",
        {
            "book": book,
            "rows": rows,
            "totals": totals,
            "officer_name": _officer_name(request.user),
            "error": error,
        },
    )


@login_required
def cash_book_xlsx(request: HttpRequest) -> HttpResponse:
    from motcua.payments.exports import cash_book_xlsx as build

    day, _ = _day_param(request)
    body = build(selectors.cash_book(request.user, day), _officer_name(request.user))
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="so-quy-{day:%d-%m-%Y}.xlsx"'
    return response


@login_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    """Bank statement lines nobody could match, for a person to resolve; and the import form."""
    from motcua.payments.models import StatementLineStatus
    from motcua.payments.reconciliation import (
        reconcilable_accounts,
        require_reconciler,
        statement_import,
        visible_statement_lines,
    )

    try:
        require_reconciler(request.user)
    except DomainError as exc:
        return render(request, "403.html", {"message": exc.message}, status=403)
    result = None
    upload: Any = request.FILES.get("file") if request.method == "POST" else None
    if upload is not None:
        try:
            account = request.POST.get("account", "")
            result = statement_import(
                content=upload.read(10 * 1024 * 1024 + 1)[: 10 * 1024 * 1024],
                filename=upload.name or "",
                actor=request.user,
                account_id=int(account) if ascii_digits(account) and len(account) < 10 else None,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                f"Đã đọc {result['rows']} dòng ghi có: {len(result['matched'])} dòng khớp, "
                f"{len(result['unmatched'])} dòng chưa khớp, "
                f"{len(result['duplicates'])} dòng đã nhập trước đó.",
            )
    # Each official sees the unmatched lines of the accounts their units collect on only.
    lines = list(
        visible_statement_lines(request.user)
        .filter(status=StatementLineStatus.UNMATCHED)
        .select_related("account")
        .order_by("booked_on", "id")[:500]
    )
    for line in lines:
        line.amount_display = _money(line.amount)  # type: ignore[attr-defined]
    return render(
        request,
        "payments/reconciliation.html",
        {"lines": lines, "result": result, "accounts": reconcilable_accounts(request.user)},
    )


@login_required
@require_POST
def reconciliation_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    from django.shortcuts import get_object_or_404

    from motcua.payments.reconciliation import statement_line_resolve, visible_statement_lines

    line = get_object_or_404(visible_statement_lines(request.user), pk=pk)
    try:
        statement_line_resolve(
            line=line,
            actor=request.user,
            dossier_code=request.POST.get("code", "")[:60],
            note=request.POST.get("note", "")[:2000],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Đã xử lý giao dịch {line.transaction_id}.")
    return redirect("payments:reconciliation")


@login_required
@require_POST
def refund(request: HttpRequest, code: str, receipt_id: str) -> HttpResponse:
    """Record a refund against a receipt of a refused or withdrawn dossier."""
    from motcua.dossiers.views import _visible_dossier
    from motcua.payments.models import Receipt

    dossier = _visible_dossier(request, code)
    receipt = Receipt.objects.filter(dossier=dossier, public_id=receipt_id).first()
    if receipt is None:
        messages.error(request, "Không tìm thấy biên lai.")
        return redirect("dossiers:detail", code=dossier.code)
    try:
        done = services.refund_record(
            receipt=receipt,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            basis=request.POST.get("basis", ""),
            method=request.POST.get("method", "cash"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Đã ghi nhận hoàn trả {_money(done.amount)} đồng.")
    return redirect("dossiers:detail", code=dossier.code)


@login_required
def daily(request: HttpRequest) -> HttpResponse:
    """Daily reconciliation per one-stop office: cash, transfer, online against the receipts."""
    from motcua.org.models import Office, Role, StaffRole

    day, error = _day_param(request)
    user: Any = request.user
    allowed = [Role.MANAGER, Role.LEADER, Role.RECEPTION]
    if user.is_superuser:
        offices = list(Office.objects.select_related("unit").order_by("name"))
    else:
        unit_ids: set[int] = set()
        for role in StaffRole.objects.filter(user=user, role__in=allowed).select_related("unit"):
            unit_ids |= role.unit.descendant_ids()
        offices = list(Office.objects.filter(unit_id__in=unit_ids).select_related("unit"))
    if not offices and not user.is_superuser:
        return render(
            request,
            "web/error.html",
            {"message": "Chỉ cán bộ một cửa, quản lý, lãnh đạo mới xem được đối chiếu thu tiền."},
            status=403,
        )
    reports = []
    for office in offices:
        rec = selectors.daily_reconciliation(unit=office.unit, day=day)
        for row in rec["rows"]:
            for k in ("paid_amount", "receipt_amount", "difference"):
                row[f"{k}_display"] = _money(row[k])
        for k in ("cash_total", "cash_handed_over", "cash_not_handed_over"):
            rec[f"{k}_display"] = _money(rec[k])
        reports.append({"office": office, **rec})
    return render(request, "payments/daily.html", {"day": day, "reports": reports, "error": error})
