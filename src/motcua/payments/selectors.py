"""Reads of the payments app: what a dossier owes and has paid, receipts by their handles."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, Sum

from motcua.core.errors import NotFound
from motcua.payments.models import Payment, PaymentStatus, Receipt


def fee_detail_of(dossier: Any) -> dict[str, Any]:
    """The priced fee lines of a dossier: frozen at reception by catalog.fees.fee_compute.

    Dossiers received before the detail was kept are priced by the same function from their
    procedure version, channel, quantities and exemption (published versions never change).
    """
    detail = dossier.fee_detail or {}
    if detail.get("lines") is not None and "total" in detail:
        return dict(detail)
    from motcua.catalog.fees import FeeError, fee_compute

    try:
        result = fee_compute(
            dossier.procedure_version,
            channel=dossier.channel,
            quantities=dossier.fee_quantities or None,
            exemption=dossier.fee_exemption or None,
        )
    except FeeError:
        result = fee_compute(dossier.procedure_version, channel=dossier.channel)
    return result.as_dict()


def paid_total(dossier: Any) -> int:
    """Money collected for the dossier and not given back (paid payments)."""
    value = Payment.objects.filter(dossier=dossier, status=PaymentStatus.PAID).aggregate(
        s=Sum("amount")
    )["s"]
    return int(value or 0)


def dossier_outstanding(dossier: Any) -> int:
    """What the dossier still owes (0 when paid, exempt or free)."""
    total = int(fee_detail_of(dossier).get("total", 0))
    if total <= 0:
        return 0
    return max(total - paid_total(dossier), 0)


def collects_on_result(dossier: Any) -> bool:
    """Whether the dossier's procedure collects its charges and fees when the result is handed over."""
    from motcua.catalog.fees import collect_moment

    return collect_moment(dossier.procedure_version.fees or []) == "result"


def dossier_fee_statement(dossier: Any) -> dict[str, Any]:
    """Lines, exemption, total, paid and outstanding of a dossier (GET /dossiers/{code}/fees)."""
    detail = fee_detail_of(dossier)
    total = int(detail.get("total", 0))
    paid = paid_total(dossier)
    lines = [
        {
            "name": line.get("name", ""),
            "kind": line.get("kind", ""),
            "kind_label": line.get("kind_label", ""),
            "unit": line.get("unit", "case"),
            "basis": line.get("basis", ""),
            "quantities": line.get("quantities", {}),
            "gross": int(line.get("gross", 0)),
            "amount": int(line.get("amount", 0)),
            "exempt": bool(line.get("exempt", False)),
        }
        for line in detail.get("lines", [])
    ]
    exemptions = [
        {
            "name": line["name"],
            "group": line.get("exemption_group", ""),
            "basis": line.get("exemption_basis", ""),
            "reduction": int(line.get("gross", 0)) - int(line.get("amount", 0)),
        }
        for line in detail.get("lines", [])
        if line.get("exempt")
    ]
    return {
        "code": dossier.code,
        "channel": detail.get("channel", dossier.channel),
        "lines": lines,
        "exemption": detail.get("exemption", ""),
        "exemption_proof": getattr(dossier, "fee_exemption_proof", ""),
        "exemptions": exemptions,
        "gross": int(detail.get("gross", total)),
        "total": total,
        "paid": paid,
        "outstanding": max(total - paid, 0),
        "collect": "result" if collects_on_result(dossier) else "reception",
    }


def payment_by_public_id(public_id: str) -> Payment:
    payment = Payment.objects.select_related("dossier").filter(public_id=public_id or "-").first()
    if payment is None:
        raise NotFound("Không tìm thấy khoản thanh toán.", code="payment_not_found")
    return payment


def receipt_valid_for(payment: Payment) -> Receipt | None:
    """The receipt in force for a payment (cancelled ones excluded)."""
    return payment.receipts.filter(cancelled_at__isnull=True).first()


def dossier_receipts(dossier: Any) -> list[dict[str, Any]]:
    """The dossier's receipts, newest first, as the pages list them."""
    from motcua.core import clock
    from motcua.payments.documents import receipt_download_path

    rows = []
    for r in (
        Receipt.objects.filter(dossier=dossier)
        .select_related("series", "payment")
        .order_by("-issued_at", "-id")
    ):
        rows.append(
            {
                "id": r.public_id,
                "label": f"{r.series.symbol} số {r.number_display}",
                "amount_display": f"{int(r.amount):,}".replace(",", "."),
                "method_label": r.get_method_display(),
                "issued_at": clock.local(r.issued_at),
                "cancelled": r.is_cancelled,
                "refunded": r.payment.status == PaymentStatus.REFUNDED,
                "pdf_url": receipt_download_path(r),
            }
        )
    return rows


