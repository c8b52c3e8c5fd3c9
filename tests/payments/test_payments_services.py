"""Payments and receipts through the services: amounts from the catalogue, permissions, numbering."""

from __future__ import annotations

import pytest
from payments_helpers import receive, vn

from motcua.core.errors import Conflict, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.payments import selectors, services
from motcua.payments.models import Method, Payment, PaymentStatus, Receipt
from motcua.payments.vietqr import parse


@pytest.fixture(autouse=True)
def _day(freeze):
    freeze(vn(2026, 3, 10, 10, 0))


def test_statement_comes_from_the_catalogue_and_counts_payments(ward):
    d = receive(ward, copies=3)
    st = selectors.dossier_fee_statement(d)
    assert [line["amount"] for line in st["lines"]] == [24000, 15000]
    assert st["total"] == 39000 == d.fees_due
    assert (st["paid"], st["outstanding"]) == (0, 39000)
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    services.payment_confirm(payment=p, actor=ward.tiepnhan)
    st = selectors.dossier_fee_statement(d)
    assert (st["paid"], st["outstanding"]) == (39000, 0)


def test_online_channel_is_priced_lower(ward):
    d = receive(ward, channel="online", copies=1)
    assert selectors.dossier_fee_statement(d)["total"] == 8000 + 10000


def test_cash_payment_issues_a_receipt_with_lines_and_words(ward):
    d = receive(ward, copies=2)
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan, key="k1")
    assert p.amount == 31000 and p.status == PaymentStatus.PENDING
    r = services.payment_confirm(payment=p, actor=ward.tiepnhan)
    p.refresh_from_db()
    assert p.status == PaymentStatus.PAID and p.confirmed_by == ward.tiepnhan
    assert (r.series, r.number, r.number_display) == (ward.series, 1, "0000001")
    assert r.amount == 31000 and r.amount_in_words == "Ba mươi mốt nghìn đồng"
    assert [(x["name"], x["amount"]) for x in r.lines] == [
        ("Lệ phí cấp bản sao trích lục", 16000),
        ("Phí khai thác cơ sở dữ liệu hộ tịch", 15000),
    ]
    assert r.payer_name == "Nguyễn Thị Hoa 0" and r.payer_id_number == "001085000000"
    assert r.agency_name == "Phường Hà Đông" and r.issued_by == ward.tiepnhan
    assert r.issued_at == vn(2026, 3, 10, 10, 0)
    assert AuditEvent.objects.filter(action="receipt.issue", object_id=str(r.pk)).exists()


def test_same_key_gives_the_same_payment(ward):
    d = receive(ward)
    a = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan, key="k")
    b = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan, key="k")
    assert a.pk == b.pk and Payment.objects.count() == 1
    with pytest.raises(Conflict) as exc:
        services.payment_create(dossier=d, method=Method.VIETQR, actor=ward.tiepnhan, key="k")
    assert exc.value.code == "payment_key_reused"


def test_nothing_to_pay_is_refused(ward):
    from motcua.dossiers.services import dossier_receive

    d = dossier_receive(
        procedure_code="1.000656",
        channel="direct",
        citizen={"id_number": "001085099999", "full_name": "Lê Văn Cường"},
        unit=ward.unit,
        actor=ward.tiepnhan,
    )
    with pytest.raises(Conflict) as exc:
        services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    assert exc.value.code == "payment_nothing_due"


def test_cash_is_taken_only_by_a_collecting_official_of_the_unit(ward):
    d = receive(ward)
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    for who in (ward.tiepnhan_khac, ward.chuyenvien):
        with pytest.raises(PermissionDenied):
            services.payment_confirm(payment=p, actor=who)
    with pytest.raises(PermissionDenied):
        services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan_khac)
    with pytest.raises(PermissionDenied):  # a citizen never opens a cash payment
        services.payment_create(dossier=d, method=Method.CASH, actor=None)
    assert Receipt.objects.count() == 0
    services.payment_confirm(payment=p, actor=ward.tiepnhan)
    assert Receipt.objects.count() == 1


def test_online_payment_is_confirmed_only_by_the_gateway(ward, settings):
    d = receive(ward)
    p = Payment.objects.create(
        dossier=d,
        method=Method.ONLINE,
        amount=31000,
        reference="PAYTEST",
        created_at=vn(2026, 3, 10),
    )
    with pytest.raises(PermissionDenied):
        services.payment_confirm(payment=p, actor=ward.tiepnhan)


def test_a_dossier_is_paid_once(ward):
    d = receive(ward)
    cash = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    qr = services.payment_create(dossier=d, method=Method.VIETQR, actor=None)
    services.payment_confirm(payment=cash, actor=ward.tiepnhan)
    qr.refresh_from_db()
    assert qr.status == PaymentStatus.CANCELLED  # the open transfer can no longer be paid
    with pytest.raises(Conflict):
        services.payment_confirm(payment=qr, actor=ward.tiepnhan)
    with pytest.raises(Conflict):
        services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)


def test_vietqr_payload_carries_account_amount_and_dossier_code(ward):
    d = receive(ward)
    p = services.payment_create(dossier=d, method=Method.VIETQR, actor=None)
    qr = parse(services.vietqr_payload(p))
    assert (qr.bank_bin, qr.account, qr.amount, qr.purpose) == (
        "970415",
        "113366668888",
        31000,
        d.code,
    )


def test_no_series_no_money(ward):
    ward.series.active = False
    ward.series.save()
    d = receive(ward)
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    with pytest.raises(ValidationFailed) as exc:
        services.payment_confirm(payment=p, actor=ward.tiepnhan)
    assert exc.value.code == "receipt_series_missing"
    p.refresh_from_db()
    assert p.status == PaymentStatus.PENDING  # the whole confirmation rolled back


def test_cancel_with_replacement_names_the_old_receipt(ward):
    d = receive(ward)
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    first = services.payment_confirm(payment=p, actor=ward.tiepnhan)
    with pytest.raises(PermissionDenied):  # the collector does not cancel receipts
        services.receipt_cancel(receipt=first, actor=ward.tiepnhan, reason="Sai tên")
    with pytest.raises(ValidationFailed):
        services.receipt_cancel(receipt=first, actor=ward.lanhdao, reason="  ")
    new = services.receipt_cancel(
        receipt=first, actor=ward.lanhdao, reason="Sai tên người nộp", replace=True
    )
    first.refresh_from_db()
    assert first.is_cancelled and first.cancel_reason == "Sai tên người nộp"
    assert new.replaces == first and new.number == 2 and new.amount == first.amount
    p.refresh_from_db()
    assert p.status == PaymentStatus.PAID
    with pytest.raises(Conflict):
        services.receipt_cancel(receipt=first, actor=ward.lanhdao, reason="Lần nữa")


def test_cancel_without_replacement_voids_the_collection(ward):
    d = receive(ward)
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    r = services.payment_confirm(payment=p, actor=ward.tiepnhan)
    services.receipt_cancel(receipt=r, actor=ward.quanly, reason="Thu nhầm hồ sơ")
    p.refresh_from_db()
    assert p.status == PaymentStatus.CANCELLED
    assert selectors.dossier_fee_statement(d)["outstanding"] == 31000
    # Paid again: the next number of the series, the cancelled one keeps its own.
    again = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    assert services.payment_confirm(payment=again, actor=ward.tiepnhan).number == 2
