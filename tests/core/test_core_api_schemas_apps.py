"""Issue 9: the request schemas of the payments, delivery and home-visit APIs are as strict as
their columns and choices, and malformed input there answers 4xx with {code, message}."""

from __future__ import annotations

import json
import typing

import pytest

from factories import OfficeFactory, ProcedureVersionFactory, StaffRoleFactory
from motcua.core.services import api_token_issue
from motcua.org.models import Role

pytestmark = pytest.mark.django_db


def literal_values(annotation) -> set[str]:
    values: set[str] = set()
    for arg in typing.get_args(annotation) or ():
        if typing.get_args(arg):
            values |= literal_values(arg)
        elif isinstance(arg, str):
            values.add(arg)
    return values


def test_fixed_choices_are_the_models_choices():
    from motcua.delivery.api import DeliveryIn, InboundIn
    from motcua.delivery.models import Method as DeliveryMethod
    from motcua.dossiers.api import DeliveryChoiceIn
    from motcua.homeservice.api import ActionIn, VisitIn
    from motcua.homeservice.models import Eligibility, HalfDay
    from motcua.homeservice.services import ACTIONS
    from motcua.payments.api import PaymentIn
    from motcua.payments.models import Method as PaymentMethod

    def choices(schema, field):
        return literal_values(schema.model_fields[field].annotation)

    assert choices(PaymentIn, "method") == set(PaymentMethod.values)
    assert choices(DeliveryIn, "method") == set(DeliveryMethod.values)
    assert choices(DeliveryChoiceIn, "method") == set(DeliveryMethod.values)
    assert choices(InboundIn, "delivery_method") == {*DeliveryMethod.values, ""}
    assert choices(VisitIn, "half_day") == set(HalfDay.values)
    assert choices(ActionIn, "half_day") == set(HalfDay.values)
    assert choices(VisitIn, "eligibility") == set(Eligibility.values)
    assert choices(ActionIn, "action") == set(ACTIONS)


def test_document_bounds_are_json_schema_keywords(client):
    """Bounds are written as minimum/maximum: pydantic's own ge/le (which it writes when a bound
    follows a validator) mean nothing to a client, so the bound went undeclared."""
    doc = client.get("/api/v1/openapi.json").json()
    found: list[str] = []

    def walk(node, where):
        if isinstance(node, dict):
            found.extend(f"{where}.{k}" for k in ("ge", "le", "gt", "lt") if k in node)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(doc, "")
    assert not found


def test_request_schemas_of_the_new_apps_derive_from_input_schema():
    from ninja import Schema

    from motcua.core.schemas import InputSchema
    from motcua.delivery import api as delivery_api
    from motcua.homeservice import api as homeservice_api
    from motcua.payments import api as payments_api

    for module in (delivery_api, homeservice_api, payments_api):
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, Schema)
                and name.endswith("In")
                and value.__module__ == module.__name__
            ):
                assert issubclass(value, InputSchema), f"{module.__name__}.{name}"


@pytest.fixture
def official(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    office = OfficeFactory()
    ProcedureVersionFactory(procedure__code="1.001193")
    user = StaffRoleFactory(unit=office.unit, role=Role.RECEPTION).user
    return office, {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user)}"}


def post_json(client, path, body, **headers):
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def assert_refused(response, status=422):
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] and body["message"]
    return body


@pytest.mark.parametrize("posted_at", ["hôm qua", "2026-13-45", 1767225600])
def test_postal_inbound_unreadable_posting_time(client, official, posted_at):
    """Was a 500: the posting time went to datetime.fromisoformat unchecked."""
    office, bearer = official
    body = {
        "waybill": "EB123456789VN",
        "procedure_code": "1.001193",
        "unit": office.unit.code,
        "citizen": {"id_number": "001085012345", "full_name": "Nguyễn Văn An"},
        "posted_at": posted_at,
    }
    assert_refused(post_json(client, "/api/v1/postal/inbound", body, **bearer))


def test_postal_inbound_citizen_fields_are_bounded(client, official):
    office, bearer = official
    body = {
        "waybill": "EB123456789VN",
        "procedure_code": "1.001193",
        "unit": office.unit.code,
        "citizen": {"id_number": "001085012345", "full_name": "A" * 5000, "address": [1]},
    }
    assert_refused(post_json(client, "/api/v1/postal/inbound", body, **bearer))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/dossiers/{}/fees",
        "/api/v1/payments/{}",
        "/api/v1/dossiers/{}/delivery",
        "/api/v1/public/home-visits/{}",
    ],
)
def test_path_codes_are_bounded(client, official, path):
    _office, bearer = official
    assert_refused(client.get(path.format("X" * 61), **bearer))


def test_payment_method_outside_the_choices(client, official):
    _office, bearer = official
    body = assert_refused(
        post_json(client, "/api/v1/dossiers/ABC/payments", {"method": "bitcoin"}, **bearer)
    )
    assert body["code"] == "payment_method_invalid"  # the service's code, kept


def test_home_visit_action_outside_the_choices_and_dates_as_text(client, official):
    _office, bearer = official
    path = "/api/v1/home-visits/HV-1/actions"
    assert_refused(post_json(client, path, {"action": "explode", "key": "k1"}, **bearer))
    assert_refused(
        post_json(client, path, {"action": "reschedule", "key": "k1", "date": 1767225600}, **bearer)
    )
    assert_refused(client.get("/api/v1/home-visits", {"date": "01/02/2026"}, **bearer))


def test_document_has_no_duplicate_keys(client):
    """A key given twice (an int status from ninja, the same status as text from openapi_extra)
    is valid JSON for Python but Swagger UI's YAML reader refuses the whole document."""
    duplicates: list[str] = []

    def pairs_hook(pairs):
        keys = [key for key, _ in pairs]
        duplicates.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(pairs)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=pairs_hook)
    assert duplicates == []


def test_correspondence_choices_and_bounds(client, official):
    from motcua.correspondence.api import DocumentIn
    from motcua.correspondence.models import Secrecy, Urgency

    def choices(field):
        return literal_values(DocumentIn.model_fields[field].annotation)

    assert choices("urgency") == set(Urgency.values)
    assert choices("secrecy") == set(Secrecy.values)
    _office, bearer = official
    for path in (f"/api/v1/documents/{2**63}", f"/api/v1/documents?offset={2**63}"):
        assert_refused(client.get(path, **bearer))
