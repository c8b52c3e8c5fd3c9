"""Issue 9.7: malformed input answers 4xx with `{"code", "message"}`, never a server error.

Each case below was a 500 (or a non-JSON or `{"detail": ...}` answer) before the fix, or is kept
here so that it stays fixed (the body cap). Runs on SQLite and PostgreSQL alike; the column
length case matters most on PostgreSQL, which refuses an over-long value where SQLite stores it.
"""

from __future__ import annotations

import json

import pytest

from factories import CitizenFactory, OfficeFactory, ProcedureVersionFactory, StaffRoleFactory
from motcua.core.services import api_token_issue
from motcua.dossiers.models import Dossier
from motcua.org.models import Citizen, Role
from motcua.queueing.models import Service, Ticket

pytestmark = pytest.mark.django_db

CHECK_IN = "/api/v1/kiosk/check-in"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def office(db):
    office = OfficeFactory()
    Service.objects.create(office=office, code="A", name="Hộ tịch", sort=1)
    ProcedureVersionFactory(procedure__code="1.001193")
    CitizenFactory(phone="0912345678")
    return office


@pytest.fixture
def bearer(office):
    user = StaffRoleFactory(unit=office.unit, role=Role.RECEPTION).user
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user)}"}


def assert_error(response, status: int | tuple[int, ...], code: str | None = None) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("code"), str) and body["code"]
    assert isinstance(body.get("message"), str) and body["message"]
    assert "detail" not in body
    if code is not None:
        assert body["code"] == code, body
    return body


def dossier_body(office, **changes):
    body = {
        "procedure": "1.001193",
        "channel": "direct",
        "unit": office.unit.code,
        "citizen": {"id_number": "001085012345", "full_name": "Nguyễn Văn An", "sex": "M"},
    }
    body.update(changes)
    return body


def post_json(client, path, body, **headers):
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(path, data=raw, content_type="application/json", **headers)


@pytest.mark.parametrize("path", ["/api/v1/procedures", "/api/v1/public/procedures"])
@pytest.mark.parametrize("offset", [2**63, 2**63 - 1, 10**30, -1])
def test_huge_or_negative_offset(client, office, path, offset):
    assert_error(client.get(path, {"offset": offset}), 422, "invalid")


@pytest.mark.parametrize("path", ["/api/v1/procedures", "/api/v1/public/procedures"])
def test_ordinary_offsets_still_page(client, office, path):
    body = client.get(path, {"offset": 0, "limit": 1000}).json()
    assert body["limit"] == 500 and body["offset"] == 0 and body["count"] == 1


@pytest.mark.parametrize(
    "extra",
    [{"phone": [None]}, {"qr": {}}, {"phone": 912345678}, {"qr": ["x"]}, {"consent": 1}],
    ids=["phone-list", "qr-object", "phone-number", "qr-list", "consent-number"],
)
def test_kiosk_fields_of_the_wrong_type(client, office, extra):
    r = post_json(client, CHECK_IN, {"office": office.code, "service": "A", **extra})
    assert_error(r, 422, "invalid")
    assert not Ticket.objects.exists()


def test_kiosk_still_takes_a_phone_as_text_and_an_office_id(client, office):
    r = post_json(client, CHECK_IN, {"office": office.pk, "service": "A", "phone": "0912345678"})
    assert r.status_code == 201, r.json()


def test_kiosk_text_too_long(client, office):
    r = post_json(client, CHECK_IN, {"office": office.code, "service": "A", "phone": "0" * 21})
    assert_error(r, 422, "invalid")


@pytest.mark.parametrize("path", [CHECK_IN, "/api/v1/dossiers", "/api/v1/public/bookings"])
def test_multipart_without_boundary(client, office, bearer, path):
    r = client.post(path, data=b"--x\r\n", content_type="multipart/form-data", **bearer)
    assert_error(r, (400, 422))


def test_body_over_the_cap(client, office, settings):
    settings.MOTCUA = {**settings.MOTCUA, "MAX_REQUEST_BYTES": 1000}
    r = post_json(client, CHECK_IN, {"office": office.code, "service": "A", "qr": "x" * 2000})
    assert_error(r, 413, "payload_too_large")


