"""JSON API of the payments app: what a dossier owes, paying it, receipts, the gateway's callback."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Path, Query, Router, Schema, UploadedFile
from ninja import Status as HttpStatus
from pydantic import WrapValidator

from motcua.core import clock
from motcua.core.auth import staff_auth
from motcua.core.errors import NotFound
from motcua.core.idempotency import idempotent
from motcua.core.schemas import PATH_CODE_MAX, ErrorOut, InputSchema, coded
from motcua.payments import selectors, services
from motcua.payments.models import Method, Payment, Receipt

router = Router(tags=["payments"])


class _Anonymous:
    """Lets a request through without a token; the endpoint decides what anonymous callers may do."""

    def __call__(self, request: HttpRequest) -> Any:
        return "anonymous"


anonymous = _Anonymous()


class PaymentIn(InputSchema):
    method: Annotated[
        Literal["cash", "vietqr", "online"],  # payments.Method
        WrapValidator(
            coded(
                "payment_method_invalid",
                "Hình thức thanh toán không hợp lệ (tiền mặt, VietQR hoặc trực tuyến).",
            )
        ),
    ]
    key: str = Field("", max_length=80)
    # A citizen without a token proves the dossier is theirs as in the public lookup.
    verify: str = Field("", max_length=4)
    # Where the gateway sends the citizen back after paying online (a path of this site).
    return_path: str = Field("", max_length=300)


class RefundIn(InputSchema):
    reason: str = Field(max_length=2000)
    basis: str = Field(max_length=300)
    method: Annotated[
        Literal["cash", "vietqr"],  # payments.Method, a refund is never online
        WrapValidator(
            coded("refund_method_invalid", "Hình thức hoàn trả là tiền mặt hoặc chuyển khoản.")
        ),
    ] = "cash"


class CancelIn(InputSchema):
    reason: str = Field(max_length=2000)
    replace: bool = False


class ReceiptOut(Schema):
    id: str
    template_number: str
    symbol: str
    number: str
    amount: int
    amount_in_words: str
    method: str
    issued_at: str
    cancelled: bool
    cancel_reason: str
    replaces: str | None
    pdf_url: str
    xml_url: str
    refunded: bool


class PaymentOut(Schema):
    id: str
    reference: str
    dossier: str
    method: str
    method_label: str
    amount: int
    status: str
    status_label: str
    created_at: str
    paid_at: str | None
    receipt: ReceiptOut | None
    qr_payload: str | None = None  # a VietQR transfer
    qr_png_url: str | None = None
    redirect_url: str | None = None  # an online payment


class CancelOut(Schema):
    cancelled: ReceiptOut
    replacement: ReceiptOut | None


class RefundOut(Schema):
    id: str
    receipt: ReceiptOut
    amount: int
    method: str
    reason: str
    basis: str
    refunded_at: str


class StatementRowOut(Schema):
    line: int
    transaction_id: str
    date: str
    amount: int
    description: str
    status: str
    problem: str
    dossier: str | None
    payment: PaymentOut | None


class StatementImportOut(Schema):
    rows: int
    matched: list[StatementRowOut]
    unmatched: list[StatementRowOut]
    duplicates: list[StatementRowOut]
    unreadable: list[Any]


class CallbackOut(Schema):
    code: str
    message: str
    outcome: str


# A dossier's code (or reference) and a payment's or receipt's public id in the path.
DossierCode = Path(max_length=PATH_CODE_MAX)
PublicId = Path(max_length=PATH_CODE_MAX)
LOOKUP_ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


def _user(request: HttpRequest) -> Any:
    user = getattr(request, "auth", None)
    return user if getattr(user, "pk", None) else None


def _dossier(request: HttpRequest, code: str, verify: str = "") -> Any:
    """The dossier by code: any the official may see, or the citizen's own with `verify`."""
    from motcua.dossiers import selectors as dossier_selectors
    from motcua.dossiers.models import Dossier
    from motcua.dossiers.services import dossier_by_number

    user = _user(request)
    if user is not None:
        dossier = dossier_by_number(dossier_selectors.visible_dossiers(user=user), code).first()
        if dossier is None:
            raise NotFound(f"Không tìm thấy hồ sơ có mã {code}.", code="dossier_not_found")
        return dossier
    from motcua.dossiers.api import public_lookup_throttle

    public_lookup_throttle(request)
    # Same check, same answer and the same lock after wrong tries as the public lookup.
    view = dossier_selectors.dossier_public_view(code=code, verify=verify)
    return Dossier.objects.select_related("unit", "citizen").get(code=view["code"])


