"""Refunds for a refused or withdrawn dossier, recorded against the receipt."""

from __future__ import annotations

import io

import pytest
from payments_helpers import receive, vn

from motcua.core.errors import Conflict, PermissionDenied, ValidationFailed
from motcua.core.services import api_token_issue
from motcua.dossiers.services import dossier_act
from motcua.payments import selectors, services
from motcua.payments.models import Method, PaymentStatus, Refund


@pytest.fixture(autouse=True)
def _day(freeze):
    freeze(vn(2026, 3, 10, 10, 0))


def _paid(ward, i=0):
    d = receive(ward, i=i)
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    return d, services.payment_confirm(payment=p, actor=ward.tiepnhan)


def test_withdrawn_dossier_is_refunded_against_its_receipt(client, ward):
    from pypdf import PdfReader

    d, r = _paid(ward)
    with pytest.raises(Conflict) as exc:  # still being processed: no refund
        services.refund_record(receipt=r, actor=ward.lanhdao, reason="x", basis="y")
    assert exc.value.code == "refund_not_allowed"
    dossier_act(dossier=d, action="withdraw", actor=ward.tiepnhan, reason="Công dân rút hồ sơ")
    token = api_token_issue(user=ward.lanhdao)
    r1 = client.post(
        f"/api/v1/receipts/{r.public_id}/refund",
        {
            "reason": "Công dân rút hồ sơ trước khi giải quyết",
            "basis": "Quyết định của Chủ tịch UBND phường",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r1.status_code == 200, r1.content
    body = r1.json()
    assert body["amount"] == 31000 and body["receipt"]["refunded"] is True
    refund = Refund.objects.get()
    assert refund.receipt == r and refund.refunded_by == ward.lanhdao
    r.payment.refresh_from_db()
    assert r.payment.status == PaymentStatus.REFUNDED
    r.refresh_from_db()
    assert r.cancelled_at is None  # the receipt stands: the money was collected, then given back
    assert selectors.paid_total(d) == 0
    pdf = client.get(f"/api/v1/receipts/{r.public_id}.pdf").content
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "ĐÃ HOÀN TRẢ 31.000 đồng" in text
    # Once only.
    again = client.post(
        f"/api/v1/receipts/{r.public_id}/refund",
        {"reason": "lần hai", "basis": "x"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert again.status_code == 409 and again.json()["code"] == "already_refunded"


def test_refund_needs_a_leader_and_a_basis(ward):
    d, r = _paid(ward, i=1)
    dossier_act(dossier=d, action="withdraw", actor=ward.tiepnhan, reason="Rút")
    with pytest.raises(PermissionDenied):
        services.refund_record(receipt=r, actor=ward.tiepnhan, reason="x", basis="y")
    with pytest.raises(ValidationFailed):
        services.refund_record(receipt=r, actor=ward.quanly, reason="x", basis="")
    assert (
        services.refund_record(receipt=r, actor=ward.quanly, reason="x", basis="y").amount == 31000
    )


def test_leader_refunds_from_the_dossier_page(client, ward):
    d, r = _paid(ward, i=2)
    dossier_act(dossier=d, action="withdraw", actor=ward.tiepnhan, reason="Rút")
    client.force_login(ward.lanhdao)
    assert "Hoàn trả phí, lệ phí" in client.get(f"/can-bo/ho-so/{d.code}/").content.decode()
    page = client.post(
        f"/can-bo/thu-phi/ho-so/{d.code}/hoan-tra/{r.public_id}/",
        {"reason": "Rút hồ sơ", "basis": "Điều 5 Nghị quyết HĐND", "method": "cash"},
        follow=True,
    ).content.decode()
    assert "Đã ghi nhận hoàn trả 31.000 đồng" in page and "Đã hoàn trả" in page
