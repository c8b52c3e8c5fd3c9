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


@pytest.mark.django_db
def test_plain_sql_read_answers_as_the_orm_did(make_dossier, settings):
    """The plain-SQL read gives the ORM's answer: values and types, events at the same moment in
    id order, an online submission (reference = code: no official code), paused, result set,
    every wrong input answering the same not-found."""
    from datetime import timedelta

    from public_lookup_reference import same_answer

    settings.RATELIMIT_ENABLE = False
    now = clock.now().replace(microsecond=123456)
    plain = make_dossier(status=2, paused_at=None)
    online = make_dossier(
        status=5, code="TT-260115-ABCD12", reference="TT-260115-ABCD12", channel="online",
        paused_at=now, appointment_at=now + timedelta(days=9),
    )  # fmt: skip
    done = make_dossier(
        status=10, reference="TT-260114-XYZ999", result_ready_at=now - timedelta(hours=5),
        returned_at=now, result_timeliness="late", paused_at=None,
    )  # fmt: skip
    for d in (plain, online, done):
        for i, (action, to) in enumerate([("receive", 2), ("assign", 4), ("pause", 5)]):
            # Two events at the same moment: id order, as the ORM's ("at", "id").
            DossierEvent.objects.create(
                dossier=d, at=now - timedelta(hours=3 - min(i, 1)), action=action,
                from_status=0, to_status=to,
            )  # fmt: skip
    verify_id = lambda d: d.citizen_id_number[-4:]  # noqa: E731
    for d in (plain, online, done):
        view = same_answer(d.code, verify_id(d))
        assert [e["action"] for e in view["timeline"]] == ["receive", "assign", "pause"]
        same_answer(f"  {d.code} ", verify_id(d))  # the code is trimmed
        same_answer(d.code, d.citizen_phone_last4)
        same_answer(d.code, f" {verify_id(d)} ")
    assert same_answer(online.code, verify_id(online))["official_code"] is None
    assert same_answer(done.reference, verify_id(done))["code"] == done.code  # by reference
    # Digits that are neither of the plain dossier's (the factories' sequences reach "0000"
    # once a worker has made 10,000 citizens).
    mine = {verify_id(plain), plain.citizen_phone_last4}
    wrong = next(d * 4 for d in "0123456789" if d * 4 not in mine)
    for code, verify in [
        (plain.code, wrong), (plain.code, ""), (plain.code, "12345"), (plain.code, "１２３４"),
        ("NO-SUCH-CODE", "1234"), ("", verify_id(plain)), ("x" * 200, "1234"),
        (plain.code, verify_id(plain)[:3] + "a"),
    ]:  # fmt: skip
        assert same_answer(code, verify)[0] == "not found"


@pytest.mark.django_db
def test_lookup_statements_with_the_limits_on(make_dossier, settings):
    """With the limits on (the database cache): the client's window and the code's lock count
    read together (one read, one write), then the two reads of the answer."""
    dossier = make_dossier(status=2, paused_at=None)
    verify = dossier.citizen_id_number[-4:]
    settings.RATELIMIT_ENABLE = True
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_LOOKUP_PER_MINUTE": 100}
    client = Client()
    client.get(f"/api/v1/public/dossiers/{dossier.code}?verify={verify}")  # opens the window
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(f"/api/v1/public/dossiers/{dossier.code}?verify={verify}")
    assert r.status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(sql) <= 4, sql  # before: 6 (has_key, locked read, write, lock count, 2 reads)


@pytest.mark.django_db
def test_lookup_statements_stay_prepared_on_postgresql(make_dossier, settings):
    """PostgreSQL: the lookup's two reads are prepared once per connection (parsed and planned
    once), and answer as the ORM read; DB_PREPARE=0 (the setting off): nothing prepared."""
    from public_lookup_reference import same_answer

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements: PostgreSQL only")
    settings.RATELIMIT_ENABLE = False
    dossier = make_dossier(status=2, paused_at=None)
    DossierEvent.objects.create(
        dossier=dossier, at=clock.now(), action="receive", from_status=0, to_status=2
    )

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [r[0] for r in cursor.fetchall()]

    settings.DB_PREPARED_STATEMENTS = False
    same_answer(dossier.code, dossier.citizen_id_number[-4:])
    assert not any("dossiers_dossier" in s for s in prepared())
    settings.DB_PREPARED_STATEMENTS = True
    for _ in range(3):
        same_answer(dossier.code, dossier.citizen_id_number[-4:])
    same_answer(dossier.code, "0000" if dossier.citizen_phone_last4 != "0000" else "1111")
    statements = prepared()
    assert sum('FROM "dossiers_dossier" d' in s for s in statements) == 1
    assert sum('FROM "dossiers_dossierevent"' in s for s in statements) == 1


@pytest.mark.django_db
def test_lookup_page_reads_the_dossier_once_for_money_and_delivery(make_dossier, settings):
    """The lookup page (POST /tra-cuu/) shows the fees, receipts and delivery choice of a
    verified dossier: the dossier is read once with its procedure and version, not field by
    field (its fee fields, channel and code were each one more query when it was read with
    `.only("id", "status")`: 15 statements, now 7)."""
    dossier = make_dossier(status=2, paused_at=None)
    verify = dossier.citizen_id_number[-4:]
    settings.RATELIMIT_ENABLE = False
    client = Client()
    data = {"code": dossier.code, "verify": verify}
    client.post("/tra-cuu/", data)  # warm
    with CaptureQueriesContext(connection) as ctx:
        r = client.post("/tra-cuu/", data)
    assert r.status_code == 200
    page = r.content.decode()
    assert dossier.code in page and "Còn phải nộp" in page and "Cách nhận kết quả" in page
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    dossier_reads = [s for s in sql if 'FROM "dossiers_dossier"' in s]
    assert len(dossier_reads) <= 2, dossier_reads  # the answer's read, and the page's one
    assert len(sql) <= 8, sql
