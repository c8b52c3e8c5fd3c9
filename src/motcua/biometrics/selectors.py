"""Reads of face data for the privacy page and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Min

from motcua.biometrics.models import FaceAccessLog, FaceConsent, FaceTemplate


def citizen_face_summary(*, citizen: Any, log_limit: int = 50) -> dict[str, Any]:
    """What the office holds about a citizen's face: templates per office and scope, consents, log."""
    templates = list(
        FaceTemplate.objects.filter(citizen=citizen)
        .values("office__name", "scope")
        .annotate(
            n=Count("id"),
            first=Min("created_at"),
            last_seen=Max("last_seen_at"),
            expires=Max("expires_at"),
        )
        .order_by("office__name", "scope")
    )
    totals = FaceTemplate.objects.filter(citizen=citizen).aggregate(
        n=Count("id"), photos=Count("id", filter=~_empty_photo()), last_seen=Max("last_seen_at")
    )
    return {
        "citizen": citizen,
        "templates": templates,
        "template_count": totals["n"],
        "photo_count": totals["photos"],
        "last_seen": totals["last_seen"],
        "consents": list(FaceConsent.objects.filter(citizen=citizen).order_by("-granted_at")[:20]),
        "log": list(
            FaceAccessLog.objects.filter(citizen=citizen)
            .select_related("office", "actor")
            .order_by("-at", "-id")[:log_limit]
        ),
    }


def _empty_photo() -> Any:
    from django.db.models import Q

    return Q(photo="") | Q(photo__isnull=True)
