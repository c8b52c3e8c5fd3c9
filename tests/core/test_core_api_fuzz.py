"""Issue 9: schemathesis over the whole OpenAPI document, as two roles.

Every operation of `/api/v1/openapi.json` is called with generated valid and invalid data, in
process through the WSGI application on the test database, once anonymously (a kiosk, a citizen,
a partner) and once with a reception official's bearer token. Checks: no server error, the
status code, content type and body of every answer are those the document declares, and data
the document rules out is refused. Derandomized: the same cases on every run.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from factories import (
    CitizenFactory,
    CounterFactory,
    OfficeFactory,
    ProcedureVersionFactory,
    StaffRoleFactory,
)
from motcua.core.services import api_token_issue
from motcua.org.models import Role
from motcua.queueing.models import CounterService, Service

# Codes of the server's own input validation (pydantic, the kiosk schema, unreadable bodies,
# forbidden characters): a request valid by the document must never get one of them.
VALIDATION_CODES = {"invalid", "bad_request", "invalid_text"}


@schemathesis.check
def valid_data_passes_validation(ctx, response, case):
    """The declared schemas are as strict as the server's validation: what the document allows
    is never refused as malformed (refusals by a rule of the domain have their own codes)."""
    meta = case.meta
    if (
        meta is None
        or not meta.generation.mode.is_positive
        or response.status_code not in (400, 422)
    ):
        return None
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        code = None
    if code in VALIDATION_CODES:
        raise AssertionError(f"valid data refused as malformed: {response.text[:500]}")
    return None


CHECKS = [
    valid_data_passes_validation,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
MAX_EXAMPLES = 25


@pytest.fixture
def wsgi_on_test_database():
    """The WSGI handler closes the database connection after each request, which would close
    the test's transaction: Django's own test client disconnects the same signals."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def office_data(db, settings, wsgi_on_test_database):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Generated calls come fast: the limits are tested elsewhere, here they would hide the rest.
    settings.MOTCUA = {
        **settings.MOTCUA,
        "KIOSK_CHECK_IN_PER_MINUTE": 100_000,
        "KIOSK_IDENTIFY_PER_MINUTE": 100_000,
        "ONLINE_SUBMISSIONS_PER_HOUR": 100_000,
        "ONLINE_SUBMISSIONS_PER_ID_PER_DAY": 100_000,
        "PUBLIC_LOOKUP_PER_MINUTE": 100_000,
    }
    office = OfficeFactory()
    service = Service.objects.create(office=office, code="A", name="Hộ tịch", sort=1)
    counter = CounterFactory(office=office, number=1)
    CounterService.objects.create(counter=counter, service=service)
    ProcedureVersionFactory(procedure__code="1.001193")
    CitizenFactory(phone="0912345678")
    return StaffRoleFactory(unit=office.unit, role=Role.RECEPTION).user


# The document needs no database: it is read once, when the tests are collected.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
# Unknown query parameters are ignored, as HTTP APIs do; everything else invalid is generated.
schema.config.generation.update(allow_extra_parameters=False)


FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def call_and_check(case, headers: dict[str, str]) -> None:
    if case.path.endswith("/events"):  # a server-sent stream: one batch, not 55 seconds
        case.query = {**(case.query or {}), "once": "1", "max": "0.5"}
    # Uncompressed answers: the test transport does not inflate gzip.
    case.call_and_validate(
        headers={"Accept-Encoding": "identity", **headers},
        checks=CHECKS,
        environ_base={"REMOTE_ADDR": "203.0.113.7"},  # as every WSGI server sets it
    )


@schema.parametrize()
@FUZZ
def test_api_as_anonymous_caller(case, office_data):
    call_and_check(case, {})


@schema.parametrize()
@FUZZ
def test_api_as_reception_official(case, office_data):
    call_and_check(case, {"Authorization": f"Bearer {api_token_issue(user=office_data)}"})