def cash_book(officer: Any, day: Any) -> dict[str, Any]:
    """One officer's cash for a day: receipts, refunds, handovers and what is still in the drawer."""
    from datetime import datetime, time, timedelta

    from motcua.core.clock import VN_TZ
    from motcua.payments.models import CashHandover, Method, Refund

    start = datetime.combine(day, time.min, tzinfo=VN_TZ)
    end = start + timedelta(days=1)
    receipts = list(
        Receipt.objects.filter(
            issued_by=officer, method=Method.CASH, issued_at__gte=start, issued_at__lt=end
        )
        .select_related("series", "dossier", "payment")
        .order_by("issued_at", "id")
    )
    collected = sum(int(r.amount) for r in receipts if r.cancelled_at is None)
    cancelled = sum(int(r.amount) for r in receipts if r.cancelled_at is not None)
    refunds = list(
        Refund.objects.filter(
            refunded_by=officer, method=Method.CASH, refunded_at__gte=start, refunded_at__lt=end
        ).select_related("receipt__series")
    )
    handovers = list(
        CashHandover.objects.filter(
            officer=officer, handed_at__gte=start, handed_at__lt=end
        ).order_by("handed_at")
    )
    drawer = Payment.objects.filter(
        method=Method.CASH, status=PaymentStatus.PAID, confirmed_by=officer, handover__isnull=True
    ).aggregate(s=Sum("amount"))["s"]
    return {
        "day": day,
        "receipts": receipts,
        "collected": collected,
        "cancelled": cancelled,
        "refunds": refunds,
        "refunded": sum(int(r.amount) for r in refunds),
        "handovers": handovers,
        "handed_over": sum(int(h.amount) for h in handovers),
        "on_hand": int(drawer or 0),
    }


def online_payment_counts(
    *, start: Any, end: Any, unit_ids: set[int] | None = None
) -> dict[str, int]:
    """Indicators 3.5 and 3.6 of Decision 766 (online payment) as our rows can count them.

    3.6: dossiers received in the period whose procedure charges something (fees_due > 0), and
    among them those paid through the online gateway. 3.5: procedures that charge something,
    and among them those with at least one dossier paid online in the period (our stand-in for
    "integrated with online payment": this system does not itself sync fee data nationally).
    """
    from django.db.models import Count, Exists, OuterRef

    from motcua.catalog.selectors import published_versions
    from motcua.dossiers.models import Dossier
    from motcua.payments.models import Method

    online_paid = Payment.objects.filter(
        dossier=OuterRef("pk"),
        method=Method.ONLINE,
        status__in=[PaymentStatus.PAID, PaymentStatus.REFUNDED],
    )
    received = Dossier.objects.filter(
        received_at__gte=start, received_at__lt=end, fees_due__gt=0
    ).annotate(paid_online=Exists(online_paid))
    if unit_ids is not None:
        received = received.filter(unit_id__in=unit_ids)
    agg = received.aggregate(charged=Count("id"), online=Count("id", filter=Q(paid_online=True)))
    charging = {
        v.procedure_id
        for v in published_versions()
        if any(int(line.get("amount") or 0) > 0 for line in (v.fees or []))
    }
    with_online = set(
        received.filter(paid_online=True, procedure_id__in=charging)
        .values_list("procedure_id", flat=True)
        .distinct()
    )
    return {
        "dossiers_charged": int(agg["charged"] or 0),
        "dossiers_paid_online": int(agg["online"] or 0),
        "procedures_charging": len(charging),
        "procedures_paid_online": len(with_online),
    }


def money_summary(*, start: Any, end: Any, unit_ids: set[int] | None = None) -> dict[str, Any]:
    """Money collected in a period by method (valid receipts), refunds, and what is owed."""
    from django.db.models import Count

    from motcua.payments.models import Refund

    receipts = Receipt.objects.filter(
        issued_at__gte=start, issued_at__lt=end, cancelled_at__isnull=True
    )
    refunds = Refund.objects.filter(refunded_at__gte=start, refunded_at__lt=end)
    if unit_ids is not None:
        receipts = receipts.filter(dossier__unit_id__in=unit_ids)
        refunds = refunds.filter(dossier__unit_id__in=unit_ids)
    by_method = {
        row["method"]: {"count": row["n"], "amount": int(row["s"] or 0)}
        for row in receipts.values("method").annotate(n=Count("id"), s=Sum("amount"))
    }
    from motcua.payments.models import Method

    methods = [
        {
            "method": m.value,
            "label": m.label,
            "count": by_method.get(m.value, {}).get("count", 0),
            "amount": by_method.get(m.value, {}).get("amount", 0),
        }
        for m in Method
    ]
    total = sum(m["amount"] for m in methods)
    refunded = int(refunds.aggregate(s=Sum("amount"))["s"] or 0)
    return {
        "methods": methods,
        "receipts": sum(m["count"] for m in methods),
        "total": total,
        "refunded": refunded,
        "net": total - refunded,
    }


