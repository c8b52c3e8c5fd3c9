"""Issue 9.5: a write through the API with a logged-in session needs a valid CSRF token.

Django's test client skips CSRF checks unless asked (`enforce_csrf_checks=True`): every client
here enforces them, as a browser's requests are checked in production.
"""

from __future__ import annotations

import json

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from factories import CitizenFactory, OfficeFactory, ProcedureVersionFactory, StaffRoleFactory
from motcua.core.models import IdempotencyKey
from motcua.core.services import api_token_issue
from motcua.dossiers.models import Dossier
from motcua.org.models import Role
from motcua.queueing.models import Service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def office(db):
    office = OfficeFactory()
    Service.objects.create(office=office, code="A", name="Hộ tịch", sort=1)
    ProcedureVersionFactory(procedure__code="1.001193")
    CitizenFactory(phone="0912345678")  # known, so the kiosk finds them by phone
    return office


@pytest.fixture
def officer(office):
    return StaffRoleFactory(unit=office.unit, role=Role.RECEPTION).user


def body(office):
    return {
        "procedure": "1.001193",
        "channel": "direct",
        "unit": office.unit.code,
        "citizen": {"id_number": "001085012345", "full_name": "Nguyễn Văn An", "sex": "M"},
    }


def session_client(user, *, csrf: bool) -> tuple[Client, dict[str, str]]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    if not csrf:
        return client, {}
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    return client, {"HTTP_X_CSRFTOKEN": secret}


def post(client, path, data, **headers):
    return client.post(path, data=json.dumps(data), content_type="application/json", **headers)


def test_session_write_without_csrf_token_is_refused(office, officer):
    client, _ = session_client(officer, csrf=False)
    r = post(client, "/api/v1/dossiers", body(office))
    assert r.status_code == 403
    assert r.json()["code"] == "csrf_failed"
    assert "CSRF" in r.json()["message"] and "mã chống giả mạo" in r.json()["message"]
    assert not Dossier.objects.exists()  # not received as the official, nor as an online one


def test_session_write_with_wrong_csrf_token_is_refused(office, officer):
    client, _ = session_client(officer, csrf=True)
    r = post(client, "/api/v1/dossiers", body(office), HTTP_X_CSRFTOKEN=_get_new_csrf_string())
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"


def test_session_write_with_csrf_token_is_accepted(office, officer):
    client, headers = session_client(officer, csrf=True)
    r = post(client, "/api/v1/dossiers", body(office), **headers)
    assert r.status_code == 201, r.json()
    assert Dossier.objects.get().events.get().actor == officer  # received as the official


def test_bearer_write_needs_no_csrf_token(office, officer):
    client = Client(enforce_csrf_checks=True)
    token = api_token_issue(user=officer)
    r = post(client, "/api/v1/dossiers", body(office), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 201, r.json()


def test_session_reads_need_no_csrf_token(office, officer):
    client, _ = session_client(officer, csrf=False)
    assert client.get("/api/v1/dossiers").status_code == 200


def test_anonymous_write_with_a_session_but_no_token_is_anonymous(office, officer):
    """A kiosk page open in a logged-in browser still checks in, but not as that official."""
    client, _ = session_client(officer, csrf=False)
    r = post(
        client,
        "/api/v1/kiosk/check-in",
        {"office": office.code, "service": "A", "phone": "0912345678"},
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert r.status_code == 201, r.json()
    assert IdempotencyKey.objects.get().client.startswith("ip:")


def test_anonymous_write_without_any_session_still_works(office):
    r = post(
        Client(enforce_csrf_checks=True),
        "/api/v1/kiosk/check-in",
        {"office": office.code, "service": "A", "phone": "0912345678"},
    )
    assert r.status_code == 201, r.json()


def test_api_docs_page_sends_the_csrf_token(officer):
    client, _ = session_client(officer, csrf=False)
    page = client.get("/api/v1/docs").content.decode()
    assert 'data-api-csrf="true"' in page
