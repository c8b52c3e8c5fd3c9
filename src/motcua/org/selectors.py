"""Reads of the org app: units at a date, offices."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, QuerySet

from motcua.core.errors import NotFound
from motcua.org.models import Citizen, Counter, Office, Unit


def units_current(on: date | None = None) -> QuerySet[Unit]:
    """Units valid on `on` (today when omitted), with parent and successors loaded."""
    return (
        Unit.objects.current(on)
        .select_related("parent")
        .prefetch_related("successors")
        .order_by("code")
    )


def units_all() -> QuerySet[Unit]:
    """Every unit, past and present, with parent and successors loaded."""
    return Unit.objects.select_related("parent").prefetch_related("successors").order_by("code")


def unit_by_code(code: str) -> Unit:
    """The unit with this code (current or historical); NotFound otherwise."""
    unit = Unit.objects.select_related("parent").filter(code=code).first()
    if unit is None:
        raise NotFound(f"Không tìm thấy đơn vị có mã “{code}”.", code="unit_not_found")
    return unit


def offices_active() -> QuerySet[Office]:
    """Open one-stop offices with their unit and active counters."""
    return (
        Office.objects.filter(is_active=True)
        .select_related("unit")
        .prefetch_related(Prefetch("counters", queryset=Counter.objects.filter(is_active=True)))
        .order_by("code")
    )


def office_by_code(code: str) -> Office:
    """The office with this code; NotFound otherwise."""
    office = Office.objects.select_related("unit").filter(code=code).first()
    if office is None:
        raise NotFound(f"Không tìm thấy bộ phận một cửa có mã “{code}”.", code="office_not_found")
    return office


def citizen_by_id_number(id_number: str) -> Citizen | None:
    """The citizen with this CCCD number, or None."""
    return Citizen.objects.filter(id_number=(id_number or "").strip()).first()
