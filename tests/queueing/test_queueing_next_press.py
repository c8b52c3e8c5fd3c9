"""One press of "next": call-next with `end` and `ticket` ends the counter's current ticket and
calls the next one in one request, and a double press never ends the citizen just called."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from test_queueing_concurrency import run_together

from motcua.core.services import api_token_issue
from motcua.queueing import services
from motcua.queueing.models import EventKind, Method, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(officer):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=officer)}"}


def _issue(office, svc, n=1):
    return [
        services.ticket_issue(office=office, service=svc, citizen=None, method=Method.STAFF).ticket
        for _ in range(n)
    ]


def press(client, counter, auth, body=None, **kw):
    data = json.dumps(body) if body is not None else ""
    return client.post(
        f"/api/v1/counters/{counter.pk}/call-next",
        data=data,
        content_type="application/json",
        **auth,
        **kw,
    )


def test_one_press_finishes_the_current_ticket_and_calls_the_next(
    at, client, office, counters, svc_a, auth
):
    first, second = _issue(office, svc_a, 2)
    assert press(client, counters[0], auth).json()["ticket"] == first.display
    r = press(client, counters[0], auth, {"end": "finish", "ticket": first.display})
    assert r.status_code == 200 and r.json()["ticket"] == second.display
    first.refresh_from_db()
    assert first.status == Status.DONE and first.finished_at is not None
    assert Ticket.objects.get(pk=second.pk).status == Status.CALLED
    kinds = list(TicketEvent.objects.order_by("id").values_list("ticket_id", "kind"))
    assert kinds[-3:] == [
        (first.pk, EventKind.CALL),
        (first.pk, EventKind.FINISH),
        (second.pk, EventKind.CALL),
    ]
    # The line is empty: the current ticket is still ended, and the answer is 204.
    r = press(client, counters[0], auth, {"end": "no-show", "ticket": second.display.lower()})
    assert r.status_code == 204
    assert Ticket.objects.get(pk=second.pk).status == Status.NO_SHOW


def test_a_second_press_naming_the_ended_ticket_is_refused_and_changes_nothing(
    at, client, office, counters, svc_a, auth
):
    first, second, third = _issue(office, svc_a, 3)
    press(client, counters[0], auth)
    body = {"end": "finish", "ticket": first.display}
    assert press(client, counters[0], auth, body).json()["ticket"] == second.display
    again = press(client, counters[0], auth, body)  # the double press
    assert again.status_code == 409 and again.json()["code"] == "ticket_not_current"
    assert "không còn là số hiện tại" in again.json()["message"]
    assert Ticket.objects.get(pk=second.pk).status == Status.CALLED  # not ended
    assert Ticket.objects.get(pk=third.pk).status == Status.WAITING  # not called


def test_a_late_press_never_ends_the_ticket_called_since(at, client, office, counters, svc_a, auth):
    first, second, _third = _issue(office, svc_a, 3)
    press(client, counters[0], auth)
    press(client, counters[0], auth, {"end": "finish", "ticket": first.display})
    services.ticket_start(ticket=Ticket.objects.get(pk=second.pk), officer=None)
    late = press(client, counters[0], auth, {"end": "no-show", "ticket": first.display})
    assert late.status_code == 409 and late.json()["code"] == "ticket_not_current"
    assert Ticket.objects.get(pk=second.pk).status == Status.SERVING


def test_a_press_with_an_idempotency_key_retried_answers_the_same(
    at, client, office, counters, svc_a, auth
):
    first, second, _third = _issue(office, svc_a, 3)
    press(client, counters[0], auth)
    body = {"end": "finish", "ticket": first.display}
    a = press(client, counters[0], auth, body, HTTP_IDEMPOTENCY_KEY="press-1")
    b = press(client, counters[0], auth, body, HTTP_IDEMPOTENCY_KEY="press-1")
    assert a.status_code == b.status_code == 200
    assert a.json() == b.json() and a.json()["ticket"] == second.display
    assert Ticket.objects.filter(status=Status.CALLED).count() == 1


def test_a_counter_with_nothing_current_just_calls(at, client, office, counters, svc_a, auth):
    (first,) = _issue(office, svc_a)
    r = press(client, counters[0], auth, {"end": "finish", "ticket": "A999"})
    assert r.status_code == 200 and r.json()["ticket"] == first.display


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"end": "finish"}, "end_invalid"),
        ({"ticket": "A001"}, "end_invalid"),
        ({"end": "park", "ticket": "A001"}, "end_invalid"),
        ({"end": ["finish"], "ticket": "A001"}, "end_invalid"),
        ({"end": "finish", "ticket": "  "}, "end_invalid"),
    ],
)
def test_a_press_without_a_valid_ending_is_refused_with_a_code(
    at, client, office, counters, svc_a, auth, body, code
):
    (first,) = _issue(office, svc_a)
    press(client, counters[0], auth)
    r = press(client, counters[0], auth, body)
    assert r.status_code == 422 and r.json()["code"] == code and r.json()["message"]
    assert Ticket.objects.get(pk=first.pk).status == Status.CALLED


def test_call_next_without_fields_is_unchanged(at, client, office, counters, svc_a, auth):
    """Before `end`, call-next read no body: clients that send `{}`, junk or a form keep the
    old answers (409 while a ticket is current)."""
    _issue(office, svc_a, 2)
    press(client, counters[0], auth)
    for data, ctype in (("{}", "application/json"), ("not json", "text/plain"), ("x=1", "application/x-www-form-urlencoded")):  # fmt: skip
        r = client.post(
            f"/api/v1/counters/{counters[0].pk}/call-next", data=data, content_type=ctype, **auth
        )
        assert r.status_code == 409 and r.json()["code"] == "counter_busy"


def test_a_press_needs_a_role_at_the_counters_office(at, client, office, counters, svc_a):
    from factories import UserFactory

    first, _second = _issue(office, svc_a, 2)
    stranger = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=UserFactory())}"}
    services.ticket_call_next(counter=counters[0], officer=None)
    r = press(client, counters[0], stranger, {"end": "finish", "ticket": first.display})
    assert r.status_code == 403
    assert Ticket.objects.get(pk=first.pk).status == Status.CALLED


def test_a_press_at_a_counter_moved_to_another_office_needs_a_role_at_the_tickets(
    at, client, office, counters, svc_a
):
    """A counter moved to another office while its ticket was current: an official of the new
    office alone may not end the old office's citizen (403, nothing ended or called)."""
    from factories import OfficeFactory, StaffRoleFactory
    from motcua.org.models import Role

    first, _second = _issue(office, svc_a, 2)
    services.ticket_call_next(counter=counters[0], officer=None)
    elsewhere = OfficeFactory()
    counters[0].office = elsewhere
    counters[0].save(update_fields=["office"])
    officer = StaffRoleFactory(unit=elsewhere.unit, role=Role.RECEPTION).user
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=officer)}"}
    r = press(client, counters[0], auth, {"end": "finish", "ticket": first.display})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert Ticket.objects.get(pk=first.pk).status == Status.CALLED
    assert Ticket.objects.filter(status=Status.CALLED).count() == 1


