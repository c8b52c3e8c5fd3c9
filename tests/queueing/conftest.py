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


QR_A = "001085012345||Nguyễn Văn An|17051985|Nam|Số 1 Quang Trung, Hà Đông, Hà Nội|01072021"
QR_B = "001190054321|123456789|Trần Thị Bình|02031990|Nữ|Phường Kiến Hưng, Hà Nội|15082022"


@pytest.fixture
def fake_engine():
    from motcua.biometrics.engine import FakeFaceEngine, set_engine

    engine = FakeFaceEngine()
    set_engine(engine)
    yield engine
    set_engine(None)


def face_jpeg(colour=(40, 60, 200), **kw) -> bytes:
    import cv2

    from motcua.biometrics.engine import draw_fake_face

    ok, buf = cv2.imencode(".jpg", draw_fake_face(colour, **kw), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def blank_jpeg() -> bytes:
    import cv2
    import numpy as np

    ok, buf = cv2.imencode(".jpg", np.full((480, 640, 3), 128, dtype=np.uint8))
    return buf.tobytes()
