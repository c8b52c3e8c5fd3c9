"""Queue services: fair play, numbering, calling, transfers, end of day, wait estimates."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from motcua.core import clock
from motcua.core.errors import Conflict, PermissionDenied
from motcua.queueing import selectors, services
from motcua.queueing.models import (
    BlockedAttempt,
    BlockReason,
    Booking,
    BookingStatus,
    EndOfDay,
    EventKind,
    Method,
    Status,
    Ticket,
    TicketEvent,
)

pytestmark = pytest.mark.django_db


def issue(office, service, citizen, **kw):
    return services.ticket_issue(
        office=office, service=service, citizen=citizen, method=kw.pop("method", Method.QR), **kw
    )


def test_numbers_per_service_per_day(at, office, svc_a, svc_b, citizens):
    a1 = issue(office, svc_a, citizens[0]).ticket
    a2 = issue(office, svc_a, citizens[1]).ticket
    b1 = issue(office, svc_b, citizens[0]).ticket
    assert [a1.display, a2.display, b1.display] == ["A001", "A002", "B001"]
    at(datetime(2026, 11, 27, 8, 0, tzinfo=clock.VN_TZ))
    assert issue(office, svc_a, citizens[2]).ticket.display == "A001"
    assert TicketEvent.objects.filter(kind=EventKind.ISSUE).count() == 4


def test_returning_person_gets_own_ticket_back(at, office, svc_a, citizens):
    first = issue(office, svc_a, citizens[0], method=Method.FACE)
    again = issue(office, svc_a, citizens[0], method=Method.FACE)
    assert not first.reused and again.reused
    assert again.ticket.pk == first.ticket.pk
    assert Ticket.objects.count() == 1
    blocked = BlockedAttempt.objects.get()
    assert blocked.reason == BlockReason.DUPLICATE and blocked.ticket_id == first.ticket.pk


def test_daily_cap_refuses_and_logs(at, office, svc_a, svc_b, citizens, rules, counters):
    rules.daily_cap = 2
    rules.save()
    t1 = issue(office, svc_a, citizens[0]).ticket
    issue(office, svc_b, citizens[0])
    # Finishing a ticket frees the one-per-service rule but not the daily cap.
    services.ticket_call_next(counter=counters[0])
    services.ticket_finish(ticket=t1)
    with pytest.raises(services.DuplicateLimit) as exc:
        issue(office, svc_a, citizens[0])
    assert exc.value.code == "duplicate_limit" and "trong ngày" in exc.value.message
    assert BlockedAttempt.objects.filter(reason=BlockReason.CAP, citizen=citizens[0]).count() == 1
    assert Ticket.objects.filter(citizen=citizens[0]).count() == 2


def test_ticket_for_someone_else_needs_recorded_authorisation(at, office, svc_a, citizens, officer):
    agent, principal, stranger = citizens[:3]
    with pytest.raises(services.AuthorisationRequired):
        issue(office, svc_a, agent, on_behalf_of=principal)
    assert BlockedAttempt.objects.filter(reason=BlockReason.NO_AUTHORISATION).count() == 1
    auth = services.authorisation_record(
        office=office, principal=principal, agent=agent, document="GUQ 12/2026", recorded_by=officer
    )
    # An authorisation naming other people does not count.
    with pytest.raises(services.AuthorisationRequired):
        issue(office, svc_a, stranger, on_behalf_of=principal, authorisation=auth)
    result = issue(office, svc_a, agent, on_behalf_of=principal, authorisation=auth)
    assert result.ticket.on_behalf_of == principal and result.ticket.authorisation == auth
    # The agent's own ticket for the same service is a separate one.
    own = issue(office, svc_a, agent)
    assert not own.reused and own.ticket.pk != result.ticket.pk


def test_call_next_serves_counter_services_fifo_with_priority(
    at, office, svc_a, svc_b, citizens, counters, elderly, officer
):
    t1 = issue(office, svc_a, citizens[0]).ticket
    at(clock.now() + timedelta(minutes=1))
    t2 = issue(office, svc_b, citizens[1]).ticket
    at(clock.now() + timedelta(minutes=1))
    t3 = issue(office, svc_a, citizens[2], priority=elderly).ticket
    c1, c2, c3 = counters
    called = services.ticket_call_next(counter=c1, officer=officer)
    assert called.pk == t3.pk and called.status == Status.CALLED and called.counter == c1
    assert services.ticket_call_next(counter=c2, officer=officer).pk == t2.pk
    assert services.ticket_call_next(counter=c3, officer=officer).pk == t1.pk
    with pytest.raises(services.CounterBusy):
        services.ticket_call_next(counter=c3, officer=officer)
    services.ticket_finish(ticket=t1, officer=officer)
    assert services.ticket_call_next(counter=c3, officer=officer) is None
    ev = TicketEvent.objects.filter(kind=EventKind.CALL, ticket=t3).get()
    assert ev.detail["lane"] == "priority" and ev.counter == c1 and ev.actor == officer


def test_officer_of_another_unit_cannot_call(at, office, svc_a, counters, citizens):
    from factories import StaffRoleFactory

    outsider = StaffRoleFactory(role="reception").user
    issue(office, svc_a, citizens[0])
    with pytest.raises(PermissionDenied):
        services.ticket_call_next(counter=counters[0], officer=outsider)


def test_lifecycle_recall_no_show_park_start_finish(
    at, office, svc_a, citizens, counters, officer, rules
):
    t = issue(office, svc_a, citizens[0]).ticket
    c1 = counters[0]
    services.ticket_call_next(counter=c1, officer=officer)
    services.ticket_recall(ticket=t, officer=officer)
    t.refresh_from_db()
    assert t.recall_count == 1
    services.ticket_no_show(ticket=t, officer=officer)
    t.refresh_from_db()
    assert t.status == Status.NO_SHOW
    with pytest.raises(Conflict):
        services.ticket_start(ticket=t, officer=officer)

    u = issue(office, svc_a, citizens[1]).ticket
    services.ticket_call_next(counter=c1, officer=officer)
    at(clock.now() + timedelta(minutes=1))
    services.ticket_start(ticket=u, officer=officer)
    services.ticket_park(ticket=u, officer=officer)
    services.ticket_resume(ticket=u, officer=officer)
    u.refresh_from_db()
    assert u.status == Status.WAITING and u.target_counter == c1
    # Only the counter it was parked at takes it back.
    assert services.ticket_call_next(counter=counters[2], officer=officer) is None
    assert services.ticket_call_next(counter=c1, officer=officer).pk == u.pk
    at(clock.now() + timedelta(minutes=6))
    done = services.ticket_finish(ticket=u, officer=officer)
    assert done.status == Status.DONE and (done.finished_at - done.called_at) == timedelta(
        minutes=6
    )
    kinds = list(TicketEvent.objects.filter(ticket=u).values_list("kind", flat=True))
    assert kinds == ["issue", "call", "start", "park", "transfer", "call", "finish"]


def test_transfer_keeps_original_waiting_time(
    at, office, svc_a, svc_b, citizens, counters, officer
):
    early = issue(office, svc_a, citizens[0]).ticket
    at(clock.now() + timedelta(minutes=20))
    later_b = issue(office, svc_b, citizens[1]).ticket
    services.ticket_call_next(counter=counters[0], officer=officer)  # counter 1 (A) calls A001
    at(clock.now() + timedelta(minutes=5))
    moved = services.ticket_transfer(ticket=early, to_service=svc_b, officer=officer)
    assert moved.status == Status.WAITING and moved.service == svc_b and moved.display == "A001"
    assert moved.waiting_since == early.waiting_since
    # At the B counter the transferred ticket goes ahead of a B ticket issued after it.
    assert services.ticket_call_next(counter=counters[1], officer=officer).pk == early.pk
    assert later_b.status == Status.WAITING
    ev = TicketEvent.objects.get(kind=EventKind.TRANSFER)
    assert ev.detail["from_service"] == "A" and ev.detail["to_service"] == "B"


def test_transfer_to_counter_reserves_it(at, office, svc_a, citizens, counters, officer):
    t = issue(office, svc_a, citizens[0]).ticket
    services.ticket_transfer(ticket=t, to_counter=counters[2], officer=officer)
    assert services.ticket_call_next(counter=counters[0], officer=officer) is None
    assert services.ticket_call_next(counter=counters[2], officer=officer).pk == t.pk


def test_booking_becomes_ticket_at_check_in(at, office, svc_a, citizens, counters):
    slot = clock.now() + timedelta(minutes=30)
    booking = services.booking_create(
        office=office, service=svc_a, citizen=citizens[0], slot_start=slot
    )
    walk_in = issue(office, svc_a, citizens[1]).ticket
    booked = issue(office, svc_a, citizens[0]).ticket
    booking.refresh_from_db()
    assert booked.booking == booking and booking.status == BookingStatus.CHECKED_IN
    at(slot)
    # Slot reached: the appointment goes before the earlier walk-in.
    assert services.ticket_call_next(counter=counters[0]).pk == booked.pk
    services.ticket_finish(ticket=booked)
    assert services.ticket_call_next(counter=counters[0]).pk == walk_in.pk


def test_end_of_day_cancels_with_reason(at, office, svc_a, citizens, rules):
    t = issue(office, svc_a, citizens[0]).ticket
    services.booking_create(
        office=office,
        service=svc_a,
        citizen=citizens[1],
        slot_start=clock.now() + timedelta(hours=2),
    )
    counts = services.queue_close_day(office=office, now=clock.now().replace(hour=17, minute=30))
    t.refresh_from_db()
    assert counts == {"cancelled": 1, "carried_over": 0}
    assert t.status == Status.CANCELLED and t.close_reason == rules.closing_reason
    assert Booking.objects.get().status == BookingStatus.MISSED
    with pytest.raises(services.QueueClosed):
        issue(office, svc_a, citizens[2])


def test_end_of_day_carries_over_to_next_working_day(at, office, svc_a, citizens, rules, counters):
    rules.end_of_day = EndOfDay.CARRY_OVER
    rules.save()
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=clock.VN_TZ)
    at(friday)
    t = issue(office, svc_a, citizens[0]).ticket
    services.queue_close_day(office=office, now=friday.replace(hour=17, minute=30))
    t.refresh_from_db()
    assert t.status == Status.CARRIED_OVER
    carried = Ticket.objects.get(carried_from=t)
    assert carried.service_date.isoformat() == "2026-11-30"  # Monday
    assert carried.waiting_since == t.waiting_since and carried.status == Status.WAITING
    at(datetime(2026, 11, 30, 7, 30, tzinfo=clock.VN_TZ))
    # The citizen who comes back gets the carried ticket; it is called first.
    assert issue(office, svc_a, citizens[0]).ticket.pk == carried.pk
    newcomer = issue(office, svc_a, citizens[1]).ticket
    assert newcomer.display == "A002"
    assert services.ticket_call_next(counter=counters[0]).pk == carried.pk


def test_close_day_task_closes_after_hours_once(at, office, svc_a, citizens):
    from motcua.queueing.tasks import close_due_offices

    issue(office, svc_a, citizens[0])
    assert close_due_offices(now=clock.now()) == []
    closed = close_due_offices(now=clock.now().replace(hour=17, minute=40))
    assert closed == [office.pk]
    assert close_due_offices(now=clock.now().replace(hour=17, minute=55)) == []


def _serve(office, svc, citizen, counter, minutes, at):
    t = issue(office, svc, citizen).ticket
    services.ticket_call_next(counter=counter)
    at(clock.now() + timedelta(minutes=minutes))
    services.ticket_finish(ticket=t)
    return t


def test_wait_estimate_from_recent_service_times_and_open_counters(
    at, office, svc_a, svc_b, citizens, counters, rules
):
    c1, c2, c3 = counters
    # Counters 1 (A) and 3 (A+B, half a counter for A) are free: two people go at once.
    assert selectors.estimate_wait(office=office, service=svc_a, position=1) == 0
    # No history: the office default per person, over a capacity of 1.5 counters.
    assert selectors.estimate_wait(office=office, service=svc_a, position=3) == round(
        1.5 * rules.default_service_s / 1.5
    )
    for i, minutes in enumerate([4, 6, 10]):
        _serve(office, svc_a, citizens[i], c1, minutes, at)
    assert selectors.median_service_seconds(service=svc_a, office=office) == 360
    # The queue drains at the mean rate (4, 6, 10 min → 400 s); calls followed finishes at once.
    assert selectors.seconds_per_person(service=svc_a, office=office) == 400
    assert selectors.estimate_wait(office=office, service=svc_a, position=3) == 400
    # Counter 1 busy: only counter 3 is free, the fourth person waits longer.
    issue(office, svc_a, citizens[4])
    services.ticket_call_next(counter=c1)
    assert selectors.estimate_wait(office=office, service=svc_a, position=3) == round(
        2.5 * 400 / 1.5
    )
    assert selectors.estimate_wait(office=office, service=svc_a, position=0) == 0
    c3.is_active = False
    c3.save()
    # Only counter 1, busy: even the next person waits about half a service.
    assert selectors.estimate_wait(office=office, service=svc_a, position=0) == 200
    assert selectors.estimate_wait(office=office, service=svc_a, position=3) == 3.5 * 400


def test_turnaround_between_tickets_counts_in_the_rate(at, office, svc_a, citizens, counters):
    c1 = counters[0]
    for i in range(3):
        _serve(office, svc_a, citizens[i], c1, 5, at)
        at(clock.now() + timedelta(seconds=90))  # the officer files papers before the next call
    assert selectors.turnaround_seconds(service=svc_a) == 90
    assert selectors.seconds_per_person(service=svc_a, office=office) == 300 + 90


def test_people_ahead_follows_the_calling_order(at, office, svc_a, citizens, elderly):
    t1 = issue(office, svc_a, citizens[0]).ticket
    t2 = issue(office, svc_a, citizens[1]).ticket
    t3 = issue(office, svc_a, citizens[2], priority=elderly).ticket
    assert selectors.ticket_position(t3)["people_ahead"] == 0
    assert selectors.ticket_position(t1)["people_ahead"] == 1
    assert selectors.ticket_position(t2)["people_ahead"] == 2


def test_board_snapshot_and_report(at, office, svc_a, svc_b, citizens, counters, officer):
    t = issue(office, svc_a, citizens[0], method=Method.FACE).ticket
    issue(office, svc_a, citizens[0], method=Method.FACE)  # duplicate → reused, counted
    issue(office, svc_b, citizens[1])
    at(clock.now() + timedelta(minutes=3))
    services.ticket_call_next(counter=counters[0], officer=officer)
    snap = selectors.board_snapshot(office=office)
    assert snap["counters"][0]["current"]["ticket"] == "A001"
    assert snap["waiting"] == 1 and snap["services"][1]["next"] == ["B001"]
    assert snap["average_wait_s"] == 180
    assert snap["last_call"]["phrase"] == "Mời công dân có số thứ tự A001 đến quầy số 1"
    at(clock.now() + timedelta(minutes=5))
    services.ticket_finish(ticket=t, officer=officer)
    day = clock.today()
    rows = selectors.report_summary(office=office, start=day, end=day)
    assert rows == [
        {
            "date": day,
            "counter": 1,
            "officer": officer.full_name,
            "method": "face",
            "served": 1,
            "no_shows": 0,
            "avg_wait_s": 180,
            "avg_service_s": 300,
        }
    ]
    totals = selectors.report_totals(office=office, start=day, end=day)
    assert (
        totals["served"] == 1
        and totals["blocked_duplicates"] == 1
        and totals["by_method"] == {"face": 1}
    )
