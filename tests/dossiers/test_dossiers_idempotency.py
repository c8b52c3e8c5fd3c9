"""Issue 9 point 6: retries with an Idempotency-Key never create a second dossier; a dropped
database connection answers 503 with a code."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection
from dossiers_helpers import CITIZEN, vn

from challenge_helpers import challenge_header
from motcua.core import clock
from motcua.core.idempotency import idempotency_keys_expire
from motcua.core.models import IdempotencyKey
from motcua.core.services import api_token_issue
from motcua.dossiers.models import Dossier

BODY = {"procedure": "1.001193", "channel": "direct", "citizen": CITIZEN, "unit": "WARD1"}


def post(client, token, body, key=None, path="/api/v1/dossiers"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else challenge_header()
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(path, data=body, content_type="application/json", **headers)


@pytest.mark.django_db
def test_the_same_key_returns_the_first_answer_and_never_a_second_dossier(client, office):
    token = api_token_issue(user=office.tiepnhan)
    with clock.frozen(vn(2026, 3, 10, 9, 0)):
        first = post(client, token, BODY, key="k-1")
        again = post(client, token, BODY, key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Dossier.objects.count() == 1
    assert first.json()["code"] == "000.00.20.H26-260310-0001"
    # The key row was written with the dossier (same transaction), with the answer.
    row = IdempotencyKey.objects.get()
    assert row.status == 201 and row.client == f"user:{office.tiepnhan.pk}"
    # Another key is another dossier; no key at all behaves as before.
    with clock.frozen(vn(2026, 3, 10, 9, 5)):
        assert post(client, token, BODY, key="k-2").json()["code"].endswith("-0002")
        assert post(client, token, BODY).json()["code"].endswith("-0003")
    assert Dossier.objects.count() == 3


@pytest.mark.django_db
def test_a_key_reused_with_another_body_is_refused_with_a_code(client, office):
    token = api_token_issue(user=office.tiepnhan)
    assert post(client, token, BODY, key="same").status_code == 201
    other = post(client, token, {**BODY, "notes": "khác"}, key="same")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert other.json()["message"]
    assert Dossier.objects.count() == 1
    bad = post(client, token, BODY, key="x" * 300)
    assert bad.status_code == 422 and bad.json()["code"] == "idempotency_key_invalid"


@pytest.mark.django_db
def test_keys_belong_to_one_client(client, office):
    a = api_token_issue(user=office.tiepnhan)
    b = api_token_issue(user=office.tainha)
    home = {**BODY, "channel": "home"}
    assert post(client, a, home, key="shared").status_code == 201
    assert post(client, b, home, key="shared").status_code == 201
    assert Dossier.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_call_keeps_no_key_so_the_corrected_retry_goes_through(client, office):
    token = api_token_issue(user=office.tiepnhan)
    refused = post(client, token, {**BODY, "papers": []}, key="fix-me")
    assert refused.status_code == 422 and refused.json()["code"] == "missing_papers"
    assert not IdempotencyKey.objects.exists()
    assert post(client, token, {**BODY, "papers": []}, key="fix-me").status_code == 422
    assert post(client, token, BODY, key="fix-me-2").status_code == 201


@pytest.mark.django_db
def test_an_action_retried_with_its_key_is_applied_once(client, office):
    token = api_token_issue(user=office.tiepnhan)
    code = post(client, token, BODY).json()["code"]
    move = {"action": "assign", "to_user": "chuyenvien"}
    path = f"/api/v1/dossiers/{code}/actions"
    first = post(client, token, move, key="assign-1", path=path)
    again = post(client, token, move, key="assign-1", path=path)
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert Dossier.objects.get().events.filter(action="assign").count() == 1


@pytest.mark.django_db
def test_old_keys_expire(client, office, settings):
    token = api_token_issue(user=office.tiepnhan)
    with clock.frozen(vn(2026, 3, 10, 9, 0)):
        post(client, token, BODY, key="old")
    assert idempotency_keys_expire(now=vn(2026, 3, 10, 20, 0)) == 0
    assert idempotency_keys_expire(now=vn(2026, 3, 11, 9, 1)) == 1
    from motcua.core.tasks import idempotency_keys_expire_periodic

    assert idempotency_keys_expire_periodic.call_local() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_make_one_dossier(office):
    """Eight copies of one request at once (a client retrying on timeouts): one dossier."""
    from django.test import Client

    token = api_token_issue(user=office.tiepnhan)
    n = 8
    barrier = threading.Barrier(n)
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            r = post(Client(), token, BODY, key="burst")
            with lock:
                answers.append((r.status_code, r.content))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == n
    assert {status for status, _ in answers} == {201}
    assert len({body for _, body in answers}) == 1
    assert Dossier.objects.count() == 1 and IdempotencyKey.objects.count() == 1


@pytest.mark.django_db
def test_a_dropped_database_connection_answers_503_with_a_code(client, office, monkeypatch):
    from motcua.dossiers import services

    def dropped(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "dossier_receive", dropped)
    token = api_token_issue(user=office.tiepnhan)
    r = post(client, token, BODY, key="k")
    assert r.status_code == 503
    assert r.json()["code"] == "db_unavailable" and r.json()["message"]
    assert r["Retry-After"]
