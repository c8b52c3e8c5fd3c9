"""Management KPIs computed in SQL from the rows each capability writes.

On time (target ≥ 99 %): dossiers whose result was ready in the period, early or on time
over all resolved. Satisfaction (target ≥ 85 %): ratings "very satisfied" or "satisfied"
over all ratings in the period. Officers' on-time share comes from the dossier event rows:
each hand-off closes a step with its own deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import TruncMonth

from motcua.core import clock

ON_TIME_TARGET = 99.0
SATISFACTION_TARGET = 85.0

DIMENSIONS = {
    "unit": "Đơn vị",
    "field": "Lĩnh vực",
    "procedure": "Thủ tục",
    "officer": "Cán bộ",
    "month": "Tháng",
}


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time.min, tzinfo=clock.VN_TZ)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=clock.VN_TZ)

    @classmethod
    def last_days(cls, days: int) -> Period:
        today = clock.today()
        return cls(today - timedelta(days=days - 1), today)


def _pct(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * (part or 0) / whole, 1) if whole else None


def _dossiers(unit_ids: set[int] | None, period: Period) -> QuerySet[Any]:
    from motcua.dossiers.models import Dossier

    qs = Dossier.objects.filter(result_ready_at__gte=period.start, result_ready_at__lt=period.end)
    return qs.filter(unit_id__in=unit_ids) if unit_ids is not None else qs


def _ratings(unit_ids: set[int] | None, period: Period) -> QuerySet[Any]:
    from motcua.portal.models import ServiceRating

    qs = ServiceRating.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    return qs.filter(unit_id__in=unit_ids) if unit_ids is not None else qs


_GROUPS: dict[str, dict[str, tuple[str, str]]] = {
    # dimension → source → (group key expression, label expression)
    "unit": {"dossier": ("unit_id", "unit__name"), "rating": ("unit_id", "unit__name")},
    "field": {"dossier": ("field_id", "field__name"), "rating": ("field_id", "field__name")},
    "procedure": {
        "dossier": ("procedure__code", "procedure_version__name"),
        "rating": ("procedure_version__procedure__code", "procedure_version__name"),
    },
    "officer": {"rating": ("officer_id", "officer__full_name")},
}


def kpi_table(
    *, dimension: str, period: Period, unit_ids: set[int] | None = None
) -> list[dict[str, Any]]:
    """On-time % and satisfaction % per unit, field, procedure, officer or month, against the targets."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    rows: dict[Any, dict[str, Any]] = {}

    def row(key: Any, label: Any) -> dict[str, Any]:
        return rows.setdefault(
            key,
            {
                "key": key,
                "label": label or "(không xác định)",
                "resolved": 0,
                "on_time": 0,
                "late": 0,
                "ratings": 0,
                "satisfied": 0,
            },
        )

    dossier_counts = {
        "resolved": Count("id"),
        "on_time": Count("id", filter=Q(result_timeliness__in=["early", "on_time"])),
        "late": Count("id", filter=Q(result_timeliness="late")),
    }
    rating_counts = {
        "ratings": Count("id"),
        "satisfied": Count("id", filter=Q(level__in=["very_satisfied", "satisfied"])),
    }
    dossiers, ratings = _dossiers(unit_ids, period), _ratings(unit_ids, period)
    if dimension == "month":
        for r in (
            dossiers.annotate(m=TruncMonth("result_ready_at", tzinfo=clock.VN_TZ))
            .values("m")
            .annotate(**dossier_counts)
            .order_by()
        ):
            row(r["m"].date(), f"{r['m']:%m/%Y}").update({k: r[k] for k in dossier_counts})
        for r in (
            ratings.annotate(m=TruncMonth("created_at", tzinfo=clock.VN_TZ))
            .values("m")
            .annotate(**rating_counts)
            .order_by()
        ):
            row(r["m"].date(), f"{r['m']:%m/%Y}").update({k: r[k] for k in rating_counts})
    elif dimension == "officer":
        for r in _officer_steps(unit_ids, period):
            row(r["actor_id"], r["actor__full_name"] or r["actor__username"]).update(
                resolved=r["steps"], on_time=r["on_time"], late=r["steps"] - r["on_time"]
            )
        key, label = _GROUPS["officer"]["rating"]
        for r in ratings.values(key, label).annotate(**rating_counts).order_by():
            row(r[key], r[label]).update({k: r[k] for k in rating_counts})
    else:
        key, label = _GROUPS[dimension]["dossier"]
        for r in dossiers.values(key, label).annotate(**dossier_counts).order_by():
            row(r[key], r[label]).update({k: r[k] for k in dossier_counts})
        key, label = _GROUPS[dimension]["rating"]
        for r in ratings.values(key, label).annotate(**rating_counts).order_by():
            row(r[key], r[label]).update({k: r[k] for k in rating_counts})
    result = []
    for r in rows.values():
        r["on_time_pct"] = _pct(r["on_time"], r["resolved"])
        r["satisfaction_pct"] = _pct(r["satisfied"], r["ratings"])
        r["on_time_ok"] = r["on_time_pct"] is None or r["on_time_pct"] >= ON_TIME_TARGET
        r["satisfaction_ok"] = (
            r["satisfaction_pct"] is None or r["satisfaction_pct"] >= SATISFACTION_TARGET
        )
        result.append(r)
    if dimension == "month":
        return sorted(result, key=lambda r: r["key"])
    return sorted(result, key=lambda r: (-(r["resolved"] + r["ratings"]), str(r["label"])))


