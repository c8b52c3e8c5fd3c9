"""Reads of the portal: announcements, ratings, transparency counts, satisfaction statistics."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import Avg, Count, IntegerField, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncMonth

from motcua.core import clock
from motcua.portal.models import (
    INDICATOR_KEYS,
    Announcement,
    AnnouncementRating,
    Comment,
    SatisfactionLevel,
    ServiceRating,
    WebLink,
)


def announcements_published() -> QuerySet[Announcement]:
    """Published announcements, newest first."""
    return Announcement.objects.filter(
        published_at__isnull=False, published_at__lte=clock.now()
    ).order_by("-published_at", "-pk")


def announcement_rating_summary(*, announcement: Announcement) -> dict[str, Any]:
    """Count and average of an article's star ratings."""
    agg = AnnouncementRating.objects.filter(announcement=announcement).aggregate(
        count=Count("id"), avg=Avg("stars")
    )
    return {"count": agg["count"] or 0, "average": round(float(agg["avg"] or 0), 1)}


def visitor_rating(*, announcement: Announcement, visitor: str) -> int | None:
    return (
        AnnouncementRating.objects.filter(announcement=announcement, visitor=visitor)
        .values_list("stars", flat=True)
        .first()
    )


def comments_approved(*, announcement: Announcement) -> QuerySet[Comment]:
    """Only moderated, approved comments are ever shown to the public."""
    return announcement.comments.filter(status=Comment.Status.APPROVED).order_by("created_at")


def comments_pending() -> QuerySet[Comment]:
    return (
        Comment.objects.filter(status=Comment.Status.PENDING)
        .select_related("announcement")
        .order_by("created_at")
    )


def links() -> QuerySet[WebLink]:
    return WebLink.objects.all()


def transparency_summary() -> dict[str, Any]:
    """Counts of published procedures per field, level and channel, and the announcing decisions."""
    from motcua.catalog.models import Channel, Level
    from motcua.catalog.selectors import published_versions

    base = published_versions()
    by_field = list(
        base.values("field__code", "field__name")
        .annotate(n=Count("id"))
        .order_by("-n", "field__name")
    )
    by_level = [
        {
            "label": Level(row["level"]).label if row["level"] in Level.values else row["level"],
            "n": row["n"],
        }
        for row in base.values("level").annotate(n=Count("id")).order_by("level")
    ]
    channels = []
    for value, label in Channel.choices:
        # JSON list membership, portable across SQLite and PostgreSQL: match the quoted value.
        channels.append(
            {"label": label, "n": base.filter(channels__icontains=f'"{value}"').count()}
        )
    decisions = list(
        base.exclude(decision="").values("decision").annotate(n=Count("id")).order_by("decision")
    )
    return {
        "total": base.count(),
        "by_field": by_field,
        "by_level": by_level,
        "by_channel": channels,
        "decisions": decisions,
        "with_fees": base.exclude(fees=[]).count(),
    }


def _as_datetime(d: date | datetime | None, end: bool = False) -> datetime | None:
    if d is None:
        return None
    if isinstance(d, datetime):
        return clock.local(d)
    return clock.local(datetime.combine(d, time.max if end else time.min))


_GROUPS = {
    "unit": ("unit_id", "unit__name"),
    "field": ("field_id", "field__name"),
    "procedure": ("procedure_version__procedure__code", "procedure_version__name"),
    "officer": ("officer_id", "officer__full_name"),
    "channel": ("channel", "channel"),
}


