"""Counted: receipt usage report, daily reconciliation per office, the dashboard, index 766 (3.5, 3.6)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from payments_helpers import receive, vn

from motcua.payments import selectors, services
from motcua.payments.models import Method, Payment


@pytest.fixture(autouse=True)
def _day(freeze):
    freeze(vn(2026, 3, 10, 10, 0))


def _cash(ward, i):
    d = receive(ward, i=i)
    p = services.payment_create(dossier=d, method=Method.CASH, actor=ward.tiepnhan)
    return services.payment_confirm(payment=p, actor=ward.tiepnhan)


def test_receipts_report_command_text_xlsx_and_pdf(ward, tmp_path):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    _cash(ward, 1)
    r2 = _cash(ward, 2)
    _cash(ward, 3)
    services.receipt_cancel(receipt=r2, actor=ward.lanhdao, reason="Sai tên", replace=True)
    r4 = _cash(ward, 4)
    services.receipt_cancel(receipt=r4, actor=ward.lanhdao, reason="Thu nhầm")
    out = io.StringIO()
    xlsx, pdf = tmp_path / "bc.xlsx", tmp_path / "bc.pdf"
    call_command(
        "receipts_report",
        "--from", "01/03/2026", "--to", "31/03/2026", "--series", "HD-26E",
        "--xlsx", str(xlsx), "--pdf", str(pdf),
        stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "Số biên lai đã lập: 5" in text
    assert "Từ số: 0000001" in text and "Đến số: 0000005" in text
    assert "Số biên lai đã hủy: 2" in text and "Các số đã hủy: 0000002, 0000005" in text
    assert "số 0000004 thay số 0000002" in text
    assert "Tổng tiền phí, lệ phí trong kỳ (biên lai hợp lệ, đồng): 93.000" in text
    assert "Biên lai thu phí, lệ phí không có mệnh giá" in text
    assert "Số bị bỏ trống trong dãy: Không" in text
    values = [c for row in load_workbook(xlsx).active.iter_rows(values_only=True) for c in row]
    assert "Báo cáo tình hình sử dụng biên lai 01BLP0-001 HD-26E" in values and "0000005" in values
    pdf_text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "TÌNH HÌNH SỬ DỤNG BIÊN LAI" in pdf_text and "0000002, 0000005" in pdf_text


def test_daily_reconciliation_per_office_and_dashboard_money(client, ward):
    from factories import OfficeFactory

    office = OfficeFactory(unit=ward.unit, name="Bộ phận một cửa phường Hà Đông")
    _cash(ward, 1)
    d = receive(ward, i=2)
    p = services.payment_create(dossier=d, method=Method.VIETQR)
    services.payment_confirm(payment=p, actor=ward.tiepnhan)
    rec = selectors.daily_reconciliation(unit=ward.unit, day=vn(2026, 3, 10).date())
    rows = {r["method"]: r for r in rec["rows"]}
    assert (rows["cash"]["paid_amount"], rows["cash"]["receipt_amount"]) == (31000, 31000)
    assert rows["vietqr"]["receipt_count"] == 1 and rec["ok"]
    assert rec["cash_not_handed_over"] == 31000
    # A paid payment whose receipt was lost (written behind the services' back) shows up.
    ghost = Payment.objects.create(
        dossier=receive(ward, i=3), method="cash", amount=31000, reference="PAYGHOST00001",
        status="paid", created_at=vn(2026, 3, 10, 9, 0), paid_at=vn(2026, 3, 10, 9, 30),
    )  # fmt: skip
    rec = selectors.daily_reconciliation(unit=ward.unit, day=vn(2026, 3, 10).date())
    assert not rec["ok"] and rec["without_receipt"] == [ghost]
    client.force_login(ward.quanly)
    html = client.get("/can-bo/thu-phi/doi-chieu/?ngay=10/03/2026").content.decode()
    assert office.name in html and "Chênh lệch" in html and "PAYGHOST00001" in html
    money = selectors.money_summary(start=vn(2026, 3, 1), end=vn(2026, 4, 1))
    assert money["total"] == 62000 and money["receipts"] == 2


def test_index_766_online_payment(ward):
    from motcua.reports.selectors import Period, index_766

    on = receive(ward, i=1, channel="online")
    p = services.payment_create(dossier=on, method=Method.ONLINE, gw=_FakeGateway())
    services.payment_confirm(payment=p, system=True, provider_transaction_id="T1")
    receive(ward, i=2)  # charged, paid nowhere yet
    counts = selectors.online_payment_counts(start=vn(2026, 3, 1), end=vn(2026, 4, 1))
    assert counts == {
        "dossiers_charged": 2,
        "dossiers_paid_online": 1,
        "procedures_charging": 1,
        "procedures_paid_online": 1,
    }
    index = index_766(period=Period(vn(2026, 3, 1).date(), vn(2026, 3, 31).date()))
    online = {i["key"]: i for g in index["groups"] for i in g["indicators"] if g["key"] == "online"}
    assert online["3.6"]["rate_pct"] == 50.0 and online["3.5"]["rate_pct"] == 100.0


class _FakeGateway:
    name = "dvc"

    def create_order(self, *, payment, return_path):
        from motcua.payments.gateways import GatewayOrder

        return GatewayOrder(order_id=f"O{payment.pk}", redirect_url="http://127.0.0.1:9/pay")
