"""Issue 10 point 5: the whole counter over the API, as the counter page drives it."""

from __future__ import annotations

import json

import pytest
from queueing_helpers import QR_A, QR_B

from factories import OfficeFactory, StaffRoleFactory
from motcua.core.services import api_token_issue
from motcua.org.models import Role
from motcua.queueing.models import EventKind, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

CHECK_IN = "/api/v1/kiosk/check-in"


def post(client, url, body=None, **kw):
    data = json.dumps(body) if body is not None else ""
    return client.post(url, data=data, content_type="application/json", **kw)


@pytest.fixture
def auth(officer):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=officer)}"}


def act(client, counter, action, auth, body=None, **kw):
    return post(
        client, f"/api/v1/counters/{counter.pk}/tickets/current/{action}", body, **auth, **kw
    )


def checked_in(client, office, qr=QR_A, service="A"):
    return post(client, CHECK_IN, {"qr": qr, "office": office.pk, "service": service}).json()


def call(client, counter, auth):
    return post(client, f"/api/v1/counters/{counter.pk}/call-next", **auth)


def test_a_ticket_walks_call_start_finish(at, client, office, counters, svc_a, auth):
    checked_in(client, office)
    assert act(client, counters[0], "start", auth).json()["code"] == "no_current_ticket"
    assert call(client, counters[0], auth).json()["ticket"] == "A001"
    r = act(client, counters[0], "recall", auth)
    assert r.status_code == 200 and r.json()["status"] == "called"
    assert Ticket.objects.get().recall_count == 1
    r = act(client, counters[0], "start", auth)
    assert r.status_code == 200 and r.json()["status"] == "serving" and r.json()["counter"] == 1
    r = act(client, counters[0], "finish", auth)
    assert r.status_code == 200 and r.json()["status"] == "done"
    kinds = list(TicketEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        EventKind.ISSUE,
        EventKind.CALL,
        EventKind.RECALL,
        EventKind.START,
        EventKind.FINISH,
    ]
    # Nothing current any more: the next finish is refused with a code, not a 500.
    again = act(client, counters[0], "finish", auth)
    assert again.status_code == 409 and again.json()["code"] == "no_current_ticket"


def test_no_show_and_a_recall_refused_by_state(at, client, office, counters, svc_a, auth):
    checked_in(client, office)
    call(client, counters[0], auth)
    act(client, counters[0], "start", auth)
    r = act(client, counters[0], "recall", auth)
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    # A citizen being served is not absent: refused, nothing changed.
    r = act(client, counters[0], "no-show", auth)
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    assert Ticket.objects.get().status == Status.SERVING
    act(client, counters[0], "finish", auth)
    checked_in(client, office, qr=QR_B)
    call(client, counters[0], auth)
    r = act(client, counters[0], "no-show", auth)
    assert r.status_code == 200 and r.json()["status"] == "no_show"


def test_park_then_resume_goes_back_to_this_counter(at, client, office, counters, svc_a, auth):
    checked_in(client, office)
    call(client, counters[0], auth)
    r = act(client, counters[0], "park", auth)
    assert r.status_code == 200 and r.json()["status"] == "parked"
    assert act(client, counters[0], "park", auth).json()["code"] == "no_current_ticket"
    assert act(client, counters[2], "resume", auth).json()["code"] == "no_parked_ticket"
    r = act(client, counters[0], "resume", auth, {"ticket": "A001"})
    assert r.status_code == 200 and r.json()["status"] == "waiting"
    ticket = Ticket.objects.get()
    assert ticket.target_counter_id == counters[0].pk and ticket.counter_id is None
    # Counter 3 also serves A but the resumed ticket is kept for counter 1.
    assert call(client, counters[2], auth).status_code == 204
    assert call(client, counters[0], auth).json()["ticket"] == "A001"


