"""Health check, OpenAPI schema, bearer tokens with lockout, the error shape."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db.utils import OperationalError

from factories import UserFactory
from motcua.core.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_database_unreachable(client):
    with mock.patch("motcua.web.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] != "ok"


def test_openapi_schema_lists_the_token_endpoint(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/auth/token" in schema["paths"]


def test_token_issued_for_valid_credentials_and_only_its_hash_is_stored(client):
    user = UserFactory(username="tiepnhan-test")
    response = client.post(
        "/api/v1/auth/token",
        {"username": "tiepnhan-test", "password": "motcua-demo"},
        content_type="application/json",
    )
    assert response.status_code == 200
    raw = response.json()["token"]
    row = ApiToken.objects.get(user=user)
    assert row.digest == ApiToken.hash(raw) and raw not in row.digest
    assert AuditEvent.objects.filter(action="api_token.issue", actor=user).exists()


def test_wrong_password_gets_vietnamese_error_with_stable_code(client):
    UserFactory(username="sai-mat-khau")
    response = client.post(
        "/api/v1/auth/token",
        {"username": "sai-mat-khau", "password": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "invalid_credentials"
    assert "mật khẩu" in body["message"]


def test_repeated_failures_lock_the_account_out_even_with_the_right_password(client, settings):
    UserFactory(username="bi-khoa")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/api/v1/auth/token",
            {"username": "bi-khoa", "password": "sai"},
            content_type="application/json",
        )
    response = client.post(
        "/api/v1/auth/token",
        {"username": "bi-khoa", "password": "motcua-demo"},
        content_type="application/json",
    )
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_malformed_body_gets_the_error_shape(client):
    response = client.post("/api/v1/auth/token", {"username": 1}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["message"]


def test_unknown_api_path_gets_the_error_shape(client):
    response = client.get("/api/v1/khong-co")
    assert response.status_code == 404