def daily_reconciliation(*, unit: Any, day: Any) -> dict[str, Any]:
    """One office's day: money received by method against the receipts issued, and the gaps."""
    from datetime import datetime, time, timedelta

    from django.db.models import Count

    from motcua.core.clock import VN_TZ
    from motcua.payments.models import Method

    start = datetime.combine(day, time.min, tzinfo=VN_TZ)
    end = start + timedelta(days=1)
    unit_ids = unit.descendant_ids()
    paid = Payment.objects.filter(
        dossier__unit_id__in=unit_ids,
        paid_at__gte=start,
        paid_at__lt=end,
        status__in=[PaymentStatus.PAID, PaymentStatus.REFUNDED],
    )
    receipts = Receipt.objects.filter(
        dossier__unit_id__in=unit_ids,
        issued_at__gte=start,
        issued_at__lt=end,
        cancelled_at__isnull=True,
    )
    money = {
        r["method"]: (r["n"], int(r["s"] or 0))
        for r in paid.values("method").annotate(n=Count("id"), s=Sum("amount"))
    }
    issued = {
        r["method"]: (r["n"], int(r["s"] or 0))
        for r in receipts.values("method").annotate(n=Count("id"), s=Sum("amount"))
    }
    rows = []
    for m in Method:
        n_paid, s_paid = money.get(m.value, (0, 0))
        n_rec, s_rec = issued.get(m.value, (0, 0))
        rows.append(
            {
                "method": m.value,
                "label": m.label,
                "paid_count": n_paid,
                "paid_amount": s_paid,
                "receipt_count": n_rec,
                "receipt_amount": s_rec,
                "difference": s_paid - s_rec,
                "ok": (n_paid, s_paid) == (n_rec, s_rec),
            }
        )
    from django.db.models import Exists, OuterRef

    valid_receipt = Receipt.objects.filter(payment=OuterRef("pk"), cancelled_at__isnull=True)
    without_receipt = list(
        paid.annotate(has_receipt=Exists(valid_receipt))
        .filter(has_receipt=False)
        .select_related("dossier")[:200]
    )
    cash = paid.filter(method=Method.CASH)
    handed = int(cash.filter(handover__isnull=False).aggregate(s=Sum("amount"))["s"] or 0)
    cash_total = int(cash.aggregate(s=Sum("amount"))["s"] or 0)
    return {
        "unit": unit,
        "day": day,
        "rows": rows,
        "ok": all(r["ok"] for r in rows) and not without_receipt,
        "without_receipt": without_receipt,
        "cash_total": cash_total,
        "cash_handed_over": handed,
        "cash_not_handed_over": cash_total - handed,
    }


def receipt_usage(*, series: Any, date_from: Any, date_to: Any) -> dict[str, Any]:
    """Receipt usage of one series over a period: issued, cancelled, replaced, first and last numbers."""
    from datetime import datetime, time, timedelta

    from motcua.core.clock import VN_TZ

    start = datetime.combine(date_from, time.min, tzinfo=VN_TZ)
    end = datetime.combine(date_to, time.min, tzinfo=VN_TZ) + timedelta(days=1)
    issued = list(
        Receipt.objects.filter(series=series, issued_at__gte=start, issued_at__lt=end)
        .select_related("replaces")
        .order_by("number")
    )
    numbers = [r.number for r in issued]
    cancelled = [r for r in issued if r.cancelled_at is not None]
    replacements = [r for r in issued if r.replaces_id is not None]
    valid = [r for r in issued if r.cancelled_at is None]
    gaps = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers)) if numbers else []
    return {
        "series": series,
        "date_from": date_from,
        "date_to": date_to,
        "issued": len(issued),
        "first": numbers[0] if numbers else None,
        "last": numbers[-1] if numbers else None,
        "cancelled": len(cancelled),
        "cancelled_numbers": [r.number for r in cancelled],
        "replaced": len(replacements),
        "replacements": [
            (r.number, r.replaces.number if r.replaces else None) for r in replacements
        ],
        "valid": len(valid),
        "valid_amount": sum(int(r.amount) for r in valid),
        "gaps": gaps,
        "receipts": issued,
    }
