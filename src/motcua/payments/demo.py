"""Demo money: a receipt series and a collection account per demo ward, and payments in the history.

Everything goes through the real services (payment_create, payment_confirm, the gateway's
signed callback) with the clock moved back, so receipts are numbered as the office would have
numbered them. Idempotent: the setup is get-or-create and the history is paid as it is made.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.payments.gateways import GatewayOrder, PublicServiceGateway, conf, sign
from motcua.payments.models import BankAccount, Method, ReceiptSeries

# Short names for the series symbol and the (fictitious) account of each demo ward.
WARD_SHORT = {
    "09556": ("HD", "113000095560", "UBND PHUONG HA DONG"),
    "09886": ("DN", "113000098860", "UBND PHUONG DUONG NOI"),
    "09562": ("YN", "113000095620", "UBND PHUONG YEN NGHIA"),
    "09568": ("PL", "113000095680", "UBND PHUONG PHU LUONG"),
    "09552": ("KH", "113000095520", "UBND PHUONG KIEN HUNG"),
}
TEMPLATE_NUMBER = "01BLP0-001"
DEMO_BANK_BIN = "970415"  # VietinBank's BIN in the NAPAS list
DEMO_BANK_NAME = "VietinBank"


def seed_payment_setup(years: tuple[int, ...] | None = None) -> int:
    """A receipt series per demo ward for this year and last (the history crosses New Year), and an account."""
    from motcua.org.models import Unit

    today = clock.today()
    years = years or (today.year - 1, today.year)
    made = 0
    for unit in Unit.objects.filter(code__in=WARD_SHORT):
        short, account, account_name = WARD_SHORT[unit.code]
        for year in years:
            _, created = ReceiptSeries.objects.get_or_create(
                unit=unit,
                template_number=TEMPLATE_NUMBER,
                symbol=f"{short}-{year % 100:02d}E",
                year=year,
            )
            made += int(created)
        BankAccount.objects.get_or_create(
            unit=unit,
            account_number=account,
            defaults={
                "bank_bin": DEMO_BANK_BIN,
                "bank_name": DEMO_BANK_NAME,
                "account_name": account_name,
            },
        )
    return made


class DemoGateway(PublicServiceGateway):
    """The public-service gateway with orders made in process (the history has no stand-in running)."""

    def create_order(self, *, payment: Any, return_path: str) -> GatewayOrder:
        order_id = f"DEMO{payment.pk:08d}"
        return GatewayOrder(order_id=order_id, redirect_url=f"{self.base_url}/pay/{order_id}")


def _signed_callback(payment: Any, at: datetime) -> tuple[bytes, dict[str, str]]:
    """The callback the gateway would have sent for a successful payment at `at`."""
    body = json.dumps(
        {
            "merchant_code": conf("PAYMENT_GATEWAY_MERCHANT"),
            "order_id": payment.provider_order_id,
            "order_ref": payment.reference,
            "amount": int(payment.amount),
            "status": "success",
            "transaction_id": f"DEMO-TX-{payment.pk:08d}",
            "timestamp": int(at.timestamp()),
        }
    ).encode()
    return body, {"X-Signature": sign(conf("PAYMENT_GATEWAY_SECRET"), body)}


def pay_in_history(
    rng: random.Random, dossier: Any, *, collector: Any, at: datetime, real_now: datetime
) -> str:
    """Pay what a demo dossier owes at `at` the way its citizen would have; returns the method or ""."""
    from motcua.payments import services
    from motcua.payments.selectors import dossier_outstanding

    if at >= real_now or dossier_outstanding(dossier) <= 0:
        return ""
    if dossier.channel == "online":
        method = Method.ONLINE if rng.random() < 0.7 else Method.VIETQR
    else:
        method = Method.CASH if rng.random() < 0.75 else Method.VIETQR
    try:
        with clock.frozen(at):
            if method == Method.CASH:
                payment = services.payment_create(
                    dossier=dossier, method=method, actor=collector, key=f"demo-{dossier.pk}"
                )
                services.payment_confirm(payment=payment, actor=collector)
                return method
            payment = services.payment_create(
                dossier=dossier,
                method=method,
                key=f"demo-{dossier.pk}",
                gw=DemoGateway() if method == Method.ONLINE else None,
            )
        # The transfer shows on the account (or the gateway calls back) a little later.
        later = min(at + timedelta(minutes=rng.randint(3, 90)), real_now - timedelta(seconds=1))
        with clock.frozen(later):
            if method == Method.ONLINE:
                body, headers = _signed_callback(payment, later)
                services.payment_callback(provider=payment.provider, body=body, headers=headers)
            else:
                services.payment_confirm(payment=payment, actor=collector)
    except DomainError:
        return ""  # e.g. no series for that year: the dossier stays owing, as a real one would
    return method


def seed_money_history(*, days: int = 90) -> dict[str, int]:
    """After the dossier history: daily cash handovers, a few receipts cancelled (one replaced)
    and refunds for withdrawn dossiers, all through the services with the clock moved back."""
    from datetime import time as dtime

    from motcua.dossiers.workflow import Status
    from motcua.org.models import Role, StaffRole
    from motcua.payments import services
    from motcua.payments.models import Payment, PaymentStatus, Receipt, Refund

    real_now = clock.now()
    made = {"bàn giao tiền mặt": 0, "biên lai hủy": 0, "hoàn trả": 0}
    officers = {
        p.confirmed_by_id: p.confirmed_by
        for p in Payment.objects.filter(
            method=Method.CASH, status=PaymentStatus.PAID, handover__isnull=True
        ).select_related("confirmed_by")
        if p.confirmed_by_id
    }
    start = clock.today() - timedelta(days=days)
    for i in range(days + 1):
        day = start + timedelta(days=i)
        at = datetime.combine(day, dtime(17, 0), tzinfo=clock.VN_TZ)
        if at >= real_now:
            break
        for officer in officers.values():
            with clock.frozen(at):
                try:
                    services.cash_handover(
                        actor=officer, received_by="Nguyễn Thị Thu (thủ quỹ)", until=at
                    )
                except DomainError:
                    continue  # nothing taken that day
            made["bàn giao tiền mặt"] += 1

    def leader_of(receipt: Any) -> Any:
        role = StaffRole.objects.filter(role=Role.LEADER, unit=receipt.dossier.unit).first()
        return role.user if role else None

    for n, receipt in enumerate(
        Receipt.objects.filter(cancelled_at__isnull=True, method=Method.VIETQR)
        .exclude(dossier__status__in=[Status.WITHDRAWN, Status.REFUSED])
        .order_by("issued_at")[:2]
    ):
        leader = leader_of(receipt)
        if leader is None:
            continue
        with clock.frozen(receipt.issued_at + timedelta(hours=2)):
            services.receipt_cancel(
                receipt=receipt,
                actor=leader,
                reason="Ghi sai họ tên người nộp tiền." if n == 0 else "Thu trùng khoản.",
                replace=n == 0,
            )
        made["biên lai hủy"] += 1
    for receipt in Receipt.objects.filter(
        cancelled_at__isnull=True,
        dossier__status=Status.WITHDRAWN,
        payment__status=PaymentStatus.PAID,
    ).select_related("dossier"):
        leader = leader_of(receipt)
        if leader is None or Refund.objects.filter(receipt=receipt).exists():
            continue
        closed = receipt.dossier.closed_at or real_now
        with clock.frozen(min(closed + timedelta(hours=1), real_now)):
            try:
                services.refund_record(
                    receipt=receipt,
                    actor=leader,
                    reason="Công dân rút hồ sơ trước khi giải quyết.",
                    basis="Quy định hoàn trả phí, lệ phí của đơn vị (bản trình diễn)",
                )
            except DomainError:
                continue
        made["hoàn trả"] += 1
    made["sao kê ngân hàng"] = seed_bank_statements(real_now=real_now)
    return made


def seed_bank_statements(*, real_now: datetime, codes: list[str] | None = None) -> int:
    """Yesterday's statement of each demo ward's account, imported by its reception: one
    transfer that pays a dossier still owing (matched, receipt issued) and one credit nobody
    can match (left on the reconciliation page). Idempotent on the bank's transaction ids."""
    from motcua.dossiers.models import Dossier
    from motcua.dossiers.workflow import Status
    from motcua.org.models import Role, StaffRole, Unit
    from motcua.payments.models import BankStatementLine
    from motcua.payments.reconciliation import statement_import
    from motcua.payments.selectors import dossier_outstanding

    imported = 0
    at = datetime.combine(
        clock.local(real_now).date() - timedelta(days=1), datetime.min.time(), tzinfo=clock.VN_TZ
    ) + timedelta(hours=16)
    for unit in Unit.objects.filter(code__in=codes or list(WARD_SHORT)).order_by("code"):
        prefix = f"DEMO-BANK-{unit.code}-"
        if BankStatementLine.objects.filter(transaction_id__startswith=prefix).exists():
            continue
        role = StaffRole.objects.filter(role=Role.RECEPTION, unit=unit).first()
        account = BankAccount.objects.filter(unit=unit, active=True).first()
        if role is None or account is None:
            continue
        owing = next(
            (
                d
                for d in Dossier.objects.filter(unit=unit)
                .exclude(
                    status__in=[Status.RETURNED, Status.REFUSED, Status.WITHDRAWN, Status.STOPPED]
                )
                .order_by("-received_at")[:300]
                if dossier_outstanding(d) > 0
            ),
            None,
        )
        day = f"{at:%d/%m/%Y}"
        lines = [f"1;{day};{prefix}1;;50.000;CHUYEN TIEN NHAM TAI KHOAN"]
        if owing is not None:
            amount = f"{dossier_outstanding(owing):,}".replace(",", ".")
            lines.append(f"2;{day};{prefix}2;;{amount};NOP PHI HO SO {owing.code}")
        content = (
            f"\ufeffSAO KÊ TÀI KHOẢN;;;;;\nSố tài khoản;{account.account_number};;;;\n"
            "STT;Ngày giao dịch;Số tham chiếu;Ghi nợ;Ghi có;Nội dung\n" + "\n".join(lines) + "\n"
        ).encode()
        with clock.frozen(min(at, real_now - timedelta(seconds=1))):
            try:
                statement_import(
                    content=content, filename=f"sao-ke-{unit.code}.csv", actor=role.user
                )
            except DomainError:
                continue
        imported += 1
    return imported
