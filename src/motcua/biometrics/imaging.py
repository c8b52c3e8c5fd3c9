"""Turning uploaded bytes into a BGR image, safely.

The content decides the type (magic bytes), never the file name or the declared MIME type, and
the pixel count is read from the header before decoding so that a small file declaring a huge
image (a decompression bomb) is refused without allocating it.
"""

from __future__ import annotations

import struct

import numpy as np

from motcua.biometrics.errors import ImageRejected, ImageTooLarge

# A kiosk frame is ~50–150 kB; a phone photo can reach a few MB. Larger uploads are refused
# before any decoding work.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
# 24 MP covers any phone camera; the decoded BGR array is then at most ~72 MB.
MAX_IMAGE_PIXELS = 24_000_000

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

BAD_IMAGE_MESSAGE = "Tệp gửi lên không phải ảnh JPEG hoặc PNG hợp lệ."
TOO_LARGE_MESSAGE = "Ảnh quá lớn. Vui lòng gửi ảnh nhỏ hơn (tối đa 5 MB)."


def _bad(message: str = BAD_IMAGE_MESSAGE) -> ImageRejected:
    return ImageRejected(message, code="bad_image")


def _too_large() -> ImageRejected:
    return ImageTooLarge(TOO_LARGE_MESSAGE)


def sniff_format(data: bytes) -> str | None:
    """'jpeg', 'png' or None, from the first bytes."""
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if data.startswith(PNG_MAGIC):
        return "png"
    return None


def _png_size(data: bytes) -> tuple[int, int]:
    # The IHDR chunk must come first: length(4) "IHDR"(4) width(4) height(4).
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise _bad()
    width, height = struct.unpack(">II", data[16:24])
    return width, height


_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos = 2
    n = len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            raise _bad()
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2:
            raise _bad()
        if marker in _SOF_MARKERS:
            if pos + 9 > n:
                raise _bad()
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            break
        pos += 2 + length
    raise _bad()


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the header of a JPEG or PNG; ImageRejected('bad_image') otherwise."""
    kind = sniff_format(data)
    if kind == "png":
        return _png_size(data)
    if kind == "jpeg":
        return _jpeg_size(data)
    raise _bad()


def _checked_size(data: bytes, max_bytes: int, max_pixels: int) -> tuple[int, int]:
    """(width, height) from the header, after the byte and pixel limits."""
    if not data:
        raise _bad()
    if len(data) > max_bytes:
        raise _too_large()
    width, height = image_size(data)
    if width <= 0 or height <= 0:
        raise _bad()
    if width * height > max_pixels:
        raise _too_large()
    return width, height


def _imdecode(data: bytes, flags: int) -> np.ndarray:
    import cv2

    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
    if image is None or image.ndim != 3 or image.shape[2] != 3:
        raise _bad()
    return image


def decode_image(
    data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS
) -> np.ndarray:
    """A BGR uint8 image from JPEG or PNG bytes (EXIF orientation applied).

    Raises ImageRejected with code `bad_image` (422) or `image_too_large` (413).
    """
    import cv2

    _checked_size(data, max_bytes, max_pixels)
    return _imdecode(data, cv2.IMREAD_COLOR)


# JPEG decoders scale by 1/2, 1/4 or 1/8 inside the inverse DCT, far cheaper than decoding every
# pixel and resizing: OpenCV's IMREAD_REDUCED_COLOR_* flags (EXIF orientation still applied).
_REDUCED = (
    (8, "IMREAD_REDUCED_COLOR_8"),
    (4, "IMREAD_REDUCED_COLOR_4"),
    (2, "IMREAD_REDUCED_COLOR_2"),
)


def decode_image_at_least(
    data: bytes,
    min_side: int,
    *,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> tuple[np.ndarray, float]:
    """Like `decode_image`, but a JPEG at least twice `min_side` on its longest side is decoded
    at 1/2, 1/4 or 1/8 of its size, the smallest that keeps the longest side ≥ `min_side`.

    Returns the image and the factor from its pixels to the original's (1.0 when not reduced).
    """
    import cv2

    width, height = _checked_size(data, max_bytes, max_pixels)
    longest = max(width, height)
    if sniff_format(data) == "jpeg" and min_side > 0:
        for factor, flag in _REDUCED:
            if longest // factor >= min_side:
                image = _imdecode(data, getattr(cv2, flag))
                return image, max(width, height) / max(image.shape[:2])
    return _imdecode(data, cv2.IMREAD_COLOR), 1.0
