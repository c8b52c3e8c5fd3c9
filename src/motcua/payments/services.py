"""Writes of the payments app: create and confirm payments, issue and cancel receipts."""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.db import IntegrityError, transaction

from motcua.core import clock
from motcua.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from motcua.core.services import audit_record, sequence_next
from motcua.org.models import Role, Unit
from motcua.payments.models import (
    BankAccount,
    Method,
    Payment,
    PaymentStatus,
    Receipt,
    ReceiptSeries,
)
from motcua.payments.selectors import dossier_outstanding, fee_detail_of, paid_total
from motcua.payments.words import amount_in_words

# Who may do what on a dossier's money (roles held in the dossier's unit, an ancestor, or a
# unit that took over its files: dossiers.services.dossier_roles).
CREATE_ROLES: set[str] = {Role.RECEPTION, Role.HOME_SERVICE, Role.MANAGER, Role.LEADER}
CASH_ROLES: set[str] = {
    Role.RECEPTION,
    Role.HOME_SERVICE,
}  # who takes cash at the counter or at home
TRANSFER_ROLES: set[str] = {
    Role.RECEPTION,
    Role.MANAGER,
    Role.LEADER,
}  # who confirms a transfer arrived
CANCEL_ROLES: set[str] = {Role.LEADER, Role.MANAGER}  # who cancels a receipt
_REF_ALPHABET = string.ascii_uppercase + string.digits


def _roles(actor: Any, dossier: Any) -> set[str]:
    from motcua.dossiers.services import dossier_roles

    return {str(r) for r in dossier_roles(actor, dossier)}


def _require(actor: Any, dossier: Any, allowed: set[str], what: str) -> None:
    if not (_roles(actor, dossier) & {str(r) for r in allowed}):
        raise PermissionDenied(
            f"Bạn không có quyền {what} của hồ sơ {dossier.code} "
            f"(cần là {', '.join(sorted(Role(r).label.lower() for r in allowed))} "
            f"của {dossier.unit.name}).",
            code="payment_forbidden",
        )


def _new_reference() -> str:
    return "PAY" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(11))


def bank_account_for(unit: Unit) -> BankAccount | None:
    """The collection account of a unit, or of the nearest ancestor that has one."""
    node: Unit | None = unit
    for _ in range(20):
        if node is None:
            break
        account = BankAccount.objects.filter(unit=node, active=True).order_by("pk").first()
        if account is not None:
            return account
        node = node.parent
    return None


def series_for(unit: Unit, year: int) -> ReceiptSeries:
    """The series a unit issues receipts on this year (its own, or its nearest ancestor's)."""
    node: Unit | None = unit
    for _ in range(20):
        if node is None:
            break
        series = (
            ReceiptSeries.objects.filter(unit=node, year=year, active=True).order_by("pk").first()
        )
        if series is not None:
            return series
        node = node.parent
    raise ValidationFailed(
        f"{unit.name} chưa có ký hiệu biên lai điện tử cho năm {year}: "
        "quản trị viên cần khai báo mẫu số và ký hiệu biên lai trước khi thu tiền.",
        code="receipt_series_missing",
    )


def payment_create(
    *,
    dossier: Any,
    method: str,
    actor: Any = None,
    key: str = "",
    payer_name: str = "",
    return_path: str = "",
    gw: Any = None,
) -> Payment:
    """Open a payment of what the dossier still owes (cash, VietQR transfer or online gateway).

    Staff of the dossier's unit open any kind; the citizen (no actor) only a transfer or an
    online payment. The same `key` for the same dossier gives back the same payment.

    An online payment's order is written to the outbox in the transaction that locks the
    dossier, and sent to the gateway only once that transaction has committed, so a slow
    gateway never holds the dossier's lock. When the gateway cannot be reached the payment
    stays open with its order queued (the worker retries) and `gateway_unavailable` is raised.
    """
    if method == Method.ONLINE and gw is None:
        from motcua.payments.gateways import gateway

        gw = gateway()
    with transaction.atomic():
        payment = _payment_create_locked(
            dossier=dossier,
            method=method,
            actor=actor,
            key=key,
            payer_name=payer_name,
            return_path=return_path,
            provider=gw.name if gw is not None else "",
        )
    if (
        payment.method == Method.ONLINE
        and payment.status == PaymentStatus.PENDING
        and not payment.redirect_url
    ):
        if _in_callers_transaction():
            # The caller's own transaction (an Idempotency-Key'd API call) still holds the
            # dossier's lock: the order goes once it has committed; meanwhile the citizen is
            # sent through our own page, which creates the order if it is still queued.
            pk = payment.pk
            transaction.on_commit(
                lambda: order_send(payment=Payment(pk=pk), gw=gw, raise_errors=False)
            )
            return payment
        payment = order_send(payment=payment, gw=gw)
    return payment


