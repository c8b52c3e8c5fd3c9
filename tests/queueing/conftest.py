"""Fixtures of the queue tests: an office with services A/B, counters, a reception officer."""

from __future__ import annotations

from datetime import datetime

import pytest

from factories import CitizenFactory, CounterFactory, OfficeFactory, StaffRoleFactory
from motcua.core import clock
from motcua.org.models import Role
from motcua.queueing.models import CounterService, PriorityGroup, QueueSettings, Service

MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=clock.VN_TZ)  # a Thursday


@pytest.fixture
def at(freeze):
    """Freeze the clock at 08:00 on a working day; returns a setter for later moments."""
    freeze(MORNING)
    return freeze


@pytest.fixture
def office(db):
    return OfficeFactory()


@pytest.fixture
def svc_a(office):
    return Service.objects.create(office=office, code="A", name="Hộ tịch", sort=1)


@pytest.fixture
def svc_b(office):
    return Service.objects.create(office=office, code="B", name="Chứng thực", sort=2)


@pytest.fixture
def counters(office, svc_a, svc_b):
    """Counter 1 serves A, counter 2 serves B, counter 3 serves A and B."""
    c1 = CounterFactory(office=office, number=1)
    c2 = CounterFactory(office=office, number=2)
    c3 = CounterFactory(office=office, number=3)
    CounterService.objects.create(counter=c1, service=svc_a)
    CounterService.objects.create(counter=c2, service=svc_b)
    CounterService.objects.create(counter=c3, service=svc_a)
    CounterService.objects.create(counter=c3, service=svc_b)
    return [c1, c2, c3]


@pytest.fixture
def officer(office):
    return StaffRoleFactory(unit=office.unit, role=Role.RECEPTION).user


@pytest.fixture
def elderly(db):
    return PriorityGroup.objects.create(code="elderly", name="Người cao tuổi", weight=10)


@pytest.fixture
def rules(office):
    obj, _ = QueueSettings.objects.get_or_create(office=office)
    return obj


@pytest.fixture
def citizens(db):
    return [CitizenFactory() for _ in range(6)]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2 at Django's default cost takes ~1 s per user here; these tests are not about hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fake_engine():
    from motcua.biometrics.engine import FakeFaceEngine, set_engine

    engine = FakeFaceEngine()
    set_engine(engine)
    yield engine
    set_engine(None)
