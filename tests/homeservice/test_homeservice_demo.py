"""The demo's home visits go through the real services: visits today and on the next working
day for `tainha`, a history received at home with the result brought home, one empty trip."""

from __future__ import annotations

from factories import CitizenFactory, StaffRoleFactory, UserFactory
from motcua.core import clock
from motcua.delivery.models import Delivery
from motcua.dossiers.models import Dossier
from motcua.dossiers.workflow import Status
from motcua.homeservice.demo import seed_home_visits
from motcua.homeservice.models import HomeVisit, HomeVisitEvent
from motcua.homeservice.selectors import visits_per_officer
from motcua.org.models import Role


def test_demo_visits_through_the_services(home):
    for name, role in [("lanhdao", Role.LEADER), ("chuyenvien", Role.SPECIALIST)]:
        StaffRoleFactory(user=UserFactory(username=name), unit=home.ward, role=role)
    CitizenFactory.create_batch(12)
    from motcua.payments.models import ReceiptSeries

    ReceiptSeries.objects.create(unit=home.ward, template_number="01BLP0-001", symbol="T-26E",
                                 year=2026)  # fmt: skip
    clock.set_frozen(clock.local(clock.now()).replace(hour=15))  # Tuesday afternoon
    made = seed_home_visits(unit_code=home.ward.code)
    assert made == 10
    today = clock.today()
    mine = HomeVisit.objects.filter(officer=home.tainha)
    assert mine.filter(date=today).count() == 3 and mine.filter(date__gt=today).count() == 3
    past = mine.filter(date__lt=today)
    assert sorted(past.values_list("status", flat=True)) == [
        "completed", "completed", "completed", "no_one_home",
    ]  # fmt: skip
    # Every visit has its events, written by the services (booking, assignment...).
    assert HomeVisitEvent.objects.filter(action="book").count() == 10
    assert HomeVisitEvent.objects.filter(action="assign").count() == 10
    # The completed visits received a dossier at home; two results were brought home, signed.
    dossiers = Dossier.objects.filter(channel="home")
    assert dossiers.count() == 3
    returned = dossiers.filter(status=Status.RETURNED)
    assert returned.count() == 2
    for d in returned:
        delivery = Delivery.objects.get(dossier=d)
        assert delivery.method == "home" and delivery.proof_signature
    rows = {r["username"]: r for r in visits_per_officer([home.ward], today.replace(day=1), today)}
    assert rows["tainha"]["received"] == 3 and rows["tainha"]["no_one_home"] == 1
    # Run again the same day: nothing more.
    assert seed_home_visits(unit_code=home.ward.code) == 0