def _officer_steps(unit_ids: set[int] | None, period: Period) -> QuerySet[Any]:
    from motcua.dossiers.models import DossierEvent

    qs = DossierEvent.objects.filter(
        at__gte=period.start, at__lt=period.end, actor__isnull=False
    ).exclude(closed_step_timeliness="")
    if unit_ids is not None:
        qs = qs.filter(dossier__unit_id__in=unit_ids)
    return (
        qs.values("actor_id", "actor__full_name", "actor__username")
        .annotate(
            steps=Count("id"),
            on_time=Count("id", filter=Q(closed_step_timeliness__in=["early", "on_time"])),
        )
        .order_by()
    )


def kpi_summary(*, period: Period, unit_ids: set[int] | None = None) -> dict[str, Any]:
    """The headline figures of the dashboard."""
    d = _dossiers(unit_ids, period).aggregate(
        resolved=Count("id"),
        on_time=Count("id", filter=Q(result_timeliness__in=["early", "on_time"])),
        online=Count("id", filter=Q(channel="online")),
    )
    r = _ratings(unit_ids, period).aggregate(
        ratings=Count("id"),
        satisfied=Count("id", filter=Q(level__in=["very_satisfied", "satisfied"])),
    )
    return {
        **d,
        **r,
        "on_time_pct": _pct(d["on_time"], d["resolved"]),
        "satisfaction_pct": _pct(r["satisfied"], r["ratings"]),
        "on_time_target": ON_TIME_TARGET,
        "satisfaction_target": SATISFACTION_TARGET,
        "overdue": overdue_dossiers(unit_ids=unit_ids).count(),
        "queue": queue_summary(period=period, unit_ids=unit_ids),
    }


def overdue_dossiers(*, unit_ids: set[int] | None = None) -> QuerySet[Any]:
    """Open dossiers whose due moment has passed (the clock is not paused)."""
    from motcua.dossiers.models import Dossier
    from motcua.dossiers.workflow import CLOCK_RUNNING

    qs = Dossier.objects.filter(
        status__in=[s.value for s in CLOCK_RUNNING], due_at__lt=clock.now()
    ).select_related("procedure_version", "holder", "unit")
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    return qs.order_by("due_at")


def queue_summary(*, period: Period, unit_ids: set[int] | None = None) -> dict[str, Any]:
    """Visitors, waiting and transaction times, no-shows and blocked duplicates."""
    from motcua.queueing.models import BlockedAttempt, Ticket

    tickets = Ticket.objects.filter(
        service_date__gte=period.date_from, service_date__lte=period.date_to
    )
    blocked = BlockedAttempt.objects.filter(at__gte=period.start, at__lt=period.end)
    if unit_ids is not None:
        tickets = tickets.filter(office__unit_id__in=unit_ids)
        blocked = blocked.filter(office__unit_id__in=unit_ids)
    wait = ExpressionWrapper(F("called_at") - F("waiting_since"), output_field=DurationField())
    serve = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    agg = tickets.aggregate(
        tickets=Count("id"),
        served=Count("id", filter=Q(status="done")),
        no_show=Count("id", filter=Q(status="no_show")),
        visitors=Count("citizen_id", distinct=True),
        avg_wait=Avg(wait, filter=Q(called_at__isnull=False)),
        avg_service=Avg(serve, filter=Q(finished_at__isnull=False, started_at__isnull=False)),
    )
    agg["blocked"] = blocked.count()
    agg["avg_wait_min"] = _minutes(agg.pop("avg_wait"))
    agg["avg_service_min"] = _minutes(agg.pop("avg_service"))
    return agg


