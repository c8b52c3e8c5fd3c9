"""Issue 10 point 3: check-in, call-next and the board snapshot with few queries (counted, not
timed), and a board cache that never serves a snapshot older than the office's last event."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from queueing_helpers import QR_A, QR_B

from motcua.core.services import api_token_issue
from motcua.queueing.models import Method
from motcua.queueing.services import ticket_issue

pytestmark = pytest.mark.django_db

# Statements (savepoints included) per request, the whole request (token, rate limits in the
# database cache, the answer's position and wait estimate):
# - check-in by QR, new citizen: 55 (first code) → 42/43 → 32 (SQLite) / 33 (PostgreSQL:
#   pg_notify) → 17 / 19 here, where each of its three transactions is a savepoint and its
#   release inside the test's transaction (a request: 14 statements on SQLite with BEGIN, 13 on
#   PostgreSQL, 13 / 12 while the free counters are remembered): both rate windows counted in
#   one read and one write, the citizen read lock-free (no write when the card says nothing
#   new) and created without savepoints, one read of the person's day (queue closed, tickets,
#   booking), the number by UPDATE ... RETURNING, the position in one statement, the free
#   counters remembered per process until a counter moves; → 16 / 18 here (a request: 13 /
#   12, 12 / 11 with the free counters remembered): the line the new ticket joins is read
#   with the person's day, so its position needs no statement of its own;
# - check-in of a known citizen (nothing new on the card): 12 / 14 → 11 / 13 here (a request:
#   10 / 10 → 9 / 9);
# - call-next: 18 → 16/17 (+2 for the notification hook) → 15 / 16: the counter read once,
#   rules and services from the lookups, "3 ahead" from the call's own line, both contact
#   choices in one read; → 7 (SQLite) / 9 (PostgreSQL: the counter's lock and pg_notify):
#   token, savepoint and its release (BEGIN alone outside a test), one read (counter, busy,
#   lanes, candidates), UPDATE … RETURNING, event, day tally; +1 when a ticket has a citizen
#   (contact choices); roles and the counter's office from the lookups (plain SQL:
#   queueing/hotsql.py);
# - finish over the API: 11 → 7 / 8: token, current ticket, savepoint and release, the ticket
#   locked with its counter, UPDATE, event (+ pg_notify → the event's INSERT sends it: 7 / 7);
#   → 6 / 5: the current ticket read and locked with its counter in one statement inside the
#   transaction, and on PostgreSQL the UPDATE in the event's statement (`pg_one`);
# - board on a cache hit: 12 → 2 → 1 (the newest event id, plain SQL);
# - one press of "next" (finish the current ticket, call the next): 15 → 10 here: token,
#   savepoint and release, the current ticket read and locked with its counter in one
#   statement (two before, and locked a second time by the finish), its UPDATE and event, the
#   call's read, UPDATE and event, the day tally; the finish and the call no longer open a
#   savepoint each inside the press's transaction.
# PostgreSQL adds 2 to the check-ins (`pg`): the person's row lock and pg_notify → 1, the
# row lock: the event's INSERT sends the NOTIFY itself; call-next 9 → 7 there (the NOTIFY
# and the day's wait tally in the event's statement); → -1: the number, the ticket and its
# event (and the NOTIFY) are one statement there (`hotsql.issue_insert`).
CHECK_IN_MAX = 16
CHECK_IN_KNOWN_MAX = 11
CALL_NEXT_MAX = 7
FINISH_MAX = 6
PRESS_MAX = 10
BOARD_HIT_MAX = 1


LAST = []


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    LAST[:] = [q["sql"][:150] for q in ctx.captured_queries]
    return response, len(ctx.captured_queries)


def test_hot_paths_stay_lean(at, client, office, counters, svc_a, svc_b, officer, monkeypatch):
    from motcua.queueing import lookups

    # Steady state: the office's rows stay remembered however slow this machine is today.
    monkeypatch.setattr(lookups, "LOOKUP_FRESH_S", 600.0)
    for _ in range(30):
        ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=officer)}"}
    board_url = f"/api/v1/queue/{office.code}/board"

    def check_in(qr, service="A"):
        body = json.dumps({"qr": qr, "office": office.code, "service": service})
        return client.post("/api/v1/kiosk/check-in", data=body, content_type="application/json")

    # PostgreSQL: the person's row lock, and number + ticket + event in one statement
    pg = -1 if connection.vendor == "postgresql" else 0
    # PostgreSQL: a button's UPDATE of the ticket is in its event's statement
    pg_one = -1 if connection.vendor == "postgresql" else 0
    check_in(QR_A)  # warms the rate-limit windows and the service's pace
    client.post(f"/api/v1/counters/{counters[2].pk}/call-next", **auth)  # the day's first call
    r, n = _count(lambda: check_in(QR_B))
    assert r.status_code == 201 and n <= CHECK_IN_MAX + pg, n
    ticket_issue(office=office, service=svc_b, citizen=None, method=Method.STAFF)
    check_in(QR_A, "B")  # warms service B (its numbers, pace, free counters)
    r, n = _count(lambda: check_in(QR_B, "B"))  # known, nothing new on the card
    assert r.status_code == 201 and n <= CHECK_IN_KNOWN_MAX + pg, n
    call_url = f"/api/v1/counters/{counters[0].pk}/call-next"
    finish_url = f"/api/v1/counters/{counters[0].pk}/tickets/current/finish"
    client.post(call_url, **auth)  # this counter's first call: its lookups remembered
    client.post(finish_url, **auth)
    r, n = _count(lambda: client.post(call_url, **auth))
    assert r.status_code == 200 and n <= CALL_NEXT_MAX, (n, LAST)
    r, n = _count(lambda: client.post(finish_url, **auth))
    assert r.status_code == 200 and r.json()["status"] == "done" and n <= FINISH_MAX + pg_one, n
    current = client.post(call_url, **auth).json()["ticket"]
    body = json.dumps({"end": "finish", "ticket": current})
    r, n = _count(lambda: client.post(call_url, data=body, content_type="application/json", **auth))
    assert r.status_code == 200 and r.json()["ticket"] != current, (n, LAST)
    assert n <= PRESS_MAX + pg_one, (n, LAST)
    first = client.get(board_url).json()
    r, n = _count(lambda: client.get(board_url))
    assert r.status_code == 200 and n <= BOARD_HIT_MAX, n
    assert {k: v for k, v in r.json().items() if k != "at"} == {
        k: v for k, v in first.items() if k != "at"
    }


def test_board_cache_follows_every_event(at, client, office, counters, svc_a, officer):
    from motcua.queueing.services import ticket_call_next

    board_url = f"/api/v1/queue/{office.code}/board"
    assert client.get(board_url).json()["waiting"] == 0
    ticket = ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF).ticket
    snap = client.get(board_url).json()
    assert snap["waiting"] == 1 and snap["services"][0]["next"] == [ticket.display]
    ticket_call_next(counter=counters[0], officer=officer)
    snap = client.get(board_url).json()
    assert snap["waiting"] == 0 and snap["counters"][0]["current"]["ticket"] == ticket.display
    assert snap["last_call"]["ticket"] == ticket.display


def test_day_average_wait_is_kept_at_each_call_and_transfer(at, office, counters, svc_a, officer):
    from datetime import timedelta

    from motcua.core import clock
    from motcua.queueing import selectors, services
    from motcua.queueing.models import QueueDay

    def recomputed():
        total, n = selectors._average_wait_counted(office_id=office.pk, day=clock.today())
        return total / n if n else None

    t1, t2, t3 = (
        ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF).ticket
        for _ in range(3)
    )
    at(clock.now() + timedelta(minutes=3))
    a = services.ticket_call_next(counter=counters[0], officer=officer)  # waited 180 s
    assert a == t1 and selectors.average_wait_seconds(office=office, day=clock.today()) == 180
    at(clock.now() + timedelta(minutes=2))
    b = services.ticket_call_next(counter=counters[2], officer=officer)  # waited 300 s
    assert selectors.average_wait_seconds(office=office, day=clock.today()) == 240 == recomputed()
    services.ticket_transfer(ticket=b, to_counter=counters[0], officer=officer)  # waits again
    assert selectors.average_wait_seconds(office=office, day=clock.today()) == 180 == recomputed()
    services.ticket_park(ticket=a, officer=officer)
    services.ticket_resume(ticket=a, officer=officer)
    at(clock.now() + timedelta(minutes=1))
    services.ticket_call_next(counter=counters[0], officer=officer)  # a again, now 360 s
    assert selectors.average_wait_seconds(office=office, day=clock.today()) == recomputed()
    row = QueueDay.objects.get(office=office, date=clock.today())
    assert row.wait_count == 1 and row.wait_sum_s == 360
    # A row from before the tally (-1) is counted again from the tickets at the next call.
    QueueDay.objects.filter(pk=row.pk).update(wait_count=-1, wait_sum_s=0)
    services.ticket_call_next(counter=counters[2], officer=officer)
    assert selectors.average_wait_seconds(office=office, day=clock.today()) == recomputed()
    assert QueueDay.objects.get(pk=row.pk).wait_count == 2
    assert t3.pk  # still waiting


def test_position_counted_equals_the_ordered_line(
    at, office, counters, svc_a, citizens, elderly, officer
):
    """people_ahead (priority and booked tickets read, plain ones counted) gives every waiting
    ticket the index the whole ordered line gives it: plain, priority, booked (slot come or
    not), transferred to a counter."""
    from datetime import timedelta

    from motcua.core import clock
    from motcua.queueing import selectors, services

    now = clock.now()
    issued = []
    for i in range(9):
        at(now + timedelta(minutes=i))
        priority = elderly if i in (2, 5, 6) else None
        issued.append(
            ticket_issue(
                office=office, service=svc_a, citizen=None, method=Method.STAFF, priority=priority
            ).ticket
        )
    for minutes in (-30, 120):  # a booking whose slot has come, one later today
        booking = services.booking_create(
            office=office,
            service=svc_a,
            citizen=citizens[len(issued) % len(citizens)],
            slot_start=now + timedelta(minutes=minutes),
        )
        issued.append(
            ticket_issue(
                office=office, service=svc_a, citizen=booking.citizen, method=Method.QR
            ).ticket
        )
    services.ticket_transfer(ticket=issued[7], to_counter=counters[0], officer=officer)
    at(now + timedelta(minutes=15))
    line = selectors.line_for_service(office=office, service=svc_a)
    assert sorted(line) == sorted(t.pk for t in issued)
    for ticket in issued:
        ticket.refresh_from_db()
        assert selectors.people_ahead(ticket) == line.index(ticket.pk), ticket.display


def test_board_answers_304_while_nothing_happened(at, client, office, counters, svc_a):
    board_url = f"/api/v1/queue/{office.code}/board"
    first = client.get(board_url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag
    again = client.get(board_url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)
    changed = client.get(board_url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["waiting"] == 1


def test_free_counters_remembered_until_a_counter_takes_or_ends_a_ticket(
    at, office, counters, svc_a, officer, monkeypatch
):
    """The wait estimate's free counters are remembered per process and forgotten at once here
    when a counter takes or ends a ticket (an issued ticket changes nothing)."""
    from motcua.queueing import lookups, selectors, services

    monkeypatch.setattr(lookups, "LOOKUP_FRESH_S", 600.0)  # only the events forget it here
    ticket = ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF).ticket
    free = selectors.free_counters(service=svc_a)
    assert free == 2
    ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)
    with CaptureQueriesContext(connection) as ctx:
        assert selectors.free_counters(service=svc_a) == free
    assert len(ctx.captured_queries) == 0
    services.ticket_call_next(counter=counters[0], officer=officer)
    assert selectors.free_counters(service=svc_a) == free - 1
    services.ticket_finish(ticket=ticket, officer=officer)
    assert selectors.free_counters(service=svc_a) == free


def test_wait_pace_kept_across_finishes_until_it_goes_stale(
    at, office, counters, svc_a, officer, monkeypatch, django_capture_on_commit_callbacks
):
    """The pace behind the wait estimate (seconds per person) is remembered PACE_FRESH_S and not
    read again when a ticket ends (it was, at every finish: 2–3 statements on the next check-in
    of a busy queue); once stale, the estimate follows the tickets ended since."""
    import time
    from datetime import timedelta
    from types import SimpleNamespace

    from motcua.core import cache as core_cache
    from motcua.core import clock
    from motcua.queueing import selectors, services

    def serve(minutes):  # the counter calls the next one and serves them for `minutes`
        called = services.ticket_call_next(counter=counters[0], officer=officer)
        at(clock.now() + timedelta(minutes=minutes))
        services.ticket_finish(ticket=called, officer=officer)

    for _ in range(3):
        ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)
        serve(4)
    line = [
        ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF).ticket
        for _ in range(4)
    ]
    last = line[-1]
    first = selectors.ticket_position(last)
    pace = selectors.seconds_per_person_recent(service=svc_a, office=office)
    assert pace == selectors.seconds_per_person(service=svc_a, office=office) == 240
    # 3 ahead, 2 free counters, capacity 1.5 (counter 3 is shared with B): (3 - 2 + 0.5) × 240 / 1.5
    assert first["people_ahead"] == 3 and first["estimated_wait_s"] == 240

    with django_capture_on_commit_callbacks(execute=True):  # as if each request committed
        serve(20)  # the first of the line, much slower, ends: the remembered pace stays
    with CaptureQueriesContext(connection) as ctx:
        again = selectors.ticket_position(last)
    read = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "finished_at" not in read and "queueing_ticketevent" not in read, read
    # 2 ahead, 2 free counters: (2 - 2 + 0.5) × 240 / 1.5, the remembered 240 s a person
    assert again["people_ahead"] == 2 and again["estimated_wait_s"] == 80
    assert selectors.seconds_per_person_recent(service=svc_a, office=office) == pace

    # PACE_FRESH_S later the next estimate reads it again: the 20 minutes count now.
    later = time.time() + selectors.PACE_FRESH_S + 1
    monkeypatch.setattr(
        core_cache,
        "time",
        SimpleNamespace(time=lambda: later, monotonic=time.monotonic, sleep=time.sleep),
    )
    fresh = selectors.seconds_per_person(service=svc_a, office=office)
    assert fresh > pace
    assert selectors.seconds_per_person_recent(service=svc_a, office=office) == fresh


def test_plain_inserts_of_the_check_in_keep_every_save_effect(
    at, client, office, counters, svc_a, officer, monkeypatch
):
    """The check-in writes the citizen, its audit row, the ticket, a reused ticket's blocked
    attempt and the ticket event without Model.save(): what save() and the receivers did
    still happens (name folded, audit row, the streams and lookups told), and a save receiver
    connected to any of those models still runs (the insert then goes through save())."""
    from django.db.models.signals import post_save

    from motcua.core.models import AuditEvent
    from motcua.core.text import fold
    from motcua.org.models import Citizen
    from motcua.queueing import broker, hotsql, lookups, services
    from motcua.queueing.models import BlockedAttempt, EventKind, Ticket, TicketEvent

    published, written = [], []
    real_publish, real_written = broker.publish, lookups.event_written
    monkeypatch.setattr(
        broker,
        "publish",
        lambda o, e, ev=None: (published.append((o, e)), real_publish(o, e, ev)),
    )

    def spy(real):  # PostgreSQL: the insert sends the NOTIFY publish() sends elsewhere
        def insert(**kw):
            out = real(**kw)
            if kw["notify"] is not None:
                assert kw["notify"] == broker.CHANNEL and connection.vendor == "postgresql"
                published.append((kw["office_id"], out if isinstance(out, int) else out[0]))
            return out

        return insert

    for name in ("event_insert", "event_insert_tallied"):
        monkeypatch.setattr(hotsql, name, spy(getattr(hotsql, name)))
    monkeypatch.setattr(
        lookups, "event_written", lambda o, k: (written.append((o, k)), real_written(o, k))
    )

    def check_in(qr):
        body = json.dumps({"qr": qr, "office": office.code, "service": "A"})
        return client.post("/api/v1/kiosk/check-in", data=body, content_type="application/json")

    r = check_in(QR_A)  # a new citizen, plain inserts all the way
    assert r.status_code == 201
    citizen = Citizen.objects.get(id_number="001085012345")
    assert citizen.name_folded == fold("Nguyễn Văn An") and citizen.created_at is not None
    assert citizen.verified
    assert AuditEvent.objects.filter(
        action="citizen.create", object_type="org.citizen", object_id=str(citizen.pk)
    ).exists()
    ticket = Ticket.objects.get(citizen=citizen)
    issue = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ISSUE)
    assert published == [(office.pk, issue.pk)] and written == [(office.pk, EventKind.ISSUE)]
    assert check_in(QR_A).status_code == 200  # reused: the blocked attempt is written
    assert BlockedAttempt.objects.filter(citizen=citizen, ticket=ticket).count() == 1
    services.ticket_call_next(counter=counters[0], officer=officer)
    call = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CALL)
    assert published[-1] == (office.pk, call.pk) and written[-1] == (office.pk, EventKind.CALL)

    # A receiver connected to those models runs, each time one row is written.
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((sender.__name__, created, instance.pk is not None))

    models = (Citizen, AuditEvent, Ticket, BlockedAttempt)
    for model in models:
        post_save.connect(receiver, sender=model, dispatch_uid=f"test-{model.__name__}")
    try:
        assert check_in(QR_B).status_code == 201
        assert check_in(QR_B).status_code == 200
    finally:
        for model in models:
            post_save.disconnect(sender=model, dispatch_uid=f"test-{model.__name__}")
    assert sorted(heard) == sorted(
        [
            ("Citizen", True, True),
            ("AuditEvent", True, True),
            ("Ticket", True, True),
            ("BlockedAttempt", True, True),
        ]
    )
    assert Citizen.objects.get(id_number="001190054321").name_folded == fold("Trần Thị Bình")


def test_position_read_with_the_issue_equals_the_one_read_after(
    at, office, counters, svc_a, citizens, elderly, officer
):
    """A check-in's answer counts the people ahead from the line read while the ticket was
    issued (no read of its own): the same as reading it after, and as the whole ordered line,
    for plain tickets, tickets with a priority group by age and booked ones (slot come or not),
    with a priority and a booked ticket already waiting."""
    from datetime import date, timedelta

    from motcua.core import clock
    from motcua.org.models import Citizen
    from motcua.queueing import api, selectors, services

    elderly.min_age = 75
    elderly.save()
    now = clock.now()
    Citizen.objects.filter(pk=citizens[1].pk).update(date_of_birth=date(1940, 1, 1))
    Citizen.objects.filter(pk=citizens[4].pk).update(date_of_birth=date(1941, 1, 1))
    for minutes, who in ((-20, citizens[2]), (90, citizens[3])):
        services.booking_create(
            office=office, service=svc_a, citizen=who, slot_start=now + timedelta(minutes=minutes)
        )
    ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)
    ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF, priority=elderly)
    kinds = set()
    for i, who in enumerate([citizens[0], *citizens[1:], citizens[0]]):
        at(now + timedelta(minutes=i + 1))
        who.refresh_from_db()
        result = ticket_issue(office=office, service=svc_a, citizen=who, method=Method.QR)
        ticket = result.ticket
        if result.reused:  # given back: no line read with it, read now
            assert result.line is None
            continue
        assert result.line is not None
        kinds.add((ticket.priority_id is not None, ticket.booking_id is not None))
        with CaptureQueriesContext(connection) as ctx:
            ahead = selectors.people_ahead(ticket, line=result.line)
        assert len(ctx.captured_queries) == 0
        assert (
            ahead
            == selectors.people_ahead(ticket)
            == (selectors.line_for_service(office=office, service=svc_a).index(ticket.pk))
        ), ticket.display
        assert api.check_in_response(result)["people_ahead"] == ahead
        if i == 3:
            services.ticket_call_next(counter=counters[0], officer=officer)
    assert kinds == {(False, False), (True, False), (False, True)}


@pytest.mark.django_db(transaction=True)
def test_an_event_insert_notifies_the_listeners_itself_on_postgresql(office, svc_a):
    """PostgreSQL: the event's INSERT sends the NOTIFY (at commit) that broker.publish sent
    with a statement of its own, carrying the event exactly as a read of the row gives it
    ("office id:event id:{event}", the id filled in by the statement)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's NOTIFY")
    import psycopg

    from motcua.queueing import broker
    from motcua.queueing.models import TicketEvent

    conf = connection.settings_dict
    with psycopg.connect(
        host=conf["HOST"] or None,
        port=conf["PORT"] or None,
        user=conf["USER"] or None,
        password=conf["PASSWORD"] or None,
        dbname=conf["NAME"],
        autocommit=True,
    ) as listener:
        listener.execute(f"LISTEN {broker.CHANNEL}")
        ticket = ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF)
        event = TicketEvent.objects.get(ticket=ticket.ticket)
        got = [n.payload for n in listener.notifies(timeout=10, stop_after=1)]
    from motcua.queueing.selectors import event_payload

    read = broker.signal_payload(office.pk, event.pk, event_payload(event))
    assert read.startswith(f"{office.pk}:{event.pk}:{{")
    assert got == [read]
