"""Reads of the catalogue."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from motcua.catalog.models import ProcedureVersion
from motcua.core.text import fold


def published_versions() -> QuerySet[ProcedureVersion]:
    """The current published version of every procedure (the latest published one)."""
    newer = ProcedureVersion.objects.filter(
        procedure=OuterRef("procedure"), is_published=True, version__gt=OuterRef("version")
    )
    return (
        ProcedureVersion.objects.filter(is_published=True)
        .exclude(Exists(newer))
        .select_related("procedure", "field")
    )


def procedure_search(*, q: str = "", field: str = "") -> QuerySet[ProcedureVersion]:
    """Published procedures matching a name or code (diacritics-insensitive) and a field code."""
    qs = published_versions()
    if q:
        folded = fold(q)
        qs = qs.filter(Q(name_folded__contains=folded) | Q(procedure__code__icontains=q.strip()))
    if field:
        qs = qs.filter(field__code=field)
    return qs.order_by("field__name", "name")


def procedure_current(*, code: str) -> ProcedureVersion | None:
    """The published version of a procedure in force now."""
    return published_versions().filter(procedure__code=code).first()
