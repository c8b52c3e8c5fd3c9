"""Ward boundaries from GeoJSON files an administrator imports (no package ships them).

Pure checks, no database: `parse_geojson` reads a file's text and returns, per feature, its
properties and its geometry normalised to a GeoJSON MultiPolygon with coordinates rounded to
6 decimals (~0.1 m). Anything else raises ValidationFailed with code "invalid_geojson" and a
Vietnamese message that says what is wrong and where (feature number, ring).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from motcua.core.errors import ValidationFailed

MAX_BYTES = 20 * 1024 * 1024
MAX_POSITIONS = 500_000  # per file: a detailed ward outline has a few thousand
# Where our units are: a file whose points fall outside is in another projection (VN-2000
# metres) or has latitude and longitude swapped. Vietnam with its islands: 8–24°N, 102–118°E.
VN_LAT = (7.0, 24.5)
VN_LNG = (101.5, 118.5)
CODE_PROPERTIES = ("code", "ma", "ma_don_vi", "ma_xa", "maxa", "ma_dvhc", "id")


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_geojson")


@dataclass(frozen=True)
class Boundary:
    properties: dict[str, Any]
    geometry: dict[str, Any]  # {"type": "MultiPolygon", "coordinates": [...]}

    def code(self, prop: str | None = None) -> str:
        """The unit code a feature names (the given property, or a usual name for it)."""
        props = {str(k).lower(): v for k, v in self.properties.items()}
        keys = [prop.lower()] if prop else list(CODE_PROPERTIES)
        for key in keys:
            value = props.get(key)
            if value not in (None, ""):
                return str(value).strip()
        return ""


def _position(pos: Any, where: str) -> list[float]:
    if (
        not isinstance(pos, list)
        or len(pos) < 2
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in pos[:2])
    ):
        raise _fail(f"{where}: mỗi điểm phải là [kinh độ, vĩ độ] bằng số.")
    lng, lat = float(pos[0]), float(pos[1])
    if VN_LAT[0] <= lng <= VN_LAT[1] and VN_LNG[0] <= lat <= VN_LNG[1]:
        raise _fail(
            f"{where}: tọa độ bị đảo (vĩ độ đứng trước kinh độ); GeoJSON ghi [kinh độ, vĩ độ]."
        )
    if not (VN_LNG[0] <= lng <= VN_LNG[1] and VN_LAT[0] <= lat <= VN_LAT[1]):
        raise _fail(
            f"{where}: điểm [{pos[0]}, {pos[1]}] nằm ngoài lãnh thổ Việt Nam; tệp phải dùng "
            "kinh độ, vĩ độ WGS 84 (EPSG:4326), không dùng hệ VN-2000 tính bằng mét."
        )
    return [round(lng, 6), round(lat, 6)]


def _polygon(rings: Any, where: str) -> list[list[list[float]]]:
    if not isinstance(rings, list) or not rings:
        raise _fail(f"{where}: vùng (Polygon) phải có ít nhất một đường bao.")
    out = []
    for r, ring in enumerate(rings, start=1):
        here = f"{where}, đường bao {r}"
        if not isinstance(ring, list) or len(ring) < 4:
            raise _fail(f"{here}: đường bao phải có ít nhất 4 điểm.")
        points = [_position(p, here) for p in ring]
        if points[0] != points[-1]:
            raise _fail(f"{here}: đường bao chưa khép kín (điểm cuối phải trùng điểm đầu).")
        out.append(points)
    return out


def _multipolygon(geometry: Any, where: str) -> dict[str, Any]:
    if not isinstance(geometry, dict):
        raise _fail(f"{where}: thiếu hình học (geometry).")
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [_polygon(coords, where)]
    elif kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise _fail(f"{where}: MultiPolygon rỗng.")
        polygons = [_polygon(p, f"{where}, vùng {i}") for i, p in enumerate(coords, start=1)]
    else:
        raise _fail(
            f"{where}: ranh giới phải là vùng (Polygon hoặc MultiPolygon), không phải {kind!r}."
        )
    return {"type": "MultiPolygon", "coordinates": polygons}


def parse_geojson(text: str | bytes) -> list[Boundary]:
    """Every feature of a GeoJSON text as a Boundary; raises ValidationFailed when invalid."""
    if len(text) > MAX_BYTES:
        raise _fail(f"Tệp quá lớn (tối đa {MAX_BYTES // (1024 * 1024)} MB).")
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(f"Tệp không phải JSON hợp lệ: {exc}.") from exc
    if not isinstance(data, dict):
        raise _fail("Tệp GeoJSON phải là một đối tượng (FeatureCollection, Feature hoặc vùng).")
    if data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or not features:
            raise _fail("FeatureCollection không có đối tượng nào (features).")
    elif data.get("type") == "Feature":
        features = [data]
    elif data.get("type") in ("Polygon", "MultiPolygon"):
        features = [{"type": "Feature", "properties": {}, "geometry": data}]
    else:
        raise _fail(f"Kiểu GeoJSON {data.get('type')!r} không được hỗ trợ.")
    result = []
    total = 0
    for n, feature in enumerate(features, start=1):
        where = f"Đối tượng {n}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise _fail(f'{where}: phải có type "Feature".')
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise _fail(f"{where}: properties phải là một đối tượng.")
        geometry = _multipolygon(feature.get("geometry"), where)
        total += sum(len(ring) for poly in geometry["coordinates"] for ring in poly)
        if total > MAX_POSITIONS:
            raise _fail(f"Tệp có quá nhiều điểm (tối đa {MAX_POSITIONS:,}).".replace(",", "."))
        result.append(Boundary(properties=props, geometry=geometry))
    return result


def merge(boundaries: list[Boundary]) -> dict[str, Any]:
    """All polygons of several boundaries as one MultiPolygon (a file for one unit)."""
    return {
        "type": "MultiPolygon",
        "coordinates": [p for b in boundaries for p in b.geometry["coordinates"]],
    }


def bbox(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a MultiPolygon."""
    points = [pt for poly in geometry["coordinates"] for ring in poly for pt in ring]
    lngs = [p[0] for p in points]
    lats = [p[1] for p in points]
    return min(lngs), min(lats), max(lngs), max(lats)
