"""Writes of the document registers: issue, send, receive, register, assign, finish."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q

from motcua.core import clock
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.core.services import audit_record, sequence_next
from motcua.core.text import fold
from motcua.correspondence import rules
from motcua.correspondence.models import (
    Direction,
    Dispatch,
    DocStatus,
    Document,
    DocumentFile,
    InboundPackage,
    Partner,
    ReceivedVia,
    Register,
    Secrecy,
    StatusMessage,
    Urgency,
)
from motcua.org.models import Role, StaffRole, Unit
from motcua.org.permissions import has_role, require_role

# Who drafts, issues and sends a unit's documents; who keeps its incoming register and hands
# documents out (the clerk at the one-stop desk, the leader, the manager); who reads them.
WRITE_ROLES = [Role.RECEPTION, Role.SPECIALIST, Role.LEADER, Role.MANAGER]
REGISTER_ROLES = [Role.RECEPTION, Role.LEADER, Role.MANAGER]
READ_ROLES = WRITE_ROLES

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10
DEFAULT_REGISTER = "chung"


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes
    is_main: bool = False


def may_read(user: Any, unit: Unit) -> bool:
    """Whether `user` may read `unit`'s registers."""
    return has_role(user, READ_ROLES, unit)


def register_for(*, unit: Unit, direction: str, code: str = DEFAULT_REGISTER) -> Register:
    """The unit's register book `code` (the general one is created on first use)."""
    if code == DEFAULT_REGISTER:
        name = "Sổ văn bản đi" if direction == Direction.OUTGOING else "Sổ văn bản đến"
        register, _ = Register.objects.get_or_create(
            unit=unit, direction=direction, code=code, defaults={"name": name}
        )
        return register
    found = Register.objects.filter(unit=unit, direction=direction, code=code).first()
    if found is None:
        raise ValidationFailed(f"Đơn vị không có sổ văn bản “{code}”.", code="unknown_register")
    return found


def _next_number(register: Register, year: int) -> int:
    # One counter per register and year: numbers restart from 01 every 1 January.
    return sequence_next(key=f"correspondence:{register.pk}:{year}")


def _index(doc: Document) -> None:
    assignee = getattr(doc.assignee, "full_name", "") or getattr(doc.assignee, "username", "")
    parts = [
        doc.number_notation,
        str(doc.number or ""),
        doc.get_doc_type_display(),
        doc.summary,
        doc.signer_name,
        doc.signer_title,
        doc.issuer_name,
        doc.issuer_code,
        doc.recipients,
        assignee,
        doc.instruction,
        f"{doc.issued_on:%d/%m/%Y}" if doc.issued_on else "",
    ]
    doc.search = " | ".join(fold(p) for p in parts if p)


def _check_choice(value: str, choices: Iterable[str], what: str) -> None:
    if value not in choices:
        raise ValidationFailed(f"{what} không hợp lệ.", code="invalid_choice")


def _store_files(doc: Document, uploads: list[Upload]) -> None:
    from motcua.dossiers.scans import scan_check

    if len(uploads) > MAX_FILES:
        raise ValidationFailed(f"Tối đa {MAX_FILES} tệp cho một văn bản.", code="too_many_files")
    if sum(1 for u in uploads if u.is_main) > 1:
        raise ValidationFailed("Văn bản chỉ có một tệp bản chính.", code="several_main_files")
    for up in uploads:
        if not up.content:
            raise ValidationFailed("Tệp đính kèm rỗng.", code="empty_file")
        if len(up.content) > MAX_FILE_BYTES:
            raise ValidationFailed("Tệp đính kèm vượt quá 10 MB.", code="file_too_large")
        ctype, ext = scan_check(up.content)  # PDF/JPEG/PNG checked whole, active content refused
        if up.is_main and ctype != "application/pdf":
            raise ValidationFailed("Bản chính của văn bản phải là tệp PDF.", code="main_not_pdf")
        digest = hashlib.sha256(up.content).hexdigest()
        row = DocumentFile(
            document=doc,
            is_main=up.is_main,
            original_name=up.name[:255] or f"tep.{ext}",
            content_type=ctype,
            size=len(up.content),
            sha256=digest,
        )
        row.file.save(f"vb-{doc.pk}-{digest[:16]}.{ext}", ContentFile(up.content), save=False)
        row.save()


@transaction.atomic
def document_create(
    *,
    unit: Unit,
    actor: Any,
    doc_type: str,
    summary: str,
    signer_name: str,
    signer_title: str = "",
    issued_on: date | None = None,
    urgency: str = Urgency.NORMAL,
    secrecy: str = Secrecy.NORMAL,
    recipients: str = "",
    register: str = DEFAULT_REGISTER,
    issuer_abbr: str = "",
    drafter_abbr: str = "",
    files: list[Upload] | None = None,
    response_for: Document | None = None,
    authorised: bool = False,
) -> Document:
    """Issue an outgoing document: the next number of the unit's register and year, its notation.

    `response_for`: an incoming document of the unit that this one answers (it travels as the
    package's ResponseFor, so that the asker's system matches the answer by itself).
    `authorised`: a step of a dossier issues it (the move was authorised by the dossier's rules)."""
    if not authorised:
        require_role(actor, WRITE_ROLES, unit)
    if response_for is not None and (
        response_for.unit_id != unit.pk or response_for.direction != Direction.INCOMING
    ):
        raise ValidationFailed(
            "Chỉ trả lời được văn bản đến của chính đơn vị.", code="response_for_invalid"
        )
    _check_choice(doc_type, rules.DOC_TYPE_BY_CODE, "Loại văn bản")
    _check_choice(urgency, Urgency.values, "Độ khẩn")
    _check_choice(secrecy, Secrecy.values, "Độ mật")
    if not summary.strip():
        raise ValidationFailed("Cần ghi trích yếu nội dung văn bản.", code="summary_required")
    if not signer_name.strip():
        raise ValidationFailed("Cần ghi người ký văn bản.", code="signer_required")
    today = clock.today()
    issued_on = issued_on or today
    if issued_on.year != today.year:
        # The number comes from this year's register: a document dated another year cannot get it.
        raise ValidationFailed(
            "Ngày ban hành phải trong năm hiện tại (số văn bản được cấp theo năm).",
            code="issued_on_other_year",
        )
    book = register_for(unit=unit, direction=Direction.OUTGOING, code=register)
    number = _next_number(book, issued_on.year)
    abbr = issuer_abbr.strip() or rules.issuer_abbreviation(unit.name, unit.level)
    doc = Document(
        unit=unit,
        direction=Direction.OUTGOING,
        register=book,
        year=issued_on.year,
        number=number,
        number_notation=rules.number_and_notation(
            number=number, doc_type=doc_type, issuer_abbr=abbr, drafter_abbr=drafter_abbr
        ),
        doc_type=doc_type,
        issued_on=issued_on,
        summary=summary.strip(),
        signer_name=signer_name.strip(),
        signer_title=signer_title.strip(),
        urgency=urgency,
        secrecy=secrecy,
        recipients=recipients.strip(),
        issuer_code=unit.agency_code or unit.code,
        issuer_name=unit.name,
        status=DocStatus.ISSUED,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
    )
    if response_for is not None:
        doc.response_for = response_for
        doc.response_for_code = response_for.number_notation
        doc.response_for_organ = response_for.issuer_code
    _index(doc)
    doc.save()
    _store_files(doc, files or [])
    audit_record(
        action="document.issue", actor=actor, obj=doc, detail={"number": doc.number_notation}
    )
    return doc


