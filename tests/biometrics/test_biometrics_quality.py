"""Frame quality: which face is used, and what the citizen is told to fix (fake engine)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from biometrics_helpers import BLUE, RED, encode

from motcua.biometrics import quality
from motcua.biometrics.engine import DetectedFace, draw_fake_face
from motcua.biometrics.errors import FaceRejected
from motcua.biometrics.services import face_analyse


def _face(x, y, w, h):
    return DetectedFace(x=x, y=y, w=w, h=h, score=0.9, landmarks=((0, 0),) * 5)


def test_choose_face_prefers_large_and_centred():
    shape = (480, 640, 3)
    centred = _face(260, 180, 120, 120)
    corner_same_size = _face(0, 0, 120, 120)
    assert quality.choose_face([corner_same_size, centred], shape) is centred
    # A much larger face wins even off-centre (it is the one close to the camera).
    big_side = _face(380, 100, 250, 250)
    assert quality.choose_face([centred, big_side], shape) is big_side
    assert quality.choose_face([], shape) is None


def test_ok_frame_gives_probe_with_unit_embedding(fake_engine):
    probe = face_analyse(image=encode(draw_fake_face(RED)))
    assert probe.quality.ok
    assert probe.model_id == fake_engine.model_id
    assert probe.embedding.dtype == np.float32
    assert probe.embedding.shape == (128,)
    assert np.linalg.norm(probe.embedding) == pytest.approx(1.0, abs=1e-5)
    assert probe.image_format == "jpeg"
    assert probe.image_size == (640, 480)


def test_two_people_the_centred_one_is_used(fake_engine):
    img = draw_fake_face(RED, centre=(320, 240), radius=100)
    img = draw_fake_face(BLUE, centre=(560, 90), radius=60, image=img)
    probe = face_analyse(image=encode(img))
    assert probe.quality.faces_count == 2
    assert float(probe.embedding @ fake_engine.vector_for(RED)) == pytest.approx(1.0, abs=1e-5)


def _rejected(img) -> FaceRejected:
    with pytest.raises(FaceRejected) as err:
        face_analyse(image=encode(img))
    assert err.value.status == 422
    return err.value


def test_blank_image_is_no_face_with_instruction():
    err = _rejected(np.full((480, 640, 3), 128, np.uint8))
    assert err.code == "no_face"
    assert err.message == "Không thấy khuôn mặt. Vui lòng nhìn thẳng vào camera."


def test_small_face_asks_to_come_closer():
    err = _rejected(draw_fake_face(RED, radius=30))
    assert err.code == "face_too_small"
    assert err.message == "Vui lòng bước lại gần camera hơn."


def test_dark_face_is_too_dark():
    # A saturated but dim colour: luma ≈ 29 < MIN_BRIGHTNESS, on a dark background.
    err = _rejected(draw_fake_face((0, 0, 96), background=10))
    assert err.code == "too_dark"
    assert "tối" in err.message


def test_blurred_face_is_too_blurry():
    img = cv2.GaussianBlur(draw_fake_face(RED), (61, 61), 0)
    err = _rejected(img)
    assert err.code == "too_blurry"
    assert "mờ" in err.message


def test_face_at_the_edge_is_off_centre():
    err = _rejected(draw_fake_face(RED, centre=(40, 240), radius=100))
    assert err.code == "face_off_centre"
    assert "giữa khung hình" in err.message


def test_not_an_image_is_bad_image():
    with pytest.raises(FaceRejected) as err:
        face_analyse(image=b"hello")
    assert err.value.code == "bad_image"


def test_large_photo_decoded_reduced_checks_face_size_in_the_uploads_pixels(fake_engine):
    # 2,600 px wide: decoded at half size; the face (96 × 120 px in the upload, 48 × 60 as
    # decoded) is large enough, as it would be decoding every pixel.
    img = draw_fake_face(RED, size=(2600, 1400), radius=60)
    probe = face_analyse(image=encode(img))
    assert probe.quality.ok
    assert probe.image_size == (2600, 1400)
    assert probe.face.h == pytest.approx(121, abs=4)  # in the upload's pixels
    # 40 × 50 px in the upload: too small, whatever the decoded size.
    small = draw_fake_face(RED, size=(2600, 1400), radius=25)
    with pytest.raises(FaceRejected) as err:
        face_analyse(image=encode(small))
    assert err.value.code == "face_too_small"
