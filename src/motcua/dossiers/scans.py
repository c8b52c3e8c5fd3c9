"""Scans attached to dossiers are checked whole, not by their first bytes.

A JPEG or PNG must decode completely under a pixel limit (a small file can claim a huge canvas:
a decompression bomb). A PDF must parse, must not be encrypted, and must carry no active
content: JavaScript, actions that run on opening or launch programs, embedded files, forms
that submit or import data, rich media. Anything else is refused. The type kept is the one
checked here, never the one the browser claimed.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from motcua.core.errors import ValidationFailed

# An A4 page scanned at 600 dpi is ~35 million pixels; a bigger canvas is not a paper.
MAX_SCAN_PIXELS = 50_000_000
# Objects walked in one PDF: a scan has a few hundred; a crafted file is refused, not walked.
MAX_PDF_OBJECTS = 200_000

_MAGIC = [
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
]
_PIL_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG"}

# Keys that carry active content wherever they appear, and action types that run something.
FORBIDDEN_KEYS = {
    "/JavaScript",
    "/JS",
    "/AA",  # additional actions: run on page open, field focus, document close...
    "/Launch",
    "/EmbeddedFiles",
    "/EmbeddedFile",
    "/EF",
    "/RichMedia",
    "/XFA",
}
FORBIDDEN_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/SubmitForm",
    "/ImportData",
    "/GoToE",
    "/GoToR",
    "/RichMediaExecute",
    "/Rendition",
    "/Movie",
    "/Sound",
    "/Hide",
    "/SetOCGState",
}


def _refuse(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code)


def sniff_content_type(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) read from the first bytes, or None when not PDF/JPEG/PNG."""
    for magic, ctype, ext in _MAGIC:
        if head.startswith(magic):
            return ctype, ext
    return None


def _check_image(content: bytes, ctype: str) -> None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as img:
                if img.format != _PIL_FORMAT[ctype]:
                    raise _refuse("Tệp ảnh không đúng định dạng.", "file_type")
                width, height = img.size
                if width <= 0 or height <= 0 or width * height > MAX_SCAN_PIXELS:
                    raise _refuse(
                        "Ảnh quét quá lớn (vượt quá 50 triệu điểm ảnh).", "image_too_large"
                    )
                img.load()  # decode every byte: a truncated or corrupt image fails here
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("Ảnh quét quá lớn (vượt quá 50 triệu điểm ảnh).", "image_too_large")
    except Exception:
        raise _refuse("Không đọc được tệp ảnh (tệp hỏng hoặc không phải ảnh).", "image_invalid")


def _walk_pdf(root: Any) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack = [root]
    walked = 0
    while stack:
        obj = stack.pop()
        walked += 1
        if walked > MAX_PDF_OBJECTS:
            raise _refuse("Tệp PDF quá phức tạp để kiểm tra.", "pdf_too_complex")
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            keys = set(obj.keys())
            bad = keys & FORBIDDEN_KEYS
            action = obj.get("/S")
            if bad or (action is not None and str(action) in FORBIDDEN_ACTIONS):
                raise _refuse(
                    "Tệp PDF có nội dung chủ động (mã JavaScript, lệnh tự chạy, tệp nhúng "
                    "hoặc biểu mẫu gửi dữ liệu): không được nhận. Vui lòng quét hoặc in lại "
                    "thành PDF thường.",
                    "pdf_active_content",
                )
            opening = obj.get("/OpenAction")
            if opening is not None:
                opening = opening.get_object()
                # A destination (page to show) is harmless; an action dictionary is refused.
                if isinstance(opening, DictionaryObject) and str(opening.get("/S")) != "/GoTo":
                    raise _refuse(
                        "Tệp PDF có lệnh tự chạy khi mở: không được nhận.", "pdf_active_content"
                    )
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def _check_pdf(content: bytes) -> None:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise _refuse("Tệp PDF có mật khẩu hoặc mã hóa: không được nhận.", "pdf_encrypted")
        if len(reader.pages) == 0:
            raise _refuse("Tệp PDF không có trang nào.", "pdf_invalid")
        _walk_pdf(reader.trailer)
        for page in reader.pages:  # every page object resolves
            page.mediabox  # noqa: B018
    except ValidationFailed:
        raise
    except Exception:
        raise _refuse("Không đọc được tệp PDF (tệp hỏng hoặc không phải PDF).", "pdf_invalid")


def scan_check(content: bytes) -> tuple[str, str]:
    """(content type, extension) of a scan that passed every check; ValidationFailed otherwise."""
    sniffed = sniff_content_type(content[:16])
    if sniffed is None:
        raise _refuse("Chỉ nhận tệp PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp).", "file_type")
    ctype, _ = sniffed
    if ctype == "application/pdf":
        _check_pdf(content)
    else:
        _check_image(content, ctype)
    return sniffed