def _resolve(code: str) -> Unit | Partner | None:
    code = code.strip()
    unit = Unit.objects.current().filter(Q(code=code) | Q(agency_code=code)).order_by("pk").first()
    if unit is not None:
        return unit
    return Partner.objects.filter(code=code).first()


def _copy_files(source: Document, target: Document) -> None:
    # The receiving unit gets its own rows over the same stored bytes (files are never rewritten).
    for f in source.files.all():
        DocumentFile.objects.create(
            document=target,
            is_main=f.is_main,
            file=f.file.name,
            original_name=f.original_name,
            content_type=f.content_type,
            size=f.size,
            sha256=f.sha256,
        )


def _deliver_internal(doc: Document, unit: Unit, now: Any) -> Document:
    incoming = Document(
        unit=unit,
        direction=Direction.INCOMING,
        number_notation=doc.number_notation,
        doc_type=doc.doc_type,
        issued_on=doc.issued_on,
        summary=doc.summary,
        signer_name=doc.signer_name,
        signer_title=doc.signer_title,
        urgency=doc.urgency,
        secrecy=doc.secrecy,
        recipients=doc.recipients,
        issuer_code=doc.issuer_code,
        issuer_name=doc.issuer_name,
        status=DocStatus.ARRIVED,
        received_at=now,
        created_at=now,
        received_via=ReceivedVia.INTERNAL,
    )
    _index(incoming)
    incoming.save()
    _copy_files(doc, incoming)
    if doc.response_for_code:
        # The answer's ResponseFor names our document as its issuer numbered it.
        original = doc.response_for
        _match_answer(
            incoming,
            [
                _Ref(
                    organ=doc.response_for_organ,
                    code=doc.response_for_code,
                    issued_on=original.issued_on if original is not None else None,
                )
            ],
        )
    return incoming


@transaction.atomic
def document_send(
    *, document: Document, to: list[str], actor: Any, authorised: bool = False
) -> list[Dispatch]:
    """Send an issued document: a unit of motcua gets it in its incoming register at once; an
    agency outside gets an edXML package queued for the exchange platform. A recipient it was
    already sent to is not sent again."""
    doc = Document.objects.select_for_update().get(pk=document.pk)
    if not authorised:
        require_role(actor, WRITE_ROLES, doc.unit)
    if doc.direction != Direction.OUTGOING:
        raise Conflict("Chỉ gửi được văn bản đi.", code="not_outgoing")
    if doc.status == DocStatus.RECALLED:
        raise Conflict("Văn bản đã thu hồi, không gửi được nữa.", code="recalled")
    codes = list(dict.fromkeys(c.strip() for c in to if c.strip()))
    if not codes:
        raise ValidationFailed("Cần chọn ít nhất một nơi nhận.", code="no_recipient")
    if len(codes) > 200:
        raise ValidationFailed("Tối đa 200 nơi nhận một lần gửi.", code="too_many_recipients")
    targets: list[tuple[str, Unit | Partner]] = []
    unknown = []
    for code in codes:
        target = _resolve(code)
        if target is None:
            unknown.append(code)
        elif isinstance(target, Unit) and target.pk == doc.unit_id:
            raise ValidationFailed(
                "Không gửi văn bản cho chính đơn vị ban hành.", code="send_to_self"
            )
        else:
            targets.append((code, target))
    if unknown:
        raise ValidationFailed(
            "Không tìm thấy nơi nhận: " + ", ".join(unknown) + ".", code="unknown_recipient"
        )
    now = clock.now()
    result = []
    for _code, target in targets:
        key = target.code
        existing = Dispatch.objects.filter(document=doc, to_code=key).first()
        if existing is not None:
            result.append(existing)
            continue
        if isinstance(target, Unit):
            incoming = _deliver_internal(doc, target, now)
            dispatch = Dispatch.objects.create(
                document=doc,
                to_code=key,
                to_name=target.name,
                to_unit=target,
                channel=Dispatch.Channel.INTERNAL,
                state=Dispatch.State.DELIVERED,
                sent_at=now,
                delivered_at=now,
                incoming=incoming,
            )
        else:
            dispatch = Dispatch.objects.create(
                document=doc,
                to_code=key,
                to_name=target.name,
                channel=Dispatch.Channel.EDXML,
                state=Dispatch.State.QUEUED,
                sent_at=now,
            )
        result.append(dispatch)
    doc.status = DocStatus.SENT
    doc.save(update_fields=["status"])
    audit_record(action="document.send", actor=actor, obj=doc, detail={"to": codes})
    return result


