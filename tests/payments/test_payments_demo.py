"""The demo history takes money of every kind through the real services, and seeding is idempotent."""

from __future__ import annotations

from payments_helpers import FEES, vn

from factories import ProcedureVersionFactory
from motcua.core import clock
from motcua.dossiers.demo import seed_dossiers
from motcua.dossiers.models import Dossier
from motcua.dossiers.workflow import Status
from motcua.payments.demo import seed_payment_setup
from motcua.payments.models import BankAccount, CallbackLog, Payment, Receipt, ReceiptSeries
from motcua.payments.selectors import dossier_outstanding


def test_history_pays_by_cash_transfer_and_online_with_gapless_receipts(ward):
    ProcedureVersionFactory(
        procedure__code="1.013225",
        name="Cấp giấy phép xây dựng",
        fees=[{**FEES[1], "collect": "result"}],
    )
    with clock.frozen(vn(2026, 3, 31, 16, 0)):
        made = seed_dossiers(count=45, days=30, unit=ward.unit, seed=7)
    assert made >= 40
    methods = set(Payment.objects.filter(status="paid").values_list("method", flat=True))
    assert methods == {"cash", "vietqr", "online"}
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert Receipt.objects.count() == Payment.objects.filter(status="paid").count()
    assert (
        CallbackLog.objects.filter(outcome="paid").count()
        == Payment.objects.filter(method="online", status="paid").count()
    )
    # Nothing was handed over unpaid; a dossier collecting on result went through status 6.
    for d in Dossier.objects.filter(status=Status.RETURNED):
        assert dossier_outstanding(d) == 0
    assert Dossier.objects.filter(events__action="paid").exists()
    # Then the money's own history: daily handovers, a cancelled and a replaced receipt.
    from motcua.payments.demo import seed_money_history
    from motcua.payments.models import CashHandover

    with clock.frozen(vn(2026, 3, 31, 16, 0)):
        made = seed_money_history(days=30)
    assert made["bàn giao tiền mặt"] > 0 and made["biên lai hủy"] == 2
    assert CashHandover.objects.exists()
    assert not Payment.objects.filter(
        method="cash", status="paid", handover__isnull=True, paid_at__lt=vn(2026, 3, 30, 17, 0)
    ).exists()
    assert Receipt.objects.filter(replaces__isnull=False).count() == 1
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))


def test_setup_is_idempotent(ward):
    from factories import UnitFactory

    UnitFactory(code="09556", name="Phường Hà Đông (mẫu)", agency_code="000.00.61.H26")
    with clock.frozen(vn(2026, 3, 31, 16, 0)):
        assert seed_payment_setup() == 2
        assert seed_payment_setup() == 0
    assert ReceiptSeries.objects.filter(unit__code="09556").count() == 2
    assert BankAccount.objects.filter(unit__code="09556").count() == 1


def test_demo_statement_pays_one_dossier_and_leaves_one_line_unmatched(ward):
    from payments_helpers import receive

    from motcua.payments.demo import seed_bank_statements
    from motcua.payments.models import BankStatementLine

    d = receive(ward, i=3)
    with clock.frozen(vn(2026, 3, 11, 9, 0)):
        assert seed_bank_statements(real_now=clock.now(), codes=[ward.unit.code]) == 1
        assert seed_bank_statements(real_now=clock.now(), codes=[ward.unit.code]) == 0
    assert dossier_outstanding(d) == 0
    assert Payment.objects.get(dossier=d, status="paid").method == "vietqr"
    lines = BankStatementLine.objects.order_by("transaction_id")
    assert [(x.status, x.account_id) for x in lines] == [
        ("unmatched", ward.account.pk),
        ("matched", ward.account.pk),
    ]
