"""Demo data: services and counters per office, and history made through the real services."""

from __future__ import annotations

import pytest

from motcua.queueing.demo import seed_queue, seed_queue_history
from motcua.queueing.models import (
    CounterService,
    EventKind,
    PriorityGroup,
    Service,
    Status,
    Ticket,
    TicketEvent,
)
from motcua.queueing.selectors import report_totals

pytestmark = pytest.mark.django_db


def test_seed_queue_maps_counters_by_name(office):
    from factories import CounterFactory

    CounterFactory(office=office, number=1, name="Tư pháp – Hộ tịch – Chứng thực")
    CounterFactory(office=office, number=2, name="Đất đai – Xây dựng")
    seed_queue(office=office)
    seed_queue(office=office)  # idempotent
    assert list(Service.objects.filter(office=office).values_list("code", flat=True)) == [
        "A",
        "B",
        "C",
        "D",
        "E",
    ]
    served = {(cs.counter.number, cs.service.code) for cs in CounterService.objects.all()}
    assert served == {(1, "A"), (1, "B"), (2, "C"), (2, "D"), (2, "E")}
    assert PriorityGroup.objects.count() == 5


def test_history_is_made_of_real_events(at, office, citizens):
    from factories import CounterFactory

    CounterFactory(office=office, number=1, name="Hộ tịch – Chứng thực")
    CounterFactory(office=office, number=2, name="Đất đai – Xây dựng – Xã hội – Kinh doanh")
    issued = seed_queue_history(days=3, per_day=8, office=office, citizens=12)
    assert issued > 12
    days = set(Ticket.objects.values_list("service_date", flat=True))
    assert len(days) == 3 and all(d.weekday() < 5 for d in days)
    assert not Ticket.objects.filter(
        status__in=[Status.WAITING, Status.CALLED, Status.SERVING]
    ).exists()
    assert (
        TicketEvent.objects.filter(kind=EventKind.FINISH).count()
        == Ticket.objects.filter(status=Status.DONE).count()
    )
    totals = report_totals(office=office, start=min(days), end=max(days))
    assert totals["served"] > 10 and totals["avg_service_s"] > 60
    assert (
        seed_queue_history(days=3, per_day=8, office=office, citizens=12) == 0
    )  # second run adds nothing


def test_seed_bookings_obeys_the_booking_rules_and_runs_once(at, office, officer, citizens):
    from motcua.queueing.demo import seed_bookings
    from motcua.queueing.models import Authorisation, Booking, BookingChannel, QueueSettings

    seed_queue(office=office)
    made = seed_bookings(office_code=office.code)
    assert made == Booking.objects.count() > 0
    assert seed_bookings(office_code=office.code) == 0  # upcoming ones exist: nothing added
    per_slot = QueueSettings.objects.get(office=office).booking_per_slot
    from django.db.models import Count

    busiest = (
        Booking.objects.values("service", "slot_start").annotate(n=Count("id")).order_by("-n")[0]
    )
    assert busiest["n"] <= per_slot
    assert all(b.code and b.code.startswith("LH-") for b in Booking.objects.all())
    assert set(Booking.objects.values_list("channel", flat=True)) <= set(BookingChannel.values)
    assert Authorisation.objects.filter(office=office, recorded_by=officer).count() == 1
