"""Input schemas of the API: bounds that match the database, text that can be stored.

Every request schema derives from `InputSchema`: each text in it (also inside lists and dicts)
is refused with 422 when it holds a NUL byte or a lone surrogate (motcua.core.text.unstorable).
Dates and moments must be ISO 8601 text (pydantic would otherwise read a number as a Unix
time). Integer bounds: `DB_INT_MAX` is the largest value of an IntegerField on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import BeforeValidator, Field, ValidationError, WrapValidator, field_validator
from pydantic_core import PydanticCustomError

from motcua.core.text import unstorable

DB_INT_MAX = 2_147_483_647
TEXT_ERROR = "Văn bản chứa ký tự không hợp lệ (ký tự NUL hoặc mã Unicode lẻ)."


def check_text(value: Any) -> Any:
    """Refuse unstorable text anywhere in a value (ValueError → 422 through pydantic)."""
    if isinstance(value, str):
        if unstorable(value):
            raise ValueError(TEXT_ERROR)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            check_text(item)
    return value


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_text(value: Any) -> Any:
    if isinstance(value, date):  # already parsed (a default, or a Python caller)
        return value
    if not isinstance(value, str) or not _ISO_DAY.match(value):
        raise ValueError(
            "Ngày giờ phải là văn bản dạng ISO 8601 (YYYY-MM-DD hoặc YYYY-MM-DDTHH:MM)."
        )
    return value


def _json_int(value: Any) -> Any:
    """An integer as JSON Schema reads one: 7 or 7.0, never true, "7" or 7.5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Cần một số nguyên.")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("Cần một số nguyên.")
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_json_int)]
# A JSON integer that fits a non-negative IntegerField. The bounds come before the validator so
# the document declares them as JSON Schema's minimum/maximum (after it, pydantic would write
# its own "ge"/"le" keywords, which no client reads).
JsonDbInt = Annotated[int, Field(ge=0, le=DB_INT_MAX), BeforeValidator(_json_int)]
json_int = (
    _json_int  # for other bounds: Annotated[int, Field(ge=.., le=..), BeforeValidator(json_int)]
)
IsoDate = Annotated[date, BeforeValidator(_iso_text)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_text)]


# Codes a field may answer with instead of the generic "invalid" (see `coded`), so a field that
# was checked by a service, with its own stable code, keeps that code once its schema checks it.
CODED_ERRORS: set[str] = set()


def coded(code: str, message: str) -> Any:
    """A wrap validator (for `Annotated[..., WrapValidator(coded(...))]`) that answers any
    refusal of the field with `code` and `message`; the API answers 422 with that code."""
    CODED_ERRORS.add(code)

    def wrap(value: Any, handler: Any) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError(code, message) from None

    return wrap


# How a dossier's result goes back (delivery.Method), with the code the delivery service gives.
DeliveryMethod = Annotated[
    Literal["counter", "home", "post"],
    WrapValidator(
        coded("invalid_method", "Cách nhận kết quả không hợp lệ (chọn: counter, home, post).")
    ),
]


class InputSchema(Schema):
    """Base of every request body and query schema of the API."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return check_text(value)


class ErrorOut(Schema):
    """The error answer of every operation: a stable code and a Vietnamese message."""

    code: str
    message: str


# A code, reference or public id in a path: the longest column it is looked up in (a dossier's
# code or reference, a visit's code, a payment's or receipt's public id) is 60 characters.
PATH_CODE_MAX = 60
