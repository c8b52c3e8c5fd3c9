"""Fixtures of the biometrics tests: the fake engine by default, the real model once per session.

Fake faces: `draw_fake_face((b, g, r))` draws a coloured ellipse with eyes and a mouth on grey;
the colour is the person (FakeFaceEngine docstring). Colours used here are multiples of 32 with
enough saturation (max − min ≥ 60) and brightness to pass the quality checks.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from biometrics_helpers import FACES_DIR

from motcua.biometrics.engine import FakeFaceEngine, OpenCVFaceEngine, set_engine
from motcua.biometrics.gallery import galleries_clear


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Staff factories hash a password; the default PBKDF2 costs ~0.3 s a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fake_engine() -> Iterator[FakeFaceEngine]:
    engine = FakeFaceEngine()
    set_engine(engine)
    galleries_clear()
    yield engine
    set_engine(None)
    galleries_clear()


@pytest.fixture(scope="session")
def real_engine() -> OpenCVFaceEngine:
    """The real YuNet + SFace engine, loaded once for the whole session (~0.3 s)."""
    return OpenCVFaceEngine()


@pytest.fixture(scope="session")
def face_photos() -> dict[str, np.ndarray]:
    """The licensed test photos (tests/fixtures/faces/CREDITS.md), by file stem."""
    return {p.stem: cv2.imread(str(p)) for p in sorted(FACES_DIR.glob("*.jpg"))}
