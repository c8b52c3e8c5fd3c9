"""Kiosks searching while others enrol, on real connections; the engine shared across threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from biometrics_helpers import BLUE, GREEN, ORANGE, PURPLE, RED, encode
from django.db import connection

from factories import CitizenFactory, OfficeFactory
from motcua.biometrics.engine import draw_fake_face, set_engine
from motcua.biometrics.models import FaceAccessLog, GalleryVersion
from motcua.biometrics.services import face_analyse, face_enrol, face_identify


@pytest.mark.django_db(transaction=True)
def test_identify_during_concurrent_enrolments_is_always_right():
    office = OfficeFactory()
    known = CitizenFactory()
    face_enrol(
        citizen=known,
        office=office,
        probe=face_analyse(image=encode(draw_fake_face(RED))),
        scope="today",
        device="k0",
    )
    newcomers = {colour: CitizenFactory() for colour in (BLUE, GREEN, ORANGE, PURPLE)}
    red_probe = face_analyse(image=encode(draw_fake_face(RED)))
    errors: list[BaseException] = []
    wrong: list[object] = []

    def search_loop():
        try:
            for _ in range(8):
                r = face_identify(office=office, probe=red_probe, device="kiosk-search")
                if r.citizen != known:
                    wrong.append(r)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def enrol_one(colour, citizen):
        try:
            probe = face_analyse(image=encode(draw_fake_face(colour)))
            face_enrol(
                citizen=citizen, office=office, probe=probe, scope="today", device="kiosk-enrol"
            )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=search_loop) for _ in range(3)]
    threads += [threading.Thread(target=enrol_one, args=item) for item in newcomers.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert wrong == []
    assert GalleryVersion.objects.get(office=office).version == 1 + len(newcomers)
    assert FaceAccessLog.objects.filter(operation="identify").count() == 24
    # Everyone enrolled meanwhile is found afterwards by this process's cached gallery.
    for colour, citizen in newcomers.items():
        r = face_identify(
            office=office, probe=face_analyse(image=encode(draw_fake_face(colour))), device="k"
        )
        assert r.citizen == citizen


@pytest.mark.slow
def test_real_engine_is_safe_to_share_between_threads(real_engine, face_photos):
    set_engine(real_engine)
    images = [face_photos["person_a_2"], face_photos["person_b_1"]]
    expected = [real_engine.embed(img, real_engine.detect(img)[0]) for img in images]
    results: list[tuple[int, np.ndarray]] = []

    def work(i):
        img = images[i % 2]
        faces = real_engine.detect(img)
        results.append((i % 2, real_engine.embed(img, faces[0])))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6
    for which, vector in results:
        assert float(vector @ expected[which]) == pytest.approx(1.0, abs=1e-5)
