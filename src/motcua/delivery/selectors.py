"""Reads of the delivery app: a dossier's delivery with its tracking, tasks, and the dashboard figures."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from motcua.core import clock
from motcua.delivery.models import Delivery, DeliveryStatus, Direction, Method, Shipment


def delivery_view(*, delivery: Delivery, public: bool = False) -> dict[str, Any]:
    """method, status, waybill, events (the operator's tracking, then the handover)."""
    shipment = (
        Shipment.objects.filter(dossier_id=delivery.dossier_id, direction=Direction.OUT)
        .order_by("-created_at")
        .first()
    )
    events: list[dict[str, Any]] = []
    if shipment is not None:
        for e in shipment.events.all():
            events.append(
                {"at": e.occurred_at, "status": e.status, "location": e.location, "note": e.note}
            )
    if delivery.delivered_at and delivery.method != Method.POST:
        events.append(
            {"at": delivery.delivered_at, "status": "handed_over", "location": "", "note": ""}
        )
    out: dict[str, Any] = {
        "method": delivery.method,
        "method_label": Method(delivery.method).label,
        "status": delivery.status,
        "status_label": DeliveryStatus(delivery.status).label,
        "waybill": shipment.waybill if shipment else None,
        "postage": shipment.postage if shipment else 0,
        "due_at": delivery.due_at,
        "delivered_at": delivery.delivered_at,
        "events": events,
    }
    if not public:
        out.update(
            address=delivery.address,
            recipient_name=delivery.recipient_name,
            phone=delivery.phone,
            card=delivery.card,
            child_name=delivery.child_name,
            task_note=delivery.task_note,
            received_by_name=delivery.received_by_name,
            has_signature=bool(delivery.proof_signature),
            has_photo=bool(delivery.proof_photo),
        )
    return out


def delivery_tasks(
    *, unit_ids: Collection[int], method: str = "", state: str = "open", q: str = ""
) -> QuerySet[Delivery]:
    """Delivery tasks, soonest due first.

    `state`: "open" (result ready or back from the post, not yet handed over), "failed" (back
    from the post only), "shipped" (handed to the post, not yet delivered). `q`: the dossier's
    code or the recipient's name (any case).
    """
    states = {
        "open": [DeliveryStatus.READY, DeliveryStatus.FAILED],
        "failed": [DeliveryStatus.FAILED],
        "shipped": [DeliveryStatus.SHIPPED, DeliveryStatus.IN_TRANSIT],
    }.get(state, [DeliveryStatus.READY, DeliveryStatus.FAILED])
    qs = Delivery.objects.filter(dossier__unit_id__in=unit_ids, status__in=states).select_related(
        "dossier", "dossier__procedure_version", "dossier__citizen"
    )
    if method:
        qs = qs.filter(method=method)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(dossier__code__iexact=q)
            | Q(dossier__reference__iexact=q)
            | Q(recipient_name__icontains=q)
        )
    return qs.order_by("due_at", "id")


def latest_shipment(*, dossier_id: int) -> Shipment | None:
    """The dossier's last outbound parcel (the result sent by post), if any."""
    return (
        Shipment.objects.filter(dossier_id=dossier_id, direction=Direction.OUT)
        .order_by("-created_at")
        .first()
    )


def _day_start(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time(), tzinfo=clock.VN_TZ)


def delivery_stats(
    *,
    unit_ids: Collection[int] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict[str, Any]]:
    """Per method: results to deliver, delivered, failed, success rate and mean days to deliver.

    Days to deliver run from the result being ready to the citizen holding it (the postman's
    delivery for post, the handover for home and counter); one SQL aggregate.
    """
    qs = Delivery.objects.exclude(task_at__isnull=True)
    if unit_ids is not None:
        qs = qs.filter(dossier__unit_id__in=unit_ids)
    if date_from:
        qs = qs.filter(task_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(task_at__lt=_day_start(date_to + timedelta(days=1)))
    took = ExpressionWrapper(F("delivered_at") - F("task_at"), output_field=DurationField())
    rows = (
        qs.values("method")
        .annotate(
            total=Count("id"),
            delivered=Count("id", filter=Q(status=DeliveryStatus.DELIVERED)),
            failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
            on_the_way=Count(
                "id", filter=Q(status__in=[DeliveryStatus.SHIPPED, DeliveryStatus.IN_TRANSIT])
            ),
            mean=Avg(took, filter=Q(status=DeliveryStatus.DELIVERED), output_field=DurationField()),
        )
        .order_by("method")
    )
    out = []
    for row in rows:
        r: dict[str, Any] = dict(row)
        done = r["delivered"] + r["failed"]
        mean = r.pop("mean")
        if mean is not None and not isinstance(mean, timedelta):  # SQLite: microseconds
            mean = timedelta(microseconds=float(mean))
        r["method_label"] = Method(r["method"]).label
        r["success_pct"] = round(100 * r["delivered"] / done, 1) if done else None
        r["mean_days"] = round(mean.total_seconds() / 86400, 1) if mean is not None else None
        out.append(r)
    return out
