"""Many counters at the same moment: never one ticket to two counters, none lost, numbers gapless."""

from __future__ import annotations

import threading
from collections import Counter as Tally

import pytest
from django.db import connection

from motcua.queueing import services
from motcua.queueing.models import (
    CounterService,
    EventKind,
    Method,
    Service,
    Status,
    Ticket,
    TicketEvent,
)

N_COUNTERS = 20


def run_together(fn, args_list):
    """Start one thread per args, release them together; return results (exceptions re-raised)."""
    barrier = threading.Barrier(len(args_list))
    results: list = [None] * len(args_list)
    errors: list = []

    def worker(i, args):
        try:
            barrier.wait()
            results[i] = fn(*args)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_counters_call_next_at_once(at):
    from factories import CounterFactory, OfficeFactory

    office = OfficeFactory()
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    counters = [CounterFactory(office=office, number=i + 1) for i in range(N_COUNTERS)]
    for c in counters:
        CounterService.objects.create(counter=c, service=svc)
    for _ in range(30):
        services.ticket_issue(office=office, service=svc, citizen=None, method=Method.STAFF)

    first = run_together(lambda c: services.ticket_call_next(counter=c), [(c,) for c in counters])
    ids = [t.pk for t in first if t is not None]
    assert len(ids) == N_COUNTERS and len(set(ids)) == N_COUNTERS  # one distinct ticket per counter
    assert Ticket.objects.filter(status=Status.CALLED).count() == N_COUNTERS
    for t in first:
        services.ticket_finish(ticket=t)

    second = run_together(lambda c: services.ticket_call_next(counter=c), [(c,) for c in counters])
    ids2 = [t.pk for t in second if t is not None]
    assert len(ids2) == 10 and not set(ids2) & set(ids)
    # Every ticket called exactly once, none left behind.
    calls = Tally(
        TicketEvent.objects.filter(kind=EventKind.CALL).values_list("ticket_id", flat=True)
    )
    assert len(calls) == 30 and set(calls.values()) == {1}
    assert Ticket.objects.filter(status=Status.WAITING).count() == 0
    # Each counter holds at most one ticket.
    holders = Tally(
        Ticket.objects.filter(status=Status.CALLED).values_list("counter_id", flat=True)
    )
    assert max(holders.values()) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_check_ins_get_gapless_numbers_and_one_ticket_per_person(at):
    from factories import CitizenFactory, OfficeFactory

    office = OfficeFactory()
    svc = Service.objects.create(office=office, code="B", name="Chứng thực")
    people = [CitizenFactory() for _ in range(12)]
    issue = lambda p: services.ticket_issue(office=office, service=svc, citizen=p, method=Method.QR)  # noqa: E731
    # 12 different people plus the first person 4 more times, all at once.
    results = run_together(issue, [(p,) for p in people] + [(people[0],)] * 4)
    numbers = sorted(t.number for t in Ticket.objects.all())
    assert numbers == list(range(1, 13))
    assert sum(1 for r in results if r.reused) == 4
    assert len({r.ticket.pk for r in results if r.ticket.citizen_id == people[0].pk}) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("held_count", ["batch", "batch+1", "window+2"])
def test_tickets_being_taken_are_skipped_beyond_the_call_window(at, held_count):
    """PostgreSQL: tickets another transaction holds (a counter taking them) are skipped, not
    waited for, in calling order: past a whole batch the take tries at once (TAKE_BATCH), and
    past the first CALL_WINDOW plain tickets read."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises every writer)")
    from django.db import transaction

    from factories import CounterFactory, OfficeFactory
    from motcua.queueing.services.base import CALL_WINDOW, TAKE_BATCH

    n_held = {"batch": TAKE_BATCH, "batch+1": TAKE_BATCH + 1, "window+2": CALL_WINDOW + 2}[
        held_count
    ]

    office = OfficeFactory()
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    counter = CounterFactory(office=office, number=1)
    CounterService.objects.create(counter=counter, service=svc)
    issued = [
        services.ticket_issue(office=office, service=svc, citizen=None, method=Method.STAFF).ticket
        for _ in range(CALL_WINDOW + 5)
    ]
    held = [t.pk for t in issued[:n_held]]
    locked, release = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                list(Ticket.objects.select_for_update().filter(pk__in=held))
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert locked.wait(30)
        called = services.ticket_call_next(counter=counter)
    finally:
        release.set()
        thread.join(30)
    assert called is not None and called.pk == issued[n_held].pk
    assert Ticket.objects.filter(status=Status.CALLED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_closing_the_day_waits_for_a_ticket_being_issued(at):
    """PostgreSQL: a check-in that read "open" holds the office's day until it commits; the
    close waits for it and sweeps its ticket (before, the close could not see the uncommitted
    row and the ticket was left waiting on a closed day)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer (BEGIN IMMEDIATE)")
    from django.db import OperationalError, transaction

    from factories import OfficeFactory
    from motcua.org.models import Citizen
    from motcua.queueing.services.days import queue_close_day

    office = OfficeFactory()
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    citizen = Citizen.objects.create(id_number="001085012345", full_name="Nguyễn Văn An")
    # The office's rules and the day's row exist (as on any working day): a first insert of
    # either by the check-in would otherwise serialise it with the close on their unique keys.
    from motcua.core import clock
    from motcua.queueing.models import QueueDay, QueueSettings

    QueueSettings.objects.create(office=office)
    QueueDay.objects.create(office=office, date=clock.local(clock.now()).date())
    issued, release = threading.Event(), threading.Event()
    out: dict = {}

    def check_in():
        try:
            with transaction.atomic():
                out["ticket"] = services.ticket_issue(
                    office=office, service=svc, citizen=citizen, method=Method.QR
                ).ticket
                issued.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=check_in)
    thread.start()
    try:
        assert issued.wait(30)
        # While the check-in is in flight the close cannot take the day (it would wait; here a
        # short lock timeout makes the wait an error instead).
        with pytest.raises(OperationalError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            queue_close_day(office=office)
    finally:
        release.set()
        thread.join(30)
    queue_close_day(office=office)
    ticket = Ticket.objects.get(pk=out["ticket"].pk)
    assert ticket.status in (Status.CANCELLED, Status.CARRIED_OVER)