# Status codes of the exchange (edxml.STATUS_*) ↔ the state a dispatch reaches. The order ranks
# them: a status arriving late never moves a dispatch back.
STATE_OF_STATUS = {
    "01": Dispatch.State.DELIVERED,
    "02": Dispatch.State.REFUSED,
    "03": Dispatch.State.REGISTERED,
    "04": Dispatch.State.ASSIGNED,
    "05": Dispatch.State.ASSIGNED,
    "06": Dispatch.State.DONE,
    "15": Dispatch.State.RECALLED,
    "16": Dispatch.State.RECALL_REFUSED,
}
_RANK = {
    Dispatch.State.QUEUED: 0,
    Dispatch.State.DELIVERED: 1,
    Dispatch.State.OPENED: 2,
    Dispatch.State.REGISTERED: 3,
    Dispatch.State.ASSIGNED: 4,
    Dispatch.State.DONE: 5,
    Dispatch.State.RECALL_REFUSED: 5,
    Dispatch.State.RECALLING: 6,
    Dispatch.State.REFUSED: 9,
    Dispatch.State.RECALLED: 9,
}


@dataclass(frozen=True)
class _Ref:
    organ: str
    code: str
    issued_on: date | None = None


def _organ_code(unit: Unit) -> str:
    return unit.agency_code or unit.code


def _apply_state(dispatch: Dispatch, code: str, note: str, now: Any) -> None:
    state = STATE_OF_STATUS.get(code)
    if state is None:
        return
    recall_answer = code in ("15", "16") and dispatch.state == Dispatch.State.RECALLING
    if not recall_answer and _RANK[state] <= _RANK[Dispatch.State(dispatch.state)]:
        return
    dispatch.state, dispatch.status_at = state, now
    if note:
        dispatch.status_note = note[:500]
    if code == "01" and dispatch.delivered_at is None:
        dispatch.delivered_at = now
    dispatch.save(update_fields=["state", "status_at", "status_note", "delivered_at"])


def _status_from_recipient(doc: Document, code: str, actor: Any, note: str = "") -> None:
    """The receiving unit changed an incoming document's state: tell its sender. Inside motcua
    the sender's dispatch row moves at once; an agency outside gets a status package (queued
    in the outbox for the exchange job); a paper document has nobody to tell."""
    from motcua.correspondence import edxml

    now = clock.now()
    staff = getattr(actor, "full_name", "") or getattr(actor, "username", "") or ""
    for dispatch in Dispatch.objects.select_for_update().filter(incoming=doc):
        _apply_state(dispatch, code, note, now)
        StatusMessage.objects.create(
            way=StatusMessage.Way.INTERNAL,
            code=code,
            description=note or edxml.STATUS_LABELS[code],
            at=now,
            from_code=_organ_code(doc.unit),
            from_name=doc.unit.name,
            to_code=doc.issuer_code,
            doc_organ=doc.issuer_code,
            doc_code=doc.number_notation,
            doc_date=doc.issued_on,
            dispatch=dispatch,
            document=doc,
            sent_at=now,
        )
    if doc.received_via == ReceivedVia.EDXML or doc.inbound_id:
        StatusMessage.objects.create(
            way=StatusMessage.Way.OUT,
            code=code,
            description=(note or (f"{staff}: " if staff else "") + edxml.STATUS_LABELS[code])[:500],
            at=now,
            from_code=_organ_code(doc.unit),
            from_name=doc.unit.name,
            to_code=doc.issuer_code,
            doc_organ=doc.issuer_code,
            doc_code=doc.number_notation,
            doc_date=doc.issued_on,
            document=doc,
        )


@transaction.atomic
def document_open(*, document: Document, actor: Any) -> Document:
    """Record the first time an official of the receiving unit opens an incoming document."""
    if not may_read(actor, document.unit):
        raise PermissionDenied()
    if document.direction != Direction.INCOMING or document.opened_at is not None:
        return document
    doc = Document.objects.select_for_update().get(pk=document.pk)
    if doc.opened_at is None:
        now = clock.now()
        doc.opened_at = now
        doc.save(update_fields=["opened_at"])
        Dispatch.objects.filter(incoming=doc, opened_at__isnull=True).update(opened_at=now)
        Dispatch.objects.filter(incoming=doc, state=Dispatch.State.DELIVERED).update(
            state=Dispatch.State.OPENED
        )
    return doc


@transaction.atomic
def incoming_register(
    *, document: Document, actor: Any, register: str = DEFAULT_REGISTER
) -> Document:
    """Enter an arrived document in the unit's incoming register: its incoming number (số đến)."""
    doc = Document.objects.select_for_update().get(pk=document.pk)
    require_role(actor, REGISTER_ROLES, doc.unit)
    if doc.direction != Direction.INCOMING:
        raise Conflict("Chỉ vào sổ được văn bản đến.", code="not_incoming")
    if doc.status != DocStatus.ARRIVED:
        raise Conflict("Văn bản này đã được vào sổ.", code="already_registered")
    now = clock.now()
    book = register_for(unit=doc.unit, direction=Direction.INCOMING, code=register)
    year = clock.local(now).year
    doc.register, doc.year, doc.number = book, year, _next_number(book, year)
    doc.status, doc.registered_at = DocStatus.REGISTERED, now
    if doc.opened_at is None:
        doc.opened_at = now
        Dispatch.objects.filter(incoming=doc).update(opened_at=now)
    _index(doc)
    doc.save()
    _status_from_recipient(doc, "03", actor)
    audit_record(action="document.register", actor=actor, obj=doc, detail={"number": doc.number})
    return doc


