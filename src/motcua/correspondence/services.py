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
    Register,
    Secrecy,
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
) -> Document:
    """Issue an outgoing document: the next number of the unit's register and year, its notation."""
    require_role(actor, WRITE_ROLES, unit)
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
    )
    _index(incoming)
    incoming.save()
    _copy_files(doc, incoming)
    return incoming


@transaction.atomic
def document_send(*, document: Document, to: list[str], actor: Any) -> list[Dispatch]:
    """Send an issued document: a unit of motcua gets it in its incoming register at once; an
    agency outside gets an edXML package queued for the exchange platform. A recipient it was
    already sent to is not sent again."""
    doc = Document.objects.select_for_update().get(pk=document.pk)
    require_role(actor, WRITE_ROLES, doc.unit)
    if doc.direction != Direction.OUTGOING:
        raise Conflict("Chỉ gửi được văn bản đi.", code="not_outgoing")
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


def _dispatch_state(doc: Document, state: str, **fields: Any) -> None:
    Dispatch.objects.filter(incoming=doc).update(state=state, **fields)


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
    _dispatch_state(doc, Dispatch.State.REGISTERED)
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
    _dispatch_state(doc, Dispatch.State.ASSIGNED)
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
    _dispatch_state(doc, Dispatch.State.DONE)
    audit_record(action="document.done", actor=actor, obj=doc)
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
        document_id=f"{document.issuer_code}:{document.year}:{document.number}",
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
    before is not registered twice."""
    from motcua.correspondence import edxml
    from motcua.dossiers.scans import scan_check

    pkg = edxml.read(data)  # size, syntax and schema first: nothing is written before
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
        )
        _index(doc)
        doc.save()
        _store_files(
            doc, [Upload(name=a.name, content=a.content, is_main=a.main) for a in pkg.attachments]
        )
        created.append(doc)
    audit_record(
        action="document.exchange_receive",
        object_type="correspondence.inboundpackage",
        object_id=str(inbound.pk),
        detail={"from": pkg.sender.code, "units": [u.code for u in units]},
    )
    return created


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
    *, dossier: Any, agency: str, question: str, due_days: int, actor: Any
) -> Any:
    """Ask another agency about a dossier: a letter (công văn) from the dossier's unit, sent at
    once, with a sub-deadline of `due_days` working days that must fall within the dossier's."""
    from motcua.correspondence.models import Consultation
    from motcua.dossiers.workflow import Status
    from motcua.worktime.selectors import calendar_for_unit

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
    if dossier.due_at is not None and due_on > clock.local(dossier.due_at).date():
        raise ValidationFailed(
            f"Hạn trả lời {due_on:%d/%m/%Y} vượt hạn giải quyết hồ sơ "
            f"{clock.local(dossier.due_at):%d/%m/%Y}: cần rút ngắn thời hạn lấy ý kiến.",
            code="consultation_beyond_deadline",
        )
    letter = document_create(
        unit=dossier.unit,
        actor=actor,
        doc_type="CV",
        summary=f"Về việc phối hợp giải quyết hồ sơ {dossier.code}: {question.strip()}"[:500],
        signer_name=getattr(actor, "full_name", "") or actor.get_username(),
        signer_title=getattr(actor, "title", ""),
        recipients=target.name,
    )
    document_send(document=letter, to=[target.code], actor=actor)
    consultation = Consultation.objects.create(
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
    an answer arriving after the sub-deadline is counted as the partner's delay."""
    from motcua.correspondence.models import Consultation
    from motcua.worktime.selectors import calendar_for_unit

    c = (
        Consultation.objects.select_for_update()
        .select_related("dossier__unit")
        .get(pk=consultation.pk)
    )
    dossier = c.dossier
    require_role(actor, CONSULT_ROLES, dossier.unit)
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
    _dossier_event(dossier, action="consult_answer", actor=actor, now=clock.now(), note=note)
    return c
