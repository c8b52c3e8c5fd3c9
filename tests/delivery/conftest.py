"""A ward with staff of every role, a birth and a death registration, and the postal stand-in."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from delivery_helpers import CUSTOMER, SECRET

import office_helpers
from motcua.org.models import Role


@pytest.fixture
def office(db):
    ward = office_helpers.ward()
    users = office_helpers.staff(
        ("tiepnhan", Role.RECEPTION, ward),
        ("chuyenvien", Role.SPECIALIST, ward),
        ("lanhdao", Role.LEADER, ward),
        ("tainha", Role.HOME_SERVICE, ward),
    )
    birth, death = office_helpers.birth_and_death()
    copy = office_helpers.extract_copy(time_value=2, name="Cấp bản sao Trích lục hộ tịch", fees=[])
    return SimpleNamespace(ward=ward, birth=birth, death=death, copy=copy, **users)


@pytest.fixture
def standin(settings):
    """The stand-in operator in a thread, and our adapter pointed at it."""
    from motcua.delivery.standin import StandinPostal

    postal = StandinPostal(secrets_by_customer={CUSTOMER: SECRET}).start_in_thread()
    settings.MOTCUA = {
        **settings.MOTCUA,
        "POSTAL_URL": postal.base_url,
        "POSTAL_CUSTOMER_CODE": CUSTOMER,
        "POSTAL_SECRET": SECRET,
    }
    yield postal
    postal.stop()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
