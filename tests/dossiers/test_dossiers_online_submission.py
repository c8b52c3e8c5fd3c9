"""Issue 9 point 3: an anonymous online submission gets a reference (no official number until
an official accepts it), is limited per address and per identity, and every text field of the
API is limited to its column's size."""

from __future__ import annotations

import re

import pytest
from dossiers_helpers import CITIZEN, vn

from challenge_helpers import challenge_header
from motcua.core import clock
from motcua.core.models import Sequence
from motcua.core.services import api_token_issue
from motcua.dossiers.models import Dossier

pytestmark = pytest.mark.django_db

ONLINE = {"procedure": "1.001193", "channel": "online", "citizen": CITIZEN, "unit": "WARD1"}
REF = re.compile(r"^TT-\d{6}-[A-Z2-9]{8}$")


def submit(client, body=ONLINE, ip="203.0.113.7", **extra):
    if "HTTP_AUTHORIZATION" not in extra:  # anonymous callers prove some work
        extra = {**challenge_header(), **extra}
    return client.post(
        "/api/v1/dossiers", data=body, content_type="application/json", REMOTE_ADDR=ip, **extra
    )


def person(i):
    return {**CITIZEN, "id_number": f"0010850{i:05d}", "full_name": f"Trần Thị Bình {i}"}


def test_a_submission_gets_a_reference_and_the_official_code_comes_at_acceptance(client, office):
    with clock.frozen(vn(2026, 3, 10, 9, 0)):
        r = submit(client)
    assert r.status_code == 201
    body = r.json()
    assert body["code"] is None and REF.match(body["reference"]), body
    assert body["reference"].startswith("TT-260310-") and body["status"] == 1
    assert not Sequence.objects.filter(key__startswith="dossier:").exists()  # no number used
    ref = body["reference"]
    # The citizen finds the submission by its reference (API and portal page).
    found = client.get(f"/api/v1/public/dossiers/{ref}", {"verify": "2345"})
    assert found.status_code == 200 and found.json()["reference"] == ref
    assert found.json()["official_code"] is None
    page = client.post("/tra-cuu/", {"code": ref, "verify": "2345"}).content.decode()
    assert ref in page and "Chưa cấp" in page
    # Reception accepts it: the official code is given then, from the gapless counter.
    token = api_token_issue(user=office.tiepnhan)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    staff_view = client.get(f"/api/v1/dossiers/{ref}", **auth)
    assert staff_view.status_code == 200 and staff_view.json()["code"] is None
    with clock.frozen(vn(2026, 3, 11, 14, 0)):
        accepted = client.post(
            f"/api/v1/dossiers/{ref}/actions",
            data={"action": "accept"},
            content_type="application/json",
            **auth,
        )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["code"] == "000.00.20.H26-260311-0001"
    assert accepted.json()["reference"] == ref
    # Both the reference and the official code keep finding it.
    for number in (ref, "000.00.20.H26-260311-0001"):
        r = client.get(f"/api/v1/public/dossiers/{number}", {"verify": "2345"})
        assert r.status_code == 200 and r.json()["official_code"] == "000.00.20.H26-260311-0001"
    client.force_login(office.tiepnhan)
    page = client.get(f"/can-bo/ho-so/{ref}/")  # an old link by reference still opens it
    assert page.status_code == 200 and "000.00.20.H26-260311-0001" in page.content.decode()


def test_a_refused_submission_never_takes_an_official_number(client, office):
    ref = submit(client).json()["reference"]
    token = api_token_issue(user=office.tiepnhan)
    r = client.post(
        f"/api/v1/dossiers/{ref}/actions",
        data={"action": "refuse", "reason": "Hồ sơ rác"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 200 and r.json()["code"] is None
    assert not Sequence.objects.filter(key__startswith="dossier:").exists()


def test_sixty_submissions_from_one_address_are_cut_at_the_hourly_limit(client, office, settings):
    settings.MOTCUA = {**settings.MOTCUA, "ONLINE_SUBMISSIONS_PER_HOUR": 10}
    answers = [submit(client, {**ONLINE, "citizen": person(i)}) for i in range(60)]
    assert [a.status_code for a in answers].count(201) == 10
    refused = answers[-1]
    assert refused.status_code == 429 and refused.json()["code"] == "online_submission_rate_limited"
    assert Dossier.objects.count() == 10
    # Another address is not blocked by this one; staff with a token are not limited.
    assert submit(client, {**ONLINE, "citizen": person(99)}, ip="198.51.100.9").status_code == 201


def test_one_identity_submits_at_most_n_a_day_from_any_address(client, office, settings):
    settings.MOTCUA = {**settings.MOTCUA, "ONLINE_SUBMISSIONS_PER_ID_PER_DAY": 3}
    with clock.frozen(vn(2026, 3, 10, 9, 0)):
        codes = [submit(client, ip=f"198.51.100.{i}").status_code for i in range(4)]
        assert codes == [201, 201, 201, 429]
        r = submit(client, ip="198.51.100.50")
        assert r.json()["code"] == "online_submission_quota" and r.json()["message"]
    with clock.frozen(vn(2026, 3, 11, 9, 0)):  # the next day
        assert submit(client, ip="198.51.100.60").status_code == 201


@pytest.mark.parametrize(
    "field,value",
    [
        ("full_name", "A" * 10_000_000),
        ("address", "x" * 301),
        ("id_number", "0" * 13),
        ("phone", "9" * 21),
        ("notes", "n" * 4001),
    ],
)
def test_text_longer_than_its_column_is_refused_and_nothing_is_stored(client, office, field, value):
    body = (
        {**ONLINE, "notes": value}
        if field == "notes"
        else {**ONLINE, "citizen": {**CITIZEN, field: value}}
    )
    r = submit(client, body)
    assert r.status_code == 422 and r.json()["code"] and r.json()["message"]
    assert not Dossier.objects.exists()
