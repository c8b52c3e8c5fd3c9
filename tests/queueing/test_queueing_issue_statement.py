"""PostgreSQL: a ticket's number, the ticket, its ISSUE event and the signal in one statement
(`hotsql.issue_insert`): the same numbers, displays, rows and signal as one by one."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.core.models import Sequence
from motcua.queueing import broker
from motcua.queueing.models import EventKind, Method, Ticket, TicketEvent
from motcua.queueing.numbering import ticket_display
from motcua.queueing.services import ticket_issue

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement on PostgreSQL"),
]


def _issue(office, svc):
    return ticket_issue(office=office, service=svc, citizen=None, method=Method.STAFF).ticket


def test_numbers_and_displays_as_numbering_writes_them(at, office, svc_a):
    first = _issue(office, svc_a)  # the day's first: the key's row is made (one by one)
    assert (first.number, first.display) == (1, "A001")
    key = Sequence.objects.get(key__startswith=f"ticket:{office.pk}:A:")
    for number in (2, 9, 10, 99, 100, 999, 1000, 1001, 12345):
        Sequence.objects.filter(pk=key.pk).update(value=number - 1)
        with CaptureQueriesContext(connection) as ctx:
            ticket = _issue(office, svc_a)
        assert sum('"core_sequence"' in q["sql"] for q in ctx.captured_queries) == 1
        assert (ticket.number, ticket.display) == (number, ticket_display("A", number))
        row = Ticket.objects.get(pk=ticket.pk)
        assert (row.number, row.display, row.token) == (number, ticket.display, ticket.token)
        event = TicketEvent.objects.get(ticket=row)
        assert event.kind == EventKind.ISSUE and event.detail == {
            "method": Method.STAFF,
            "device": "",
        }
        assert event.office_id == office.pk and event.counter_id is None


def test_the_statement_sends_the_signal_with_the_event(at, office, svc_a, monkeypatch):
    _issue(office, svc_a)  # the key's row
    sent = []
    real = broker.signal_template
    monkeypatch.setattr(broker, "signal_template", lambda o, e: sent.append(real(o, e)) or sent[-1])
    with CaptureQueriesContext(connection) as ctx:
        ticket = _issue(office, svc_a)
    statement = next(q["sql"] for q in ctx.captured_queries if '"core_sequence"' in q["sql"])
    assert "pg_notify" in statement and "queueing_ticketevent" in statement
    event = TicketEvent.objects.get(ticket=ticket)
    payload = sent[0].replace(broker.ID_SLOT, str(event.pk))
    office_id, event_id, carried = payload.split(":", 2)
    assert (int(office_id), int(event_id)) == (office.pk, event.pk)
    assert json.loads(carried)["id"] == event.pk and json.loads(carried)["kind"] == "issue"


def test_the_statement_as_a_request_runs_it_prepared(at, office, svc_a, monkeypatch):
    """Without queries captured (a test that captures them gets the ordinary cursor): the
    statement runs prepared, its values bound on the server, as in production."""
    from motcua.queueing import hotsql

    _issue(office, svc_a)  # the key's row
    answers = []
    real = hotsql.issue_insert

    def spy(*args, **kwargs):
        answers.append(real(*args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(hotsql, "issue_insert", spy)
    tickets = [_issue(office, svc_a) for _ in range(7)]  # past psycopg's prepare threshold
    assert all(a is not None for a in answers) and len(answers) == 7
    assert [(t.number, t.display) for t in tickets] == [(n, f"A{n:03d}") for n in range(2, 9)]
    for ticket in tickets:
        row = Ticket.objects.get(pk=ticket.pk)
        assert (row.number, row.display, row.token) == (ticket.number, ticket.display, ticket.token)
        event = TicketEvent.objects.get(ticket=row)
        assert event.kind == EventKind.ISSUE and event.at == row.issued_at  # a frozen clock
        assert event.detail == {"method": Method.STAFF, "device": ""}
