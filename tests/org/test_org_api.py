"""GET /api/v1/units and POST /api/v1/idcard/parse (no token)."""

from __future__ import annotations

from datetime import datetime

import pytest

from motcua.org.demo import seed_units

pytestmark = pytest.mark.django_db

QR = "001185012345||Trần Thị Bình|17051985|Nữ|Số 5 Tô Hiệu, phường Hà Đông, Hà Nội|01022022"


@pytest.fixture
def units(freeze):
    freeze(datetime(2026, 3, 10, 9, 0))
    seed_units()


def by_code(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {u["code"]: u for u in response.json()}


def test_current_units_today(client, units):
    data = by_code(client.get("/api/v1/units"))
    assert "268" not in data and "268-09544" not in data
    ha_dong = data["09556"]
    assert ha_dong == {
        "code": "09556",
        "agency_code": ha_dong["agency_code"],
        "name": "Phường Hà Đông",
        "level": "ward",
        "parent": "01",
        "valid_from": "2025-07-01",
        "valid_to": None,
        "successors": [],
    }
    assert ha_dong["agency_code"].endswith(".H26")
    assert data["09556-VP"]["parent"] == "09556"
    assert data["01"]["level"] == "province"


def test_units_on_1_june_2025_show_the_district_and_its_15_wards(client, units):
    data = by_code(client.get("/api/v1/units?at=2025-06-01"))
    assert "09556" not in data
    assert data["268"]["name"] == "Quận Hà Đông"
    assert data["268"]["valid_to"] == "2025-06-30"
    assert sorted(data["268"]["successors"]) == ["09552", "09556", "09562", "09568", "09886"]
    wards = [u for u in data.values() if u["parent"] == "268" and u["level"] == "ward"]
    assert len(wards) == 15
    assert data["268-09544"]["successors"] == ["09556"]
    assert "268-09538" not in data  # Nguyễn Trãi ended on 31 December 2024
    on_2024 = by_code(client.get("/api/v1/units?at=2024-06-01"))
    assert len([u for u in on_2024.values() if u["parent"] == "268" and u["level"] == "ward"]) == 17


def test_all_units_with_history(client, units):
    data = by_code(client.get("/api/v1/units?all=1"))
    assert {"268", "268-09538", "09556", "01"} <= set(data)
    assert data["268-09538"]["successors"] == ["268-09550"]


def test_bad_date_is_a_422_with_the_error_shape(client, units):
    response = client.get("/api/v1/units?at=01-06-2025")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["message"]


def test_idcard_parse(client, freeze):
    freeze(datetime(2026, 3, 10, 9, 0))
    response = client.post("/api/v1/idcard/parse", {"qr": QR}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {
        "id_number": "001185012345",
        "old_id_number": "",
        "full_name": "Trần Thị Bình",
        "date_of_birth": "1985-05-17",
        "sex": "F",
        "address": "Số 5 Tô Hiệu, phường Hà Đông, Hà Nội",
        "issued_on": "2022-02-01",
    }


@pytest.mark.parametrize(
    "qr, code",
    [
        ("001185012345|x", "qr_malformed"),
        (QR.replace("17051985", "32131985"), "qr_date"),
        (QR.replace("001185012345", "001085012345"), "id_number_sex"),
    ],
)
def test_idcard_parse_refusals(client, freeze, qr, code):
    freeze(datetime(2026, 3, 10, 9, 0))
    response = client.post("/api/v1/idcard/parse", {"qr": qr}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code
    assert body["message"] and any(ch in body["message"] for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệ")


def test_idcard_parse_without_qr_field(client):
    response = client.post("/api/v1/idcard/parse", {}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/units" in paths and "/api/v1/idcard/parse" in paths
