"""Edges of the lean check-in and the API lane: two check-ins racing for a number, a header twice."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from factories import CitizenFactory
from motcua.queueing import hotsql, lookups
from motcua.queueing.models import Method

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's BEGIN IMMEDIATE serialises whole check-ins: no reader runs meanwhile",
)
def test_check_in_position_counts_a_ticket_committed_while_it_waited_for_its_number(
    at, office, counters, svc_a
):
    """Two people check in for one service at once. B reads its day (and, since the lean
    check-in, the line it joins) while A holds the service's number; B then waits for that
    number, so A's ticket (earlier, lower id) is committed and ahead of B when B's ticket is
    written. B's slip must say 1 person ahead, as the position read after the issue says
    (before issue 10's line_at it was read after the number: 1)."""
    from motcua.queueing import selectors
    from motcua.queueing.api import check_in_response
    from motcua.queueing.services import tickets as ticket_services

    a, b = CitizenFactory(), CitizenFactory()
    lookups.settings(office.pk)  # the office's queue rules exist (created at first use)
    b_read, a_numbered = threading.Event(), threading.Event()
    real_today, real_seq = hotsql.person_today, ticket_services.sequence_next

    def person_today(**kw):
        out = real_today(**kw)
        if kw["citizen_id"] == b.pk:
            b_read.set()
        return out

    def sequence_next(*, key):
        number = real_seq(key=key)
        if threading.current_thread().name == "A":
            a_numbered.set()
            b_read.wait(30)  # A holds the number's row lock while B reads its day
        return number

    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def issue(name, citizen):
        try:
            results[name] = ticket_services.ticket_issue(
                office=office, service=svc_a, citizen=citizen, method=Method.QR
            )
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    mp = pytest.MonkeyPatch()
    mp.setattr(hotsql, "person_today", person_today)
    mp.setattr(ticket_services, "sequence_next", sequence_next)
    try:
        ta = threading.Thread(target=issue, args=("A", a), name="A")
        ta.start()
        assert a_numbered.wait(30)
        # B starts once A holds the number (A waits for B's read inside its transaction).
        tb = threading.Thread(target=issue, args=("B", b), name="B")
        tb.start()
        ta.join(60)
        tb.join(60)
    finally:
        mp.undo()
    assert not errors, errors
    res_a, res_b = results["A"], results["B"]
    assert res_a.ticket.number < res_b.ticket.number  # A took the number first
    answer = check_in_response(res_b)
    after = selectors.ticket_position(res_b.ticket)
    assert after["people_ahead"] == 1
    assert answer["people_ahead"] == after["people_ahead"]


def test_a_repeated_header_is_read_as_django_joins_it(at, office, counters, svc_a, settings):
    """Django's ASGIRequest joins a repeated header's lines with "," (META): two
    Accept-Encoding lines "identity" and "gzip" accept gzip, and two Cookie lines make one
    malformed CSRF cookie that Django replaces (Set-Cookie). The lane read the first line only:
    no gzip, and no new CSRF cookie, where Django gave both."""
    import test_queueing_apilane as t
    from django.utils import text

    settings.MOTCUA = {
        **settings.MOTCUA,
        "KIOSK_CHECK_IN_PER_MINUTE": 100_000,
        "KIOSK_IDENTIFY_PER_MINUTE": 100_000,
    }
    mp = pytest.MonkeyPatch()
    mp.setattr(text, "_get_random_filename", lambda n: b"x" * 7)  # gzip's padding, the same
    try:
        pair = t.Pair()
        pair.learn("POST", t.CHECK_IN, b"{", t.JSON)
        body = {"office": office.code, "service": "A"}
        twice = [*t.JSON, ("Accept-Encoding", "identity"), ("Accept-Encoding", "gzip")]
        _status, headers, _data = pair.same(
            ("POST", t.CHECK_IN, t._json({**body, "qr": t.QR_A}), twice),
            ("POST", t.CHECK_IN, t._json({**body, "qr": t.QR_B}), twice),
        )
        assert (b"Content-Encoding", b"gzip") in headers
        cookies = [*t.JSON, ("Cookie", "csrftoken=" + "a" * 32), ("Cookie", "lang=vi")]
        _status, headers, _data = pair.same(("POST", t.CHECK_IN, b"{", cookies), by="django")
        assert any(k == b"Set-Cookie" and v.startswith(b"csrftoken=") for k, v in headers)
    finally:
        mp.undo()
