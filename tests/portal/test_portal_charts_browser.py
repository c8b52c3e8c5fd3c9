"""Charts and the offices map in a real browser: chart.js and Leaflet from our static files."""

from __future__ import annotations

import http.server
import socket
import struct
import threading
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from axe_helpers import WCAG
from axe_helpers import axe_violations as _axe
from factories import OfficeFactory, UnitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

CHARTS_READY = """() => {
  const cs = [...document.querySelectorAll('canvas[data-chart]')];
  return cs.length > 0 && typeof Chart !== 'undefined' && cs.every(c => Chart.getChart(c));
}"""

CHART_FACTS = """(id) => {
  const canvas = document.querySelector(`canvas[data-chart="chart-data-${id}"]`);
  const chart = Chart.getChart(canvas);
  const horizontal = chart.options.indexAxis === 'y';
  const value = horizontal ? chart.scales.x : chart.scales.y;
  const category = horizontal ? chart.scales.y : chart.scales.x;
  const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
  return {
    valueTicks: value.ticks.map(t => value.getLabelForValue(t.value) && t.label),
    categories: category.ticks.map(t => Array.isArray(t.label) ? t.label.join(' ') : t.label),
    tickFont: value._resolveTickFontOptions(0).size,
    categoryFont: category._resolveTickFontOptions(0).size,
    painted: painted,
    axisTitle: value.options.title.text,
    width: canvas.getBoundingClientRect().width,
  };
}"""


def axe_violations(page, *within: str) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's WCAG 2.x A/AA violations (any impact) of the page, or of the elements
    `within` selects, as they are now."""
    return _axe(page, *within, tags=WCAG)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_statistics_charts_render_on_a_phone_with_readable_text(page, live_server, make_dossier):
    unit = UnitFactory(name="Ủy ban nhân dân phường Hà Đông", agency_code="000.00.20.H26")
    for timeliness in ("on_time", "early", "late"):
        make_dossier(status=10, unit=unit, result_timeliness=timeliness)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/tinh-hinh-giai-quyet/?theo=unit&tu=2000-01-01")
    page.wait_for_function(CHARTS_READY)

    pct = page.evaluate(CHART_FACTS, "dung-han")
    # Every 20 %, all shown on a phone; "%" is in the axis title ("Tỷ lệ đúng hạn (%)").
    assert pct["valueTicks"] == ["0", "20", "40", "60", "80", "100"]
    assert pct["axisTitle"] == "Tỷ lệ đúng hạn (%)"
    assert pct["categories"] == ["Ủy ban nhân dân phường Hà Đông"]  # whole, on two lines
    assert pct["tickFont"] >= 12 and pct["categoryFont"] >= 12
    assert pct["painted"] > 1000 and pct["width"] <= 390

    counts = page.evaluate(CHART_FACTS, "ket-qua")
    assert counts["valueTicks"] == ["0", "1", "2", "3"]  # whole numbers, nice steps

    # The same figures, as a table, for screen readers.
    figure = page.locator("#chart-dung-han")
    figure.get_by_text("Bảng số liệu của biểu đồ").click()
    table = figure.get_by_role("table")
    expect(table).to_be_visible()
    expect(table.locator("caption")).to_contain_text("mục tiêu ≥ 99%")
    expect(table.get_by_role("row", name="Ủy ban nhân dân phường Hà Đông")).to_contain_text("66,7%")
    _shot(page, "portal-statistics-phone.png")
    # The charts with their tables (the page's own wide table is issue 15, point 5).
    assert axe_violations(page, "#chart-ket-qua", "#chart-dung-han") == []


def _png(width: int = 256, height: int = 256) -> bytes:
    """A plain light-grey PNG tile, made here (no file, no network)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\xdd\xe4\xea" * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def tile_server():
    """A stand-in tile server on 127.0.0.1 that answers every /z/x/y.png with a tile."""
    tile = _png()
    served: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            served.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png", served
    server.shutdown()
    server.server_close()


def _offices():
    OfficeFactory(
        name="Bộ phận một cửa phường Hà Đông",
        latitude=20.9714,
        longitude=105.7788,
        phone="024 3382 4567",
    )
    OfficeFactory(name="Bộ phận một cửa phường Dương Nội", latitude=20.98, longitude=105.75)


def test_offices_map_shows_tiles_and_labelled_markers(page, live_server, settings, tile_server):
    url, served = tile_server
    settings.MOTCUA = {
        **settings.MOTCUA,
        "MAP_TILE_URL": url,
        "MAP_TILE_ATTRIBUTION": "Bản đồ nền thử nghiệm",
    }
    _offices()
    page.goto(f"{live_server.url}/co-quan/")
    expect(page.locator("#office-map[data-tiles='loaded']")).to_have_count(1)
    expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
    assert served and all(p.endswith(".png") for p in served)
    markers = page.get_by_role("button", name="Bộ phận một cửa phường")
    expect(markers).to_have_count(2)
    expect(page.get_by_role("button", name="1. Bộ phận một cửa phường Dương Nội")).to_be_visible()
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("Bản đồ nền thử nghiệm")
    # No focusable element hides inside an image role (issue 15, point 8).
    assert page.locator("[role=img] a, [role=img] button, [role=img] [tabindex]").count() == 0
    # A marker opens its office: name, address, a link to the office in the list.
    page.get_by_role("button", name="2. Bộ phận một cửa phường Hà Đông").click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("024 3382 4567")
    popup.get_by_role("link", name="Giờ làm việc và chi tiết").click()
    expect(page).to_have_url(__import__("re").compile(r"#office-\d+$"))
    _shot(page, "portal-offices-map.png")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == []


