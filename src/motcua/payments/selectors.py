"""Reads of the payments app: what a dossier owes and has paid, receipts by their handles."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum

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
