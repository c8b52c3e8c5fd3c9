"""decode_image: the content decides the type, sizes are checked before decoding."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from biometrics_helpers import RED, encode

from motcua.biometrics.engine import draw_fake_face
from motcua.biometrics.errors import FaceRejected, ImageRejected
from motcua.biometrics.imaging import decode_image, decode_image_at_least, image_size


def test_jpeg_and_png_decode_to_bgr_by_content():
    img = draw_fake_face(RED, size=(320, 240), radius=60)
    for fmt in (".jpg", ".png"):
        out = decode_image(encode(img, fmt))
        assert out.shape == (240, 320, 3)
        assert out.dtype == np.uint8
    assert image_size(encode(img, ".png")) == (320, 240)
    assert image_size(encode(img, ".jpg")) == (320, 240)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a" + b"\0" * 100,
        b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        b"\xff\xd8\xff" + b"\0" * 50,  # JPEG magic, garbage after
        b"\x89PNG\r\n\x1a\n" + b"\0" * 50,  # PNG magic, no IHDR
    ],
)
def test_non_images_and_truncated_headers_are_bad_image(data):
    with pytest.raises(ImageRejected) as err:
        decode_image(data)
    assert err.value.code == "bad_image"
    assert err.value.status == 422
    assert isinstance(err.value, FaceRejected)
    assert "JPEG" in err.value.message


def test_bmp_renamed_to_jpg_is_refused():
    import cv2

    ok, bmp = cv2.imencode(".bmp", draw_fake_face(RED, size=(64, 64), radius=20))
    with pytest.raises(ImageRejected) as err:
        decode_image(bmp.tobytes())
    assert err.value.code == "bad_image"


def test_too_many_bytes_is_image_too_large():
    data = encode(draw_fake_face(RED, size=(320, 240), radius=60))
    with pytest.raises(ImageRejected) as err:
        decode_image(data, max_bytes=len(data) - 1)
    assert err.value.code == "image_too_large"
    assert err.value.status == 413
    assert decode_image(data, max_bytes=len(data)).shape[:2] == (240, 320)


def _png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = (
        struct.pack(">I", len(ihdr))
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    )
    return b"\x89PNG\r\n\x1a\n" + chunk


def test_decompression_bomb_refused_from_header_alone():
    # 60 000 × 60 000 declared in a few dozen bytes: refused before any pixel is allocated.
    with pytest.raises(ImageRejected) as err:
        decode_image(_png_header_only(60_000, 60_000))
    assert err.value.code == "image_too_large"


def test_pixel_limit_applies_to_real_images():
    data = encode(draw_fake_face(RED, size=(320, 240), radius=60), ".png")
    with pytest.raises(ImageRejected) as err:
        decode_image(data, max_pixels=320 * 240 - 1)
    assert err.value.code == "image_too_large"


@pytest.mark.parametrize(
    ("size", "fmt", "factor"),
    [
        ((640, 480), ".jpg", 1),  # a kiosk frame: every pixel
        ((2559, 1000), ".jpg", 1),  # under twice the minimum side
        ((2560, 1000), ".jpg", 2),
        ((1000, 5200), ".jpg", 4),  # the longest side counts, portrait too
        ((10300, 1200), ".jpg", 8),
        ((2600, 1000), ".png", 1),  # only JPEG decoders scale while decoding
    ],
)
def test_large_jpeg_decoded_reduced_but_never_under_the_minimum_side(size, fmt, factor):
    w, h = size
    img = draw_fake_face(RED, size=size, radius=min(w, h) // 4)
    out, scale = decode_image_at_least(encode(img, fmt), 1280)
    assert out.shape == (-(-h // factor), -(-w // factor), 3)
    assert max(out.shape[:2]) >= min(1280, max(w, h))
    assert scale == pytest.approx(max(w, h) / max(out.shape[:2]))
    if factor == 1:
        assert scale == 1.0
        assert np.array_equal(out, decode_image(encode(img, fmt)))


def test_reduced_decode_keeps_the_limits():
    img = draw_fake_face(RED, size=(2600, 1000), radius=200)
    data = encode(img)
    with pytest.raises(ImageRejected) as err:
        decode_image_at_least(data, 1280, max_bytes=len(data) - 1)
    assert err.value.code == "image_too_large"
    with pytest.raises(ImageRejected) as err:
        decode_image_at_least(data, 1280, max_pixels=2600 * 1000 - 1)
    assert err.value.code == "image_too_large"
    with pytest.raises(ImageRejected) as err:
        decode_image_at_least(b"\xff\xd8\xff" + b"\0" * 50, 1280)
    assert err.value.code == "bad_image"
