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
from motcua.reports import index766

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
        "repeat_supplement": _dossiers(unit_ids, period).filter(supplement_requests__gt=1).count(),
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


# Decision 766/QĐ-TTg: 100 points in five groups. The scoring rules live in `index766` (no
# database); here we count what our own rows can prove and leave the rest as missing inputs,
# named, instead of inventing a number.
INDEX_766_GROUPS = [(g.key, g.name, g.max_points) for g in index766.GROUPS]


def progress_766_counts(*, period: Period, unit_ids: set[int] | None = None) -> dict[str, int]:
    """Indicator 2.1 of Decision 766 as its published formula counts dossiers.

    Denominator: dossiers accepted and handled in the period: those whose processing ended in
    it (result ready, or refused / stopped / withdrawn after acceptance) and those still open
    at its end. On time: ended no later than the legal due moment (an apology letter's date
    does not count); a dossier waiting for papers ends at the moment of the request; an open
    dossier is "trong hạn" while its due moment has not passed; a dossier asked to supplement
    more than once is not on time ("Yêu cầu bổ sung hồ sơ hơn 01 lần thì tính quá hạn").
    """
    from motcua.dossiers.models import Dossier
    from motcua.dossiers.workflow import OPEN, Status

    cut = min(clock.now(), period.end)
    qs = Dossier.objects.filter(accepted_at__isnull=False, accepted_at__lt=period.end)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    with_result = Q(result_ready_at__gte=period.start, result_ready_at__lt=period.end)
    ended_other = Q(
        result_ready_at__isnull=True,
        status__in=[Status.REFUSED, Status.STOPPED, Status.WITHDRAWN],
        closed_at__gte=period.start,
        closed_at__lt=period.end,
    )
    still_open = Q(status__in=[int(s) for s in OPEN], result_ready_at__isnull=True)
    once = Q(supplement_requests__lte=1)
    on_time = once & (
        # Result dossiers were classified against the legal due moment when the result came.
        (with_result & Q(result_timeliness__in=["early", "on_time"]))
        | (ended_other & Q(closed_at__lte=F("due_at")))
        | (still_open & Q(paused_at__isnull=False, paused_at__lte=F("due_at")))
        | (still_open & Q(paused_at__isnull=True, due_at__gte=cut))
    )
    counted = with_result | ended_other | still_open
    agg = qs.filter(counted).aggregate(
        handled=Count("id"),
        on_time=Count("id", filter=on_time),
        repeat_supplement=Count("id", filter=Q(supplement_requests__gt=1)),
    )
    return {k: int(v or 0) for k, v in agg.items()}


def index_766(*, period: Period, unit_ids: set[int] | None = None) -> dict[str, Any]:
    """The Decision 766 index: each indicator scored by its rule from what our rows can count."""
    from motcua.catalog.selectors import published_versions
    from motcua.dossiers.models import Dossier
    from motcua.portal.models import ServiceRating

    progress = progress_766_counts(period=period, unit_ids=unit_ids)
    received = Dossier.objects.filter(
        accepted_at__isnull=False, received_at__gte=period.start, received_at__lt=period.end
    )
    ratings = ServiceRating.objects.filter(
        created_at__gte=period.start, created_at__lt=period.end, dossier__isnull=False
    )
    if unit_ids is not None:
        received = received.filter(unit_id__in=unit_ids)
        ratings = ratings.filter(unit_id__in=unit_ids)
    counts = received.aggregate(
        total=Count("id"),
        online=Count("id", filter=Q(channel="online")),
        with_scans=Count("id", filter=Q(attachments__isnull=False), distinct=True),
    )
    versions = list(published_versions().values("channels"))
    dissatisfied = ratings.filter(level="dissatisfied").values("dossier_id").distinct().count()
    handled = progress["handled"]
    values: dict[str, float | None] = {
        # 1.3: the catalogue has no field for "đối tượng thực hiện" (point e): not countable.
        "Số TTHC đang công khai": len(versions),
        "Số TTHC công khai đủ bộ phận tạo thành": None,
        "Số hồ sơ tiếp nhận trong kỳ": counts["total"],
        "Số hồ sơ tiếp nhận, xử lý trong kỳ": handled,
        "Số hồ sơ đã và đang xử lý trước hạn, đúng hạn, trong hạn": progress["on_time"],
        "Số hồ sơ giải quyết quá hạn": handled - progress["on_time"],
        "Số hồ sơ có đánh giá không hài lòng": dissatisfied,
        "Số TTHC thuộc thẩm quyền": len(versions),
        "Số TTHC có dịch vụ công trực tuyến (một phần hoặc toàn trình)": sum(
            1 for v in versions if "online" in (v["channels"] or [])
        ),
        "Số hồ sơ thuộc thẩm quyền": counts["total"],
    }
    # 3.5 and 3.6: online payment, counted by the payments app (issue 12).
    from motcua.payments.selectors import online_payment_counts

    money = online_payment_counts(start=period.start, end=period.end, unit_ids=unit_ids)
    values.update(
        {
            "Số TTHC có hồ sơ đồng bộ dữ liệu phí, lệ phí thanh toán trực tuyến": money[
                "procedures_paid_online"
            ],
            "Số TTHC có phí, lệ phí": money["procedures_charging"],
            "Số hồ sơ thanh toán trực tuyến": money["dossiers_paid_online"],
            "Số hồ sơ của TTHC có phí, lệ phí": money["dossiers_charged"],
        }
    )
    scored = index766.score_index(values)
    scored["counts"] = {
        "handled": handled,
        "on_time": progress["on_time"],
        "repeat_supplement": progress["repeat_supplement"],
        "received": counts["total"],
        "online": counts["online"],
        "with_scans": counts["with_scans"],
    }
    # The former flat rows (one per group), kept for the PDF export and older callers.
    scored["rows"] = [
        {
            "key": g["key"],
            "name": g["name"],
            "max": g["max"],
            "score": g["points"],
            "partial": g["partial_points"],
            "partial_max": g["partial_max"],
            "basis": "; ".join(
                f"{i['key']} {i['name']}: {i['rate_pct']}%"
                for i in g["indicators"]
                if i["rate_pct"] is not None
            ),
            "missing": "; ".join(g["missing"]),
        }
        for g in scored["groups"]
    ]
    scored["note"] = (
        "Điểm theo công thức và ngưỡng của từng chỉ số; chỉ số thiếu dữ liệu hoặc chưa rõ điểm "
        "tối đa trong nhóm được ghi tên ở cột «Còn thiếu» và không được cộng. Hồ sơ yêu cầu bổ "
        "sung hơn một lần tính quá hạn."
    )
    return scored
