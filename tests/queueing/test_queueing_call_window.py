"""A call reads only the first plain tickets of the line (SQLite: `SERIAL_CALL_WINDOW`, since no
other counter can be taking one meanwhile; PostgreSQL: `CALL_WINDOW`), yet calls exactly whom
the whole line puts first and tells "3 ahead" to exactly the ticket the whole line puts there:
checked call by call against `ordering.order` over every waiting ticket, with priority tickets
arriving behind more plain tickets than the window holds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from factories import CitizenFactory
from motcua.core import clock
from motcua.notifications.models import ContactPreference, Kind, Notification
from motcua.notifications.services import NEAR_AHEAD
from motcua.queueing import ordering, services
from motcua.queueing.models import EventKind, Method, PriorityGroup, Status, Ticket, TicketEvent
from motcua.queueing.services.base import CALL_WINDOW, SERIAL_CALL_WINDOW

pytestmark = pytest.mark.django_db


def test_the_window_covers_the_places_a_call_uses():
    # The ticket called (place 0) and the one told "3 ahead" (place NEAR_AHEAD + 1).
    assert NEAR_AHEAD + 2 <= SERIAL_CALL_WINDOW <= CALL_WINDOW


def _whole_line(office, service, counter):
    rows = services.candidate_rows(
        office_id=office.pk, service_ids=[service.pk], day=clock.now().date(), counter_id=counter.pk
    )
    rules = services.queue_settings(office)
    return ordering.order(
        services.to_candidates(rows),
        now=clock.now(),
        streak=services.counter_streak(counter, rules),
        max_streak=rules.max_priority_streak,
    )


def test_each_call_follows_the_whole_line(at, office, counters, svc_a, officer):
    elderly = PriorityGroup.objects.create(code="elderly", name="Người cao tuổi", weight=10)
    disabled = PriorityGroup.objects.create(code="disabled", name="Người khuyết tật", weight=30)
    groups = {11: elderly, 13: disabled, 14: elderly, 17: disabled, 18: elderly}
    counter = counters[0]  # serves A alone
    morning = clock.now()  # `at` froze the clock at 08:00 on a working day
    for i in range(22):
        at(morning + timedelta(minutes=2 * i))
        citizen = CitizenFactory()
        ContactPreference.objects.create(
            citizen=citizen, channels=["sms"], phone=citizen.phone, consent_at=clock.now()
        )
        services.ticket_issue(
            office=office, service=svc_a, citizen=citizen, method=Method.QR, priority=groups.get(i)
        )
    calls = 0
    at(morning + timedelta(minutes=60))
    while True:
        line = _whole_line(office, svc_a, counter)
        called = services.ticket_call_next(counter=counter, officer=officer)
        if not line:
            assert called is None
            break
        assert called is not None and called.pk == line[0].id, (calls, called, line[:3])
        told = set(
            Notification.objects.filter(kind=Kind.QUEUE_NEAR, ticket__isnull=False).values_list(
                "ticket_id", flat=True
            )
        )
        if len(line) > NEAR_AHEAD + 1:
            assert line[NEAR_AHEAD + 1].id in told, calls
        services.ticket_finish(ticket=called, officer=officer)
        calls += 1
    assert calls == 22
    assert not Ticket.objects.filter(status=Status.WAITING).exists()
    # The priority tickets came after more plain ones than the window holds, and the first
    # call took one of them: the window did not hide them.
    order = list(
        TicketEvent.objects.filter(kind=EventKind.CALL)
        .order_by("id")
        .values_list("ticket__priority_id", flat=True)
    )
    assert order[0] is not None and len(order) == 22