def _minutes(value: timedelta | None) -> float | None:
    return round(value.total_seconds() / 60, 1) if value is not None else None


# Decision 766/QĐ-TTg: 100 points in five groups. We compute what our own rows can prove and
# name what needs data from elsewhere, instead of inventing a number.
INDEX_766_GROUPS = [
    ("transparency", "Công khai, minh bạch", 18),
    ("progress", "Tiến độ, kết quả giải quyết", 20),
    ("digitisation", "Số hóa hồ sơ, kết quả", 22),
    ("online", "Cung cấp dịch vụ trực tuyến", 22),
    ("satisfaction", "Mức độ hài lòng", 18),
]


def index_766(*, period: Period, unit_ids: set[int] | None = None) -> dict[str, Any]:
    """The part of the Decision 766 index our data can compute, and what is missing."""
    from motcua.catalog.selectors import published_versions
    from motcua.dossiers.models import Dossier

    received = Dossier.objects.filter(received_at__gte=period.start, received_at__lt=period.end)
    if unit_ids is not None:
        received = received.filter(unit_id__in=unit_ids)
    counts = received.aggregate(
        total=Count("id"),
        online=Count("id", filter=Q(channel="online")),
        with_scans=Count("id", filter=Q(attachments__isnull=False), distinct=True),
    )
    summary = kpi_summary(period=period, unit_ids=unit_ids)
    versions = published_versions()
    complete = versions.exclude(papers=[]).exclude(legal_basis=[]).count()
    total_procedures = versions.count()

    def share(part: int | None, whole: int | None, points: float) -> float | None:
        return round(points * (part or 0) / whole, 2) if whole else None

    groups = {
        "transparency": (
            share(complete, total_procedures, 18),
            "Tỷ lệ thủ tục công bố đủ thành phần hồ sơ và căn cứ pháp lý.",
            "Chưa có: đồng bộ trạng thái hồ sơ lên Cổng Dịch vụ công quốc gia.",
        ),
        "progress": (
            share(summary["on_time"], summary["resolved"], 20),
            "Tỷ lệ hồ sơ giải quyết trước và đúng hạn.",
            "",
        ),
        "digitisation": (
            share(counts["with_scans"], counts["total"], 22),
            "Tỷ lệ hồ sơ tiếp nhận có bản quét đính kèm.",
            "Chưa có: số hóa kết quả giải quyết, tái sử dụng dữ liệu số hóa.",
        ),
        "online": (
            share(counts["online"], counts["total"], 22),
            "Tỷ lệ hồ sơ nộp trực tuyến.",
            "Chưa có: thanh toán trực tuyến (biên lai điện tử chưa xây dựng).",
        ),
        "satisfaction": (
            share(summary["satisfied"], summary["ratings"], 18),
            "Tỷ lệ đánh giá hài lòng và rất hài lòng.",
            "",
        ),
    }
    rows: list[dict[str, Any]] = []
    for key, name, points in INDEX_766_GROUPS:
        score, basis, missing = groups[key]
        rows.append(
            {
                "key": key,
                "name": name,
                "max": points,
                "score": score,
                "basis": basis,
                "missing": missing,
            }
        )
    computed: list[float] = [r["score"] for r in rows if r["score"] is not None]
    return {
        "rows": rows,
        "total": round(sum(computed), 2) if computed else None,
        "note": 'Điểm tính từ dữ liệu của hệ thống; các phần ghi "Chưa có" cần dữ liệu ngoài hệ thống '
        "nên điểm thực tế theo Quyết định 766 có thể khác.",
    }