def _in_callers_transaction() -> bool:
    """Whether a transaction opened by the caller is still open (a test's own does not count)."""
    blocks = transaction.get_connection().atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def online_pay_path(payment: Payment) -> str:
    """Where to send the citizen: the gateway's page, or ours while the order is queued."""
    from django.urls import reverse

    return payment.redirect_url or reverse("payments_public:pay_order", args=[payment.public_id])


def _payment_create_locked(
    *,
    dossier: Any,
    method: str,
    actor: Any,
    key: str,
    payer_name: str,
    return_path: str,
    provider: str,
) -> Payment:
    from motcua.dossiers.models import Dossier
    from motcua.payments.models import OrderOutbox

    if method not in Method.values:
        raise ValidationFailed(
            "Hình thức thanh toán không hợp lệ (tiền mặt, VietQR hoặc trực tuyến).",
            code="payment_method_invalid",
        )
    key = (key or "").strip()[:80]
    if actor is not None:
        _require(actor, dossier, CREATE_ROLES, "lập khoản thu")
    elif method == Method.CASH:
        raise PermissionDenied(
            "Nộp tiền mặt được thực hiện tại quầy, do cán bộ tiếp nhận lập.",
            code="payment_forbidden",
        )
    # Lock the dossier: two payments opened at once see each other's state.
    dossier = (
        Dossier.objects.select_for_update().select_related("unit", "citizen").get(pk=dossier.pk)
    )
    if key:
        existing = Payment.objects.filter(dossier=dossier, key=key).first()
        if existing is not None:
            if existing.method != method:
                raise Conflict(
                    "Khóa này đã dùng cho một khoản thanh toán khác hình thức.",
                    code="payment_key_reused",
                )
            return existing
    detail = fee_detail_of(dossier)
    outstanding = int(detail.get("total", 0)) - paid_total(dossier)
    if outstanding <= 0:
        raise Conflict(
            "Hồ sơ không còn khoản phí, lệ phí nào phải nộp.", code="payment_nothing_due"
        )
    if method == Method.VIETQR and bank_account_for(dossier.unit) is None:
        raise ValidationFailed(
            f"{dossier.unit.name} chưa khai báo tài khoản nhận chuyển khoản.",
            code="bank_account_missing",
        )
    now = clock.now()
    payment = Payment.objects.create(
        dossier=dossier,
        method=method,
        amount=outstanding,
        fee_detail=detail,
        key=key,
        reference=_new_reference(),
        provider=provider if method == Method.ONLINE else "",
        payer_name=(payer_name or dossier.citizen.full_name)[:200],
        created_at=now,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if method == Method.ONLINE:
        OrderOutbox.objects.create(
            payment=payment,
            provider=provider,
            return_path=(return_path or "")[:300],
            created_at=now,
            next_attempt_at=now,
        )
    audit_record(
        action="payment.create",
        actor=actor,
        obj=payment,
        detail={"dossier": dossier.code, "method": method, "amount": outstanding},
    )
    return payment


def _retry_delay(attempts: int) -> int:
    """Seconds before the next try of a queued order: 1, 2, 4, 8 minutes."""
    return 60 * 2 ** max(0, attempts - 1)


def order_send(*, payment: Payment, gw: Any = None, raise_errors: bool = True) -> Payment:
    """Create the payment's order at the gateway, outside any transaction that locks the dossier.

    Idempotent: an order already created is not asked again, and the gateway creates one
    order per payment reference (a retry, or the worker and the request at once, get the
    same order). A failure counts an attempt; after `OrderOutbox.MAX_ATTEMPTS` the order is
    given up and the payment cancelled (the citizen can open a new one).
    """
    from datetime import timedelta

    from motcua.payments.gateways import GatewayError, gateway
    from motcua.payments.models import OrderOutbox, OrderState

    outbox = OrderOutbox.objects.select_related("payment__dossier").filter(payment=payment).first()
    if outbox is None or outbox.state != OrderState.QUEUED:
        payment.refresh_from_db()
        return payment
    if outbox.payment.status != PaymentStatus.PENDING:
        OrderOutbox.objects.filter(pk=outbox.pk, state=OrderState.QUEUED).update(
            state=OrderState.FAILED, last_error="Khoản thanh toán không còn chờ thanh toán."
        )
        payment.refresh_from_db()
        return payment
    gw = gw or gateway()
    try:
        order = gw.create_order(payment=outbox.payment, return_path=outbox.return_path)
    except GatewayError as exc:
        with transaction.atomic():
            row = OrderOutbox.objects.select_for_update().get(pk=outbox.pk)
            if row.state == OrderState.QUEUED:
                now = clock.now()
                row.attempts += 1
                row.last_error = str(exc)[:300]
                row.next_attempt_at = now + timedelta(seconds=_retry_delay(row.attempts))
                if row.attempts >= OrderOutbox.MAX_ATTEMPTS:
                    row.state = OrderState.FAILED
                    Payment.objects.filter(pk=row.payment_id, status=PaymentStatus.PENDING).update(
                        status=PaymentStatus.CANCELLED,
                        cancelled_at=now,
                        cancel_reason="Cổng thanh toán không tạo được đơn hàng.",
                    )
                row.save()
        payment.refresh_from_db()
        if raise_errors:
            raise ValidationFailed(
                f"Cổng thanh toán không tạo được đơn hàng: {exc}. Vui lòng thử lại sau.",
                code="gateway_unavailable",
            ) from exc
        return payment
    with transaction.atomic():
        row = OrderOutbox.objects.select_for_update().get(pk=outbox.pk)
        if row.state == OrderState.QUEUED:
            row.state = OrderState.SENT
            row.attempts += 1
            row.sent_at = clock.now()
            row.last_error = ""
            row.save()
            Payment.objects.filter(pk=row.payment_id, provider_order_id="").update(
                provider=gw.name, provider_order_id=order.order_id, redirect_url=order.redirect_url
            )
    payment.refresh_from_db()
    return payment


def order_outbox_drain(*, limit: int = 50) -> int:
    """The worker's pass: send the queued orders that are due; returns how many were tried."""
    from motcua.payments.models import OrderOutbox, OrderState

    due = list(
        OrderOutbox.objects.filter(state=OrderState.QUEUED, next_attempt_at__lte=clock.now())
        .select_related("payment")
        .order_by("next_attempt_at")[:limit]
    )
    for row in due:
        order_send(payment=row.payment, raise_errors=False)
    return len(due)


def vietqr_payload(payment: Payment) -> str:
    """The VietQR string for a transfer payment: the unit's account, the exact amount, the dossier code."""
    from motcua.payments.vietqr import VietQR

    account = bank_account_for(payment.dossier.unit)
    if account is None:
        raise ValidationFailed(
            f"{payment.dossier.unit.name} chưa khai báo tài khoản nhận chuyển khoản.",
            code="bank_account_missing",
        )
    return VietQR(
        bank_bin=account.bank_bin,
        account=account.account_number,
        amount=int(payment.amount),
        purpose=payment.dossier.code[:25],
    ).payload()


def dossier_vietqr_payload(dossier: Any) -> str | None:
    """A VietQR of what the dossier still owes (the dossier code as reference), or None.

    Printed on the slip and shown at the counter; a bank statement line carrying the code and
    this amount confirms the transfer (payments.reconciliation).
    """
    from motcua.payments.vietqr import VietQR

    outstanding = dossier_outstanding(dossier)
    account = bank_account_for(dossier.unit) if outstanding > 0 else None
    if account is None:
        return None
    return VietQR(
        bank_bin=account.bank_bin,
        account=account.account_number,
        amount=outstanding,
        purpose=dossier.code[:25],
    ).payload()


def _lock_pending(payment: Payment) -> Payment:
    locked = (
        Payment.objects.select_for_update()
        .select_related("dossier__unit", "dossier__citizen")
        .filter(pk=payment.pk)
        .first()
    )
    if locked is None:
        raise NotFound("Không tìm thấy khoản thanh toán.", code="payment_not_found")
    if locked.status != PaymentStatus.PENDING:
        raise Conflict(
            f"Khoản thanh toán đang ở trạng thái «{locked.get_status_display()}», "
            "không xác nhận được nữa.",
            code="payment_not_pending",
        )
    return locked


@transaction.atomic
def payment_confirm(
    *,
    payment: Payment,
    actor: Any = None,
    provider_transaction_id: str = "",
    system: bool = False,
) -> Receipt:
    """Record the money as received and issue its receipt in the same transaction.

    Cash: an official of the dossier's unit who takes cash. Transfer: an official who saw it
    on the account. Online: only the gateway's verified callback (`system=True`).
    """
    payment = _lock_pending(payment)
    dossier = payment.dossier
    if payment.method == Method.ONLINE and not system:
        raise PermissionDenied(
            "Thanh toán trực tuyến chỉ được xác nhận bởi thông báo của cổng thanh toán.",
            code="payment_forbidden",
        )
    if not system:
        allowed = CASH_ROLES if payment.method == Method.CASH else TRANSFER_ROLES
        _require(actor, dossier, allowed, "xác nhận thu tiền")
    if paid_total(dossier) > 0:
        raise Conflict("Hồ sơ này đã được thanh toán.", code="payment_already_paid")
    now = clock.now()
    payment.status = PaymentStatus.PAID
    payment.paid_at = now
    payment.confirmed_by = actor if getattr(actor, "pk", None) else None
    payment.provider_transaction_id = provider_transaction_id[:80]
    try:
        with transaction.atomic():
            payment.save(
                update_fields=["status", "paid_at", "confirmed_by", "provider_transaction_id"]
            )
    except IntegrityError:  # another payment of the dossier, or this gateway transaction, paid
        raise Conflict("Hồ sơ này đã được thanh toán.", code="payment_already_paid") from None
    # The other open payments of the dossier can no longer be paid.
    Payment.objects.filter(dossier=dossier, status=PaymentStatus.PENDING).exclude(
        pk=payment.pk
    ).update(status=PaymentStatus.CANCELLED, cancelled_at=now, cancel_reason="Đã thanh toán")
    audit_record(
        action="payment.confirm",
        actor=actor,
        obj=payment,
        detail={"dossier": dossier.code, "method": payment.method, "amount": payment.amount},
    )
    receipt = receipt_issue(payment=payment, actor=actor)
    _settle_status_6(dossier)
    return receipt


def _settle_status_6(dossier: Any) -> None:
    """A dossier waiting in status 6 goes back to work once nothing is owed (the citizen's move)."""
    from motcua.dossiers.models import Dossier
    from motcua.dossiers.services import dossier_act
    from motcua.dossiers.workflow import Status

    current = Dossier.objects.only("status").get(pk=dossier.pk)
    if current.status == Status.PAYMENT and dossier_outstanding(current) <= 0:
        dossier_act(dossier=current, action="paid", actor=None, note="Đã nộp phí, lệ phí.")


def _receipt_lines(payment: Payment) -> list[dict[str, Any]]:
    return [
        {
            "name": line.get("name", ""),
            "kind": line.get("kind", ""),
            "kind_label": line.get("kind_label", ""),
            "quantities": line.get("quantities", {}),
            "amount": int(line.get("amount", 0)),
        }
        for line in (payment.fee_detail or {}).get("lines", [])
        if int(line.get("amount", 0)) > 0
    ]


@transaction.atomic
def receipt_issue(
    *, payment: Payment, actor: Any = None, replaces: Receipt | None = None
) -> Receipt:
    """Issue the e-receipt of a paid payment; its number comes from the series' locked counter."""
    payment = (
        Payment.objects.select_for_update()
        .select_related("dossier__unit", "dossier__citizen")
        .get(pk=payment.pk)
    )
    if payment.status != PaymentStatus.PAID:
        raise Conflict("Chỉ lập biên lai cho khoản đã thu tiền.", code="payment_not_paid")
    if payment.receipts.filter(cancelled_at__isnull=True).exists():
        raise Conflict("Khoản thu này đã có biên lai.", code="receipt_exists")
    dossier = payment.dossier
    now = clock.now()
    series = series_for(dossier.unit, clock.local(now).year)
    number = sequence_next(key=series.counter_key)
    if number > Receipt.MAX_NUMBER:  # Decree 254/2026/NĐ-CP Art. 23(2): at most 8 digits
        raise Conflict(
            f"Ký hiệu biên lai {series.symbol} đã dùng hết số (tối đa 8 chữ số trong năm).",
            code="receipt_series_exhausted",
        )
    citizen = dossier.citizen
    receipt = Receipt(
        series=series,
        number=number,
        payment=payment,
        dossier=dossier,
        agency_name=series.unit.name,
        payer_name=payment.payer_name or citizen.full_name,
        payer_id_number=citizen.id_number,
        payer_address=citizen.address,
        lines=_receipt_lines(payment),
        amount=payment.amount,
        amount_in_words=amount_in_words(int(payment.amount)),
        method=payment.method,
        issued_at=now,
        issued_by=actor if getattr(actor, "pk", None) else None,
        replaces=replaces,
    )
    # Signed with the agency's certificate now and stored: what is issued is what is served.
    from motcua.payments.xmlsign import receipt_sign_at_issue

    for name, value in receipt_sign_at_issue(receipt).items():
        setattr(receipt, name, value)
    receipt.save(force_insert=True)
    from motcua.notifications.services import notification_receipt_issued

    notification_receipt_issued(receipt=receipt)  # the citizen's message: same transaction
    audit_record(
        action="receipt.issue",
        actor=actor,
        obj=receipt,
        detail={
            "series": str(series),
            "number": number,
            "amount": payment.amount,
            "replaces": replaces.pk if replaces else None,
        },
    )
    return receipt


@transaction.atomic
def receipt_cancel(*, receipt: Receipt, actor: Any, reason: str, replace: bool = False) -> Receipt:
    """Cancel a receipt with a reason; `replace` issues a new one (new number) that names it.

    Without a replacement the collection itself is void: the payment is cancelled and the
    dossier owes its fees again. Returns the replacement, or the cancelled receipt.
    """
    locked = (
        Receipt.objects.select_for_update()
        .select_related("dossier__unit", "payment")
        .filter(pk=receipt.pk)
        .first()
    )
    if locked is None:
        raise NotFound("Không tìm thấy biên lai.", code="receipt_not_found")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Cần ghi lý do hủy biên lai.", code="cancel_reason_required")
    _require(actor, locked.dossier, CANCEL_ROLES, "hủy biên lai")
    if locked.cancelled_at is not None:
        raise Conflict("Biên lai này đã bị hủy trước đó.", code="receipt_already_cancelled")
    now = clock.now()
    locked.cancelled_at = now
    locked.cancelled_by = actor
    locked.cancel_reason = reason[:2000]
    locked.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
    audit_record(
        action="receipt.cancel",
        actor=actor,
        obj=locked,
        detail={"reason": reason, "replace": bool(replace), "number": locked.number},
    )
    if replace:
        return receipt_issue(payment=locked.payment, actor=actor, replaces=locked)
    payment = Payment.objects.select_for_update().get(pk=locked.payment_id)
    payment.status = PaymentStatus.CANCELLED
    payment.cancelled_at = now
    payment.cancel_reason = f"Hủy biên lai số {locked.number_display}: {reason}"[:2000]
    payment.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    return locked


def payment_callback(
    *, provider: str, body: bytes, headers: Any, remote_addr: str = ""
) -> tuple[str, Payment | None]:
    """Apply a gateway's callback once; anything forged, stale, replayed or mismatched changes nothing.

    Every callback is written to CallbackLog with its outcome (kept even when refused).
    Returns (outcome, payment); outcomes "paid" and "replay" are answered as success so the
    gateway stops retrying, the others as a refusal.
    """
    import logging

    from motcua.payments.gateways import CallbackRejected, conf, gateway
    from motcua.payments.models import CallbackLog

    log = logging.getLogger("motcua.payments")
    payment: Payment | None = None
    outcome, detail = "paid", ""
    try:
        gw = gateway()
        if provider != gw.name:
            raise CallbackRejected("unknown_provider", f"cổng «{provider}» không được cấu hình")
        data = gw.parse_callback(body=body, headers=headers)
        window = int(conf("PAYMENT_CALLBACK_WINDOW"))
        if abs(clock.now().timestamp() - data.timestamp) > window:
            raise CallbackRejected("stale", "thông báo quá cũ hoặc sai giờ (có thể bị phát lại)")
        payment = Payment.objects.filter(
            provider=gw.name, reference=data.order_ref, provider_order_id=data.order_id
        ).first()
        if payment is None:
            raise CallbackRejected("unknown_order", "không có đơn hàng này")
        if data.amount != payment.amount:
            raise CallbackRejected(
                "amount_mismatch", f"số tiền {data.amount} khác số phải nộp {payment.amount}"
            )
        if payment.status == PaymentStatus.PAID:
            if payment.provider_transaction_id == data.transaction_id:
                raise CallbackRejected("replay", "giao dịch đã được ghi nhận trước đó")
            raise CallbackRejected("not_pending", "hồ sơ đã được thanh toán bằng giao dịch khác")
        if payment.status != PaymentStatus.PENDING:
            raise CallbackRejected(
                "not_pending", f"khoản thanh toán đang ở trạng thái {payment.status}"
            )
        if not data.success:
            raise CallbackRejected("failed", "cổng báo giao dịch không thành công")
        try:
            payment_confirm(
                payment=payment, provider_transaction_id=data.transaction_id, system=True
            )
        except Conflict as exc:
            raise CallbackRejected("not_pending", exc.message) from exc
        except DomainError as exc:
            # The money was taken but no receipt could be issued (e.g. the signing certificate
            # went missing): nothing is recorded as paid, the callback is logged and refused so
            # the gateway sends it again, and the operator is alerted.
            log.error("payment callback %s: receipt not issued: %s", provider, exc.message)
            raise CallbackRejected("receipt_failed", exc.message) from exc
    except CallbackRejected as exc:
        outcome, detail = exc.outcome, exc.detail
        log.warning("payment callback %s refused: %s (%s)", provider, outcome, detail)
    CallbackLog.objects.create(
        provider=provider[:40],
        received_at=clock.now(),
        body=body.decode("utf-8", "replace")[:10000],
        signature=str(headers.get("X-Signature", "") or "")[:200],
        remote_addr=remote_addr[:64],
        outcome=outcome,
        detail=detail[:300],
        payment=payment,
    )
    return outcome, payment


# --- cash book: handing the day's cash over ---------------------------------------------------


@transaction.atomic
def cash_handover(*, actor: Any, received_by: str, note: str = "", until: Any = None) -> Any:
    """Hand over all the cash the officer took and has not handed over yet, with its totals.

    `until` (the demo history): only cash taken up to that moment.
    """
    from django.db.models import Count, Sum

    from motcua.org.models import StaffRole
    from motcua.payments.models import CashHandover

    if not StaffRole.objects.filter(user=actor, role__in=[str(r) for r in CASH_ROLES]).exists():
        raise PermissionDenied(
            "Chỉ cán bộ tiếp nhận, trả kết quả hoặc phục vụ tại nhà mới có sổ quỹ tiền mặt.",
            code="payment_forbidden",
        )
    received_by = (received_by or "").strip()
    if not received_by:
        raise ValidationFailed(
            "Cần ghi họ tên người nhận tiền (thủ quỹ hoặc kế toán).", code="receiver_required"
        )
    pending = Payment.objects.select_for_update().filter(
        method=Method.CASH, status=PaymentStatus.PAID, confirmed_by=actor, handover__isnull=True
    )
    if until is not None:
        pending = pending.filter(paid_at__lte=until)
    ids = list(pending.values_list("pk", flat=True))
    totals = Payment.objects.filter(pk__in=ids).aggregate(n=Count("id"), s=Sum("amount"))
    if not ids:
        raise Conflict("Không còn tiền mặt nào chưa bàn giao.", code="nothing_to_hand_over")
    handover = CashHandover.objects.create(
        officer=actor,
        handed_at=clock.now(),
        amount=int(totals["s"] or 0),
        payments_count=int(totals["n"] or 0),
        received_by=received_by[:200],
        note=(note or "").strip()[:2000],
    )
    Payment.objects.filter(pk__in=ids).update(handover=handover)
    audit_record(
        action="payment.cash_handover",
        actor=actor,
        obj=handover,
        detail={"amount": handover.amount, "count": handover.payments_count, "to": received_by},
    )
    return handover


# --- refunds ----------------------------------------------------------------------------------

REFUND_ROLES: set[str] = {Role.LEADER, Role.MANAGER}


@transaction.atomic
def refund_record(
    *, receipt: Receipt, actor: Any, reason: str, basis: str, method: str = Method.CASH
) -> Any:
    """Give back what a receipt collected for a refused or withdrawn dossier (the law's case).

    The receipt stays as issued (the money was collected); the refund is recorded against it,
    the payment becomes "refunded" and the audit log keeps who decided it on what basis.
    """
    from motcua.dossiers.workflow import Status
    from motcua.payments.models import Refund

    locked = (
        Receipt.objects.select_for_update()
        .select_related("dossier__unit", "payment")
        .filter(pk=receipt.pk)
        .first()
    )
    if locked is None:
        raise NotFound("Không tìm thấy biên lai.", code="receipt_not_found")
    _require(actor, locked.dossier, REFUND_ROLES, "hoàn trả phí, lệ phí")
    reason, basis = (reason or "").strip(), (basis or "").strip()
    if not reason or not basis:
        raise ValidationFailed(
            "Cần ghi lý do và căn cứ pháp lý của việc hoàn trả.", code="refund_reason_required"
        )
    if method not in (Method.CASH, Method.VIETQR):
        raise ValidationFailed(
            "Hình thức hoàn trả là tiền mặt hoặc chuyển khoản.", code="refund_method_invalid"
        )
    if locked.dossier.status not in (Status.REFUSED, Status.WITHDRAWN):
        raise Conflict(
            "Chỉ hoàn trả phí, lệ phí khi hồ sơ không được tiếp nhận hoặc công dân rút hồ sơ.",
            code="refund_not_allowed",
        )
    if locked.cancelled_at is not None:
        raise Conflict(
            "Biên lai đã hủy, không hoàn trả theo biên lai này.", code="receipt_cancelled"
        )
    if Refund.objects.filter(receipt=locked).exists():
        raise Conflict("Biên lai này đã được hoàn trả.", code="already_refunded")
    payment = Payment.objects.select_for_update().get(pk=locked.payment_id)
    if payment.status != PaymentStatus.PAID:
        raise Conflict("Khoản thu không ở trạng thái đã thanh toán.", code="payment_not_paid")
    refund = Refund.objects.create(
        receipt=locked,
        payment=payment,
        dossier=locked.dossier,
        amount=locked.amount,
        method=method,
        reason=reason[:2000],
        basis=basis[:300],
        refunded_at=clock.now(),
        refunded_by=actor,
    )
    payment.status = PaymentStatus.REFUNDED
    payment.save(update_fields=["status"])
    audit_record(
        action="payment.refund",
        actor=actor,
        obj=refund,
        detail={"receipt": locked.number, "amount": refund.amount, "basis": basis},
    )
    return refund
