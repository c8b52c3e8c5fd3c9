"""Template filters of the portal."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def vnd(value: Any) -> str:
    """An integer amount in Vietnamese style: 1500000 → '1.500.000'."""
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""
