"""Favicon, compressed pages, hashed long-lived static files, and the offline API docs page."""

from __future__ import annotations

import gzip
import json

import pytest

from motcua.web.staticstorage import StaticStorage

pytestmark = pytest.mark.django_db


def test_favicon_is_served_at_the_root_and_linked_from_both_shells(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r["Content-Type"] == "image/x-icon"
    assert r.content[:4] == b"\x00\x00\x01\x00"  # ICO header
    assert "max-age" in r["Cache-Control"]
    for url in ("/", "/can-bo/dang-nhap/"):
        html = client.get(url).content.decode()
        assert '<link rel="icon" href="/favicon.ico"' in html, url
        assert 'favicon.svg" type="image/svg+xml"' in html, url


def test_pages_are_gzipped_for_browsers_that_ask(client):
    r = client.get("/thu-tuc/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert r["Content-Encoding"] == "gzip" and "Accept-Encoding" in r["Vary"]
    assert "Thủ tục" in gzip.decompress(r.content).decode()
    plain = client.get("/thu-tuc/")
    assert not plain.has_header("Content-Encoding")


def test_streams_are_not_gzipped(client):
    from django.http import HttpRequest, StreamingHttpResponse

    from motcua.web.middleware import CompressionMiddleware

    def stream(request):
        return StreamingHttpResponse(iter([b"data: 1\n\n"]), content_type="text/event-stream")

    request = HttpRequest()
    request.META["HTTP_ACCEPT_ENCODING"] = "gzip"
    response = CompressionMiddleware(stream)(request)
    assert not response.has_header("Content-Encoding")


def test_static_names_are_hashed_when_collected_and_plain_otherwise(tmp_path, settings):
    settings.STATIC_URL = "/static/"
    manifest = {"paths": {"web/app.css": "web/app.0123456789ab.css"}, "version": "1.1"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    storage = StaticStorage(location=str(tmp_path), base_url="/static/")
    assert storage.url("web/app.css") == "/static/web/app.0123456789ab.css"
    # A file added since the last collectstatic keeps its plain name instead of a 500.
    assert storage.url("web/new.js") == "/static/web/new.js"


def test_api_docs_page_loads_swagger_from_our_static_files(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "/static/vendor/swagger-ui/swagger-ui.css" in html
    assert "cdn" not in html.lower() and "http" not in html.replace("http-equiv", "")
    assert '"validatorUrl": null' in html
