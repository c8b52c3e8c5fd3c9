"""Dates as Vietnamese readers write them: dd/mm/yyyy, whatever the browser's language.

A native `<input type="date">` shows mm/dd/yyyy in an English-language browser, so every date
field is a plain text box in dd/mm/yyyy. ISO yyyy-mm-dd is still accepted, for API clients and
old links.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms

DISPLAY_FORMAT = "%d/%m/%Y"
# dd/mm/yyyy first (what the page shows), then the ISO form of API clients and old links.
INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
PLACEHOLDER = "dd/mm/yyyy"
INVALID_MESSAGE = "Ngày không hợp lệ: nhập theo dạng ngày/tháng/năm (dd/mm/yyyy), ví dụ 05/01/2026."
MIN_YEAR = 1900


def parse_date(value: Any) -> date | None:
    """A date from dd/mm/yyyy (or yyyy-mm-dd); None for an empty value; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    for fmt in INPUT_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if parsed.year < MIN_YEAR:  # "05/01/26": a two-digit year is a typing slip
            break
        return parsed
    raise ValueError(INVALID_MESSAGE)


def parse_date_or(value: Any, default: date | None) -> date | None:
    """`parse_date`, or `default` for an empty or unreadable value (filters of list pages)."""
    try:
        return parse_date(value) or default
    except ValueError:
        return default


def format_date(value: date | None) -> str:
    return value.strftime(DISPLAY_FORMAT) if value else ""


class DateTextInput(forms.DateInput):
    """A text box for dd/mm/yyyy (a numeric keypad on phones, no browser date picker)."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:  # noqa: A002
        base = {
            "inputmode": "numeric",
            "placeholder": PLACEHOLDER,
            "autocomplete": "off",
            "maxlength": "10",
        }
        super().__init__(attrs={**base, **(attrs or {})}, format=format or DISPLAY_FORMAT)


class DateTextField(forms.DateField):
    """A date field that reads dd/mm/yyyy (and yyyy-mm-dd) and says so in Vietnamese when it cannot."""

    widget = DateTextInput
    input_formats = INPUT_FORMATS
    default_error_messages = {"invalid": INVALID_MESSAGE}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", INPUT_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        try:
            return parse_date(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
