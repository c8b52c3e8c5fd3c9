"""The engine interface, the fake engine's rules and the process-wide engine switch."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from biometrics_helpers import BLUE, RED

from motcua.biometrics.engine import (
    DetectedFace,
    FaceEngine,
    FakeFaceEngine,
    draw_fake_face,
    get_engine,
    set_engine,
)


def test_detected_face_round_trips_the_yunet_row():
    row = np.arange(15, dtype=np.float32)
    face = DetectedFace.from_row(row)
    assert (face.x, face.y, face.w, face.h, face.score) == (0, 1, 2, 3, 14)
    assert face.landmarks[0] == (4, 5)
    assert face.landmarks[4] == (12, 13)
    assert np.array_equal(face.as_row(), row)
    assert face.scaled(2).as_row()[:14].tolist() == (row[:14] * 2).tolist()


def test_fake_engine_same_colour_same_person_across_frames():
    engine = FakeFaceEngine()
    assert isinstance(engine, FaceEngine)
    a = draw_fake_face(RED)
    b = draw_fake_face(RED, centre=(250, 260), radius=80)
    ok, buf = cv2.imencode(".jpg", b, [cv2.IMWRITE_JPEG_QUALITY, 40])
    b = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    va = engine.embed(a, engine.detect(a)[0])
    vb = engine.embed(b, engine.detect(b)[0])
    assert float(va @ vb) == pytest.approx(1.0, abs=1e-5)
    c = draw_fake_face(BLUE)
    vc = engine.embed(c, engine.detect(c)[0])
    assert abs(float(va @ vc)) < 0.4
    # Deterministic across instances (and processes: seeded by the colour).
    assert np.array_equal(FakeFaceEngine().vector_for(RED), va)


def test_fake_engine_finds_each_blob_as_a_face():
    engine = FakeFaceEngine()
    img = draw_fake_face(RED, centre=(200, 240), radius=80)
    img = draw_fake_face(BLUE, centre=(480, 240), radius=60, image=img)
    faces = sorted(engine.detect(img), key=lambda f: f.x)
    assert len(faces) == 2
    assert faces[0].w == pytest.approx(129, abs=2)  # 0.8 × radius × 2 + 1
    assert faces[1].h == pytest.approx(121, abs=2)
    assert engine.detect(np.full((100, 100, 3), 128, np.uint8)) == []


def test_engine_comes_from_settings_and_follows_overrides(settings):
    set_engine(None)
    settings.MOTCUA = {**settings.MOTCUA, "FACE_ENGINE": "motcua.biometrics.engine.FakeFaceEngine"}
    first = get_engine()
    assert isinstance(first, FakeFaceEngine)
    assert get_engine() is first  # built once
    mine = FakeFaceEngine()
    set_engine(mine)
    assert get_engine() is mine
