"""Reads of face data for the privacy page and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Min, Q

from motcua.biometrics.models import FaceAccessLog, FaceConsent, FaceTemplate


def citizen_face_summary(
    *, citizen: Any, office_ids: set[int] | None = None, log_limit: int = 50
) -> dict[str, Any]:
    """What the office holds about a citizen's face: templates per office and scope, consents, log.

    `office_ids` limits templates and searches to those offices (an official's own); the
    citizen's consents and the log rows tied to no office (views, deletions) are always shown.
    """
    held = FaceTemplate.objects.filter(citizen=citizen)
    log = FaceAccessLog.objects.filter(citizen=citizen)
    if office_ids is not None:
        held = held.filter(office_id__in=office_ids)
        log = log.filter(Q(office_id__in=office_ids) | Q(office__isnull=True))
    templates = list(
        held.values("office__name", "scope")
        .annotate(
            n=Count("id"),
            first=Min("created_at"),
            last_seen=Max("last_seen_at"),
            expires=Max("expires_at"),
        )
        .order_by("office__name", "scope")
    )
    totals = held.aggregate(
        n=Count("id"), photos=Count("id", filter=~_empty_photo()), last_seen=Max("last_seen_at")
    )
    return {
        "citizen": citizen,
        "templates": templates,
        "template_count": totals["n"],
        "photo_count": totals["photos"],
        "last_seen": totals["last_seen"],
        "consents": list(FaceConsent.objects.filter(citizen=citizen).order_by("-granted_at")[:20]),
        "scoped": office_ids is not None,
        "log": list(log.select_related("office", "actor").order_by("-at", "-id")[:log_limit]),
    }


def _empty_photo() -> Any:
    from django.db.models import Q

    return Q(photo="") | Q(photo__isnull=True)
