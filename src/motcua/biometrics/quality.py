"""Is this frame good enough to recognise someone, and if not, what should the citizen do?

Thresholds were set from the licensed test photos with the real model (tests/fixtures/faces):
the numbers each comment cites are what was measured there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motcua.biometrics.engine import DetectedFace

# SFace works on a 112×112 aligned crop. Faces down to ~35 px still gave cosine ≥ 0.87 against
# the full-size photo, but matching across different photos loses that much again; 64 px (the
# crop upsampled < 2×) keeps a margin. A kiosk camera at 640×480 sees a face at arm's length
# at 120–250 px, so only someone standing far back is asked to come closer.
MIN_FACE_PX = 64
# Mean grey level (0–255) of the face box. The test photos sit at 95–155; darkened to 20–30 the
# model still matched (0.88–0.93) but the detector starts to miss faces and a real dim camera
# adds noise, so below 40 the citizen is asked to find light. Above 225 the face is washed out.
MIN_BRIGHTNESS = 40.0
MAX_BRIGHTNESS = 225.0
# Variance of the Laplacian of the face crop scaled to SHARPNESS_WIDTH px wide (scale-free).
# Sharp test photos: 88–2000; Gaussian blur 15 px on the low-resolution photo: 4.3 (cosine fell
# to 0.72); blur 9 px: 8.3 (still 0.89). 10 rejects what really hurts recognition, not
# ordinary webcam softness.
SHARPNESS_WIDTH = 112
MIN_SHARPNESS = 10.0
# The face centre must lie in the middle of the frame (fractions of width/height from the
# edge), and at most this share of the box may fall outside the frame: a cut face aligns badly.
EDGE_MARGIN_X = 0.12
EDGE_MARGIN_Y = 0.08
MAX_OUTSIDE_SHARE = 0.15
# Choosing among several faces: size counts most, distance from the centre halves the weight
# at a corner, so the person standing in front of the kiosk wins over a larger face passing by
# at the edge only when that face is much larger.
CENTRE_WEIGHT = 0.5

MESSAGES = {
    "no_face": "Không thấy khuôn mặt. Vui lòng nhìn thẳng vào camera.",
    "face_too_small": "Vui lòng bước lại gần camera hơn.",
    "too_dark": "Ảnh quá tối. Vui lòng đứng ở chỗ đủ sáng, không đứng ngược sáng.",
    "too_bright": "Ảnh quá sáng. Vui lòng tránh nguồn sáng chiếu thẳng vào mặt.",
    "too_blurry": "Ảnh bị mờ. Vui lòng đứng yên và nhìn thẳng vào camera.",
    "face_off_centre": "Vui lòng đứng vào giữa khung hình, nhìn thẳng vào camera.",
}


@dataclass(frozen=True)
class Quality:
    """The verdict on one frame: `ok`, or a `code` + Vietnamese `message`, and the measures."""

    ok: bool
    code: str
    message: str
    face: DetectedFace | None
    faces_count: int
    brightness: float | None = None
    sharpness: float | None = None


def choose_face(faces: list[DetectedFace], image_shape: tuple[int, ...]) -> DetectedFace | None:
    """The largest, most centred face (the person in front of the camera)."""
    if not faces:
        return None
    h, w = image_shape[:2]
    half_diag = max(float(np.hypot(w / 2, h / 2)), 1.0)

    def weight(face: DetectedFace) -> float:
        cx, cy = face.centre
        off = min(float(np.hypot(cx - w / 2, cy - h / 2)) / half_diag, 1.0)
        return face.area * (1.0 - CENTRE_WEIGHT * off)

    return max(faces, key=weight)


def _crop(image: np.ndarray, face: DetectedFace) -> np.ndarray:
    h, w = image.shape[:2]
    x0, y0 = max(int(face.x), 0), max(int(face.y), 0)
    x1, y1 = min(int(face.x + face.w), w), min(int(face.y + face.h), h)
    return image[y0:y1, x0:x1]


def measure(image: np.ndarray, face: DetectedFace) -> tuple[float, float]:
    """(brightness, sharpness) of the face box."""
    import cv2

    crop = _crop(image, face)
    if crop.size == 0:
        return 0.0, 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    brightness = float(grey.mean())
    height = max(round(grey.shape[0] * SHARPNESS_WIDTH / grey.shape[1]), 1)
    scaled = cv2.resize(grey, (SHARPNESS_WIDTH, height), interpolation=cv2.INTER_AREA)
    sharpness = float(cv2.Laplacian(scaled, cv2.CV_64F).var())
    return brightness, sharpness


def _outside_share(face: DetectedFace, w: int, h: int) -> float:
    inside_w = max(min(face.x + face.w, w) - max(face.x, 0.0), 0.0)
    inside_h = max(min(face.y + face.h, h) - max(face.y, 0.0), 0.0)
    return 1.0 - (inside_w * inside_h) / max(face.area, 1.0)


def assess(image: np.ndarray, faces: list[DetectedFace], *, scale: float = 1.0) -> Quality:
    """Pick the face to use and check it; the first failing check is the one reported.

    `scale`: pixels of the uploaded image per pixel of `image` (a large photo decoded at a
    reduced size): the face size is checked in the upload's pixels, as for any other image.
    """
    face = choose_face(faces, image.shape)
    n = len(faces)
    if face is None:
        return Quality(False, "no_face", MESSAGES["no_face"], None, 0)

    def refuse(
        code: str, brightness: float | None = None, sharpness: float | None = None
    ) -> Quality:
        return Quality(False, code, MESSAGES[code], face, n, brightness, sharpness)

    h, w = image.shape[:2]
    if min(face.w, face.h) * scale < MIN_FACE_PX:
        return refuse("face_too_small")
    cx, cy = face.centre
    if (
        not (EDGE_MARGIN_X * w <= cx <= (1 - EDGE_MARGIN_X) * w)
        or not (EDGE_MARGIN_Y * h <= cy <= (1 - EDGE_MARGIN_Y) * h)
        or _outside_share(face, w, h) > MAX_OUTSIDE_SHARE
    ):
        return refuse("face_off_centre")
    brightness, sharpness = measure(image, face)
    if brightness < MIN_BRIGHTNESS:
        return refuse("too_dark", brightness, sharpness)
    if brightness > MAX_BRIGHTNESS:
        return refuse("too_bright", brightness, sharpness)
    if sharpness < MIN_SHARPNESS:
        return refuse("too_blurry", brightness, sharpness)
    return Quality(True, "ok", "", face, n, brightness, sharpness)
