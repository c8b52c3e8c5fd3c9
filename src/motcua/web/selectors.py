"""Reads for the back-office home page."""

from __future__ import annotations

from typing import Any

from motcua.org.models import Unit


def home_summary(*, user: Any, unit: Unit | None) -> dict[str, Any]:
    """What an official sees first: their roles, units, and counts other apps contribute."""
    roles = list(user.unit_roles.select_related("unit").order_by("unit__name", "role"))
    return {"roles": roles, "unit": unit}
