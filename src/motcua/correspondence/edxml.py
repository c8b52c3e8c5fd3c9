"""edXML packages: our outgoing documents written as packages, packages from the platform read.

The structure follows our understanding of QCVN 102:2016/BTTTT (see `data/edxml.xsd`, whose
header says what could not be checked: the official text was not available where this was
written). Every package we write is validated against that schema before it leaves; every package
we read is size-checked, parsed without entities, DTDs or network access, and validated before a
single value is taken from it.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from lxml import etree

from motcua.core.errors import ValidationFailed

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
SCHEMA_PATH = Path(__file__).parent / "data" / "edxml.xsd"

# Priority and security codes of the package (see the schema) ↔ our choices.
PRIORITY = {"normal": 0, "urgent": 1, "very_urgent": 2, "flash": 3}
PRIORITY_BACK = {v: k for k, v in PRIORITY.items()} | {4: "flash"}
SECURITY = {"normal": 0, "confidential": 1, "secret": 2, "top_secret": 3}
SECURITY_BACK = {v: k for k, v in SECURITY.items()}


def max_bytes() -> int:
    return int(settings.MOTCUA.get("EDXML_MAX_BYTES", 20 * 1024 * 1024))


class PackageRefused(ValidationFailed):
    code = "edxml_invalid"
    message = "Gói tin edXML không hợp lệ."


class PackageTooLarge(PackageRefused):
    code = "edxml_too_large"
    status = 413


@dataclass(frozen=True)
class Organ:
    code: str
    name: str


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    content: bytes
    main: bool = False


@dataclass(frozen=True)
class ResponseFor:
    """The document a package answers, or a status is about, as its issuer numbered it."""

    organ: str  # OrganId of the issuer
    code: str  # "15/QĐ-UBND"
    issued_on: date
    document_id: str = ""


def document_id(organ: str, issued_on: date, code: str) -> str:
    """The platform's document id as connector code writes it: 'OrganId,yyyy/mm/dd,Number/Notation'."""
    return f"{organ},{issued_on:%Y/%m/%d},{code}"


# Status codes of a status package (see data/edxml.xsd for where they come from).
STATUS_ARRIVED = "01"
STATUS_REFUSED = "02"
STATUS_ACCEPTED = "03"
STATUS_ASSIGNED = "04"
STATUS_PROCESSING = "05"
STATUS_DONE = "06"
STATUS_RECALL = "13"
STATUS_RECALL_ACCEPTED = "15"
STATUS_RECALL_REFUSED = "16"
STATUS_LABELS = {
    STATUS_ARRIVED: "Đã đến",
    STATUS_REFUSED: "Từ chối tiếp nhận",
    STATUS_ACCEPTED: "Đã tiếp nhận (vào sổ)",
    STATUS_ASSIGNED: "Đã phân công xử lý",
    STATUS_PROCESSING: "Đang xử lý",
    STATUS_DONE: "Hoàn thành xử lý",
    STATUS_RECALL: "Bên gửi thu hồi văn bản",
    STATUS_RECALL_ACCEPTED: "Đồng ý thu hồi",
    STATUS_RECALL_REFUSED: "Từ chối thu hồi",
}


@dataclass(frozen=True)
class StatusPackage:
    """A status message: `sender` tells the status `code` of the document `about`."""

    sender: Organ
    about: ResponseFor
    code: str
    description: str
    at: datetime
    staff: str = ""
    department: str = ""


@dataclass(frozen=True)
class Package:
    """What a package says, in our terms."""

    sender: Organ
    recipients: tuple[Organ, ...]
    number: int
    notation: str
    issued_on: date
    place: str
    doc_type: str  # our code (QD, CV…)
    type_name: str
    subject: str
    signer_name: str
    signer_title: str
    signer_competence: str
    urgency: str
    secrecy: str
    to_places: tuple[str, ...] = ()
    document_id: str = ""
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    response_for: tuple[ResponseFor, ...] = ()


@functools.cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent: Any, tag: str, text: str | None = None) -> Any:
    el = etree.SubElement(parent, _q(tag))
    if text is not None:
        el.text = text
    return el


def _organ(parent: Any, tag: str, organ: Organ) -> None:
    el = _sub(parent, tag)
    _sub(el, "OrganId", organ.code)
    _sub(el, "OrganName", organ.name)


def _response_for(parent: Any, ref: ResponseFor) -> None:
    el = _sub(parent, "ResponseFor")
    _sub(el, "OrganId", ref.organ)
    _sub(el, "Code", ref.code)
    _sub(el, "PromulgationDate", ref.issued_on.isoformat())
    if ref.document_id:
        _sub(el, "DocumentId", ref.document_id)