@transaction.atomic
def incoming_assign(
    *,
    document: Document,
    actor: Any,
    assignee: Any,
    due_on: date | None = None,
    instruction: str = "",
) -> Document:
    """Hand a registered incoming document to an official of the unit, with a due date."""
    doc = Document.objects.select_for_update().get(pk=document.pk)
    require_role(actor, REGISTER_ROLES, doc.unit)
    if doc.direction != Direction.INCOMING:
        raise Conflict("Chỉ phân công được văn bản đến.", code="not_incoming")
    if doc.status not in (DocStatus.REGISTERED, DocStatus.ASSIGNED):
        raise Conflict(
            "Văn bản cần được vào sổ trước khi phân công (hoặc đã xử lý xong).",
            code="not_registered",
        )
    if assignee is None or not has_role(assignee, WRITE_ROLES, doc.unit):
        raise ValidationFailed(
            "Người được phân công phải là cán bộ của đơn vị nhận văn bản.",
            code="assignee_not_in_unit",
        )
    if due_on is not None and due_on < clock.today():
        raise ValidationFailed("Hạn xử lý không được trước hôm nay.", code="due_in_past")
    doc.assignee, doc.due_on, doc.instruction = assignee, due_on, instruction.strip()[:500]
    doc.status = DocStatus.ASSIGNED
    _index(doc)
    doc.save()
    _status_from_recipient(doc, "04", actor)
    audit_record(
        action="document.assign", actor=actor, obj=doc, detail={"assignee": assignee.username}
    )
    return doc


@transaction.atomic
def incoming_finish(*, document: Document, actor: Any) -> Document:
    """The assignee (or the unit's leader) marks an incoming document handled."""
    doc = Document.objects.select_for_update().get(pk=document.pk)
    if doc.status != DocStatus.ASSIGNED:
        raise Conflict("Chỉ hoàn thành được văn bản đã phân công.", code="not_assigned")
    if doc.assignee_id != getattr(actor, "pk", None):
        require_role(actor, [Role.LEADER, Role.MANAGER], doc.unit)
    doc.status, doc.done_at = DocStatus.DONE, clock.now()
    doc.save(update_fields=["status", "done_at"])
    _status_from_recipient(doc, "06", actor)
    audit_record(action="document.done", actor=actor, obj=doc)
    return doc


@transaction.atomic
def incoming_refuse(*, document: Document, actor: Any, reason: str) -> Document:
    """Refuse an arrival at the desk ("trả lại": sent by mistake, wrong addressee, defective):
    it takes no incoming number and its sender is told why (status 02)."""
    doc = Document.objects.select_for_update().get(pk=document.pk)
    require_role(actor, REGISTER_ROLES, doc.unit)
    if doc.direction != Direction.INCOMING:
        raise Conflict("Chỉ trả lại được văn bản đến.", code="not_incoming")
    if doc.status != DocStatus.ARRIVED:
        raise Conflict("Chỉ trả lại được văn bản chưa vào sổ.", code="already_registered")
    if doc.received_via == ReceivedVia.PAPER:
        raise Conflict(
            "Văn bản giấy đã vào sổ tại bàn, không trả lại qua hệ thống.", code="paper_document"
        )
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Cần ghi lý do trả lại văn bản.", code="reason_required")
    doc.status, doc.status_note = DocStatus.REFUSED, reason[:500]
    doc.save(update_fields=["status", "status_note"])
    _status_from_recipient(doc, "02", actor, note=reason)
    audit_record(action="document.refuse", actor=actor, obj=doc, detail={"reason": reason})
    return doc


RECALL_ROLES = REGISTER_ROLES


@transaction.atomic
def document_recall(*, document: Document, actor: Any, reason: str) -> Document:
    """Recall a sent document (thu hồi): inside motcua the recipients' copies are withdrawn at
    once; an agency outside gets a recall status (13) and the dispatch waits for its answer
    (15 accepted, 16 refused); a package still queued never leaves."""
    from motcua.correspondence import edxml

    doc = Document.objects.select_for_update().get(pk=document.pk)
    require_role(actor, RECALL_ROLES, doc.unit)
    if doc.direction != Direction.OUTGOING or doc.status != DocStatus.SENT:
        raise Conflict("Chỉ thu hồi được văn bản đi đã gửi.", code="not_sent")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Cần ghi lý do thu hồi văn bản.", code="reason_required")
    now = clock.now()
    for d in Dispatch.objects.select_for_update().filter(document=doc):
        if d.state in (Dispatch.State.REFUSED, Dispatch.State.RECALLED, Dispatch.State.RECALLING):
            continue
        if d.channel == Dispatch.Channel.INTERNAL:
            if d.incoming_id:
                Document.objects.filter(pk=d.incoming_id).update(
                    status=DocStatus.RECALLED, recalled_at=now, status_note=reason[:500]
                )
            d.state, d.status_at, d.status_note = Dispatch.State.RECALLED, now, reason[:500]
            d.save(update_fields=["state", "status_at", "status_note"])
            way, sent = StatusMessage.Way.INTERNAL, now
        elif d.state == Dispatch.State.QUEUED:
            d.state, d.status_at, d.status_note = Dispatch.State.RECALLED, now, reason[:500]
            d.save(update_fields=["state", "status_at", "status_note"])
            continue  # never left: nobody to tell
        else:
            d.state, d.status_at, d.status_note = Dispatch.State.RECALLING, now, reason[:500]
            d.save(update_fields=["state", "status_at", "status_note"])
            way, sent = StatusMessage.Way.OUT, None
        StatusMessage.objects.create(
            way=way,
            code=edxml.STATUS_RECALL,
            description=reason[:500],
            at=now,
            from_code=doc.issuer_code,
            from_name=doc.issuer_name,
            to_code=d.to_code,
            doc_organ=doc.issuer_code,
            doc_code=doc.number_notation,
            doc_date=doc.issued_on,
            dispatch=d,
            sent_at=sent,
        )
    doc.status, doc.recalled_at, doc.status_note = DocStatus.RECALLED, now, reason[:500]
    doc.save(update_fields=["status", "recalled_at", "status_note"])
    audit_record(action="document.recall", actor=actor, obj=doc, detail={"reason": reason})
    return doc


