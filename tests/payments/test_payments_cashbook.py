"""Each officer's cash book for the day and the handover of the cash with its totals."""

from __future__ import annotations

import io

import pytest
from payments_helpers import receive, vn

from motcua.core.errors import Conflict, PermissionDenied
from motcua.payments import services
from motcua.payments.models import CashHandover, Method, Payment


@pytest.fixture(autouse=True)
def _day(freeze):
    freeze(vn(2026, 3, 10, 10, 0))


def _cash(ward, i, copies=2):
    d = receive(ward, i=i, copies=copies)
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    return services.payment_confirm(payment=p, actor=ward.tiepnhan)


def test_cash_book_totals_and_handover(client, ward, freeze):
    _cash(ward, 1)  # 31.000
    r2 = _cash(ward, 2, copies=1)  # 23.000
    services.receipt_cancel(receipt=r2, actor=ward.lanhdao, reason="Thu nhầm hồ sơ")
    _cash(ward, 3, copies=3)  # 39.000
    client.force_login(ward.tiepnhan)
    html = client.get("/can-bo/thu-phi/so-quy/?ngay=10/03/2026").content.decode()
    assert "Sổ quỹ tiền mặt" in html and "Thu nhầm hồ sơ" in html
    assert "70.000 đồng" in html  # collected: 31.000 + 39.000
    assert "23.000 đồng" in html  # cancelled
    r = client.post("/can-bo/thu-phi/so-quy/", {"received_by": "Lê Thị Thủ Quỹ"}, follow=True)
    assert "Đã bàn giao 70.000 đồng (2 biên lai) cho Lê Thị Thủ Quỹ" in r.content.decode()
    h = CashHandover.objects.get()
    assert (h.amount, h.payments_count, h.officer) == (70000, 2, ward.tiepnhan)
    assert Payment.objects.filter(handover=h).count() == 2
    # Nothing is handed over twice.
    with pytest.raises(Conflict):
        services.cash_handover(actor=ward.tiepnhan, received_by="Lê Thị Thủ Quỹ")
    freeze(vn(2026, 3, 10, 15, 0))
    _cash(ward, 4)
    assert services.cash_handover(actor=ward.tiepnhan, received_by="Thủ quỹ").amount == 31000


def test_cash_book_xlsx_has_the_rows_and_neutralised_text(client, ward):
    from openpyxl import load_workbook

    d = receive(ward, i=5)
    d.citizen.full_name = '=HYPERLINK("http://x")'
    d.citizen.save()
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    p.payer_name = d.citizen.full_name
    p.save()
    services.payment_confirm(payment=p, actor=ward.tiepnhan)
    client.force_login(ward.tiepnhan)
    r = client.get("/can-bo/thu-phi/so-quy/xuat.xlsx?ngay=10/03/2026")
    ws = load_workbook(io.BytesIO(r.content)).active
    values = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "Sổ quỹ tiền mặt 10/03/2026 – Tiepnhan" in values
    assert '\'=HYPERLINK("http://x")' in values and 31000 in values
    assert d.code in values


def test_only_cash_officers_hand_over(ward):
    with pytest.raises(PermissionDenied):
        services.cash_handover(actor=ward.chuyenvien, received_by="X")