def _answer(response):
    body = response.json()
    return response.status_code, body.get("ticket") or body.get("code")


@pytest.mark.django_db(transaction=True)
def test_two_presses_at_once_end_one_ticket_and_call_one(at):
    from factories import CounterFactory, OfficeFactory, StaffRoleFactory
    from motcua.org.models import Role
    from motcua.queueing.models import CounterService, Service

    office = OfficeFactory()
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    counter = CounterFactory(office=office, number=1)
    CounterService.objects.create(counter=counter, service=svc)
    officer = StaffRoleFactory(unit=office.unit, role=Role.RECEPTION).user
    token = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=officer)}"}
    first, second, third = _issue(office, svc, 3)
    services.ticket_call_next(counter=counter, officer=officer)
    body = {"end": "finish", "ticket": first.display}
    answers = run_together(lambda: _answer(press(Client(), counter, token, body)), [(), (), ()])
    assert sorted(answers) == [
        (200, second.display),
        (409, "ticket_not_current"),
        (409, "ticket_not_current"),
    ]
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {first.pk: Status.DONE, second.pk: Status.CALLED, third.pk: Status.WAITING}


_PG_ONLY = pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql", reason="PostgreSQL's row locks"
)


def _one_counter(n):
    """An office with one service and one counter, its official, `n` tickets, the first called."""
    from factories import CounterFactory, OfficeFactory, StaffRoleFactory
    from motcua.org.models import Role
    from motcua.queueing.models import CounterService, Service

    office = OfficeFactory()
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    counter = CounterFactory(office=office, number=1)
    CounterService.objects.create(counter=counter, service=svc)
    officer = StaffRoleFactory(unit=office.unit, role=Role.RECEPTION).user
    tickets = _issue(office, svc, n)
    services.ticket_call_next(counter=counter, officer=officer)
    return counter, officer, tickets