def satisfaction_stats(
    *,
    unit: Any = None,
    field: Any = None,
    procedure: Any = None,
    officer: Any = None,
    date_from: date | datetime | None = None,
    date_to: date | datetime | None = None,
    group_by: str = "unit",
) -> list[dict[str, Any]]:
    """Satisfaction per unit, field, procedure, officer, channel, month or overall ("total").

    Each row: key, label, total, very_satisfied, satisfied, dissatisfied, satisfaction_pct
    ((very satisfied + satisfied) / total × 100, None when nothing was rated) and the average
    points of each of the 9 indicators (`indicators`: {key: avg or None}). Computed in SQL.
    `unit` may be a Unit or id (its sub-units included), `procedure` a procedure code,
    a Procedure or a ProcedureVersion.
    """
    qs = ServiceRating.objects.all()
    if unit is not None:
        from motcua.org.models import Unit

        unit_obj = unit if isinstance(unit, Unit) else Unit.objects.get(pk=unit)
        qs = qs.filter(unit_id__in=unit_obj.descendant_ids())
    if field is not None:
        qs = qs.filter(field__code=field) if isinstance(field, str) else qs.filter(field=field)
    if procedure is not None:
        from motcua.catalog.models import Procedure, ProcedureVersion

        if isinstance(procedure, ProcedureVersion):
            qs = qs.filter(procedure_version__procedure_id=procedure.procedure_id)
        elif isinstance(procedure, Procedure):
            qs = qs.filter(procedure_version__procedure=procedure)
        else:
            qs = qs.filter(procedure_version__procedure__code=str(procedure))
    if officer is not None:
        qs = qs.filter(officer=officer)
    start, end = _as_datetime(date_from), _as_datetime(date_to, end=True)
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lte=end)

    aggregates: dict[str, Any] = {
        "total": Count("id"),
        "very_satisfied": Count("id", filter=Q(level=SatisfactionLevel.VERY_SATISFIED)),
        "satisfied": Count("id", filter=Q(level=SatisfactionLevel.SATISFIED)),
        "dissatisfied": Count("id", filter=Q(level=SatisfactionLevel.DISSATISFIED)),
    }
    for key in INDICATOR_KEYS:
        aggregates[f"ind_{key}"] = Avg(Cast(KT(f"indicators__{key}"), IntegerField()))

    if group_by == "total":
        rows: list[dict[str, Any]] = [dict(qs.aggregate(**aggregates), key="total", label="Tổng")]
    elif group_by == "month":
        raw = (
            qs.annotate(month=TruncMonth("created_at", tzinfo=clock.VN_TZ))
            .values("month")
            .annotate(**aggregates)
            .order_by("month")
        )
        rows = []
        for row in raw:
            r: dict[str, Any] = dict(row)
            month = r.pop("month")
            month_date = month.date() if isinstance(month, datetime) else month
            rows.append(dict(r, key=month_date.strftime("%Y-%m"), label=f"{month_date:%m/%Y}"))
    elif group_by in _GROUPS:
        key_field, label_field = _GROUPS[group_by]
        raw = qs.values(key_field, label_field).annotate(**aggregates).order_by(label_field)
        rows = []
        for row in raw:
            r = dict(row)
            key, label = r.pop(key_field), r.pop(label_field, None)
            if group_by == "channel":
                from motcua.portal.models import RatingChannel

                label = RatingChannel(key).label if key in RatingChannel.values else key
            rows.append(dict(r, key=key, label=label or "Không xác định"))
    else:
        raise ValueError(f"unknown group_by: {group_by}")

    for r in rows:
        total = int(r.get("total") or 0)
        r["total"] = total
        good = (r.get("very_satisfied") or 0) + (r.get("satisfied") or 0)
        r["satisfaction_pct"] = round(100.0 * good / total, 1) if total else None
        r["indicators"] = {
            k: (round(float(r[f"ind_{k}"]), 2) if r.get(f"ind_{k}") is not None else None)
            for k in INDICATOR_KEYS
        }
        for k in INDICATOR_KEYS:
            r.pop(f"ind_{k}", None)
    return rows


def rating_exists(*, dossier: Any = None, ticket: Any = None) -> bool:
    if dossier is not None:
        return ServiceRating.objects.filter(dossier=dossier).exists()
    if ticket is not None:
        return ServiceRating.objects.filter(ticket=ticket).exists()
    return False


def offices_map() -> dict[str, Any]:
    """Active offices (the list is always shown) and the data of the Leaflet map: numbered
    markers, the ward boundaries an administrator imported, the configured tile server."""
    from django.conf import settings

    from motcua.org.models import Office, Unit, UnitBoundary

    offices = list(Office.objects.filter(is_active=True).select_related("unit").order_by("name"))
    numbers: dict[int, int] = {}
    markers: list[dict[str, Any]] = []
    for o in offices:
        if o.latitude is None or o.longitude is None:
            continue
        numbers[o.pk] = len(markers) + 1
        markers.append(
            {
                "n": numbers[o.pk],
                "id": f"office-{o.pk}",
                "name": o.name,
                "unit": o.unit.name,
                "address": o.address,
                "phone": o.phone,
                "lat": float(o.latitude),
                "lng": float(o.longitude),
            }
        )
    boundaries = [
        {
            "type": "Feature",
            "properties": {"name": b.unit.name, "code": b.unit.code},
            "geometry": b.geometry,
        }
        for b in UnitBoundary.objects.select_related("unit").filter(
            unit__in=Unit.objects.current().values("pk")
        )
    ]
    tile_url = str(settings.MOTCUA.get("MAP_TILE_URL", "") or "")
    config = {
        "markers": markers,
        "boundaries": {"type": "FeatureCollection", "features": boundaries},
        "tiles": {
            "url": tile_url,
            "attribution": str(settings.MOTCUA.get("MAP_TILE_ATTRIBUTION", "") or ""),
            "maxZoom": int(settings.MOTCUA.get("MAP_MAX_ZOOM", 18)),
        },
    }
    return {
        "offices": [(o, numbers.get(o.pk)) for o in offices],
        "map": config,
        "has_tiles": bool(tile_url),
        # Without tiles a map is worth drawing only over ward boundaries: dots on a blank
        # square tell nobody where to go.
        "show_map": bool(markers or boundaries) and (bool(tile_url) or bool(boundaries)),
    }


def rating_url(*, dossier_code: str | None = None, ticket_token: str | None = None) -> str:
    """Path of the rating page for the QR on a queue slip (ticket token) or on form 01 (dossier code)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    if dossier_code:
        return f"{reverse('portal:service_rating')}?{urlencode({'ho-so': dossier_code})}"
    if ticket_token:
        return f"{reverse('portal:service_rating')}?{urlencode({'ve': ticket_token})}"
    raise ValueError("dossier_code or ticket_token is required")
