"""Public pages render in Vietnamese; procedure search ignores diacritics; statistics and map."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from factories import OfficeFactory, ProcedureFactory, ProcedureVersionFactory
from motcua.catalog.models import Field

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    birth = ProcedureVersionFactory(
        procedure=ProcedureFactory(code="1.001193"), name="Đăng ký khai sinh"
    )
    land_field = Field.objects.create(code="dat-dai", name="Đất đai")
    land = ProcedureVersionFactory(
        procedure=ProcedureFactory(code="1.004227"),
        name="Đăng ký biến động quyền sử dụng đất",
        field=land_field,
        legal_basis=["Luật Đất đai số 31/2024/QH15"],
        forms=["Mẫu số 11/ĐK"],
        decision="Quyết định số 2304/QĐ-BTNMT",
    )
    draft = ProcedureVersionFactory(name="Thủ tục chưa công bố", is_published=False)
    return {"birth": birth, "land": land, "draft": draft}


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("/", "Cổng dịch vụ công"),
        ("/", "Liên kết"),
        ("/", "Tra cứu hồ sơ"),
        ("/thu-tuc/", "Thủ tục hành chính"),
        ("/tra-cuu/", "4 số cuối CCCD hoặc số điện thoại"),
        ("/tinh-hinh-giai-quyet/", "Tình hình giải quyết hồ sơ"),
        ("/co-quan/", "Giờ làm việc"),
        ("/cong-khai/", "Công khai minh bạch thông tin"),
        ("/tin-tuc/", "Tin tức, thông báo"),
    ],
)
def test_pages_render_in_vietnamese(client, catalogue, url, text):
    OfficeFactory(latitude=20.97, longitude=105.77)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert text in html
    assert '<html lang="vi">' in html
    assert 'href="#noi-dung"' in html  # skip link for keyboard users
    assert "web/app.css" not in html  # own base, not the back office one


def test_search_without_diacritics_finds_procedure(client, catalogue):
    html = client.get("/thu-tuc/", {"q": "dang ky khai sinh"}).content.decode()
    assert "Đăng ký khai sinh" in html
    assert "quyền sử dụng đất" not in html


def test_search_by_code_and_field_filter(client, catalogue):
    html = client.get("/thu-tuc/", {"q": "1.004227"}).content.decode()
    assert "Đăng ký biến động quyền sử dụng đất" in html and "Đăng ký khai sinh" not in html
    html = client.get("/thu-tuc/", {"linh-vuc": "dat-dai"}).content.decode()
    assert "quyền sử dụng đất" in html and "Đăng ký khai sinh" not in html


def test_unpublished_procedure_is_not_disclosed(client, catalogue):
    html = client.get("/thu-tuc/").content.decode()
    assert "Thủ tục chưa công bố" not in html
    code = catalogue["draft"].procedure.code
    assert client.get(f"/thu-tuc/{code}/").status_code == 404


def test_procedure_detail_shows_papers_fees_legal_basis_forms(client, catalogue):
    html = client.get(reverse("portal:procedure_detail", args=["1.004227"])).content.decode()
    for text in [
        "Thành phần hồ sơ",
        "Giấy chứng sinh",
        "8.000 đồng",
        "Luật Đất đai số 31/2024/QH15",
        "Mẫu số 11/ĐK",
        "Trực tuyến",
        "3 ngày làm việc",
    ]:
        assert text in html, text


def test_statistics_page_has_charts_with_their_tables(client, make_dossier):
    make_dossier(status=10, result_timeliness="on_time")
    make_dossier(status=4)
    html = client.get("/tinh-hinh-giai-quyet/", {"theo": "field"}).content.decode()
    # chart.js from our static files draws from JSON data; each chart has its table.
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert html.count('<canvas data-chart="chart-data-') == 2
    assert '<script id="chart-data-dung-han" type="application/json">' in html
    assert html.count('<details class="chart-table">') == 2 and "<caption>" in html
    assert 'id="stats-table"' in html
    assert "Hộ tịch" in html  # the field row
    assert "<script>" not in html  # nothing inline: the Content-Security-Policy allows 'self' only


def test_statistics_group_by_month_and_unit(client, make_dossier):
    make_dossier(status=10, result_timeliness="early")
    for group in ("unit", "month"):
        response = client.get("/tinh-hinh-giai-quyet/", {"theo": group, "tu": "2000-01-01"})
        assert response.status_code == 200
        assert "100,0%" in response.content.decode()


def test_home_shows_processing_summary(client, make_dossier):
    make_dossier(status=10, result_timeliness="on_time")
    html = client.get("/").content.decode()
    assert "Đã tiếp nhận" in html and "Trước và đúng hạn" in html


def test_offices_page_without_a_tile_server_says_so_and_lists_offices(client, settings):
    settings.MOTCUA = {**settings.MOTCUA, "MAP_TILE_URL": ""}
    OfficeFactory(
        name="Bộ phận một cửa phường Hà Đông",
        latitude=20.9714,
        longitude=105.7788,
        phone="024 3382 4567",
    )
    html = client.get("/co-quan/").content.decode()
    assert "Bản đồ nền chưa được cấu hình" in html
    assert "leaflet.js" not in html  # no map of dots on a blank square
    assert "024 3382 4567" in html and "Giờ làm việc" in html and "sáng 07:30–11:30" in html


def test_offices_map_data_with_a_tile_server(client, settings):
    import json

    settings.MOTCUA = {
        **settings.MOTCUA,
        "MAP_TILE_URL": "https://tiles.hanoi.gov.vn/{z}/{x}/{y}.png",
        "MAP_TILE_ATTRIBUTION": "© Sở KH&CN Hà Nội",
    }
    OfficeFactory(name="Bộ phận một cửa phường Hà Đông", latitude=20.9714, longitude=105.7788)
    OfficeFactory(name="Bộ phận một cửa phường Dương Nội", latitude=20.9800, longitude=105.7500)
    OfficeFactory(name="Bộ phận chưa có tọa độ")
    html = client.get("/co-quan/").content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in html and 'role="img"' not in html
    data = json.loads(re.search(r'id="office-map-data"[^>]*>(.*?)</script>', html, re.S)[1])
    assert [m["n"] for m in data["markers"]] == [1, 2]
    assert {m["lat"] for m in data["markers"]} == {20.9714, 20.98}  # numbers, not "20,98"
    assert data["tiles"]["url"] == "https://tiles.hanoi.gov.vn/{z}/{x}/{y}.png"
    assert data["tiles"]["attribution"] == "© Sở KH&CN Hà Nội"
    assert "Bộ phận chưa có tọa độ" in html  # listed even without a place on the map


def test_transparency_counts_per_field_and_decisions(client, catalogue):
    html = client.get("/cong-khai/").content.decode()
    assert 'id="published-total">2<' in html
    assert "Quyết định số 2304/QĐ-BTNMT" in html
    assert "Đất đai" in html


def test_transparency_counts_channels_on_both_databases(catalogue):
    from motcua.portal.selectors import transparency_summary

    summary = transparency_summary()
    channels = {r["label"]: r["n"] for r in summary["by_channel"]}
    assert channels["Trực tuyến"] == 2 and channels["Tại nhà"] == 0
    assert {r["field__name"]: r["n"] for r in summary["by_field"]} == {"Hộ tịch": 1, "Đất đai": 1}
