"""The queue API: shapes, kiosk check-in by face/QR/phone, call-next, board, server-sent events."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from queueing_helpers import QR_A, QR_B, blank_jpeg, face_jpeg

from async_helpers import run_async
from motcua.core.services import api_token_issue
from motcua.queueing.models import BlockedAttempt, Method, Ticket

pytestmark = pytest.mark.django_db

CHECK_IN = "/api/v1/kiosk/check-in"


def post_json(client, url, body, **kw):
    return client.post(url, data=json.dumps(body), content_type="application/json", **kw)


def upload(client, office, image, **fields):
    data = {
        "office": str(office.pk),
        "service": "A",
        "image": SimpleUploadedFile("f.jpg", image, "image/jpeg"),
        **fields,
    }
    return client.post(CHECK_IN, data=data)


def test_offices_listing(client, office, counters, svc_a, svc_b):
    body = client.get("/api/v1/queue/offices").json()
    mine = next(o for o in body if o["id"] == office.pk)
    assert mine["code"] == office.code and mine["name"] == office.name
    assert mine["services"] == [
        {"code": "A", "name": "Hộ tịch"},
        {"code": "B", "name": "Chứng thực"},
    ]
    assert [c["number"] for c in mine["counters"]] == [1, 2, 3] and set(mine["counters"][0]) == {
        "id",
        "number",
        "name",
    }


def test_check_in_by_qr_then_reused(at, client, office, counters, svc_a):
    r = post_json(client, CHECK_IN, {"qr": QR_A, "office": office.code, "service": "A"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert {k: body[k] for k in ("ticket", "service", "status", "people_ahead", "reused")} == {
        "ticket": "A001", "service": "Hộ tịch", "status": "waiting", "people_ahead": 0, "reused": False,
    }  # fmt: skip
    assert body["estimated_wait_s"] == 0 and body["url"].endswith(f"/ve/{body['token']}/")
    again = post_json(client, CHECK_IN, {"qr": QR_A, "office": office.pk, "service": "A"})
    assert (
        again.status_code == 200
        and again.json()["reused"] is True
        and again.json()["ticket"] == "A001"
    )
    second = post_json(client, CHECK_IN, {"qr": QR_B, "office": office.pk, "service": "A"}).json()
    assert second["ticket"] == "A002" and second["people_ahead"] == 1
    # Two counters serve A and both are free: the second person is called at once.
    assert second["estimated_wait_s"] == 0
    live = client.get(f"/api/v1/queue/tickets/{second['token']}").json()
    assert live["people_ahead"] == 1 and live["position"] == 2


def test_check_in_by_phone(at, client, office, svc_a, citizens):
    r = post_json(
        client, CHECK_IN, {"phone": citizens[0].phone, "office": office.pk, "service": "A"}
    )
    assert r.status_code == 201
    assert Ticket.objects.get().method == Method.PHONE
    unknown = post_json(
        client, CHECK_IN, {"phone": "0399999999", "office": office.pk, "service": "A"}
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "phone_unknown"


def test_check_in_refusals_have_codes(at, client, office, svc_a, rules):
    bad_qr = post_json(client, CHECK_IN, {"qr": "abc", "office": office.pk, "service": "A"})
    assert bad_qr.status_code == 422 and bad_qr.json()["code"] == "qr_malformed"
    nothing = post_json(client, CHECK_IN, {"office": office.pk, "service": "A"})
    assert nothing.json()["code"] == "identification_required"
    no_service = post_json(client, CHECK_IN, {"qr": QR_A, "office": office.pk, "service": "Z"})
    assert no_service.status_code == 404 and no_service.json()["code"] == "service_unavailable"
    rules.daily_cap = 1
    rules.save()
    from motcua.queueing.models import Service

    Service.objects.create(office=office, code="B", name="Chứng thực")
    post_json(client, CHECK_IN, {"qr": QR_A, "office": office.pk, "service": "A"})
    capped = post_json(client, CHECK_IN, {"qr": QR_A, "office": office.pk, "service": "B"})
    assert capped.status_code == 429
    assert capped.json()["code"] == "duplicate_limit" and "số phiếu" in capped.json()["message"]


def test_face_first_visit_then_face_only(at, client, office, svc_a, fake_engine):
    face = face_jpeg((40, 60, 200))
    unknown = upload(client, office, face)
    assert unknown.status_code == 404 and unknown.json()["code"] == "face_unknown"
    assert "QR" in unknown.json()["message"]
    first = upload(client, office, face, qr=QR_A, consent="remember")
    assert first.status_code == 201 and first.json()["ticket"] == "A001"
    # Next time the face alone finds the same person and their ticket.
    back = upload(client, office, face_jpeg((40, 60, 200), centre=(300, 250), radius=120))
    assert (
        back.status_code == 200
        and back.json()["reused"] is True
        and back.json()["ticket"] == "A001"
    )
    assert BlockedAttempt.objects.filter(reason="duplicate").count() == 1
    # A new look of the same card holder (unknown face + their card) still gives no second ticket.
    other = upload(client, office, face_jpeg((200, 60, 40)), qr=QR_A)
    assert other.status_code == 200 and other.json()["reused"] is True
    first_ticket = Ticket.objects.get()
    assert first_ticket.method == Method.QR and first_ticket.citizen.id_number == "001085012345"


def test_face_of_someone_else_with_a_card_is_refused(at, client, office, svc_a, fake_engine):
    face = face_jpeg((40, 60, 200))
    assert upload(client, office, face, qr=QR_A, consent="today").status_code == 201
    r = upload(client, office, face, qr=QR_B)
    assert r.status_code == 409 and r.json()["code"] == "face_mismatch"


def test_face_quality_errors_pass_through(at, client, office, svc_a, fake_engine):
    r = upload(client, office, blank_jpeg())
    assert r.status_code == 422 and r.json()["code"] == "no_face"
    small = upload(client, office, face_jpeg(radius=12))
    assert small.status_code == 422 and small.json()["code"] == "face_too_small"
    junk = upload(client, office, b"not an image")
    assert junk.status_code == 422 and junk.json()["code"] == "bad_image"


def test_face_with_consent_declined_keeps_no_template(at, client, office, svc_a, fake_engine):
    from motcua.biometrics.models import FaceTemplate

    r = upload(client, office, face_jpeg(), qr=QR_A, consent="none")
    assert r.status_code == 201 and FaceTemplate.objects.count() == 0


def test_call_next_needs_staff_and_returns_204_when_empty(
    at, client, office, counters, svc_a, officer
):
    url = f"/api/v1/counters/{counters[0].pk}/call-next"
    assert client.post(url).status_code == 401
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=officer)}"}
    assert client.post(url, **auth).status_code == 204
    post_json(client, CHECK_IN, {"qr": QR_A, "office": office.pk, "service": "A"})
    r = client.post(url, **auth)
    assert (
        r.status_code == 200
        and r.json()["ticket"] == "A001"
        and r.json()["status"] == "called"
        and r.json()["counter"] == 1
    )


def test_board_snapshot_and_sse_event_for_a_call(at, client, office, counters, svc_a, officer):
    from motcua.queueing.services import ticket_call_next

    post_json(client, CHECK_IN, {"qr": QR_A, "office": office.pk, "service": "A"})
    board = client.get(f"/api/v1/queue/{office.code}/board").json()
    assert board["waiting"] == 1 and board["services"][0]["next"] == ["A001"]
    last = board["last_event_id"]
    ticket_call_next(counter=counters[0], officer=officer)
    r = client.get(f"/api/v1/queue/{office.pk}/events?once=1&max=5", HTTP_LAST_EVENT_ID=str(last))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/event-stream")
    text = b"".join(r.streaming_content).decode()
    assert "event: call" in text
    data = json.loads(
        next(
            line[6:] for line in text.splitlines() if line.startswith("data: ") and "phrase" in line
        )
    )
    assert data["ticket"] == "A001" and data["counter"] == 1
    assert data["phrase"] == "Mời công dân có số thứ tự A001 đến quầy số 1"


def test_sse_ends_by_itself_when_quiet(client, office):
    r = client.get(f"/api/v1/queue/{office.pk}/events?max=0.5")
    text = b"".join(r.streaming_content).decode()
    assert text.startswith("retry: 1000") and "event: ready" in text


def test_sse_streams_under_asgi_with_an_async_generator(at, office, counters, svc_a, officer):
    """Under ASGI the stream must be async (a sync one would be buffered whole before sending)."""
    from django.test import AsyncClient

    from motcua.queueing.selectors import last_event_id
    from motcua.queueing.services import ticket_call_next, ticket_issue

    ticket = ticket_issue(office=office, service=svc_a, citizen=None, method=Method.STAFF).ticket
    last = last_event_id(office_id=office.pk)
    ticket_call_next(counter=counters[0], officer=officer)

    async def read() -> tuple[bool, str]:
        r = await AsyncClient().get(
            f"/api/v1/queue/{office.pk}/events?once=1&max=5", headers={"Last-Event-ID": str(last)}
        )
        chunks = [c async for c in r.streaming_content]
        return r.is_async, b"".join(chunks).decode()

    is_async, text = run_async(read)
    assert is_async and "event: call" in text and ticket.display in text


def test_check_in_and_call_next_retried_with_their_keys_act_once(
    at, client, office, counters, svc_a, officer
):
    """Issue 9 point 6: a retried check-in replays its answer; a retried call-next calls once."""
    body = {"qr": QR_A, "office": office.code, "service": "A"}
    first = post_json(client, CHECK_IN, body, HTTP_IDEMPOTENCY_KEY="in-1")
    again = post_json(client, CHECK_IN, body, HTTP_IDEMPOTENCY_KEY="in-1")
    assert first.status_code == again.status_code == 201 and first.content == again.content
    post_json(client, CHECK_IN, {**body, "qr": QR_B}, HTTP_IDEMPOTENCY_KEY="in-2")
    assert Ticket.objects.count() == 2
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=officer)}"}
    url = f"/api/v1/counters/{counters[0].pk}/call-next"
    called = client.post(url, HTTP_IDEMPOTENCY_KEY="call-1", **auth)
    retried = client.post(url, HTTP_IDEMPOTENCY_KEY="call-1", **auth)
    assert called.status_code == retried.status_code == 200
    assert called.json()["ticket"] == retried.json()["ticket"] == "A001"
    assert Ticket.objects.filter(status="waiting").count() == 1  # A002 still waits
