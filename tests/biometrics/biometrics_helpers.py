"""Helpers shared by the biometrics tests (fake-face colours, encoding, photo folder)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

FACES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "faces"


RED = (0, 64, 224)
BLUE = (224, 96, 0)
GREEN = (32, 192, 32)
PURPLE = (192, 64, 160)
ORANGE = (0, 160, 255)


def encode(image: np.ndarray, fmt: str = ".jpg", quality: int = 92) -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if fmt == ".jpg" else []
    ok, buf = cv2.imencode(fmt, image, params)
    assert ok
    return buf.tobytes()
