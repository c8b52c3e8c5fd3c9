"""The demo history of deliveries goes through the real services and the real postal adapter."""

from __future__ import annotations

import pytest
from delivery_helpers import vn

from motcua.core import clock
from motcua.delivery.demo import seed_deliveries
from motcua.delivery.models import Delivery, DeliveryStatus, Shipment
from motcua.delivery.selectors import delivery_stats
from motcua.dossiers.workflow import Status


@pytest.fixture(autouse=True)
def _receipt_series(office):
    """The demo office declares its receipt series before the history (the fees are paid)."""
    from motcua.payments.models import ReceiptSeries

    ReceiptSeries.objects.create(
        unit=office.ward, template_number="01BLP0-001", symbol="T-26E", year=2026
    )


def test_demo_has_delivered_birth_certificates_with_cards_and_one_failed_post(office):
    with clock.frozen(vn(2026, 3, 31, 16, 0)):
        made = seed_deliveries(unit=office.ward)
    assert made == 9
    # One result by post waits in the outbox for the job worker (make run sends it).
    from motcua.delivery.models import PostalOrder

    assert list(PostalOrder.objects.values_list("state", flat=True).order_by("state")) == [
        "pending", "sent", "sent", "sent",
    ]  # fmt: skip
    cards = Delivery.objects.filter(card=True, status=DeliveryStatus.DELIVERED)
    assert cards.count() == 4 and all(d.dossier.status == Status.RETURNED for d in cards)
    assert Delivery.objects.filter(method="post", status=DeliveryStatus.FAILED).count() == 1
    assert Shipment.objects.filter(status="returned").count() == 1
    assert Delivery.objects.filter(card=True, status=DeliveryStatus.READY).count() == 1
    stats = {r["method"]: r for r in delivery_stats(unit_ids=[office.ward.pk])}
    assert stats["home"]["delivered"] == 4 and stats["home"]["success_pct"] == 100.0
    assert stats["post"]["delivered"] == 2 and stats["post"]["failed"] == 1
    assert stats["post"]["success_pct"] == 66.7
    # Post: result ready 10:30, delivered two days later at 10:00.
    assert 1.9 <= stats["post"]["mean_days"] <= 2.0


def test_dashboard_and_stats_api_show_delivery_success(office, client):
    from factories import StaffRoleFactory, UserFactory
    from motcua.org.models import Role

    with clock.frozen(vn(2026, 3, 31, 16, 0)):
        seed_deliveries(unit=office.ward)
    manager = UserFactory(username="quanly")
    StaffRoleFactory(user=manager, unit=office.ward, role=Role.MANAGER)
    client.force_login(manager)
    page = client.get("/can-bo/bao-cao/", {"from": "01/03/2026", "to": "31/03/2026"})
    html = page.content.decode()
    assert page.status_code == 200 and "Trả kết quả tại nhà và qua bưu chính" in html
    assert "Qua dịch vụ bưu chính công ích" in html and "66,7%" in html
    rows = client.get("/api/v1/stats/deliveries").json()["rows"]
    assert {r["method"]: r["failed"] for r in rows} == {"home": 0, "post": 1}