def test_transfer_to_a_service_and_to_a_counter(at, client, office, counters, svc_a, svc_b, auth):
    checked_in(client, office)
    call(client, counters[0], auth)
    r = act(client, counters[0], "transfer", auth, {})
    assert r.status_code == 422 and r.json()["code"] == "transfer_target_required"
    r = act(client, counters[0], "transfer", auth, {"to_counter": 999999})
    assert r.status_code == 404 and r.json()["code"] == "counter_not_found"
    r = act(client, counters[0], "transfer", auth, {"to_service": "Z"})
    assert r.status_code == 404 and r.json()["code"] == "service_unavailable"
    # Counter 2 serves only B: an A ticket cannot go there without changing its service.
    r = act(client, counters[0], "transfer", auth, {"to_counter": counters[1].pk})
    assert r.status_code == 422 and r.json()["code"] == "counter_service_mismatch"
    r = act(
        client, counters[0], "transfer", auth, {"to_service": "B", "to_counter": counters[1].pk}
    )
    assert r.status_code == 200 and r.json()["status"] == "waiting"
    assert r.json()["service_code"] == "B" and r.json()["ticket"] == "A001"
    assert call(client, counters[2], auth).status_code == 204  # kept for counter 2
    assert call(client, counters[1], auth).json()["ticket"] == "A001"


def test_needs_staff_of_the_office_and_a_known_action(at, client, office, counters, svc_a, auth):
    url = f"/api/v1/counters/{counters[0].pk}/tickets/current/start"
    r = post(client, url)
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    stranger = StaffRoleFactory(unit=OfficeFactory().unit, role=Role.RECEPTION).user
    r = post(client, url, HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=stranger)}")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = act(client, counters[0], "explode", auth)
    assert r.status_code == 404 and r.json()["code"] == "action_unknown"
    r = post(client, "/api/v1/counters/999999/tickets/current/start", **auth)
    assert r.status_code == 404 and r.json()["code"] == "counter_not_found"
    r = client.post(url, data="{nope", content_type="application/json", **auth)
    assert r.status_code == 422 and r.json()["code"] == "invalid"


def test_a_retried_finish_with_its_key_acts_once(at, client, office, counters, svc_a, auth):
    checked_in(client, office)
    checked_in(client, office, qr=QR_B)
    call(client, counters[0], auth)
    first = act(client, counters[0], "finish", auth, HTTP_IDEMPOTENCY_KEY="fin-1")
    call(client, counters[0], auth)  # A002 is now current at counter 1
    retried = act(client, counters[0], "finish", auth, HTTP_IDEMPOTENCY_KEY="fin-1")
    assert first.status_code == retried.status_code == 200 and first.content == retried.content
    assert retried["Idempotent-Replayed"] == "true"
    assert Ticket.objects.get(display="A002").status == Status.CALLED


def test_a_call_button_may_post_a_form_or_nothing(at, client, office, counters, svc_a, auth):
    checked_in(client, office)
    call(client, counters[0], auth)
    url = f"/api/v1/counters/{counters[0].pk}/tickets/current"
    assert client.post(f"{url}/start", **auth).json()["status"] == "serving"  # empty multipart
    checked_in(client, office, qr=QR_B)
    r = client.post(f"{url}/transfer", {"to_counter": counters[2].pk}, **auth)
    assert r.status_code == 200 and r.json()["status"] == "waiting"
    assert call(client, counters[2], auth).json()["ticket"] == "A001"


def test_a_revoked_role_or_token_stops_the_counter_at_once(at, client, office, counters, svc_a):
    """Roles are remembered per process (queueing/lookups.py) but a change made in this process
    counts at the next request; a revoked or expired API token is refused at the next request."""
    from datetime import timedelta

    from motcua.core import clock
    from motcua.core.models import ApiToken
    from motcua.org.models import StaffRole

    role = StaffRoleFactory(unit=office.unit, role=Role.RECEPTION)
    token = api_token_issue(user=role.user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    checked_in(client, office)
    checked_in(client, office, qr=QR_B)
    assert call(client, counters[0], auth).status_code == 200  # the roles are remembered now
    assert act(client, counters[0], "finish", auth).status_code == 200
    StaffRole.objects.get(pk=role.pk).delete()
    r = call(client, counters[0], auth)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert act(client, counters[0], "finish", auth).status_code == 403
    StaffRoleFactory(user=role.user, unit=office.unit, role=Role.RECEPTION)
    assert call(client, counters[0], auth).status_code == 200
    ApiToken.objects.filter(user=role.user).update(revoked=True)
    assert call(client, counters[2], auth).status_code == 401
    ApiToken.objects.filter(user=role.user).update(
        revoked=False, expires_at=clock.now() - timedelta(seconds=1)
    )
    assert call(client, counters[2], auth).status_code == 401
    ApiToken.objects.filter(user=role.user).update(expires_at=clock.now() + timedelta(hours=1))
    role.user.is_active = False
    role.user.save(update_fields=["is_active"])
    assert call(client, counters[2], auth).status_code == 401
