"""Reads of the catalogue."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from motcua.catalog.models import Channel, Field, ProcedureVersion
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


def procedure_search(
    *, q: str = "", field: str = "", channel: str = ""
) -> QuerySet[ProcedureVersion]:
    """Published procedures matching every word of `q` in the name or code (diacritics- and case-insensitive), a field code and a channel."""
    qs = published_versions()
    # Each word must match somewhere, so "khai sinh đăng ký" finds "Đăng ký khai sinh".
    for word in fold(q).split():
        qs = qs.filter(Q(name_folded__contains=word) | Q(procedure__code__icontains=word))
    if field:
        qs = qs.filter(field__code=field)
    if channel:
        if channel not in Channel.values:
            return qs.none()
        # JSON text match works on SQLite and PostgreSQL alike (jsonb `contains` is PostgreSQL-only).
        qs = qs.filter(channels__icontains=f'"{channel}"')
    return qs.order_by("field__name", "name", "procedure__code")


def procedure_current(*, code: str) -> ProcedureVersion | None:
    """The published version of a procedure in force now."""
    return published_versions().filter(procedure__code=code).first()


def procedure_version_get(*, code: str, version: int) -> ProcedureVersion | None:
    """One version of a procedure (published or draft), e.g. the one a dossier was received under."""
    return (
        ProcedureVersion.objects.select_related("procedure", "field")
        .filter(procedure__code=code, version=version)
        .first()
    )


def procedure_versions(*, code: str) -> QuerySet[ProcedureVersion]:
    """Every version of a procedure, newest first."""
    return (
        ProcedureVersion.objects.select_related("procedure", "field")
        .filter(procedure__code=code)
        .order_by("-version")
    )


def field_list(*, only_used: bool = False) -> QuerySet[Field]:
    """Fields with the number of published procedures in each (`procedure_count`)."""
    current = published_versions().values("id")
    qs = Field.objects.annotate(
        procedure_count=Count("procedure_versions", filter=Q(procedure_versions__id__in=current))
    )
    if only_used:
        qs = qs.filter(procedure_count__gt=0)
    return qs.order_by("name")
