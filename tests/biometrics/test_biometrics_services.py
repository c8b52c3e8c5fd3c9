"""Services with the fake engine: enrol, identify (match, margin), verify, delete, purge, logs."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from biometrics_helpers import BLUE, GREEN, ORANGE, PURPLE, RED, encode

from factories import CitizenFactory, OfficeFactory, StaffRoleFactory, UserFactory
from motcua.biometrics.engine import draw_fake_face
from motcua.biometrics.gallery import office_gallery
from motcua.biometrics.models import FaceAccessLog, FaceConsent, FaceTemplate, GalleryVersion
from motcua.biometrics.services import (
    MAX_TEMPLATES_PER_CITIZEN,
    face_analyse,
    face_data_delete,
    face_enrol,
    face_identify,
    face_templates_purge,
    face_verify,
)
from motcua.core import clock
from motcua.core.errors import PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.org.models import Role

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 11, 27, 9, 0, tzinfo=clock.VN_TZ)


@pytest.fixture
def office():
    return OfficeFactory()


@pytest.fixture(autouse=True)
def _morning(freeze):
    freeze(MORNING)


def probe_of(colour, **kw):
    return face_analyse(image=encode(draw_fake_face(colour, **kw)))


def enrol(citizen, office, colour, scope="today", **kw):
    return face_enrol(
        citizen=citizen, office=office, probe=probe_of(colour), scope=scope, device="kiosk-1", **kw
    )


def test_enrol_then_identify_same_person_in_another_frame(office):
    citizen = CitizenFactory()
    t = enrol(citizen, office, RED)
    assert t.scope == "today"
    assert t.expires_at == datetime(2026, 11, 27, 17, 0, tzinfo=clock.VN_TZ)  # office closing
    assert np.frombuffer(bytes(t.vector), np.float32).shape == (128,)
    consent = FaceConsent.objects.get(citizen=citizen)
    assert (consent.scope, consent.channel, consent.withdrawn_at) == ("today", "kiosk-1", None)
    assert consent.text_version and "hôm nay" in consent.purpose

    # Another frame: moved, smaller, re-encoded.
    probe = probe_of(RED, centre=(300, 260), radius=90)
    result = face_identify(office=office, probe=probe, device="kiosk-2")
    assert result.status == "match"
    assert result.citizen == citizen
    assert result.score == pytest.approx(1.0, abs=1e-5)
    log = FaceAccessLog.objects.filter(operation="identify").get()
    assert (log.office, log.device, log.result, log.citizen) == (
        office,
        "kiosk-2",
        "match",
        citizen,
    )
    assert log.best_score == pytest.approx(1.0, abs=1e-5)
    assert log.duration_ms is not None


def test_stranger_is_no_match_and_logged_without_citizen(office):
    enrol(CitizenFactory(), office, RED)
    enrol(CitizenFactory(), office, BLUE)
    result = face_identify(office=office, probe=probe_of(GREEN), device="kiosk-1")
    assert result.status == "no_match"
    assert result.citizen is None
    log = FaceAccessLog.objects.get(operation="identify")
    assert (log.result, log.citizen) == ("no_match", None)
    assert log.best_score < 0.42


def test_gallery_is_per_office(office):
    enrol(CitizenFactory(), office, RED)
    other = OfficeFactory()
    assert face_identify(office=other, probe=probe_of(RED), device="k").status == "no_match"


def test_lookalikes_within_margin_are_ambiguous(office, fake_engine):
    rng = np.random.default_rng(3)
    base = rng.standard_normal(128)
    base /= np.linalg.norm(base)
    noise = rng.standard_normal((2, 128))
    noise -= np.outer(noise @ base, base)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    # Two people at cosine 0.90 and 0.86 from the query's face: both above the threshold,
    # 0.04 apart, less than the 0.08 margin → the kiosk must ask for QR or phone.
    fake_engine.register(PURPLE, 0.90 * base + np.sqrt(1 - 0.81) * noise[0])
    fake_engine.register(ORANGE, 0.86 * base + np.sqrt(1 - 0.86**2) * noise[1])
    fake_engine.register(GREEN, base)
    a, b = CitizenFactory(), CitizenFactory()
    enrol(a, office, PURPLE)
    enrol(b, office, ORANGE)
    result = face_identify(office=office, probe=probe_of(GREEN), device="kiosk-1")
    assert result.status == "ambiguous"
    assert result.citizen is None
    assert result.score == pytest.approx(0.90, abs=1e-3)
    assert result.second_score == pytest.approx(0.86, abs=2e-2)
    assert FaceAccessLog.objects.get(operation="identify").result == "ambiguous"


def test_several_templates_of_one_person_still_match(office):
    citizen = CitizenFactory()
    for _ in range(3):
        enrol(citizen, office, RED)
    result = face_identify(office=office, probe=probe_of(RED), device="k")
    assert result.status == "match"
    assert result.citizen == citizen


def test_templates_per_citizen_capped(office):
    citizen = CitizenFactory()
    for _ in range(MAX_TEMPLATES_PER_CITIZEN + 2):
        enrol(citizen, office, RED)
    assert FaceTemplate.objects.filter(citizen=citizen).count() == MAX_TEMPLATES_PER_CITIZEN
    assert face_identify(office=office, probe=probe_of(RED), device="k").citizen == citizen


def test_remember_scope_has_no_expiry_and_photo_only_with_consent(office, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    citizen = CitizenFactory()
    plain = enrol(citizen, office, RED, scope="remember")
    assert plain.expires_at is None
    assert not plain.photo
    photo = encode(draw_fake_face(RED))
    kept = enrol(citizen, office, RED, scope="remember", keep_photo=True, photo=photo)
    assert kept.photo
    assert (tmp_path / kept.photo.name).read_bytes() == photo
    assert FaceConsent.objects.filter(citizen=citizen, keep_photo=True).count() == 1
    with pytest.raises(ValidationFailed):
        enrol(citizen, office, RED, keep_photo=True, photo=None)
    with pytest.raises(ValidationFailed):
        enrol(citizen, office, RED, scope="forever")


def test_enrol_after_closing_expires_at_midnight(office, freeze):
    freeze(datetime(2026, 11, 27, 18, 30, tzinfo=clock.VN_TZ))
    t = enrol(CitizenFactory(), office, RED)
    assert t.expires_at == datetime(2026, 11, 28, 0, 0, tzinfo=clock.VN_TZ)


def test_expired_today_template_stops_matching_before_purge(office, freeze):
    citizen = CitizenFactory()
    enrol(citizen, office, RED)
    freeze(datetime(2026, 11, 27, 17, 5, tzinfo=clock.VN_TZ))
    assert face_identify(office=office, probe=probe_of(RED), device="k").status == "no_match"


def test_purge_removes_expired_today_and_stale_remember_templates(office, freeze):
    today_one, regular, stale = CitizenFactory(), CitizenFactory(), CitizenFactory()
    enrol(today_one, office, RED)
    enrol(regular, office, BLUE, scope="remember")
    freeze(MORNING - timedelta(days=800))
    enrol(stale, office, GREEN, scope="remember")
    freeze(MORNING)
    # Warm the cache so the purge must update it.
    assert face_identify(office=office, probe=probe_of(RED), device="k").citizen == today_one

    assert face_templates_purge(now=MORNING) == 1  # only the 800-day-old one so far
    n = face_templates_purge(now=datetime(2026, 11, 27, 17, 1, tzinfo=clock.VN_TZ))
    assert n == 1
    assert list(FaceTemplate.objects.values_list("citizen", flat=True)) == [regular.pk]
    assert face_identify(office=office, probe=probe_of(BLUE), device="k").citizen == regular
    assert face_identify(office=office, probe=probe_of(RED), device="k").status == "no_match"
    purges = FaceAccessLog.objects.filter(operation="purge").order_by("id")
    assert [p.result for p in purges] == ["deleted:1", "deleted:1"]
    assert all(p.office == office for p in purges)


def test_match_refreshes_last_seen_so_retention_counts_from_last_visit(office, freeze):
    citizen = CitizenFactory()
    freeze(MORNING - timedelta(days=700))
    enrol(citizen, office, RED, scope="remember")
    freeze(MORNING - timedelta(days=10))
    assert face_identify(office=office, probe=probe_of(RED), device="k").citizen == citizen
    freeze(MORNING)
    assert face_templates_purge(now=MORNING + timedelta(days=60)) == 0
    assert FaceTemplate.objects.filter(citizen=citizen).exists()


def test_verify_one_to_one(office):
    citizen, other = CitizenFactory(), CitizenFactory()
    enrol(citizen, office, RED)
    enrol(other, office, BLUE)
    clerk = UserFactory()
    ok = face_verify(
        citizen=citizen, office=office, probe=probe_of(RED), device="counter-3", actor=clerk
    )
    assert ok.matched
    assert ok.score == pytest.approx(1.0, abs=1e-5)
    wrong = face_verify(citizen=citizen, office=office, probe=probe_of(BLUE), device="counter-3")
    assert not wrong.matched
    assert wrong.score < 0.42
    none = face_verify(
        citizen=CitizenFactory(), office=office, probe=probe_of(RED), device="counter-3"
    )
    assert (none.matched, none.score) == (False, None)
    logs = list(
        FaceAccessLog.objects.filter(operation="verify")
        .order_by("id")
        .values_list("result", "actor")
    )
    assert logs == [("match", clerk.pk), ("no_match", None), ("no_template", None)]


def test_delete_by_manager_removes_templates_withdraws_consent_logs_and_audits(
    office, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    citizen = CitizenFactory()
    enrol(citizen, office, RED, scope="remember")
    kept = enrol(
        citizen, office, RED, scope="remember", keep_photo=True, photo=encode(draw_fake_face(RED))
    )
    photo_path = tmp_path / kept.photo.name
    assert photo_path.exists()
    other_office = OfficeFactory()
    enrol(citizen, other_office, RED)
    assert face_identify(office=office, probe=probe_of(RED), device="k").citizen == citizen

    # Templates at two units' offices: only a system administrator erases both (issue 9.4).
    manager = StaffRoleFactory(role=Role.SYSADMIN).user
    with pytest.raises(ValidationFailed):
        face_data_delete(citizen=citizen, actor=manager, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):  # photo files go after commit
        n = face_data_delete(citizen=citizen, actor=manager, reason="Công dân yêu cầu tại quầy")
    assert n == 3
    assert not FaceTemplate.objects.filter(citizen=citizen).exists()
    assert not photo_path.exists()
    assert not FaceConsent.objects.filter(citizen=citizen, withdrawn_at__isnull=True).exists()
    log = FaceAccessLog.objects.get(operation="delete")
    assert (log.actor, log.citizen, log.result) == (manager, citizen, "deleted:3")
    audit = AuditEvent.objects.get(action="biometrics.face_data_delete")
    assert audit.detail["templates"] == 3
    assert audit.detail["reason"] == "Công dân yêu cầu tại quầy"
    assert face_identify(office=office, probe=probe_of(RED), device="k").status == "no_match"


def test_delete_refused_for_reception_staff(office):
    citizen = CitizenFactory()
    enrol(citizen, office, RED)
    clerk = StaffRoleFactory(role=Role.RECEPTION).user
    with pytest.raises(PermissionDenied):
        face_data_delete(citizen=citizen, actor=clerk, reason="thử")
    assert FaceTemplate.objects.filter(citizen=citizen).count() == 1


def test_every_write_bumps_the_office_gallery_version(office):
    citizen = CitizenFactory()
    enrol(citizen, office, RED)
    enrol(citizen, office, RED)
    assert GalleryVersion.objects.get(office=office).version == 2
    face_data_delete(citizen=citizen, reason="Công dân yêu cầu")
    assert GalleryVersion.objects.get(office=office).version == 3


def test_cache_applies_own_writes_without_reloading(
    office, fake_engine, django_capture_on_commit_callbacks
):
    enrol(CitizenFactory(), office, RED)
    gallery = office_gallery(office.pk, fake_engine.model_id)
    face_identify(office=office, probe=probe_of(RED), device="k")
    loads = gallery.loads
    b = CitizenFactory()
    with django_capture_on_commit_callbacks(execute=True):
        enrol(b, office, BLUE)
    assert face_identify(office=office, probe=probe_of(BLUE), device="k").citizen == b
    with django_capture_on_commit_callbacks(execute=True):
        face_data_delete(citizen=b, reason="Công dân yêu cầu")
    assert face_identify(office=office, probe=probe_of(BLUE), device="k").status == "no_match"
    assert gallery.loads == loads  # applied incrementally, checked against the database


def test_cache_sees_changes_made_by_another_process(office, fake_engine):
    a = CitizenFactory()
    enrol(a, office, RED)
    assert face_identify(office=office, probe=probe_of(RED), device="k").citizen == a
    # Another process: a row written straight to the table (no in-process cache update) ...
    b = CitizenFactory()
    FaceTemplate.objects.create(
        citizen=b,
        office=office,
        model_id=fake_engine.model_id,
        vector=FaceTemplate.pack(fake_engine.vector_for(BLUE)),
        scope="remember",
        created_at=clock.now(),
        last_seen_at=clock.now(),
    )
    assert face_identify(office=office, probe=probe_of(BLUE), device="k").citizen == b
    # ... and a CASCADE delete of a citizen, which no service sees.
    a.delete()
    assert face_identify(office=office, probe=probe_of(RED), device="k").status == "no_match"


def test_periodic_task_purges(office, freeze):
    from motcua.biometrics import tasks

    enrol(CitizenFactory(), office, RED)
    assert tasks.face_templates_purge_periodic.call_local() == 0  # before closing
    freeze(datetime(2026, 11, 27, 17, 10, tzinfo=clock.VN_TZ))
    assert tasks.face_templates_purge_periodic.call_local() == 1
    assert not FaceTemplate.objects.exists()


def test_cache_not_fooled_by_a_recreated_database_repeating_ids_and_versions(office, fake_engine):
    a, b = CitizenFactory(), CitizenFactory()
    t = enrol(a, office, RED)
    assert face_identify(office=office, probe=probe_of(RED), device="k").citizen == a
    # As after a restore or a rolled-back test: same template id, same version, other person.
    FaceTemplate.objects.all().delete()
    GalleryVersion.objects.all().delete()
    FaceTemplate.objects.create(
        id=t.pk,
        citizen=b,
        office=office,
        model_id=fake_engine.model_id,
        vector=FaceTemplate.pack(fake_engine.vector_for(RED)),
        scope="today",
        created_at=clock.now(),
        last_seen_at=clock.now(),
    )
    GalleryVersion.objects.create(office=office, version=1)
    assert face_identify(office=office, probe=probe_of(RED), device="k").citizen == b


def test_templates_of_another_model_are_never_searched(office, fake_engine):
    citizen = CitizenFactory()
    enrol(citizen, office, RED)
    FaceTemplate.objects.update(model_id="sface-other-variant")
    result = face_identify(office=office, probe=probe_of(RED), device="k")
    assert result.status == "no_match"
    verify = face_verify(citizen=citizen, office=office, probe=probe_of(RED), device="k")
    assert verify.score is None


def test_triggers_catch_deletes_that_bypass_services(office, fake_engine):
    a, b = CitizenFactory(), CitizenFactory()
    enrol(a, office, RED)
    enrol(b, office, BLUE)
    gallery = office_gallery(office.pk, fake_engine.model_id)
    assert face_identify(office=office, probe=probe_of(RED), device="k").citizen == a
    loads = gallery.loads
    # A raw delete of a's template (not the newest row: the max id does not move) ...
    FaceTemplate.objects.filter(citizen=a).delete()
    # ... is seen by the very next search (the database triggers counted it).
    assert face_identify(office=office, probe=probe_of(RED), device="k").status == "no_match"
    assert gallery.loads == loads + 1
    assert face_identify(office=office, probe=probe_of(BLUE), device="k").citizen == b


def test_triggers_catch_raw_sql_and_ignore_last_seen(office, fake_engine):
    from django.db import connection

    a = CitizenFactory()
    enrol(a, office, RED)
    gallery = office_gallery(office.pk, fake_engine.model_id)
    assert face_identify(office=office, probe=probe_of(RED), device="k").citizen == a
    loads = gallery.loads
    # Every check-in refreshes last_seen_at: never a reload for that.
    for _ in range(3):
        assert face_identify(office=office, probe=probe_of(RED), device="k").citizen == a
    FaceTemplate.objects.update(last_seen_at=clock.now(), scope="remember")
    FaceTemplate.objects.get().save()  # a full-row save that changes nothing held
    assert face_identify(office=office, probe=probe_of(RED), device="k").citizen == a
    assert gallery.loads == loads
    # A vector changed with raw SQL (no ORM, no service) is seen by the next search.
    table = FaceTemplate._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} SET vector = %s", [FaceTemplate.pack(fake_engine.vector_for(BLUE))]
        )
    assert face_identify(office=office, probe=probe_of(BLUE), device="k").citizen == a
    assert face_identify(office=office, probe=probe_of(RED), device="k").status == "no_match"
    assert gallery.loads == loads + 1
    # An expiry set behind the services' back hides the template from the next search.
    FaceTemplate.objects.update(expires_at=clock.now() - timedelta(minutes=1))
    assert face_identify(office=office, probe=probe_of(BLUE), device="k").status == "no_match"


def test_gallery_triggers_exist_after_migrate():
    from django.db import connection

    from motcua.biometrics.triggers import TRIGGERS, installed_triggers

    assert installed_triggers(connection) == set(TRIGGERS)