def receipt_summary(r: Receipt) -> dict[str, Any]:
    from motcua.payments.documents import receipt_download_path

    return {
        "id": r.public_id,
        "template_number": r.series.template_number,
        "symbol": r.series.symbol,
        "number": r.number_display,
        "amount": r.amount,
        "amount_in_words": r.amount_in_words,
        "method": r.method,
        "issued_at": clock.local(r.issued_at).isoformat(),
        "cancelled": r.is_cancelled,
        "cancel_reason": r.cancel_reason,
        "replaces": r.replaces.public_id if r.replaces_id and r.replaces else None,
        "pdf_url": receipt_download_path(r),
        "xml_url": f"/api/v1/receipts/{r.public_id}.xml",
        "refunded": hasattr(r, "refund"),
    }


def payment_summary(p: Payment) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": p.public_id,
        "reference": p.reference,
        "dossier": p.dossier.code,
        "method": p.method,
        "method_label": p.get_method_display(),
        "amount": p.amount,
        "status": p.status,
        "status_label": p.get_status_display(),
        "created_at": clock.local(p.created_at).isoformat(),
        "paid_at": clock.local(p.paid_at).isoformat() if p.paid_at else None,
        "receipt": None,
    }
    if p.method == Method.VIETQR:
        body["qr_payload"] = services.vietqr_payload(p)
        body["qr_png_url"] = f"/api/v1/payments/{p.public_id}/qr.png"
    if p.method == Method.ONLINE:
        # The gateway's page once the order exists; before that (the order still queued in the
        # outbox) our page that creates it and then redirects there.
        body["redirect_url"] = (
            services.online_pay_path(p) if p.status == "pending" else (p.redirect_url)
        )
    receipt = selectors.receipt_valid_for(p)
    if receipt is not None:
        body["receipt"] = receipt_summary(receipt)
    return body


@router.get(
    "/dossiers/{code}/fees", auth=[staff_auth, anonymous], response={200: dict, **LOOKUP_ERRORS}
)
def dossier_fees(
    request: HttpRequest,
    code: str = DossierCode,
    verify: str = Query("", max_length=4),
) -> dict[str, Any]:
    """Fee lines, exemptions, total, paid and outstanding (the citizen adds `verify`: last 4 digits)."""
    return selectors.dossier_fee_statement(_dossier(request, code, verify))


@router.post(
    "/dossiers/{code}/payments",
    auth=[staff_auth, anonymous],
    response={201: PaymentOut, 409: ErrorOut, **LOOKUP_ERRORS},
    exclude_unset=True,  # qr_* only for a transfer, redirect_url only online
)
@idempotent("payments.create", status=201)
def payment_create(request: HttpRequest, payload: PaymentIn, code: str = DossierCode) -> Any:
    """Open a payment of what is outstanding: cash (staff), VietQR transfer or online gateway."""
    dossier = _dossier(request, code, payload.verify)
    return_path = payload.return_path if payload.return_path.startswith("/") else ""
    if return_path.startswith("//"):
        return_path = ""
    payment = services.payment_create(
        dossier=dossier,
        method=payload.method,
        actor=_user(request),
        key=payload.key,
        return_path=return_path,
    )
    return HttpStatus(201, payment_summary(payment))


@router.get(
    "/payments/{public_id}",
    auth=None,
    response={200: PaymentOut, 404: ErrorOut},
    exclude_unset=True,
)
def payment_read(request: HttpRequest, public_id: str = PublicId) -> dict[str, Any]:
    """A payment by its unguessable id (the citizen's page polls it after paying)."""
    return payment_summary(selectors.payment_by_public_id(public_id))