@transaction.atomic
def paper_register(
    *,
    unit: Unit,
    actor: Any,
    issuer_name: str,
    number_notation: str,
    doc_type: str,
    issued_on: date,
    summary: str,
    signer_name: str = "",
    urgency: str = Urgency.NORMAL,
    secrecy: str = Secrecy.NORMAL,
    scan: Upload | None = None,
    issuer_code: str = "",
) -> Document:
    """Register a paper document brought or posted to the desk: its incoming number at once,
    with the scan of the paper (Decree 30/2020/NĐ-CP: incoming documents are registered the
    day they arrive — art. 4 as summarised by the Ministry; paper ones are digitised)."""
    require_role(actor, REGISTER_ROLES, unit)
    _check_choice(doc_type, rules.DOC_TYPE_BY_CODE, "Loại văn bản")
    _check_choice(urgency, Urgency.values, "Độ khẩn")
    _check_choice(secrecy, Secrecy.values, "Độ mật")
    for value, what, code in (
        (issuer_name, "cơ quan gửi", "issuer_required"),
        (number_notation, "số, ký hiệu", "notation_required"),
        (summary, "trích yếu", "summary_required"),
    ):
        if not value.strip():
            raise ValidationFailed(f"Cần ghi {what} của văn bản.", code=code)
    if issued_on > clock.today():
        raise ValidationFailed("Ngày ban hành không được sau hôm nay.", code="issued_in_future")
    now = clock.now()
    doc = Document(
        unit=unit,
        direction=Direction.INCOMING,
        number_notation=number_notation.strip()[:80],
        doc_type=doc_type,
        issued_on=issued_on,
        summary=summary.strip()[:500],
        signer_name=signer_name.strip()[:200],
        urgency=urgency,
        secrecy=secrecy,
        issuer_code=issuer_code.strip()[:60],
        issuer_name=issuer_name.strip()[:200],
        status=DocStatus.ARRIVED,
        received_at=now,
        created_at=now,
        received_via=ReceivedVia.PAPER,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _index(doc)
    doc.save()
    if scan is not None:
        _store_files(doc, [Upload(name=scan.name, content=scan.content, is_main=False)])
    return incoming_register(document=doc, actor=actor)


@transaction.atomic
def document_publish(*, document: Document, actor: Any, publish: bool = True) -> Document:
    """Publish an issued document of the unit on the portal ("Công khai minh bạch"), or withdraw
    it. Only documents marked normal secrecy (không mật) may be published."""
    doc = Document.objects.select_for_update().get(pk=document.pk)
    require_role(actor, [Role.LEADER, Role.MANAGER], doc.unit)
    if doc.direction != Direction.OUTGOING:
        raise Conflict("Chỉ công khai được văn bản do đơn vị ban hành.", code="not_outgoing")
    if publish and doc.secrecy != Secrecy.NORMAL:
        raise Conflict("Văn bản mật không được công khai.", code="secret_document")
    if publish and doc.status == DocStatus.RECALLED:
        raise Conflict("Văn bản đã thu hồi không được công khai.", code="recalled")
    doc.published_at = clock.now() if publish else None
    doc.save(update_fields=["published_at"])
    audit_record(
        action="document.publish" if publish else "document.unpublish", actor=actor, obj=doc
    )
    return doc


def unit_staff(unit: Unit) -> list[Any]:
    """Officials who may be given an incoming document of `unit`."""
    from motcua.org.models import User

    ids = StaffRole.objects.filter(unit=unit, role__in=WRITE_ROLES).values_list(
        "user_id", flat=True
    )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("full_name", "username"))


def document_get(pk: int) -> Document:
    doc = Document.objects.select_related("unit", "assignee", "register").filter(pk=pk).first()
    if doc is None:
        raise NotFound("Không tìm thấy văn bản.")
    return doc


# --- edXML: packages for agencies outside, packages from the exchange platform -----------------


def document_package(*, document: Document) -> Any:
    """What our edXML package of an outgoing document says (its recipients are where it was sent)."""
    from motcua.correspondence import edxml

    if document.direction != Direction.OUTGOING:
        raise Conflict("Chỉ đóng gói edXML được văn bản đi.", code="not_outgoing")
    dispatches = list(document.dispatches.all())
    if not dispatches:
        raise Conflict("Văn bản chưa gửi cho nơi nào: chưa có gói tin edXML.", code="not_sent")
    number, _, notation = document.number_notation.partition("/")
    files = [
        edxml.Attachment(
            name=f.original_name, content_type=f.content_type, content=f.file.read(), main=f.is_main
        )
        for f in document.files.all()
    ]
    return edxml.Package(
        sender=edxml.Organ(code=document.issuer_code, name=document.issuer_name),
        recipients=tuple(edxml.Organ(code=d.to_code, name=d.to_name) for d in dispatches),
        document_id=edxml.document_id(
            document.issuer_code, document.issued_on, document.number_notation
        ),
        number=int(number),
        notation=notation,
        issued_on=document.issued_on,
        place="",
        doc_type=document.doc_type,
        type_name=document.get_doc_type_display(),
        subject=document.summary,
        signer_name=document.signer_name,
        signer_title=document.signer_title,
        signer_competence="",
        urgency=document.urgency,
        secrecy=document.secrecy,
        to_places=tuple(line.strip() for line in document.recipients.splitlines() if line.strip()),
        attachments=tuple(files),
        response_for=(
            (
                edxml.ResponseFor(
                    organ=document.response_for_organ,
                    code=document.response_for_code,
                    issued_on=document.response_for.issued_on,
                    document_id=edxml.document_id(
                        document.response_for_organ,
                        document.response_for.issued_on,
                        document.response_for_code,
                    ),
                ),
            )
            if document.response_for_code and document.response_for is not None
            else ()
        ),
    )


def document_edxml(*, document: Document) -> bytes:
    """Our edXML package of an outgoing document, validated against the schema."""
    from motcua.correspondence import edxml

    return edxml.write(document_package(document=document), now=clock.now())


