"""The demo registers: seeded once, numbers gapless per unit, arrivals registered and assigned."""

from __future__ import annotations

from datetime import datetime

import pytest

from motcua.core import clock
from motcua.correspondence.demo import seed_correspondence
from motcua.correspondence.models import Dispatch, Document

pytestmark = pytest.mark.django_db


def test_demo_registers(freeze, settings, tmp_path):
    from motcua.org.demo import seed_staff, seed_units

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path
    freeze(datetime(2026, 3, 10, 15, 0, tzinfo=clock.VN_TZ))
    seed_units()
    seed_staff()
    assert seed_correspondence(count=40) == 40  # no dossier in processing: no joint one
    assert seed_correspondence(count=40) == 0  # once
    for unit in ("09556", "09886"):
        numbers = sorted(
            Document.objects.filter(unit__code=unit, direction="out").values_list(
                "number", flat=True
            )
        )
        assert numbers == list(range(1, len(numbers) + 1)) and numbers
    incoming = Document.objects.filter(direction="in", unit__code="09556")
    registered = sorted(incoming.exclude(number=None).values_list("number", flat=True))
    assert registered == list(range(1, len(registered) + 1)) and registered
    assert Dispatch.objects.filter(state="assigned").exists()


def test_demo_joint_dossier_waits_late_on_a_partner(freeze, settings, tmp_path):
    from datetime import timedelta

    from factories import CitizenFactory, ProcedureVersionFactory
    from motcua.correspondence.demo import MARKER
    from motcua.correspondence.selectors import partner_delays
    from motcua.dossiers.models import Dossier, DossierEvent
    from motcua.org.demo import seed_staff, seed_units
    from motcua.org.models import Unit

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path
    now = datetime(2026, 3, 10, 15, 0, tzinfo=clock.VN_TZ)
    freeze(now)
    seed_units()
    seed_staff()
    version = ProcedureVersionFactory(procedure__code="1.001193", name="Đăng ký khai sinh")
    citizen = CitizenFactory()
    unit = Unit.objects.get(code="09556")
    dossier = Dossier.objects.create(
        code=f"{unit.agency_code}-260227-0001", unit=unit, procedure_version=version,
        procedure=version.procedure, field=version.field, citizen=citizen,
        citizen_id_number=citizen.id_number, citizen_name_folded=citizen.name_folded,
        citizen_phone_last4=citizen.phone[-4:], channel="direct", status=4,
        received_at=now - timedelta(days=12), accepted_at=now - timedelta(days=12),
        due_at=now + timedelta(days=10),
    )  # fmt: skip
    assert seed_correspondence(count=5) == 8
    assert Dossier.objects.get(pk=dossier.pk).consultations.count() == 2
    rows = {r["agency_code"]: r for r in partner_delays()}
    assert rows["H26.CA.HADONG"]["late"] == 1 and rows["H26.CA.HADONG"]["late_days"] > 0
    assert rows["H26.BHXH.HADONG"]["waiting_overdue"] == 1
    assert DossierEvent.objects.filter(dossier=dossier, action="consult_answer").count() == 1
    from motcua.core.models import Sequence

    assert Sequence.objects.filter(key=MARKER).exists()


def test_demo_joint_birth_registration_is_received_through_the_catalogue(
    freeze, settings, tmp_path
):
    """No birth registration in processing: one is received at the counter six working days
    ago; its catalogue version names the police and social insurance, so receiving it sent
    both letters; the police's answer was matched by its ResponseFor, late; insurance owes."""
    from motcua.catalog.demo import seed_catalog
    from motcua.correspondence.models import Consultation, StatusMessage
    from motcua.correspondence.selectors import partner_delays
    from motcua.org.demo import seed_staff, seed_units

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path
    freeze(datetime(2026, 3, 10, 15, 0, tzinfo=clock.VN_TZ))
    seed_units()
    seed_staff()
    seed_catalog()
    seed_correspondence(count=10)
    asked = list(Consultation.objects.order_by("agency_code"))
    assert [(c.agency_code, c.from_procedure) for c in asked] == [
        ("H26.BHXH.HADONG", True),
        ("H26.CA.HADONG", True),
    ]
    rows = {r["agency_code"]: r for r in partner_delays()}
    assert rows["H26.CA.HADONG"]["late"] == 1 and rows["H26.BHXH.HADONG"]["waiting_overdue"] == 1
    assert rows["H26.BHXH.HADONG"]["dossiers_late"] == 1
    # The rest of the register's life: a refusal, a recall, statuses from outside, paper ones.
    assert Document.objects.filter(status="refused").exists()
    assert Document.objects.filter(status="recalled", direction="out").exists()
    assert StatusMessage.objects.filter(way="in").exists()
    assert Document.objects.filter(received_via="paper").count() == 2
    assert Document.objects.exclude(published_at=None).exists()
