"""The fee function alone: channel prices, per-page tiers with a cap, exemptions and their citations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.catalog.demo import demo_procedures
from motcua.catalog.fees import FeeError, exemptions_of, fee_compute, fee_describe, quantity_keys
from motcua.catalog.services import procedure_data_clean
from motcua.core.errors import ValidationFailed

CATALOGUE = {p["code"]: p for p in demo_procedures()}
RESIDENCE = CATALOGUE["1.004222"]["fees"]  # đăng ký thường trú
TEMPORARY = CATALOGUE["1.004194"]["fees"]  # đăng ký tạm trú
COPY_CERT = CATALOGUE["2.000815"]["fees"]  # chứng thực bản sao từ bản chính
EXTRACT_COPY = CATALOGUE["2.000635"]["fees"]  # cấp bản sao trích lục hộ tịch
CORRECTION = CATALOGUE["1.004859"]["fees"]  # thay đổi, cải chính hộ tịch


def test_online_residence_registration_costs_less_than_at_the_counter():
    # Circular 75/2022/TT-BTC: 20.000 đ direct, 10.000 đ online (permanent residence);
    # 15.000 đ direct, 7.000 đ online (temporary residence).
    assert fee_compute(RESIDENCE, channel="direct").total == 20000
    assert fee_compute(RESIDENCE, channel="online").total == 10000
    assert fee_compute(RESIDENCE, channel="post").total == 20000
    assert fee_compute(TEMPORARY, channel="direct").total == 15000
    assert fee_compute(TEMPORARY, channel="online").total == 7000
    assert "trực tuyến: 10.000 đồng" in fee_describe(RESIDENCE[0])


@pytest.mark.parametrize(
    ("pages", "copies", "expected"),
    [
        (1, 1, 2000),
        (2, 1, 4000),
        (3, 1, 5000),
        (10, 1, 12000),
        (10, 3, 36000),
        (198, 1, 200000),  # 4.000 + 196 × 1.000 = 200.000: the cap exactly
        (199, 1, 200000),
        (500, 2, 400000),  # the cap is per copy
    ],
)
def test_copy_certification_is_charged_per_page_with_a_cap_per_copy(pages, copies, expected):
    # Circular 226/2016/TT-BTC: 2.000 đ/page for pages 1–2, 1.000 đ/page from page 3,
    # at most 200.000 đ per copy; pages are those of the original.
    result = fee_compute(COPY_CERT, channel="direct", quantities={"pages": pages, "copies": copies})
    assert result.total == expected
    assert result.quantities == {"pages": pages, "copies": copies}
    assert result.lines[0].kind == "phi" and result.lines[0].kind_label == "Phí"


@given(pages=st.integers(1, 5000), copies=st.integers(1, 50))
def test_per_page_fee_matches_the_closed_form(pages, copies):
    per_copy = min(2000 * min(pages, 2) + 1000 * max(pages - 2, 0), 200000)
    result = fee_compute(COPY_CERT, channel="direct", quantities={"pages": pages, "copies": copies})
    assert result.total == per_copy * copies
    more = fee_compute(
        COPY_CERT, channel="direct", quantities={"pages": pages + 1, "copies": copies}
    )
    assert result.total <= more.total <= 200000 * copies


def test_extract_copies_are_charged_per_copy():
    assert quantity_keys(EXTRACT_COPY) == ["copies"]
    assert fee_compute(EXTRACT_COPY, channel="direct", quantities={"copies": 3}).total == 24000
    assert quantity_keys(COPY_CERT) == ["pages", "copies"]
    assert quantity_keys(RESIDENCE) == []


def test_missing_quantities_count_one_and_bad_ones_are_refused():
    assert fee_compute(COPY_CERT, channel="direct").total == 2000
    for bad in ({"pages": 0}, {"pages": -3}, {"copies": "abc"}, {"pages": True}):
        with pytest.raises(FeeError) as exc:
            fee_compute(COPY_CERT, channel="direct", quantities=bad)
        assert exc.value.code == "invalid_quantity" and "phải là số nguyên" in exc.value.message
    with pytest.raises(FeeError) as exc:
        fee_compute(COPY_CERT, channel="direct", quantities={"sheets": 2})
    assert exc.value.code == "invalid_quantity"


def test_exemption_of_a_poor_household_cites_law_on_civil_status_article_11_1a():
    full = fee_compute(CORRECTION, channel="direct")
    assert full.total == 15000
    exempt = fee_compute(CORRECTION, channel="direct", exemption="ho-ngheo")
    assert exempt.total == 0 and exempt.gross == 15000
    line = exempt.lines[0]
    assert line.exempt and line.exemption_group == "Người thuộc hộ nghèo"
    assert line.exemption_basis.startswith("điểm a khoản 1 Điều 11 Luật Hộ tịch")
    assert exempt.as_dict()["lines"][0]["amount"] == 0
    with pytest.raises(FeeError) as exc:
        fee_compute(RESIDENCE, channel="direct", exemption="ho-ngheo")
    assert exc.value.code == "exemption_unknown"


def test_a_partial_reduction_rounds_down_in_integer_dong():
    lines = [
        {
            "name": "Lệ phí",
            "amount": 15001,
            "exemptions": [{"code": "giam", "group": "X", "basis": "Y", "percent": 50}],
        }
    ]
    assert fee_compute(lines, channel="direct", exemption="giam").total == 7500


def test_civil_status_exemptions_cite_article_11_clause_1_of_the_law():
    # Law on Civil Status 2014, art. 11(1): (a) people of families with merit, poor households,
    # people with disabilities; (b) on-time birth and death registration, guardianship, marriage
    # of Vietnamese citizens residing in the country. Clause 2 is the duty to pay, not an exemption.
    cited = 0
    for proc in CATALOGUE.values():
        for line in proc["fees"]:
            text = " ".join([line["name"], line.get("basis", "")])
            assert "khoản 2 Điều 11" not in text, proc["code"]
            if "Điều 11 Luật Hộ tịch" in text:
                assert "khoản 1 Điều 11" in text, proc["code"]
                cited += 1
            for ex in line.get("exemptions", []):
                assert ex["basis"].startswith("điểm a khoản 1 Điều 11 Luật Hộ tịch"), proc["code"]
    assert cited >= 4
    groups = {e["code"] for e in exemptions_of(CORRECTION)}
    assert groups == {"co-cong", "ho-ngheo", "khuyet-tat"}


def test_marriage_registration_has_two_legal_time_cases():
    cases = CATALOGUE["1.000894"]["time_cases"]
    assert [(c["code"], c["time_unit"], c["time_value"]) for c in cases] == [
        ("ngay", "same_day", 0),
        ("xac-minh", "working_days", 5),
    ]
    assert all("Điều 18 Luật Hộ tịch" in c["basis"] for c in cases)


def _with(**fee):
    return {**CATALOGUE["2.000815"], "fees": [{"name": "Phí chứng thực", "amount": 2000, **fee}]}


@pytest.mark.parametrize(
    ("fee", "message"),
    [
        ({"kind": "tax"}, "«phi» (phí) hoặc «le_phi»"),
        ({"unit": "sheet"}, "case, copy hoặc page"),
        ({"channels": {"online": -1}}, "mức thu theo hình thức nộp"),
        ({"channels": {"fax": 1000}}, "mức thu theo hình thức nộp"),
        ({"unit": "page", "tiers": [{"from": 2, "amount": 1000}]}, "bắt đầu từ trang 1"),
        ({"tiers": [{"from": 1, "amount": 1000}]}, "chỉ dùng với đơn vị tính page"),
        ({"cap": -5}, "mức tối đa"),
        ({"exemptions": [{"code": "Hộ nghèo", "group": "x", "basis": "y"}]}, "căn cứ pháp lý"),
        ({"exemptions": [{"code": "ho-ngheo", "group": "x"}]}, "căn cứ pháp lý"),
    ],
)
def test_bad_fee_lines_are_refused_with_a_vietnamese_message(fee, message):
    with pytest.raises(ValidationFailed) as exc:
        procedure_data_clean(_with(**fee))
    assert message in str(exc.value.message)


def test_bad_time_cases_are_refused():
    marriage = CATALOGUE["1.000894"]
    with pytest.raises(ValidationFailed) as exc:
        procedure_data_clean({**marriage, "time_cases": list(reversed(marriage["time_cases"]))})
    assert "trường hợp thời hạn đầu tiên" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        procedure_data_clean(
            {**marriage, "time_cases": [*marriage["time_cases"], marriage["time_cases"][1]]}
        )
    assert "bị lặp" in exc.value.message