@transaction.atomic
def exchange_receive(*, data: bytes) -> list[Document]:
    """Register a package from the exchange platform in the incoming register of each of our
    units it is addressed to. Refused whole (nothing written) when it is oversized, malformed,
    invalid, for none of our units, or carries a file we would not accept; a package received
    before is not registered twice. A status package is applied (see `exchange_inbox`)."""
    docs, _status = exchange_inbox(data=data)
    return docs


@transaction.atomic
def exchange_inbox(*, data: bytes) -> tuple[list[Document], StatusMessage | None]:
    """A package from the platform: a document (registered, returned) or a status about a
    document we sent or received (applied, returned)."""
    from motcua.correspondence import edxml

    found = edxml.read_any(data)  # size, syntax and schema first: nothing is written before
    if isinstance(found, edxml.StatusPackage):
        return [], _status_receive(found, data)
    return _document_receive(found, data), None


def _document_receive(pkg: Any, data: bytes) -> list[Document]:
    from motcua.correspondence import edxml
    from motcua.dossiers.scans import scan_check

    digest = hashlib.sha256(data).hexdigest()
    seen = InboundPackage.objects.filter(sha256=digest).first()
    if seen is not None:
        return list(seen.documents.order_by("pk"))
    units = []
    for organ in pkg.recipients:
        unit = _resolve(organ.code)
        if isinstance(unit, Unit) and unit not in units:
            units.append(unit)
    if not units:
        raise edxml.PackageRefused(
            "Gói tin không gửi cho đơn vị nào trong hệ thống: "
            + ", ".join(o.code for o in pkg.recipients)
            + ".",
            code="edxml_no_recipient",
        )
    for att in pkg.attachments:
        if len(att.content) > MAX_FILE_BYTES:
            raise edxml.PackageRefused(
                f"Tệp “{att.name}” trong gói tin vượt quá 10 MB.", code="edxml_file_too_large"
            )
        try:
            scan_check(att.content)
        except ValidationFailed as exc:
            raise edxml.PackageRefused(
                f"Tệp “{att.name}” trong gói tin không được chấp nhận: {exc.message}",
                code="edxml_file_refused",
            ) from None
    now = clock.now()
    inbound = InboundPackage.objects.create(
        sha256=digest,
        received_at=now,
        sender_code=pkg.sender.code,
        sender_name=pkg.sender.name,
        document_id=pkg.document_id,
        size=len(data),
    )
    created = []
    for unit in units:
        doc = Document(
            unit=unit,
            direction=Direction.INCOMING,
            number_notation=f"{rules.format_number(pkg.number)}/{pkg.notation}",
            doc_type=pkg.doc_type,
            issued_on=pkg.issued_on,
            summary=pkg.subject,
            signer_name=pkg.signer_name,
            signer_title=pkg.signer_title,
            urgency=pkg.urgency,
            secrecy=pkg.secrecy,
            recipients="\n".join(pkg.to_places),
            issuer_code=pkg.sender.code,
            issuer_name=pkg.sender.name,
            status=DocStatus.ARRIVED,
            received_at=now,
            created_at=now,
            inbound=inbound,
            received_via=ReceivedVia.EDXML,
        )
        _index(doc)
        doc.save()
        _store_files(
            doc, [Upload(name=a.name, content=a.content, is_main=a.main) for a in pkg.attachments]
        )
        created.append(doc)
        # Status 01 (arrived) goes back to the sender; an answer is matched to what it answers.
        _status_from_recipient(doc, edxml.STATUS_ARRIVED, None)
        _match_answer(
            doc, [_Ref(organ=r.organ, code=r.code, issued_on=r.issued_on) for r in pkg.response_for]
        )
    audit_record(
        action="document.exchange_receive",
        object_type="correspondence.inboundpackage",
        object_id=str(inbound.pk),
        detail={"from": pkg.sender.code, "units": [u.code for u in units]},
    )
    return created


def _status_receive(st: Any, data: bytes) -> StatusMessage:
    """Apply a status package: about a document we sent (01–06, 15, 16: the dispatch to that
    agency moves on) or a recall (13) of a document we received (withdrawn, 15 goes back)."""
    from motcua.correspondence import edxml

    digest = hashlib.sha256(data).hexdigest()
    seen = StatusMessage.objects.filter(way=StatusMessage.Way.IN, sha256=digest).first()
    if seen is not None:
        return seen
    about = st.about
    row = StatusMessage(
        way=StatusMessage.Way.IN,
        code=st.code,
        description=st.description[:500],
        at=st.at,
        from_code=st.sender.code,
        from_name=st.sender.name,
        to_code=about.organ,
        doc_organ=about.organ,
        doc_code=about.code,
        doc_date=about.issued_on,
        sent_at=clock.now(),
        sha256=digest,
    )
    if st.code == edxml.STATUS_RECALL:
        if st.sender.code != about.organ:  # only the issuing agency recalls its own document
            raise edxml.PackageRefused(
                f"Chỉ cơ quan ban hành ({about.organ}) được thu hồi văn bản {about.code}; "
                f"gói tin đến từ {st.sender.code}.",
                code="edxml_status_sender",
            )
        doc = (
            Document.objects.select_for_update()
            .filter(
                direction=Direction.INCOMING,
                issuer_code=about.organ,
                number_notation=about.code,
                issued_on=about.issued_on,
                received_via=ReceivedVia.EDXML,
            )
            .exclude(status=DocStatus.RECALLED)
            .order_by("pk")
        )
        targets = list(doc)
        if not targets:
            raise edxml.PackageRefused(
                f"Không có văn bản đến {about.code} của {about.organ} để thu hồi.",
                code="edxml_status_unknown",
            )
        now = clock.now()
        for target in targets:
            target.status, target.recalled_at = DocStatus.RECALLED, now
            target.status_note = (st.description or "Bên gửi thu hồi văn bản")[:500]
            target.save(update_fields=["status", "recalled_at", "status_note"])
            _status_from_recipient(target, edxml.STATUS_RECALL_ACCEPTED, None)
        row.document = targets[0]
        row.save()
        return row
    dispatch = (
        Dispatch.objects.select_for_update()
        .filter(
            channel=Dispatch.Channel.EDXML,
            to_code=st.sender.code,
            document__issuer_code=about.organ,
            document__number_notation=about.code,
            document__issued_on=about.issued_on,
        )
        .order_by("-pk")
        .first()
    )
    if dispatch is None:
        raise edxml.PackageRefused(
            f"Không có văn bản {about.code} gửi {st.sender.code} để cập nhật trạng thái.",
            code="edxml_status_unknown",
        )
    _apply_state(dispatch, st.code, st.description if st.code in ("02", "16") else "", st.at)
    row.dispatch = dispatch
    row.save()
    return row


