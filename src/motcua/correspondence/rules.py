"""Numbering and notation of official documents (pure rules, no database).

As we understand Decree 30/2020/NĐ-CP on clerical work (công tác văn thư):
- Article 15(1): a body numbers the documents it issues in the order they are registered at its
  clerical office within a year, starting from 01 on 1 January and ending on 31 December; the
  number and notation are unique within the year. A body may keep one numbering for all its
  administrative documents or a separate one per type (the head of the body decides): our
  "register" (sổ) is that choice, and a counter runs per unit, register and year.
- Article 22: incoming documents get an incoming number (số đến) in the order they are
  received within the year, from 01 on 1 January.
- Appendix I, section II: the number is written in Arabic digits, with a leading 0 below 10;
  the notation (ký hiệu) of a named document type is "<type abbreviation>-<issuer abbreviation>"
  (e.g. "15/QĐ-UBND"); a letter without a type name (công văn) is "<issuer abbreviation>-
  <abbreviation of the drafting unit or field>" (e.g. "27/UBND-VP").
- Appendix III: the abbreviations of document types listed in DOC_TYPES below.
The official texts could not be read on the machine this was written on: the articles cited are
from memory and must be checked against the published decree before relying on them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DocType:
    code: str
    label: str
    abbr: str  # "" for a letter (công văn): its notation has no type part


DOC_TYPES: list[DocType] = [
    DocType("NQ", "Nghị quyết", "NQ"),
    DocType("QD", "Quyết định", "QĐ"),
    DocType("CT", "Chỉ thị", "CT"),
    DocType("QC", "Quy chế", "QC"),
    DocType("QYD", "Quy định", "QYĐ"),
    DocType("TC", "Thông cáo", "TC"),
    DocType("TB", "Thông báo", "TB"),
    DocType("HD", "Hướng dẫn", "HD"),
    DocType("CTR", "Chương trình", "CTr"),
    DocType("KH", "Kế hoạch", "KH"),
    DocType("PA", "Phương án", "PA"),
    DocType("DA", "Đề án", "ĐA"),
    DocType("BC", "Báo cáo", "BC"),
    DocType("BB", "Biên bản", "BB"),
    DocType("TTR", "Tờ trình", "TTr"),
    DocType("HDO", "Hợp đồng", "HĐ"),
    DocType("CV", "Công văn", ""),
    DocType("CD", "Công điện", "CĐ"),
    DocType("GUQ", "Giấy ủy quyền", "GUQ"),
    DocType("GM", "Giấy mời", "GM"),
    DocType("GGT", "Giấy giới thiệu", "GGT"),
    DocType("PG", "Phiếu gửi", "PG"),
    DocType("PC", "Phiếu chuyển", "PC"),
    DocType("TCO", "Thư công", "TC"),
]
DOC_TYPE_BY_CODE = {t.code: t for t in DOC_TYPES}
DOC_TYPE_CHOICES = [(t.code, t.label) for t in DOC_TYPES]


def format_number(number: int) -> str:
    """The printed number: Arabic digits, a leading 0 below 10 ('01', '15', '120')."""
    if number < 1:
        raise ValueError("document numbers start at 1")
    return f"{number:02d}"


def notation(*, doc_type: str, issuer_abbr: str, drafter_abbr: str = "") -> str:
    """The notation after the number: 'QĐ-UBND', or 'UBND-VP' for a letter (công văn)."""
    kind = DOC_TYPE_BY_CODE[doc_type]
    issuer = issuer_abbr.strip()
    if kind.abbr:
        return f"{kind.abbr}-{issuer}"
    return f"{issuer}-{drafter_abbr.strip()}" if drafter_abbr.strip() else issuer


def number_and_notation(
    *, number: int, doc_type: str, issuer_abbr: str, drafter_abbr: str = ""
) -> str:
    """'15/QĐ-UBND': the number and notation printed at the head of the document."""
    return (
        f"{format_number(number)}/"
        f"{notation(doc_type=doc_type, issuer_abbr=issuer_abbr, drafter_abbr=drafter_abbr)}"
    )


def issuer_abbreviation(unit_name: str, level: str) -> str:
    """A default abbreviation of the issuing body: a people's committee is 'UBND'."""
    if level in {"province", "district", "ward", "commune", "town"}:
        return "UBND"
    words = [w for w in unit_name.replace(",", " ").split() if w[:1].isalpha()]
    letters = "".join(w[0] for w in words).upper()
    return letters[:10] or "CQ"