def test_body_over_django_memory_limit(client, office, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = post_json(client, "/api/v1/public/ratings", {"verify": "x" * 2000, "level": "hai_long"})
    assert_error(r, (400, 413))


def test_unreadable_json(client, office, bearer):
    r = post_json(client, "/api/v1/dossiers", b'{"procedure": "\xff', **bearer)
    body = assert_error(r, 400, "bad_request")
    assert "JSON" in body["message"]


@pytest.mark.parametrize("bad", ["An\x00", "\ud800An", "Nguyễn \udfff"], ids=["nul", "hi", "lo"])
def test_nul_or_lone_surrogate_in_a_name(client, office, bearer, bad):
    body = dossier_body(office, citizen={"id_number": "001085012345", "full_name": bad})
    raw = json.dumps(body)  # \\u escapes: the surrogate travels as JSON text
    assert_error(post_json(client, "/api/v1/dossiers", raw, **bearer), 422)
    assert not Dossier.objects.exists() and Citizen.objects.count() == 1  # the fixture's only


@pytest.mark.parametrize("path", ["/api/v1/procedures?q=a%00b", "/api/v1/dossiers/A%00B"])
def test_nul_in_query_or_path(client, office, bearer, path):
    assert_error(client.get(path, **bearer), 422, "invalid_text")


def test_nul_in_a_booking_name(client, office):
    body = {
        "office": office.code,
        "service": "A",
        "slot_start": "2026-12-01T08:00:00+07:00",
        "id_number": "001085012345",
        "full_name": "A\x00",
        "phone": "0912345678",
    }
    assert_error(post_json(client, "/api/v1/public/bookings", body), 422, "invalid")


@pytest.mark.parametrize("fees", [10**30, 2**31, -1])
def test_fees_due_out_of_range(client, office, bearer, fees):
    r = post_json(client, "/api/v1/dossiers", dossier_body(office, fees_due=fees), **bearer)
    assert_error(r, 422, "invalid")


def test_quantities_out_of_range(client, office, bearer):
    body = dossier_body(office, quantities={"pages": 10**30})
    assert_error(post_json(client, "/api/v1/dossiers", body, **bearer), 422, "invalid")


@pytest.mark.parametrize(
    "citizen",
    [
        {"id_number": "001085012345", "full_name": "A" * 201},
        {"id_number": "0010850123456", "full_name": "An"},
        {"id_number": "001085012345", "full_name": "An", "phone": "0" * 21},
    ],
    ids=["name", "id", "phone"],
)
def test_text_longer_than_its_column(client, office, bearer, citizen):
    r = post_json(client, "/api/v1/dossiers", dossier_body(office, citizen=citizen), **bearer)
    assert_error(r, 422, "invalid")


def test_booking_name_longer_than_its_column(client, office):
    body = {
        "office": office.code,
        "service": "A",
        "slot_start": "2026-12-01T08:00:00+07:00",
        "id_number": "001085012345",
        "full_name": "Ă" * 201,
        "phone": "0912345678",
    }
    assert_error(post_json(client, "/api/v1/public/bookings", body), 422, "invalid")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-route",
        "/api/v1/queue/tickets/no-such-token",
        "/api/v1/counters/999999/call-next",
        "/api/v1/procedures/9.999999",
    ],
)
def test_every_404_has_a_code_and_message(client, office, bearer, path):
    call = client.post if path.endswith("call-next") else client.get
    assert_error(call(path, **bearer), 404)


def test_delete_face_of_unknown_citizen_is_a_coded_404(client, office, settings):
    from factories import UserFactory

    admin = UserFactory(username="sysadmin-fuzz", is_superuser=True, is_staff=True)
    token = api_token_issue(user=admin)
    r = client.delete("/api/v1/citizens/000000000000/face", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error(r, (403, 404))


@pytest.mark.parametrize("value", ["0", "1700000000", "31/12/2026"])
def test_dates_must_be_iso_text(client, office, bearer, value):
    assert_error(client.get("/api/v1/units", {"at": value}), 422, "invalid")
    assert_error(client.get("/api/v1/dossiers", {"date_from": value}, **bearer), 422, "invalid")


def test_a_number_is_not_a_booking_moment(client, office):
    body = {
        "office": office.code,
        "service": "A",
        "slot_start": 1764550800,
        "id_number": "001085012345",
        "full_name": "An",
        "phone": "0912345678",
    }
    assert_error(post_json(client, "/api/v1/public/bookings", body), 422, "invalid")


def test_kiosk_device_name_longer_than_its_column(client, office):
    body = {"office": office.code, "service": "A", "phone": "0912345678"}
    r = post_json(client, CHECK_IN, body, HTTP_X_KIOSK_DEVICE="k" * 81)
    assert_error(r, 422, "invalid")
    assert post_json(client, CHECK_IN, body, HTTP_X_KIOSK_DEVICE="kiosk-1").status_code == 201


def test_wrong_method_has_a_code_and_message(client, office):
    r = client.put("/api/v1/procedures")
    assert_error(r, 405, "method_not_allowed")
    assert "GET" in r["Allow"]