def _match_answer(incoming: Document, refs: list[_Ref]) -> None:
    """An incoming document naming (ResponseFor) an outgoing document of its unit: linked; when
    that document asked another agency about a dossier, it is the answer, with no clerk."""
    from motcua.correspondence.models import Consultation

    for ref in refs:
        if not ref.code:
            continue
        qs = Document.objects.filter(
            unit=incoming.unit,
            direction=Direction.OUTGOING,
            issuer_code=ref.organ,
            number_notation=ref.code,
        )
        if ref.issued_on is not None:
            qs = qs.filter(issued_on=ref.issued_on)
        original = qs.order_by("-pk").first()
        if original is None:
            continue
        incoming.response_for = original
        incoming.response_for_code, incoming.response_for_organ = ref.code, ref.organ
        incoming.save(update_fields=["response_for", "response_for_code", "response_for_organ"])
        c = Consultation.objects.filter(request=original, answer__isnull=True).first()
        if c is not None:
            _consultation_answer_apply(c, incoming, actor=None, matched=True)
        return


def exchange_send_queued(*, provider: Any = None, limit: int = 100) -> tuple[int, int]:
    """Send the dispatches waiting for the exchange platform, one package per recipient; a
    failure leaves the dispatch queued for the next run (returns (sent, failed))."""
    from motcua.correspondence import edxml, exchange

    client = provider or exchange.provider()
    sent = failed = 0
    ids = list(
        Dispatch.objects.filter(state=Dispatch.State.QUEUED, channel=Dispatch.Channel.EDXML)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            # Locked while the package is handed over: two workers never send it twice.
            dispatch = (
                Dispatch.objects.select_for_update()
                .select_related("document")
                .filter(pk=pk, state=Dispatch.State.QUEUED)
                .first()
            )
            if dispatch is None:
                continue
            pkg = document_package(document=dispatch.document)
            one = edxml.Package(
                **{
                    **pkg.__dict__,
                    "recipients": tuple(r for r in pkg.recipients if r.code == dispatch.to_code),
                }
            )
            dispatch.attempts += 1
            try:
                answer = client.send(edxml.write(one, now=clock.now()))
            except exchange.ExchangeError as exc:
                dispatch.last_error = str(exc)[:300]
                dispatch.save(update_fields=["attempts", "last_error"])
                failed += 1
                continue
            dispatch.remote_id = answer.package_id
            dispatch.state = Dispatch.State.DELIVERED
            dispatch.delivered_at = clock.now()
            dispatch.last_error = ""
            dispatch.save(
                update_fields=["attempts", "last_error", "remote_id", "state", "delivered_at"]
            )
            sent += 1
    s2, f2 = _status_send_queued(client, limit)
    return sent + s2, failed + f2


def _status_send_queued(client: Any, limit: int) -> tuple[int, int]:
    """The status outbox: each status for an agency outside goes as its own package."""
    from motcua.correspondence import edxml, exchange

    sent = failed = 0
    ids = list(
        StatusMessage.objects.filter(way=StatusMessage.Way.OUT, sent_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            row = (
                StatusMessage.objects.select_for_update()
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if row is None:
                continue
            body = edxml.write_status(
                edxml.StatusPackage(
                    sender=edxml.Organ(code=row.from_code, name=row.from_name),
                    about=edxml.ResponseFor(
                        organ=row.doc_organ,
                        code=row.doc_code,
                        issued_on=row.doc_date,
                        document_id=edxml.document_id(row.doc_organ, row.doc_date, row.doc_code),
                    ),
                    code=row.code,
                    description=row.description,
                    at=clock.local(row.at),
                )
            )
            row.attempts += 1
            try:
                answer = client.send(body, to=[row.to_code])
            except exchange.ExchangeError as exc:
                row.last_error = str(exc)[:300]
                row.save(update_fields=["attempts", "last_error"])
                failed += 1
                continue
            row.sent_at, row.remote_id, row.last_error = clock.now(), answer.package_id, ""
            row.save(update_fields=["attempts", "last_error", "sent_at", "remote_id"])
            sent += 1
    return sent, failed


# --- joint procedures: consulting another agency about a dossier --------------------------------

CONSULT_ROLES = [Role.RECEPTION, Role.SPECIALIST, Role.LEADER]


def _dossier_event(
    dossier: Any, *, action: str, actor: Any, now: Any, note: str, to_unit: Any = None
) -> None:
    # A row of the dossier's timeline that changes no status (from = to): the audit trail of
    # the consultation, in the same transaction as the documents it records.
    from motcua.dossiers.models import DossierEvent

    DossierEvent.objects.create(
        dossier=dossier,
        at=now,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=dossier.status,
        to_status=dossier.status,
        unit=dossier.holder_unit or dossier.unit,
        to_unit=to_unit,
        note=note,
        due_at=dossier.due_at,
    )


@transaction.atomic
def consultation_open(
    *,
    dossier: Any,
    agency: str,
    question: str,
    due_days: int,
    actor: Any,
    from_procedure: bool = False,
) -> Any:
    """Ask another agency about a dossier: a letter (công văn) from the dossier's unit, sent at
    once, with a sub-deadline of `due_days` working days that must fall within the dossier's.

    `from_procedure`: sent by itself at a step of the dossier because its procedure version
    names the agency (the move that caused it was authorised; the sub-deadline is shortened
    to the dossier's deadline when the dossier has less time left)."""
    from motcua.correspondence.models import Consultation
    from motcua.dossiers.workflow import Status
    from motcua.worktime.selectors import calendar_for_unit

    if not from_procedure:
        require_role(actor, CONSULT_ROLES, dossier.unit)
    if Status(dossier.status) in (
        Status.REFUSED,
        Status.WITHDRAWN,
        Status.STOPPED,
        Status.RETURNED,
    ):
        raise Conflict("Hồ sơ đã kết thúc, không lấy ý kiến được nữa.", code="dossier_closed")
    if not 1 <= due_days <= 30:
        raise ValidationFailed(
            "Thời hạn trả lời từ 1 đến 30 ngày làm việc.", code="invalid_due_days"
        )
    if not question.strip():
        raise ValidationFailed("Cần ghi nội dung đề nghị phối hợp.", code="question_required")
    target = _resolve(agency)
    if target is None:
        raise ValidationFailed(
            f"Không tìm thấy cơ quan phối hợp “{agency}”.", code="unknown_recipient"
        )
    now = clock.now()
    due_on = calendar_for_unit(dossier.unit).add_working_days(now, due_days).date()
    if from_procedure and dossier.due_at is not None:
        due_on = min(due_on, clock.local(dossier.due_at).date())
    if dossier.due_at is not None and due_on > clock.local(dossier.due_at).date():
        raise ValidationFailed(
            f"Hạn trả lời {due_on:%d/%m/%Y} vượt hạn giải quyết hồ sơ "
            f"{clock.local(dossier.due_at):%d/%m/%Y}: cần rút ngắn thời hạn lấy ý kiến.",
            code="consultation_beyond_deadline",
        )
    letter = document_create(
        unit=dossier.unit,
        actor=actor,
        authorised=from_procedure,
        doc_type="CV",
        summary=f"Về việc phối hợp giải quyết hồ sơ {dossier.code}: {question.strip()}"[:500],
        signer_name=getattr(actor, "full_name", "") or actor.get_username(),
        signer_title=getattr(actor, "title", ""),
        recipients=target.name,
    )
    document_send(document=letter, to=[target.code], actor=actor, authorised=from_procedure)
    consultation = Consultation.objects.create(
        from_procedure=from_procedure,
        dossier=dossier,
        agency_code=target.code,
        agency_name=target.name,
        question=question.strip(),
        asked_at=now,
        due_on=due_on,
        asked_by=actor if getattr(actor, "pk", None) else None,
        request=letter,
    )
    _dossier_event(
        dossier,
        action="consult",
        actor=actor,
        now=now,
        note=f"Văn bản {letter.number_notation} gửi {target.name}, hạn trả lời {due_on:%d/%m/%Y}.",
        to_unit=target if isinstance(target, Unit) else None,
    )
    return consultation


@transaction.atomic
def consultation_answer(*, consultation: Any, document: Document, actor: Any) -> Any:
    """Link the partner's answer (an incoming document of the dossier's unit) to the request;
    an answer arriving after the sub-deadline is counted as the partner's delay. (Answers that
    name the request in their ResponseFor are linked by themselves, see `_match_answer`.)"""
    from motcua.correspondence.models import Consultation

    c = (
        Consultation.objects.select_for_update()
        .select_related("dossier__unit")
        .get(pk=consultation.pk)
    )
    require_role(actor, CONSULT_ROLES, c.dossier.unit)
    return _consultation_answer_apply(c, document, actor=actor)


def _consultation_answer_apply(
    c: Any, document: Document, *, actor: Any, matched: bool = False
) -> Any:
    from motcua.correspondence.models import Consultation
    from motcua.worktime.selectors import calendar_for_unit

    dossier = c.dossier
    if c.answer_id is not None:
        raise Conflict("Văn bản lấy ý kiến này đã có trả lời.", code="already_answered")
    if document.direction != Direction.INCOMING or document.unit_id != dossier.unit_id:
        raise ValidationFailed(
            "Văn bản trả lời phải là văn bản đến của đơn vị giải quyết hồ sơ.", code="not_incoming"
        )
    if Consultation.objects.filter(answer=document).exists():
        raise Conflict("Văn bản đến này đã là trả lời của yêu cầu khác.", code="answer_used")
    arrived = document.received_at or clock.now()
    late = calendar_for_unit(dossier.unit).working_days_between(
        c.due_on, clock.local(arrived).date()
    )
    c.answer, c.answered_at, c.late_days = document, arrived, late
    c.save(update_fields=["answer", "answered_at", "late_days"])
    note = f"{c.agency_name} trả lời bằng văn bản {document.number_notation}"
    note += (
        f", muộn {late} ngày làm việc so với hạn {c.due_on:%d/%m/%Y} (chậm do cơ quan phối hợp)."
        if late
        else f", trong hạn {c.due_on:%d/%m/%Y}."
    )
    if matched:
        note += " Hệ thống tự nhận ra văn bản trả lời (trả lời văn bản số " + (
            c.request.number_notation + ")."
        )
    _dossier_event(dossier, action="consult_answer", actor=actor, now=clock.now(), note=note)
    return c


def consultations_for_step(*, dossier: Any, step: str, actor: Any) -> list[Any]:
    """The consultations a dossier's procedure version names for `step` ("accept" or
    "assign"), sent once each (a move made again sends nothing more)."""
    from motcua.correspondence.models import Consultation

    version = getattr(dossier, "procedure_version", None)
    planned = [
        c
        for c in (getattr(version, "consultations", None) or [])
        if c.get("step", "assign") == step
    ]
    opened = []
    for item in planned:
        if Consultation.objects.filter(
            dossier=dossier, agency_code=item["agency"], from_procedure=True
        ).exists():
            continue
        if _resolve(item["agency"]) is None:
            continue  # an agency not (yet) known: the clerk sends it by hand
        opened.append(
            consultation_open(
                dossier=dossier,
                agency=item["agency"],
                question=item["question"],
                due_days=int(item["due_days"]),
                actor=actor,
                from_procedure=True,
            )
        )
    return opened