@router.get(
    "/payments/{public_id}/qr.png",
    auth=None,
    response={200: None, 404: ErrorOut},
    openapi_extra={"responses": {200: {"description": "Ảnh PNG", "content": {"image/png": {}}}}},
)
def payment_qr(request: HttpRequest, public_id: str = PublicId) -> HttpResponse:
    """The VietQR image of a transfer payment (PNG)."""
    from motcua.payments.vietqr import png

    payment = selectors.payment_by_public_id(public_id)
    if payment.method != Method.VIETQR:
        raise NotFound("Khoản thanh toán này không dùng mã VietQR.", code="payment_not_vietqr")
    response = HttpResponse(png(services.vietqr_payload(payment)), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


@router.post(
    "/payments/{public_id}/confirm",
    auth=staff_auth,
    response={200: PaymentOut, 409: ErrorOut},
    exclude_unset=True,
)
@idempotent("payments.confirm")
def payment_confirm(request: HttpRequest, public_id: str = PublicId) -> dict[str, Any]:
    """Record cash taken at the counter (or a transfer seen on the account) and issue its receipt."""
    payment = selectors.payment_by_public_id(public_id)
    services.payment_confirm(payment=payment, actor=_user(request))
    payment.refresh_from_db()
    return payment_summary(payment)


def _receipt(public_id: str) -> Receipt:
    receipt = (
        Receipt.objects.select_related(
            "series", "dossier__procedure_version", "replaces__series", "issued_by"
        )
        .filter(public_id=public_id or "-")
        .first()
    )
    if receipt is None:
        raise NotFound("Không tìm thấy biên lai.", code="receipt_not_found")
    return receipt


@router.get(
    "/receipts/{public_id}.pdf",
    auth=None,
    response={200: None, 404: ErrorOut},
    openapi_extra={
        "responses": {200: {"description": "Biên lai PDF", "content": {"application/pdf": {}}}}
    },
)
def receipt_pdf(request: HttpRequest, public_id: str = PublicId) -> HttpResponse:
    """The receipt as a PDF (its id is an unguessable handle given to the payer)."""
    from motcua.payments.documents import receipt_pdf as render

    receipt = _receipt(public_id)
    response = HttpResponse(render(receipt), content_type="application/pdf")
    name = f"bien-lai-{receipt.series.symbol}-{receipt.number_display}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get(
    "/receipts/{public_id}.xml",
    auth=[staff_auth, anonymous],
    response={200: None, 404: ErrorOut},
    openapi_extra={
        "responses": {
            200: {"description": "Biên lai XML ký số", "content": {"application/xml": {}}}
        }
    },
)
def receipt_xml(request: HttpRequest, public_id: str = PublicId) -> HttpResponse:
    """The receipt's XML data as signed with the agency's certificate at issue (XML-DSig).

    Served byte for byte as stored when the receipt was issued. Staff get the document with
    the payer's full ID number; the public handle gets the copy signed at the same moment with
    only its last 4 digits, as the PDF shows.
    """
    from motcua.payments.xmlsign import stored_xml

    receipt = _receipt(public_id)
    data = stored_xml(receipt, public=_user(request) is None)
    response = HttpResponse(data, content_type="application/xml")
    name = f"bien-lai-{receipt.series.symbol}-{receipt.number_display}.xml"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post(
    "/receipts/{public_id}/cancel", auth=staff_auth, response={200: CancelOut, 409: ErrorOut}
)
@idempotent("receipts.cancel", out=CancelOut)
def receipt_cancel(
    request: HttpRequest, payload: CancelIn, public_id: str = PublicId
) -> dict[str, Any]:
    """Cancel a receipt with a reason; `replace` issues the replacement that names it."""
    receipt = _receipt(public_id)
    result = services.receipt_cancel(
        receipt=receipt, actor=_user(request), reason=payload.reason, replace=payload.replace
    )
    receipt.refresh_from_db()
    return {
        "cancelled": receipt_summary(receipt),
        "replacement": receipt_summary(result) if result.pk != receipt.pk else None,
    }


