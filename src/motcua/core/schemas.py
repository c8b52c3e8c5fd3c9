"""Input schemas of the API: bounds that match the database, text that can be stored.

Every request schema derives from `InputSchema`: each text in it (also inside lists and dicts)
is refused with 422 when it holds a NUL byte or a lone surrogate (motcua.core.text.unstorable).
Dates and moments must be ISO 8601 text (pydantic would otherwise read a number as a Unix
time). Integer bounds: `DB_INT_MAX` is the largest value of an IntegerField on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, field_validator

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
IsoDate = Annotated[date, BeforeValidator(_iso_text)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_text)]


class InputSchema(Schema):
    """Base of every request body and query schema of the API."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return check_text(value)