def test_offices_page_says_when_the_tile_server_is_unreachable(page, live_server, settings):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.MOTCUA = {
        **settings.MOTCUA,
        "MAP_TILE_URL": f"http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png",
    }
    _offices()
    page.goto(f"{live_server.url}/co-quan/")
    expect(page.locator("#map-status")).to_contain_text("Không tải được bản đồ nền")
    expect(page.get_by_role("button", name="1. Bộ phận một cửa phường Dương Nội")).to_be_visible()
    expect(page.locator("main")).to_contain_text("024 3382 4567")


def test_offices_page_without_tiles_shows_the_list(page, live_server, settings):
    settings.MOTCUA = {**settings.MOTCUA, "MAP_TILE_URL": ""}
    _offices()
    page.goto(f"{live_server.url}/co-quan/")
    expect(page.locator("#map-status")).to_contain_text("Bản đồ nền chưa được cấu hình")
    expect(page.locator(".leaflet-container")).to_have_count(0)
    expect(page.get_by_role("heading", name="Bộ phận một cửa phường Hà Đông")).to_be_visible()
    expect(page.locator("main")).to_contain_text("sáng 07:30–11:30, chiều 13:00–17:00")


# The Content-Security-Policy the project turns on (no inline script, no inline style); the
# map's tiles come from the configured tile server, whose origin img-src must allow
# (settings.MAP_TILE_ORIGIN).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: {tiles}; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'"
)


def test_charts_map_and_api_docs_work_under_the_content_security_policy(
    launch_chromium, live_server, settings, make_dossier, tile_server
):
    from urllib.parse import urlsplit

    # A page fulfilled by the test (to add the header) counts as "public" for Chromium's local
    # network checks, which would then refuse the stand-in tile server on 127.0.0.1.
    browser = launch_chromium("--disable-features=LocalNetworkAccessChecks")
    page = browser.new_page(locale="vi-VN")

    url, _ = tile_server
    settings.MOTCUA = {**settings.MOTCUA, "MAP_TILE_URL": url}
    policy = CSP.format(tiles="http://" + urlsplit(url).netloc)
    _offices()
    make_dossier(status=10, result_timeliness="on_time")

    def with_csp(route):  # type: ignore[no-untyped-def]
        response = route.fetch(max_redirects=0)
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": policy}
        )

    page.route(
        f"{live_server.url}/**",
        lambda r: with_csp(r) if r.request.resource_type == "document" else r.continue_(),
    )
    refused: list[str] = []
    page.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )

    page.goto(f"{live_server.url}/tinh-hinh-giai-quyet/?tu=2000-01-01")
    page.wait_for_function(CHARTS_READY)
    page.goto(f"{live_server.url}/co-quan/")
    page.wait_for_selector("#office-map[data-ready]", state="attached")
    expect(page.locator("#office-map[data-tiles='loaded']")).to_have_count(1)
    expect(page.get_by_role("button", name="1. Bộ phận một cửa phường Dương Nội")).to_be_visible()
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    assert refused == [], "\n".join(refused)


def test_imported_ward_boundaries_are_drawn_without_a_tile_server(page, live_server, settings):
    import json

    from motcua.org.services import unit_boundaries_import

    settings.MOTCUA = {**settings.MOTCUA, "MAP_TILE_URL": ""}
    unit = UnitFactory(code="9886", name="Phường Hà Đông")
    OfficeFactory(
        unit=unit, name="Bộ phận một cửa phường Hà Đông", latitude=20.97, longitude=105.78
    )
    ring = [[105.77, 20.96], [105.79, 20.96], [105.79, 20.98], [105.77, 20.98], [105.77, 20.96]]
    unit_boundaries_import(
        text=json.dumps({"type": "Polygon", "coordinates": [ring]}), unit=unit, source="t.geojson"
    )
    page.goto(f"{live_server.url}/co-quan/")
    expect(page.locator("#office-map[data-ready]")).to_have_count(1)
    expect(page.locator(".leaflet-overlay-pane path")).to_have_count(1)  # the ward's outline
    expect(page.locator(".ward-label")).to_have_text("Phường Hà Đông")
    expect(page.get_by_role("button", name="1. Bộ phận một cửa phường Hà Đông")).to_be_visible()
    expect(page.locator("#map-status")).to_contain_text("Chưa cấu hình máy chủ bản đồ nền")
    assert page.locator(".leaflet-tile").count() == 0
    _shot(page, "portal-offices-boundaries.png")
    assert axe_violations(page) == []
