"""JSON API of the document registers (/api/v1/documents) and the exchange inbox."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.security import APIKeyHeader
from pydantic import WrapValidator

from motcua.core import clock
from motcua.core.errors import NotFound, ValidationFailed
from motcua.core.idempotency import idempotent
from motcua.core.schemas import DB_INT_MAX, PATH_CODE_MAX, ErrorOut, InputSchema, IsoDate, coded
from motcua.correspondence import selectors, services
from motcua.correspondence.models import Document
from motcua.homeservice.api import SessionCsrfOrToken

router = Router(tags=["correspondence"])
auth = SessionCsrfOrToken()  # a page's session must send its CSRF token; bearer tokens need none


# A row id in a path or body: an IntegerField's range (a larger number is refused, not a 500).
RowId = Annotated[int, Field(ge=1, le=DB_INT_MAX)]
DocId = Path(ge=1, le=DB_INT_MAX)
MAX_OFFSET = 1_000_000  # bounds the SQL OFFSET, as the other lists (issue 9.7)


class FileIn(InputSchema):
    name: str = Field(max_length=255)
    data: str = Field(description="nội dung tệp, mã hóa base64", max_length=14_000_000)
    main: bool = False


class DocumentIn(InputSchema):
    unit: str = Field(max_length=60, description="mã đơn vị ban hành")
    doc_type: str = Field(max_length=4, description="mã loại văn bản: QD, CV, TB, TTR…")
    summary: str = Field(max_length=500, description="trích yếu")
    signer_name: str = Field(max_length=200)
    signer_title: str = Field("", max_length=200)
    issued_on: IsoDate | None = None
    urgency: Annotated[
        Literal["normal", "urgent", "very_urgent", "flash"],  # models.Urgency
        WrapValidator(coded("invalid_choice", "Độ khẩn không hợp lệ.")),
    ] = "normal"
    secrecy: Annotated[
        Literal["normal", "confidential", "secret", "top_secret"],  # models.Secrecy
        WrapValidator(coded("invalid_choice", "Độ mật không hợp lệ.")),
    ] = "normal"
    recipients: str = Field("", max_length=2000, description="nơi nhận")
    book: str = Field("chung", max_length=40, description="mã sổ văn bản đi")
    issuer_abbr: str = Field("", max_length=20)
    drafter_abbr: str = Field("", max_length=20)
    files: list[FileIn] = Field([], max_length=10)
    response_for: RowId | None = Field(
        None, description="id của văn bản đến mà văn bản này trả lời (gửi kèm ResponseFor)"
    )


class ReasonIn(InputSchema):
    reason: str = Field(max_length=500, description="lý do (bắt buộc)")


class SendIn(InputSchema):
    # unit codes or agency identifiers (org.Unit.code / agency_code)
    to: list[Annotated[str, Field(max_length=60)]] = Field(..., max_length=200)


class DispatchOut(Schema):
    to: str
    to_name: str
    channel: str
    state: str
    state_label: str
    sent_at: str
    delivered_at: str | None
    opened_at: str | None
    incoming_id: int | None
    status_at: str | None = None
    status_note: str = ""


class SendOut(Schema):
    id: int
    status: str
    dispatches: list[DispatchOut]


class DocumentOut(Schema):
    id: int
    box: str
    unit: str
    book: str | None
    year: int | None
    number: int | None
    number_notation: str
    doc_type: str
    doc_type_label: str
    issued_on: date
    summary: str
    signer_name: str
    signer_title: str
    urgency: str
    secrecy: str
    recipients: str
    issuer_code: str
    issuer_name: str
    status: str
    status_label: str
    received_at: str | None
    opened_at: str | None
    assignee: str | None
    due_on: date | None
    files: list[dict[str, Any]]
    dispatches: list[DispatchOut]
    received_via: str = ""
    status_note: str = ""
    response_for_id: int | None = None
    published_at: str | None = None


class DocumentList(Schema):
    count: int
    items: list[DocumentOut]


def _iso(moment: Any) -> str | None:
    return clock.local(moment).isoformat() if moment else None


def dispatch_out(d: Any) -> dict[str, Any]:
    return {
        "to": d.to_code,
        "to_name": d.to_name,
        "channel": d.channel,
        "state": d.state,
        "state_label": d.get_state_display(),
        "sent_at": _iso(d.sent_at),
        "delivered_at": _iso(d.delivered_at),
        "opened_at": _iso(d.opened_at),
        "incoming_id": d.incoming_id,
        "status_at": _iso(d.status_at),
        "status_note": d.status_note,
    }


def document_out(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.pk,
        "box": "incoming" if doc.direction == "in" else "outgoing",
        "unit": doc.unit.code,
        "book": doc.register.code if doc.register_id else None,  # type: ignore[union-attr]
        "year": doc.year,
        "number": doc.number,
        "number_notation": doc.number_notation,
        "doc_type": doc.doc_type,
        "doc_type_label": doc.get_doc_type_display(),
        "issued_on": doc.issued_on,
        "summary": doc.summary,
        "signer_name": doc.signer_name,
        "signer_title": doc.signer_title,
        "urgency": doc.urgency,
        "secrecy": doc.secrecy,
        "recipients": doc.recipients,
        "issuer_code": doc.issuer_code,
        "issuer_name": doc.issuer_name,
        "status": doc.status,
        "status_label": doc.get_status_display(),
        "received_at": _iso(doc.received_at),
        "opened_at": _iso(doc.opened_at),
        "assignee": doc.assignee.username if doc.assignee_id else None,  # type: ignore[union-attr]
        "due_on": doc.due_on,
        "files": [
            {
                "name": f.original_name,
                "content_type": f.content_type,
                "size": f.size,
                "main": f.is_main,
                "sha256": f.sha256,
            }
            for f in doc.files.all()
        ],
        "dispatches": [dispatch_out(d) for d in doc.dispatches.all()],
        "received_via": doc.received_via,
        "status_note": doc.status_note,
        "response_for_id": doc.response_for_id,
        "published_at": _iso(doc.published_at),
    }


def _unit(code: str) -> Any:
    from motcua.org.models import Unit

    unit = Unit.objects.filter(code=code).first() or Unit.objects.filter(agency_code=code).first()
    if unit is None:
        raise NotFound("Không tìm thấy đơn vị.", code="unit_not_found")
    return unit


def _decode(f: FileIn) -> services.Upload:
    try:
        content = base64.b64decode(f.data, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            f"Tệp “{f.name}” không đúng mã hóa base64.", code="bad_base64"
        ) from None
    return services.Upload(name=f.name, content=content, is_main=f.main)


# What a write on one document answers: the document, or why not.
DOCUMENT_ACTION_ANSWERS: dict[int, Any] = {
    200: DocumentOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


@router.post(
    "/documents",
    auth=auth,
    response={201: DocumentOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Tạo (đăng ký, cấp số) văn bản đi",
)
@idempotent("correspondence.create", status=201, out=DocumentOut)
def document_create(request: HttpRequest, payload: DocumentIn) -> Any:
    answered = (
        selectors.document_for(user=request.auth, pk=payload.response_for)  # type: ignore[attr-defined]
        if payload.response_for
        else None
    )
    doc = services.document_create(
        unit=_unit(payload.unit),
        actor=request.auth,  # type: ignore[attr-defined]
        doc_type=payload.doc_type,
        summary=payload.summary,
        signer_name=payload.signer_name,
        signer_title=payload.signer_title,
        issued_on=payload.issued_on,
        urgency=payload.urgency,
        secrecy=payload.secrecy,
        recipients=payload.recipients,
        register=payload.book,
        issuer_abbr=payload.issuer_abbr,
        drafter_abbr=payload.drafter_abbr,
        files=[_decode(f) for f in payload.files],
        response_for=answered,
    )
    return Status(201, document_out(doc))


@router.post(
    "/documents/{doc_id}/send",
    auth=auth,
    response={
        200: SendOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Gửi văn bản đi cho các đơn vị, cơ quan nhận",
)
@idempotent("correspondence.send", status=200, out=SendOut)
def document_send(request: HttpRequest, payload: SendIn, doc_id: int = DocId) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    doc = selectors.document_for(user=user, pk=doc_id)
    services.document_send(document=doc, to=payload.to, actor=user)
    doc = selectors.document_for(user=user, pk=doc_id)
    return {
        "id": doc.pk,
        "status": doc.status,
        "dispatches": [dispatch_out(d) for d in doc.dispatches.all()],
    }


def _document_action(action: str, summary: str) -> Any:
    """Declares `POST /documents/{doc_id}/<action>`: an idempotent action answering the document."""

    def declare(view: Any) -> Any:
        view = idempotent(f"correspondence.{action}", status=200, out=DocumentOut)(view)
        return router.post(
            f"/documents/{{doc_id}}/{action}",
            auth=auth,
            response=DOCUMENT_ACTION_ANSWERS,
            summary=summary,
        )(view)

    return declare


def _document_act(request: HttpRequest, doc_id: int, act: Any, **kwargs: Any) -> Any:
    """One action of a document's (`act(document=, actor=, **kwargs)`) by the caller, who must
    see the document; the document as it is afterwards."""
    user = request.auth  # type: ignore[attr-defined]
    act(document=selectors.document_for(user=user, pk=doc_id), actor=user, **kwargs)
    return document_out(selectors.document_for(user=user, pk=doc_id))


@_document_action("recall", "Thu hồi văn bản đi đã gửi (nơi nhận được báo trạng thái thu hồi)")
def document_recall(request: HttpRequest, payload: ReasonIn, doc_id: int = DocId) -> Any:
    return _document_act(request, doc_id, services.document_recall, reason=payload.reason)


@_document_action(
    "refuse", "Trả lại văn bản đến chưa vào sổ, kèm lý do (bên gửi được báo trạng thái 02)"
)
def document_refuse(request: HttpRequest, payload: ReasonIn, doc_id: int = DocId) -> Any:
    return _document_act(request, doc_id, services.incoming_refuse, reason=payload.reason)


@router.get(
    "/documents",
    auth=auth,
    response={200: DocumentList, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Sổ văn bản đi hoặc đến, tìm theo mọi trường (có hoặc không dấu)",
)
def document_list(
    request: HttpRequest,
    box: Annotated[
        Literal["incoming", "outgoing"],
        WrapValidator(coded("invalid_box", "Tham số box phải là incoming hoặc outgoing.")),
    ] = "outgoing",
    q: str = Query("", max_length=200),
    unit: str = Query("", max_length=60),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Any:
    qs = selectors.documents_search(
        user=request.auth,  # type: ignore[attr-defined]
        box=box,
        q=q[:200],
        unit=_unit(unit) if unit else None,
    ).prefetch_related("files", "dispatches")
    limit = max(1, min(limit, 200))
    offset = max(0, offset)
    return {"count": qs.count(), "items": [document_out(d) for d in qs[offset : offset + limit]]}


@router.get(
    "/documents/{doc_id}",
    auth=auth,
    response={200: DocumentOut, 401: ErrorOut, 404: ErrorOut},
    summary="Một văn bản (mở văn bản đến lần đầu ghi nhận thời điểm mở)",
)
def document_detail(request: HttpRequest, doc_id: int = DocId) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    doc = selectors.document_for(user=user, pk=doc_id)
    doc = services.document_open(document=doc, actor=user)
    return document_out(selectors.document_for(user=user, pk=doc.pk))


@router.get(
    "/documents/{doc_id}/edxml",
    auth=auth,
    response={200: None, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Gói tin edXML của văn bản đi (theo cấu trúc QCVN 102:2016/BTTTT)",
)
def document_edxml(request: HttpRequest, doc_id: int = DocId) -> Any:
    doc = selectors.document_for(user=request.auth, pk=doc_id)  # type: ignore[attr-defined]
    body = services.document_edxml(document=doc)
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="vb-{doc.pk}.edxml"'
    return response


class ExchangeKey(APIKeyHeader):
    """The exchange platform's shared key (MOTCUA["EXCHANGE_INBOX_KEY"]); none configured: closed."""

    param_name = "X-Exchange-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        import hmac

        expected = settings.MOTCUA.get("EXCHANGE_INBOX_KEY", "")
        if expected and key and hmac.compare_digest(key.encode(), expected.encode()):
            return "exchange"
        return None


