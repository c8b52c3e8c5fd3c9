"""Management KPIs: SQL aggregates against targets, breakdowns, the 766 index, exports, access."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from factories import StaffRoleFactory, UserFactory
from motcua.org.models import Role
from motcua.reports import selectors
from motcua.reports.selectors import Period

pytestmark = pytest.mark.django_db


def _period() -> Period:
    return Period.last_days(30)


def test_summary_counts_on_time_satisfaction_overdue_and_queue(kpi_data):
    s = selectors.kpi_summary(period=_period())
    assert (s["resolved"], s["on_time"]) == (4, 3)
    assert s["on_time_pct"] == 75.0
    assert (s["ratings"], s["satisfied"], s["satisfaction_pct"]) == (4, 3, 75.0)
    assert s["overdue"] == 1
    q = s["queue"]
    assert (q["tickets"], q["served"], q["no_show"], q["blocked"]) == (3, 2, 1, 1)
    assert q["avg_wait_min"] == 20.0  # (10 + 20 + 30) / 3
    assert q["avg_service_min"] == 10.0  # (5 + 15) / 2


def test_breakdown_per_unit_flags_units_below_target(kpi_data):
    rows = {r["label"]: r for r in selectors.kpi_table(dimension="unit", period=_period())}
    a, b = rows["Phường Hà Đông"], rows["Phường Dương Nội"]
    assert (a["resolved"], a["on_time"], a["late"]) == (3, 2, 1)
    assert a["on_time_pct"] == pytest.approx(66.7) and a["on_time_ok"] is False
    assert a["satisfaction_pct"] == 100.0 and a["satisfaction_ok"] is True
    assert (
        b["on_time_pct"] == 100.0 and b["satisfaction_pct"] == 0.0 and b["satisfaction_ok"] is False
    )


def test_breakdown_is_limited_to_the_units_given(kpi_data):
    rows = selectors.kpi_table(dimension="unit", period=_period(), unit_ids={kpi_data["b"].pk})
    assert [r["label"] for r in rows] == ["Phường Dương Nội"]


@pytest.mark.parametrize("dimension", ["field", "procedure", "officer", "month"])
def test_every_dimension_adds_up_to_the_summary(kpi_data, dimension):
    rows = selectors.kpi_table(dimension=dimension, period=_period())
    assert sum(r["ratings"] for r in rows) == 4
    if dimension != "officer":  # officers are measured per step from event rows, not per dossier
        assert sum(r["resolved"] for r in rows) == 4


def test_index_766_scores_what_it_can_and_names_what_is_missing(kpi_data):
    # Issue 8 A6: indicator 2.1 counts every dossier handled in the period (4 with a result,
    # 2 still open, one of them past due) against the legal due moment: 4 of 6 on time.
    index = selectors.index_766(period=_period())
    rows = {r["key"]: r for r in index["rows"]}
    assert sum(r["max"] for r in index["rows"]) == 100
    assert rows["progress"]["score"] == 13.33  # 4/6 of 20 points (no threshold published)
    groups = {g["key"]: g for g in index["groups"]}
    satisfaction = {i["key"]: i for i in groups["satisfaction"]["indicators"]}
    # 5.4 needs the complaints system: not scored, named, with an upper bound from our rows.
    assert satisfaction["5.4"]["points"] is None
    assert any("phản ánh, kiến nghị" in m for m in satisfaction["5.4"]["missing"])
    assert groups["satisfaction"]["points"] is None
    assert index["total"] == 13.33 and index["total_max"] == 20
    # Upper bound without complaints: 1 − (2 late + 1 dissatisfied) / 6 = 50 % → 50/90 × 6.
    assert satisfaction["5.4"]["provisional_points"] == 3.33
    # 3.5 and 3.6 (online payment) are counted by the payments app since issue 12.
    online = {i["key"]: i for i in groups["online"]["indicators"]}
    assert online["3.5"]["inputs"] == {
        "Số TTHC có hồ sơ đồng bộ dữ liệu phí, lệ phí thanh toán trực tuyến": 0,
        "Số TTHC có phí, lệ phí": 1,
    }
    assert online["3.5"]["rate_pct"] == 0.0
    assert not any("thanh toán trực tuyến" in m for m in rows["online"]["missing"])


def _manager(client, unit):
    user = UserFactory()
    StaffRoleFactory(user=user, unit=unit, role=Role.MANAGER)
    client.force_login(user)
    return user


def test_dashboard_shows_targets_in_vietnamese(client, kpi_data):
    _manager(client, kpi_data["a"])
    html = client.get("/can-bo/bao-cao/").content.decode()
    assert "Tỷ lệ đúng hạn (mục tiêu ≥ 99%)" in html
    assert "Tỷ lệ hài lòng (mục tiêu ≥ 85%)" in html
    assert "Quyết định 766" in html and html.count('<canvas data-chart="chart-data-') == 3
    assert kpi_data["overdue"].code in html


def test_dashboard_is_refused_to_reception_officers(client, kpi_data):
    user = UserFactory()
    StaffRoleFactory(user=user, unit=kpi_data["a"], role=Role.RECEPTION)
    client.force_login(user)
    response = client.get("/can-bo/bao-cao/")
    assert response.status_code == 403
    assert "quản lý" in response.content.decode()


def test_exports_csv_xlsx_pdf(client, kpi_data):
    _manager(client, kpi_data["a"])
    body = client.get("/can-bo/bao-cao/xuat.csv?theo=unit").content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    assert table[0][0] == "Nhóm" and table[1][0] == "Phường Hà Đông"
    xlsx = client.get("/can-bo/bao-cao/xuat.xlsx?theo=field").content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet["A2"].value == "Nhóm"
    index_sheet = load_workbook(io.BytesIO(xlsx))["Chỉ số 766"]
    assert index_sheet["A3"].value == "1. Công khai, minh bạch"
    assert any(
        str(c.value).startswith("2.1. Tỷ lệ hồ sơ xử lý trước hạn") for c in index_sheet["A"]
    )
    pdf = client.get("/can-bo/bao-cao/xuat.pdf").content
    assert pdf.startswith(b"%PDF")


def test_dashboard_follows_the_unit_switcher_unless_all_units_are_asked(client, kpi_data):
    user = _manager(client, kpi_data["a"])
    StaffRoleFactory(user=user, unit=kpi_data["b"], role=Role.MANAGER)
    html = client.get("/can-bo/bao-cao/").content.decode()
    assert "2/3 hồ sơ" in html  # the first-assigned unit (Hà Đông) only
    client.post("/can-bo/don-vi/", {"unit": kpi_data["b"].pk})
    assert "1/1 hồ sơ" in client.get("/can-bo/bao-cao/").content.decode()
    assert "3/4 hồ sơ" in client.get("/can-bo/bao-cao/?pham-vi=tat-ca").content.decode()
