"""Shared data of the campaign tests (a module of its own: `conftest` names clash)."""

from __future__ import annotations

import io
from datetime import datetime

from motcua.core.clock import VN_TZ


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


def photo_with_gps(size: tuple[int, int] = (3000, 2000)) -> bytes:
    """A JPEG as a phone takes it: large, with EXIF (camera, GPS position)."""
    from PIL import Image

    img = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (21.0, 0.0, 0.0), 3: "E", 4: (105.0, 46.0, 0.0)}  # GPS
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def compose(ward, **extra):
    from motcua.campaigns import services

    fields = {
        "actor": ward.lanhdao,
        "unit": ward.unit,
        "title": "Đăng ký khai sinh trực tuyến, nhận kết quả tại nhà",
        "text": "Từ tháng 12, phường Kiến Hưng nhận hồ sơ khai sinh trực tuyến.\nKhông cần đến trụ sở.",
        "link_kind": "booking",
        "link_target": ward.office.code,
        "channels": ["portal", "zalo", "facebook", "email"],
    }
    fields.update(extra)
    return services.campaign_create(**fields)
