"""Issue 9 point 8: a dossier code is locked for an hour after a few wrong verifiers, whoever
sends them (the lock is keyed on the code, not on the client)."""

from __future__ import annotations

import pytest
from dossiers_helpers import CITIZEN, vn

from motcua.core import clock
from motcua.core.throttle import CODE_FAILURES
from motcua.dossiers.services import dossier_receive

pytestmark = pytest.mark.django_db


def test_wrong_verifiers_from_many_addresses_lock_the_code_for_everyone(client, office):
    with clock.frozen(vn(2026, 3, 10, 9, 0)):
        d = dossier_receive(
            procedure_code="1.001193",
            channel="direct",
            citizen=CITIZEN,
            unit=office.ward,
            actor=office.tiepnhan,
        )
    url = f"/api/v1/public/dossiers/{d.code}"
    for i in range(CODE_FAILURES):  # each guess from its own address
        r = client.get(url, {"verify": f"{1000 + i}"}, REMOTE_ADDR=f"198.51.100.{i}")
        assert r.status_code == 404
    # Now even the right verifier, from a fresh address, through the page or the API, waits.
    r = client.get(url, {"verify": "2345"}, REMOTE_ADDR="203.0.113.200")
    assert r.status_code == 429 and r.json()["code"] == "code_locked" and r.json()["message"]
    page = client.post("/tra-cuu/", {"code": d.code, "verify": "2345"}, REMOTE_ADDR="203.0.113.201")
    assert page.status_code == 429 and "tạm khóa 1 giờ" in page.content.decode()
    # Other codes are not affected.
    other = client.get(
        "/api/v1/public/dossiers/000.00.20.H26-260310-0099", {"verify": "2345"},
        REMOTE_ADDR="203.0.113.202",
    )  # fmt: skip
    assert other.status_code == 404


def test_right_verifiers_do_not_count(client, office):
    d = dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen=CITIZEN,
        unit=office.ward,
        actor=office.tiepnhan,
    )
    for i in range(CODE_FAILURES + 2):
        r = client.get(
            f"/api/v1/public/dossiers/{d.code}", {"verify": "2345"}, REMOTE_ADDR=f"10.0.0.{i}"
        )
        assert r.status_code == 200


def test_ratings_by_code_share_the_lock_with_the_lookup(client, office):
    d = dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen=CITIZEN,
        unit=office.ward,
        actor=office.tiepnhan,
    )
    for i in range(CODE_FAILURES):
        r = client.post(
            "/api/v1/public/ratings",
            {"dossier": d.code, "verify": f"{1000 + i}", "level": "satisfied"},
            content_type="application/json",
            REMOTE_ADDR=f"198.51.100.{i}",
        )
        assert r.status_code in (403, 404, 422), r.content
    r = client.get(
        f"/api/v1/public/dossiers/{d.code}", {"verify": "2345"}, REMOTE_ADDR="203.0.113.9"
    )
    assert r.status_code == 429 and r.json()["code"] == "code_locked"


def test_lock_keys_hold_no_user_text(client):
    """A typed code reaches the cache only as a digest: no spaces, control characters or any
    length in a key (memcached refuses them; Django warns CacheKeyWarning)."""
    import warnings

    from django.core.cache import CacheKeyWarning

    from motcua.core.throttle import _code_key

    hostile = " lý do\x01\x7f " + "x" * 300
    key = _code_key("dossier", hostile)
    assert key.isascii() and key.isprintable() and " " not in key and len(key) < 100
    assert "LÝ" not in key and "X" * 10 not in key
    # The same code typed differently (case, spaces around) is the same key: one count.
    assert _code_key("dossier", " ab-1 ") == _code_key("dossier", "AB-1")
    assert _code_key("dossier", "AB-1") != _code_key("home_visit", "AB-1")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        for i in range(CODE_FAILURES):
            r = client.get(
                "/api/v1/public/dossiers/LÝ DO\x15", {"verify": "1234"}, REMOTE_ADDR=f"10.1.0.{i}"
            )
            assert r.status_code in (404, 422)