def write_status(status: StatusPackage) -> bytes:
    """A status package as edXML bytes, validated against our schema."""
    root = etree.Element(_q("edXMLEnvelope"), nsmap={"edXML": NS})
    header = _sub(root, "edXMLHeader")
    el = _sub(header, "Status")
    _organ(el, "From", status.sender)
    _response_for(el, status.about)
    _sub(el, "StatusCode", status.code)
    if status.description:
        _sub(el, "Description", status.description[:500])
    _sub(el, "Timestamp", status.at.isoformat(timespec="seconds"))
    if status.staff or status.department:
        staff = _sub(el, "StaffInfo")
        if status.department:
            _sub(staff, "Department", status.department[:200])
        if status.staff:
            _sub(staff, "Staff", status.staff[:200])
    schema().assertValid(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def write(pkg: Package, *, now: datetime) -> bytes:
    """The package as edXML bytes (UTF-8), validated against our schema."""
    from motcua.correspondence.rules import DOC_TYPE_BY_CODE

    root = etree.Element(_q("edXMLEnvelope"), nsmap={"edXML": NS})
    header = _sub(root, "edXMLHeader")
    msg = _sub(header, "MessageHeader")
    _organ(msg, "From", pkg.sender)
    for organ in pkg.recipients:
        _organ(msg, "To", organ)
    if pkg.document_id:
        _sub(msg, "DocumentId", pkg.document_id)
    code = _sub(msg, "Code")
    _sub(code, "CodeNumber", str(pkg.number))
    _sub(code, "CodeNotation", pkg.notation)
    prom = _sub(msg, "PromulgationInfo")
    if pkg.place:
        _sub(prom, "Place", pkg.place)
    _sub(prom, "PromulgationDate", pkg.issued_on.isoformat())
    dtype = _sub(msg, "DocumentType")
    _sub(dtype, "Type", pkg.doc_type)
    _sub(dtype, "TypeName", pkg.type_name or DOC_TYPE_BY_CODE[pkg.doc_type].label)
    _sub(msg, "Subject", pkg.subject)
    signer = _sub(msg, "SignerInfo")
    if pkg.signer_competence:
        _sub(signer, "Competence", pkg.signer_competence)
    if pkg.signer_title:
        _sub(signer, "Position", pkg.signer_title)
    _sub(signer, "FullName", pkg.signer_name)
    if pkg.to_places:
        places = _sub(msg, "ToPlaces")
        for p in pkg.to_places:
            _sub(places, "Place", p)
    other = _sub(msg, "OtherInfo")
    _sub(other, "Priority", str(PRIORITY[pkg.urgency]))
    _sub(other, "SecurityLevel", str(SECURITY[pkg.secrecy]))
    for ref in pkg.response_for:
        _response_for(msg, ref)
    traces = _sub(header, "TraceHeaderList")
    trace = _sub(traces, "TraceHeader")
    _sub(trace, "OrganId", pkg.sender.code)
    _sub(trace, "Timestamp", now.isoformat(timespec="seconds"))
    body = _sub(root, "edXMLBody")
    manifest = _sub(body, "edXMLManifest")
    for i, att in enumerate(pkg.attachments, start=1):
        ref = _sub(manifest, "Reference")
        _sub(ref, "ContentId", f"att{i}")
        _sub(ref, "AttachmentName", att.name)
        _sub(ref, "ContentType", att.content_type)
        if att.main:
            _sub(ref, "Description", "main")
    if pkg.attachments:
        holder = _sub(root, "Attachments")
        for i, att in enumerate(pkg.attachments, start=1):
            el = _sub(holder, "Attachment", base64.b64encode(att.content).decode("ascii"))
            el.set("ContentId", f"att{i}")
    schema().assertValid(root)  # we never send what we would refuse
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _text(el: Any, path: str) -> str:
    found = el.find(path, namespaces={"e": NS})
    return (found.text or "").strip() if found is not None else ""


def _organ_of(el: Any) -> Organ:
    return Organ(code=_text(el, "e:OrganId"), name=_text(el, "e:OrganName"))


def _parse(data: bytes) -> Any:
    """Size, syntax and schema checked: the validated root element (else PackageRefused)."""
    limit = max_bytes()
    if len(data) > limit:
        raise PackageTooLarge(
            f"Gói tin edXML quá lớn ({len(data):,} byte, tối đa {limit:,} byte).".replace(",", ".")
        )
    if not data.strip():
        raise PackageRefused("Gói tin edXML rỗng.", code="edxml_empty")
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise PackageRefused(
            "Gói tin edXML không được chứa DOCTYPE hay ENTITY.", code="edxml_doctype"
        )
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise PackageRefused(
            f"Gói tin edXML sai cú pháp XML: {exc.msg} (dòng {exc.lineno}).", code="edxml_malformed"
        ) from None
    validator = schema()
    if not validator.validate(root):
        err = validator.error_log.last_error
        where = f" (dòng {err.line})" if err is not None and err.line else ""
        detail = err.message if err is not None else ""
        raise PackageRefused(
            f"Gói tin edXML không đúng cấu trúc{where}: {detail}", code="edxml_schema"
        )
    return root


def _response_for_of(el: Any) -> ResponseFor:
    return ResponseFor(
        organ=_text(el, "e:OrganId"),
        code=_text(el, "e:Code"),
        issued_on=date.fromisoformat(_text(el, "e:PromulgationDate")[:10]),
        document_id=_text(el, "e:DocumentId"),
    )


def _status_of(el: Any) -> StatusPackage:
    stamp = datetime.fromisoformat(_text(el, "e:Timestamp").replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        from motcua.core import clock

        stamp = stamp.replace(tzinfo=clock.VN_TZ)
    return StatusPackage(
        sender=_organ_of(el.find("e:From", namespaces={"e": NS})),
        about=_response_for_of(el.find("e:ResponseFor", namespaces={"e": NS})),
        code=_text(el, "e:StatusCode"),
        description=_text(el, "e:Description"),
        at=stamp,
        staff=_text(el, "e:StaffInfo/e:Staff"),
        department=_text(el, "e:StaffInfo/e:Department"),
    )


def read_any(data: bytes) -> Package | StatusPackage:
    """A document package or a status package, whichever `data` is (checked as `read`)."""
    root = _parse(data)
    status = root.find("e:edXMLHeader/e:Status", namespaces={"e": NS})
    if status is not None:
        return _status_of(status)
    return _document_of(root)


def read_status(data: bytes) -> StatusPackage:
    """Read a status package (refused if it is not one)."""
    found = read_any(data)
    if not isinstance(found, StatusPackage):
        raise PackageRefused("Gói tin không phải gói tin trạng thái.", code="edxml_not_status")
    return found


def read(data: bytes) -> Package:
    """Read a package: refused (PackageRefused, with the reason) if too big, malformed or invalid."""
    found = read_any(data)
    if not isinstance(found, Package):
        raise PackageRefused(
            "Gói tin là gói tin trạng thái, không phải văn bản.", code="edxml_is_status"
        )
    return found


def _document_of(root: Any) -> Package:
    from motcua.correspondence.rules import DOC_TYPE_BY_CODE

    msg = root.find("e:edXMLHeader/e:MessageHeader", namespaces={"e": NS})
    doc_type = _text(msg, "e:DocumentType/e:Type")
    if doc_type not in DOC_TYPE_BY_CODE:
        raise PackageRefused(
            f"Loại văn bản “{doc_type}” không có trong danh mục.", code="edxml_doc_type"
        )
    refs = {
        _text(r, "e:ContentId"): r
        for r in root.iterfind("e:edXMLBody/e:edXMLManifest/e:Reference", namespaces={"e": NS})
    }
    attachments = []
    for el in root.iterfind("e:Attachments/e:Attachment", namespaces={"e": NS}):
        ref = refs[el.get("ContentId")]  # the schema's keyref guarantees it
        attachments.append(
            Attachment(
                name=_text(ref, "e:AttachmentName"),
                content_type=_text(ref, "e:ContentType"),
                content=base64.b64decode("".join((el.text or "").split())),
                main=_text(ref, "e:Description") == "main",
            )
        )
    other = msg.find("e:OtherInfo", namespaces={"e": NS})
    security = _text(other, "e:SecurityLevel")
    return Package(
        sender=_organ_of(msg.find("e:From", namespaces={"e": NS})),
        recipients=tuple(_organ_of(t) for t in msg.iterfind("e:To", namespaces={"e": NS})),
        document_id=_text(msg, "e:DocumentId"),
        number=int(_text(msg, "e:Code/e:CodeNumber")),
        notation=_text(msg, "e:Code/e:CodeNotation"),
        issued_on=date.fromisoformat(_text(msg, "e:PromulgationInfo/e:PromulgationDate")[:10]),
        place=_text(msg, "e:PromulgationInfo/e:Place"),
        doc_type=doc_type,
        type_name=_text(msg, "e:DocumentType/e:TypeName"),
        subject=_text(msg, "e:Subject"),
        signer_name=_text(msg, "e:SignerInfo/e:FullName"),
        signer_title=_text(msg, "e:SignerInfo/e:Position"),
        signer_competence=_text(msg, "e:SignerInfo/e:Competence"),
        urgency=PRIORITY_BACK[int(_text(other, "e:Priority"))],
        secrecy=SECURITY_BACK[int(security)] if security else "normal",
        to_places=tuple(
            (p.text or "").strip() for p in msg.iterfind("e:ToPlaces/e:Place", namespaces={"e": NS})
        ),
        attachments=tuple(attachments),
        response_for=tuple(
            _response_for_of(r) for r in msg.iterfind("e:ResponseFor", namespaces={"e": NS})
        ),
    )
