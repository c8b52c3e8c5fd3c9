"""Demo history: through the services (statuses and events consistent) and in bulk (codes continue)."""

from __future__ import annotations

import pytest
from django.db.models import Count
from dossiers_helpers import CITIZEN, vn

from motcua.core import clock
from motcua.dossiers.demo import seed_dossiers
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.services import dossier_receive

pytestmark = pytest.mark.django_db


def test_seed_through_services_gives_consistent_history(office):
    from motcua.payments.models import ReceiptSeries

    # The office collects fees: results are handed over only once paid (issue 12).
    ReceiptSeries.objects.create(
        unit=office.ward, template_number="01BLP0-001", symbol="HD-26E", year=2026
    )
    with clock.frozen(vn(2026, 3, 31, 16, 0)):
        made = seed_dossiers(count=40, days=45, unit=office.ward)
    assert made == Dossier.objects.count() >= 35
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert {2, 4, 10} <= statuses and len(statuses) >= 5
    for d in Dossier.objects.all():
        last = d.events.order_by("-at", "-id").first()
        assert last.to_status == d.status
        assert d.received_at <= vn(2026, 3, 31, 16, 0)
    assert Dossier.objects.filter(result_timeliness__in=["early", "on_time"]).exists()


def test_bulk_seed_continues_day_counters(office):
    with clock.frozen(vn(2026, 3, 31, 16, 0)):
        made = seed_dossiers(count=300, days=10, unit=office.ward, bulk=True)
    assert made == Dossier.objects.count() == 300
    assert DossierEvent.objects.count() >= 300
    # Codes are gapless per day.
    per_day = Dossier.objects.values("received_at__date").annotate(n=Count("id"))
    assert sum(r["n"] for r in per_day) == 300
    day = Dossier.objects.order_by("received_at").first().code.rsplit("-", 2)[1]
    same_day = sorted(
        int(c.rsplit("-", 1)[1])
        for c in Dossier.objects.filter(code__contains=f"-{day}-").values_list("code", flat=True)
    )
    assert same_day == list(range(1, len(same_day) + 1))
    # The next receipt that day continues the counter instead of colliding.
    d0 = Dossier.objects.filter(code__contains=f"-{day}-").first()
    with clock.frozen(clock.local(d0.received_at)):
        d = dossier_receive(
            procedure_code="1.001193",
            channel="direct",
            citizen=CITIZEN,
            unit=office.ward,
            actor=office.tiepnhan,
        )
    assert d.code.endswith(f"-{day}-{len(same_day) + 1:04d}")