@router.post(
    "/receipts/{public_id}/refund",
    auth=staff_auth,
    response={200: RefundOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
@idempotent("receipts.refund", out=RefundOut)
def receipt_refund(
    request: HttpRequest, payload: RefundIn, public_id: str = PublicId
) -> dict[str, Any]:
    """Give back what a receipt collected for a refused or withdrawn dossier (recorded against it)."""
    receipt = _receipt(public_id)
    refund = services.refund_record(
        receipt=receipt,
        actor=_user(request),
        reason=payload.reason,
        basis=payload.basis,
        method=payload.method,
    )
    return {
        "id": refund.public_id,
        "receipt": receipt_summary(receipt),
        "amount": refund.amount,
        "method": refund.method,
        "reason": refund.reason,
        "basis": refund.basis,
        "refunded_at": clock.local(refund.refunded_at).isoformat(),
    }


@router.post(
    "/payments/callback/{provider}",
    auth=None,
    response={200: CallbackOut, 403: CallbackOut, 404: CallbackOut, 409: CallbackOut},
)
def payment_callback(request: HttpRequest, provider: str = Path(max_length=40)) -> Any:
    """The gateway's signed result; verified (signature, order, amount, time) and applied once."""
    outcome, payment = services.payment_callback(
        provider=provider,
        body=request.body,
        headers=request.headers,
        remote_addr=request.META.get("REMOTE_ADDR", ""),
    )
    if outcome in ("paid", "replay"):
        return {"code": "ok", "message": "Đã ghi nhận kết quả thanh toán.", "outcome": outcome}
    messages = {
        "forged": (403, "Chữ ký của thông báo thanh toán không hợp lệ."),
        "unknown_provider": (404, "Cổng thanh toán không được cấu hình."),
        "unknown_order": (404, "Không tìm thấy đơn hàng của thông báo thanh toán."),
        "stale": (409, "Thông báo thanh toán đã quá hạn hoặc bị phát lại."),
        "receipt_failed": (
            409,
            "Chưa phát hành được biên lai điện tử nên chưa ghi nhận thanh toán; xin gửi lại sau.",
        ),
    }
    status, message = messages.get(
        outcome, (409, "Thông báo thanh toán không khớp với khoản phải nộp, không được ghi nhận.")
    )
    return HttpStatus(
        status, {"code": f"callback_{outcome}", "message": message, "outcome": outcome}
    )


MAX_STATEMENT_BYTES = 10 * 1024 * 1024


@router.post(
    "/reconciliation/bank-statements",
    auth=staff_auth,
    response={200: StatementImportOut, 403: ErrorOut, 422: ErrorOut},
)
def bank_statement_import(
    request: HttpRequest,
    file: UploadedFile | None = File(None),  # noqa: B008
    # A multipart field has no null: 0 (or leaving it out) means "not chosen".
    account: int = Form(0, ge=0, le=2**31 - 1),  # noqa: B008
) -> dict[str, Any]:
    """Import a bank statement (CSV or XLSX) of one of the caller's collection accounts.

    `account` (optional) is the collection account's id; without it (or 0), the account number in
    the statement's title block, or the caller's only account. Matched rows confirm VietQR
    payments of dossiers collecting on that account; the rest are listed for its unit.
    """
    from motcua.core.errors import ValidationFailed
    from motcua.payments.reconciliation import statement_import

    if file is None:  # none sent, or an empty one (the multipart parser drops it)
        raise ValidationFailed("Chưa chọn tệp sao kê (CSV hoặc XLSX).", code="statement_empty")
    if file.size and file.size > MAX_STATEMENT_BYTES:
        raise ValidationFailed("Tệp sao kê vượt quá 10 MB.", code="file_too_large")
    content = file.read(MAX_STATEMENT_BYTES + 1)
    if len(content) > MAX_STATEMENT_BYTES:
        raise ValidationFailed("Tệp sao kê vượt quá 10 MB.", code="file_too_large")
    return statement_import(
        content=content,
        filename=file.name or "",
        actor=_user(request),
        account_id=account or None,
    )