def _while_a_press_holds_the_row(counter, officer, display, other):
    """In this order: a press ending `display` at `counter` (and calling the next) holds its
    transaction open, the current ticket's row locked; `other()` starts in another thread and
    waits for that row; the press commits. What `other` returned, or raised."""
    import threading

    from django.db import connections, transaction

    from motcua.org.models import Counter

    holding, commit = threading.Event(), threading.Event()
    outcome: list[object] = []

    def the_press() -> None:
        try:
            with transaction.atomic():
                services.ticket_call_next_ending(
                    counter=Counter(pk=counter.pk), officer=officer, end="finish", display=display
                )
                holding.set()
                commit.wait(20)
        finally:
            connections.close_all()

    def the_other() -> None:
        try:
            outcome.append(other())
        except Exception as exc:  # noqa: BLE001 (the caller's assertion says which)
            outcome.append(exc)
        finally:
            connections.close_all()

    a = threading.Thread(target=the_press)
    a.start()
    assert holding.wait(20)
    b = threading.Thread(target=the_other)
    b.start()
    _until_a_row_lock_is_awaited()
    commit.set()
    a.join(20)
    b.join(20)
    assert len(outcome) == 1, outcome
    return outcome[0]


def _until_a_row_lock_is_awaited() -> None:
    import threading

    from django.db import connection

    with connection.cursor() as cur:
        for _ in range(2000):
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cur.fetchone()[0]:
                return
            threading.Event().wait(0.01)
    pytest.fail("nobody waited on the row")


@_PG_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_press_that_waited_for_the_ticket_it_names_is_refused_after_the_other_commits(at):
    """PostgreSQL, made to happen in this order: a first press holds the current ticket's row,
    ends it and calls the next; a second press naming the same ticket waits for the row; the
    first commits. The second's locked read then finds nothing (the ended ticket no longer
    qualifies, the one called since is not in its snapshot): it must look again and refuse,
    not call past the citizen just called."""
    from motcua.org.models import Counter

    counter, officer, (first, second, third) = _one_counter(3)
    outcome = _while_a_press_holds_the_row(
        counter,
        officer,
        first.display,
        lambda: services.ticket_call_next_ending(
            counter=Counter(pk=counter.pk), officer=officer, end="finish", display=first.display
        ),
    )
    assert isinstance(outcome, services.TicketNotCurrent), outcome
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {first.pk: Status.DONE, second.pk: Status.CALLED, third.pk: Status.WAITING}


@_PG_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_button_that_waited_for_the_current_ticket_never_acts_on_the_one_called_since(at):
    """PostgreSQL: a press holds the current ticket's row, ends it and calls the next; the API's
    "finish the current ticket" (which names no ticket, `services.CurrentOf`) waits for that
    row in its own locked read. After the press commits, the ticket it waited for is ended and
    the one called since is not in its snapshot: it is refused (no_current_ticket) and the
    citizen just called is left alone."""
    counter, officer, (first, second) = _one_counter(2)
    outcome = _while_a_press_holds_the_row(
        counter,
        officer,
        first.display,
        lambda: services.ticket_finish(ticket=services.CurrentOf(counter.pk), officer=officer),
    )
    assert isinstance(outcome, services.NoCurrentTicket), outcome
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {first.pk: Status.DONE, second.pk: Status.CALLED}