class StatusOut(Schema):
    code: str
    label: str
    document: str = Field(description="số, ký hiệu của văn bản mà trạng thái nói tới")
    from_code: str
    description: str


class InboxOut(Schema):
    registered: list[DocumentOut]
    status: StatusOut | None = None


@router.post(
    "/exchange/inbox",
    auth=ExchangeKey(),
    response={200: InboxOut, 401: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    summary="Nhận gói tin edXML từ trục liên thông văn bản",
)
def exchange_inbox(request: HttpRequest) -> Any:
    """The body is an edXML package: a document (registered as arrived in each addressed unit)
    or a status package about a document sent or received (applied to it)."""
    from motcua.correspondence.edxml import STATUS_LABELS

    docs, status = services.exchange_inbox(data=request.body)
    return {
        "registered": [document_out(d) for d in docs],
        "status": (
            {
                "code": status.code,
                "label": STATUS_LABELS.get(status.code, status.code),
                "document": status.doc_code,
                "from_code": status.from_code,
                "description": status.description,
            }
            if status is not None
            else None
        ),
    }


class ConsultationIn(InputSchema):
    agency: str = Field(max_length=60, description="mã đơn vị hoặc mã định danh cơ quan phối hợp")
    question: str = Field(max_length=2000)
    due_days: Annotated[
        int,
        Field(ge=1, le=30, description="số ngày làm việc để trả lời (1–30)"),
        WrapValidator(coded("invalid_due_days", "Thời hạn trả lời từ 1 đến 30 ngày làm việc.")),
    ]


class ConsultationOut(Schema):
    id: int
    dossier: str
    agency: str
    agency_name: str
    question: str
    asked_at: str
    due_on: date
    request_id: int
    request_number: str
    answer_id: int | None
    answered_at: str | None
    late_days: int
    status: str


class AnswerIn(InputSchema):
    document: RowId = Field(description="id của văn bản đến là trả lời")


def consultation_out(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "dossier": c.dossier.code,
        "agency": c.agency_code,
        "agency_name": c.agency_name,
        "question": c.question,
        "asked_at": _iso(c.asked_at),
        "due_on": c.due_on,
        "request_id": c.request_id,
        "request_number": c.request.number_notation,
        "answer_id": c.answer_id,
        "answered_at": _iso(c.answered_at),
        "late_days": c.late_days,
        "status": "answered"
        if c.answer_id
        else ("overdue" if c.due_on < clock.today() else "waiting"),
    }


def _dossier(request: HttpRequest, code: str) -> Any:
    from motcua.dossiers.selectors import visible_dossiers
    from motcua.dossiers.services import dossier_by_number

    user = request.auth  # type: ignore[attr-defined]
    found = dossier_by_number(visible_dossiers(user=user), code).select_related("unit").first()
    if found is None:
        raise NotFound(f"Không tìm thấy hồ sơ có mã {code}.", code="dossier_not_found")
    return found


@router.post(
    "/dossiers/{code}/consultations",
    auth=auth,
    response={
        201: ConsultationOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Lấy ý kiến cơ quan phối hợp (thủ tục liên thông): gửi văn bản, chờ trả lời",
)
@idempotent("correspondence.consult", status=201, out=ConsultationOut)
def consultation_create(
    request: HttpRequest, payload: ConsultationIn, code: str = Path(max_length=PATH_CODE_MAX)
) -> Any:
    c = services.consultation_open(
        dossier=_dossier(request, code),
        agency=payload.agency,
        question=payload.question,
        due_days=payload.due_days,
        actor=request.auth,  # type: ignore[attr-defined]
    )
    return Status(201, consultation_out(c))


@router.get(
    "/dossiers/{code}/consultations",
    auth=auth,
    response={200: list[ConsultationOut], 401: ErrorOut, 404: ErrorOut},
    summary="Các văn bản lấy ý kiến của hồ sơ và trả lời",
)
def consultation_list(request: HttpRequest, code: str = Path(max_length=PATH_CODE_MAX)) -> Any:
    dossier = _dossier(request, code)
    return [consultation_out(c) for c in dossier.consultations.select_related("request")]


@router.post(
    "/consultations/{consultation_id}/answer",
    auth=auth,
    response={
        200: ConsultationOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Gắn văn bản đến là trả lời của cơ quan phối hợp",
)
def consultation_answer(
    request: HttpRequest, payload: AnswerIn, consultation_id: int = DocId
) -> Any:
    from motcua.correspondence.models import Consultation

    user = request.auth  # type: ignore[attr-defined]
    c = Consultation.objects.select_related("dossier").filter(pk=consultation_id).first()
    if c is None:
        raise NotFound("Không tìm thấy yêu cầu lấy ý kiến.")
    _dossier(request, c.dossier.code)  # the dossier must be visible to the caller
    answer = selectors.document_for(user=user, pk=payload.document)
    return consultation_out(
        services.consultation_answer(consultation=c, document=answer, actor=user)
    )
