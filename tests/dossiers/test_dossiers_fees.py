"""Reception charges what the law charges and uses the legal time of the case chosen."""

from __future__ import annotations

import pytest
from dossiers_helpers import CITIZEN, vn

from motcua.catalog.demo import demo_procedures
from motcua.catalog.services import catalog_import
from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import dossier_act, dossier_receive

pytestmark = pytest.mark.django_db

CODES = ("1.004222", "2.000815", "1.000894", "1.004859")


@pytest.fixture
def catalogue(office):
    catalog_import(data=[p for p in demo_procedures() if p["code"] in CODES])
    return office


def receive(office, procedure, *, channel="direct", at=None, **kw):
    with clock.frozen(at or vn(2026, 3, 10, 9, 0)):  # a Tuesday
        return dossier_receive(
            procedure_code=procedure,
            channel=channel,
            citizen=CITIZEN,
            unit=office.ward,
            actor=None if channel == "online" else office.tiepnhan,
            **kw,
        )


def test_online_residence_registration_owes_the_online_fee(catalogue):
    counter = receive(catalogue, "1.004222")
    online = receive(catalogue, "1.004222", channel="online")
    assert (counter.fees_due, online.fees_due) == (20000, 10000)
    assert online.fee_detail["channel"] == "online"
    assert online.fee_detail["lines"][0]["kind"] == "le_phi"


def test_copy_certification_charges_the_pages_and_copies_given_at_reception(catalogue):
    d = receive(catalogue, "2.000815", quantities={"pages": 12, "copies": 2})
    assert d.fees_due == 2 * (4000 + 10 * 1000)
    assert d.fee_quantities == {"pages": 12, "copies": 2}
    big = receive(catalogue, "2.000815", quantities={"pages": 400, "copies": 1})
    assert big.fees_due == 200000
    with pytest.raises(ValidationFailed) as exc:
        receive(catalogue, "2.000815", quantities={"pages": 0})
    assert exc.value.code == "invalid_quantity"


def test_an_exemption_records_its_proof_and_who_checked_it(catalogue):
    with pytest.raises(ValidationFailed) as exc:
        receive(catalogue, "1.004859", exemption="ho-ngheo")
    assert exc.value.code == "exemption_proof_required"
    d = receive(
        catalogue,
        "1.004859",
        exemption="ho-ngheo",
        exemption_proof="Giấy chứng nhận hộ nghèo số 12",
    )
    assert d.fees_due == 0 and d.fee_exemption == "ho-ngheo"
    assert d.fee_exemption_checked_by == catalogue.tiepnhan
    assert d.fee_exemption_proof == "Giấy chứng nhận hộ nghèo số 12"
    assert "điểm a khoản 1 Điều 11" in d.fee_detail["lines"][0]["exemption_basis"]
    with pytest.raises(ValidationFailed) as exc:
        receive(catalogue, "1.004222", exemption="ho-ngheo", exemption_proof="x")
    assert exc.value.code == "exemption_unknown"
    assert Dossier.objects.filter(procedure__code="1.004222").count() == 0


def test_a_client_amount_other_than_the_law_is_refused(catalogue):
    with pytest.raises(ValidationFailed) as exc:
        receive(catalogue, "1.004222", channel="online", fees_due=20000)
    assert exc.value.code == "fees_mismatch" and "10.000 đồng" in exc.value.message
    assert receive(catalogue, "1.004222", fees_due=20000).fees_due == 20000


def test_marriage_registration_by_default_is_due_the_same_day(catalogue):
    d = receive(catalogue, "1.000894")
    assert d.time_case == "ngay"
    assert clock.local(d.due_at).date().isoformat() == "2026-03-10"


def test_marriage_registration_with_verification_is_due_in_5_working_days(catalogue):
    # Law on Civil Status 2014, art. 18(2): up to 5 working days when the conditions must be
    # verified. From Tuesday 10/3/2026: Wed 11, Thu 12, Fri 13, Mon 16, Tue 17 March.
    d = receive(catalogue, "1.000894", time_case="xac-minh")
    assert d.time_case == "xac-minh"
    due = clock.local(d.due_at)
    assert due.date().isoformat() == "2026-03-17"
    assert due == clock.local(d.original_due_at)
    with pytest.raises(ValidationFailed) as exc:
        receive(catalogue, "1.000894", time_case="ba-ngay")
    assert exc.value.code == "time_case_unknown"


