"""Ward boundaries imported from GeoJSON: validated, stored per unit, all or nothing."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import CommandError, call_command

from factories import UnitFactory
from motcua.core.errors import ValidationFailed
from motcua.org.boundaries import parse_geojson
from motcua.org.models import UnitBoundary
from motcua.org.services import unit_boundaries_import

SQUARE = [[105.77, 20.96], [105.79, 20.96], [105.79, 20.98], [105.77, 20.98], [105.77, 20.96]]


def feature(code: str | None, ring=SQUARE, kind="Polygon"):
    coords = [ring] if kind == "Polygon" else [[ring]]
    props = {"ma": code, "ten": f"Phường {code}"} if code else {}
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": kind, "coordinates": coords},
    }


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def test_polygon_is_normalised_to_a_multipolygon():
    (b,) = parse_geojson(collection(feature("9886")))
    assert b.geometry["type"] == "MultiPolygon" and b.geometry["coordinates"] == [[SQUARE]]
    assert b.code() == "9886"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "không phải JSON"),
        (json.dumps({"type": "FeatureCollection", "features": []}), "không có đối tượng"),
        (collection(feature("1", ring=SQUARE[:-1])), "chưa khép kín"),
        (collection(feature("1", ring=SQUARE[:3])), "ít nhất 4 điểm"),
        (collection(feature("1", ring=[[p[1], p[0]] for p in SQUARE])), "tọa độ bị đảo"),
        (collection(feature("1", ring=[[585000.0, 2319000.0]] * 4)), "VN-2000"),
        (
            json.dumps({"type": "Feature", "properties": {},
                        "geometry": {"type": "Point", "coordinates": [105.7, 20.9]}}),
            "Polygon hoặc MultiPolygon",
        ),
        (collection(feature("1", ring=[["105", "20"]] * 4)), "bằng số"),
    ],
)  # fmt: skip
def test_invalid_files_are_refused_with_a_vietnamese_reason(text, fragment):
    with pytest.raises(ValidationFailed) as exc:
        parse_geojson(text)
    assert exc.value.code == "invalid_geojson"
    assert fragment in exc.value.message


@pytest.mark.django_db
def test_features_go_to_the_units_their_codes_name():
    ha_dong = UnitFactory(code="9886", name="Phường Hà Đông")
    duong_noi = UnitFactory(code="9887", name="Phường Dương Nội")
    text = collection(feature("9886"), feature("9887", kind="MultiPolygon"), feature("0000"))
    result = unit_boundaries_import(text=text, source="hanoi.geojson")
    assert sorted(result["saved"]) == ["9886", "9887"] and result["unmatched"] == ["0000"]
    assert UnitBoundary.objects.get(unit=ha_dong).geometry["coordinates"] == [[SQUARE]]
    assert UnitBoundary.objects.get(unit=duong_noi).source == "hanoi.geojson"
    # Importing again replaces, never duplicates.
    unit_boundaries_import(text=text, source="lan-2.geojson")
    assert UnitBoundary.objects.count() == 2
    assert UnitBoundary.objects.get(unit=ha_dong).source == "lan-2.geojson"


@pytest.mark.django_db
def test_a_bad_feature_saves_nothing():
    UnitFactory(code="9886")
    bad = feature("9887", ring=SQUARE[:-1])
    with pytest.raises(ValidationFailed):
        unit_boundaries_import(text=collection(feature("9886"), bad))
    assert not UnitBoundary.objects.exists()


@pytest.mark.django_db
def test_command_imports_a_file_for_one_unit(tmp_path):
    UnitFactory(code="9886", name="Phường Hà Đông")
    path = tmp_path / "ha-dong.geojson"
    path.write_text(collection(feature(None), feature(None)))
    call_command("import_boundaries", str(path), "--unit", "9886")
    geometry = UnitBoundary.objects.get(unit__code="9886").geometry
    assert len(geometry["coordinates"]) == 2
    with pytest.raises(CommandError, match="khép kín"):
        path.write_text(collection(feature(None, ring=SQUARE[:-1])))
        call_command("import_boundaries", str(path), "--unit", "9886")
    with pytest.raises(CommandError, match="không ghi mã đơn vị"):
        path.write_text(collection(feature(None)))
        call_command("import_boundaries", str(path))


@pytest.mark.django_db
def test_admin_upload_validates_the_file(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    unit = UnitFactory(code="9886")
    bad = SimpleUploadedFile("x.geojson", collection(feature(None, ring=SQUARE[:-1])).encode())
    r = admin_client.post("/quan-tri/org/unitboundary/add/", {"unit": unit.pk, "file": bad})
    assert r.status_code == 200 and "chưa khép kín" in r.content.decode()
    assert not UnitBoundary.objects.exists()
    good = SimpleUploadedFile("ha-dong.geojson", collection(feature(None)).encode())
    r = admin_client.post("/quan-tri/org/unitboundary/add/", {"unit": unit.pk, "file": good})
    assert r.status_code == 302
    assert UnitBoundary.objects.get(unit=unit).source == "ha-dong.geojson"


@pytest.mark.django_db
def test_offices_page_draws_imported_boundaries_without_tiles(client, settings):
    from factories import OfficeFactory

    settings.MOTCUA = {**settings.MOTCUA, "MAP_TILE_URL": ""}
    unit = UnitFactory(code="9886", name="Phường Hà Đông")
    OfficeFactory(unit=unit, latitude=20.97, longitude=105.78)
    unit_boundaries_import(text=collection(feature("9886")))
    html = client.get("/co-quan/").content.decode()
    data = json.loads(re.search(r'id="office-map-data"[^>]*>(.*?)</script>', html, re.S)[1])
    assert "leaflet.js" in html
    (ward,) = data["boundaries"]["features"]
    assert ward["properties"]["name"] == "Phường Hà Đông"
    assert ward["geometry"]["coordinates"] == [[SQUARE]]
    assert "Chưa cấu hình máy chủ bản đồ nền" in html
