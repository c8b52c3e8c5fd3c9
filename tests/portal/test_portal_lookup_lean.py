"""The public lookup (API and page) reads only what it shows: three statements (dossier with its
procedure and unit, its events, its home-visit rows) besides the rate limits, same answer."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from motcua.core import clock
from motcua.dossiers.models import DossierEvent


@pytest.mark.django_db
def test_lookup_answer_and_statements(make_dossier, settings):
    dossier = make_dossier(status=2, paused_at=None)
    DossierEvent.objects.create(
        dossier=dossier, at=clock.now(), action="receive", from_status=0, to_status=2
    )
    verify = dossier.citizen_id_number[-4:]
    settings.RATELIMIT_ENABLE = False  # the limits' own statements are counted elsewhere
    client = Client()
    client.get(f"/api/v1/public/dossiers/{dossier.code}?verify={verify}")  # warm
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(f"/api/v1/public/dossiers/{dossier.code}?verify={verify}")
    assert r.status_code == 200
    assert len(ctx.captured_queries) <= 3
    body = r.json()
    assert set(body) == {
        "code", "reference", "official_code", "procedure", "procedure_code", "unit", "channel",
        "status", "status_label", "received_at", "due_at", "appointment_at", "paused",
        "result_ready_at", "returned_at", "result_timeliness", "timeline",
    }  # fmt: skip
    version = dossier.procedure_version
    assert body["code"] == body["official_code"] == dossier.code
    assert body["procedure"] == version.name
    assert body["procedure_code"] == version.procedure.code
    assert body["unit"] == dossier.unit.name
    assert body["status"] == 2 and body["paused"] is False
    assert body["received_at"] == clock.local(dossier.received_at).isoformat()
    assert [e["action"] for e in body["timeline"]] == ["receive"]
    for personal in (dossier.citizen_id_number, dossier.citizen.full_name):
        assert personal not in r.content.decode()