def test_an_online_marriage_submission_keeps_its_case_until_accepted(catalogue):
    d = receive(catalogue, "1.000894", channel="online", time_case="xac-minh")
    assert d.due_at is None
    with clock.frozen(vn(2026, 3, 11, 8, 0)):
        d = dossier_act(dossier=d, action="accept", actor=catalogue.tiepnhan)
    # Accepted Wednesday 11/3: five working days end Wednesday 18 March.
    assert clock.local(d.due_at).date().isoformat() == "2026-03-18"


def test_reception_page_asks_pages_and_copies_and_charges_them(client, catalogue):
    client.force_login(catalogue.tiepnhan)
    html = client.get("/can-bo/ho-so/tiep-nhan/", {"thu_tuc": "2.000815"}).content.decode()
    assert 'name="pages"' in html and 'name="copies"' in html
    assert (
        "2.000 đồng/trang (trang 1–2); 1.000 đồng/trang (từ trang 3); tối đa 200.000 đồng/bản"
        in html
    )
    data = {
        "procedure": "2.000815",
        "channel": "direct",
        "id_number": "001190012345",
        "full_name": "Nguyễn Thị Hương",
        "pages": "5",
        "copies": "2",
        "fees_due": "1",  # a typed amount is ignored: the law's amount is computed
        "papers": ["0", "1"],
    }
    response = client.post("/can-bo/ho-so/tiep-nhan/", data)
    assert response.status_code == 302, [
        line for line in response.content.decode().splitlines() if "error" in line
    ]
    d = Dossier.objects.get(procedure__code="2.000815")
    assert d.fees_due == 14000 and d.fee_quantities == {"pages": 5, "copies": 2}


def test_reception_page_lets_the_official_choose_the_marriage_case(client, catalogue):
    client.force_login(catalogue.tiepnhan)
    html = client.get("/can-bo/ho-so/tiep-nhan/", {"thu_tuc": "1.000894"}).content.decode()
    assert "Cần xác minh điều kiện kết hôn: không quá 05 ngày làm việc" in html
    assert 'name="time_case"' in html


def test_reception_page_asks_the_proof_of_an_exemption(client, catalogue):
    client.force_login(catalogue.tiepnhan)
    html = client.get("/can-bo/ho-so/tiep-nhan/", {"thu_tuc": "1.004859"}).content.decode()
    assert "Người thuộc hộ nghèo (điểm a khoản 1 Điều 11 Luật Hộ tịch" in html
    data = {
        "procedure": "1.004859",
        "channel": "direct",
        "id_number": "001190012345",
        "full_name": "Nguyễn Thị Hương",
        "exemption": "ho-ngheo",
    }
    response = client.post("/can-bo/ho-so/tiep-nhan/", data)
    assert response.status_code == 422
    assert "Cần ghi giấy tờ chứng minh" in response.content.decode()
    assert not Dossier.objects.exists()


def test_the_api_takes_quantities_exemption_and_time_case_and_answers_codes(client, catalogue):
    from django.core.cache import cache

    from motcua.core.services import api_token_issue

    cache.clear()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=catalogue.tiepnhan)}"}
    body = {"channel": "direct", "citizen": CITIZEN, "unit": "WARD1"}

    def post(**extra):  # type: ignore[no-untyped-def]
        with clock.frozen(vn(2026, 3, 10, 9, 0)):
            return client.post(
                "/api/v1/dossiers", {**body, **extra}, content_type="application/json", **auth
            )

    r = post(procedure="2.000815", quantities={"pages": 3, "copies": 1})
    assert r.status_code == 201 and r.json()["fees_due"] == 5000
    assert r.json()["fee_detail"]["quantities"] == {"pages": 3, "copies": 1}
    r = post(procedure="1.000894", time_case="xac-minh")
    assert r.status_code == 201 and r.json()["time_case"] == "xac-minh"
    assert r.json()["due_at"].startswith("2026-03-17T")
    r = post(procedure="1.004859", exemption="ho-ngheo")
    assert r.status_code == 422 and r.json()["code"] == "exemption_proof_required"
    r = post(procedure="1.004222", fees_due=5)
    assert r.status_code == 422 and r.json()["code"] == "fees_mismatch"
    assert "20.000 đồng" in r.json()["message"]
