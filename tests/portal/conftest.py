"""Fixtures of the portal tests: a clean cache, dossiers and tickets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache

from factories import (
    CitizenFactory,
    OfficeFactory,
    ProcedureVersionFactory,
    UnitFactory,
    UserFactory,
)
from motcua.core import clock


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_cache():
    # Rate-limit counters and visitor counters live in the (per-process) cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_dossier(db):
    """Insert a dossier row directly (the dossier workflow itself is tested in tests/dossiers)."""
    from motcua.dossiers.models import Dossier

    counter = {"n": 0}

    def _make(
        *,
        status: int = 10,
        unit: Any = None,
        version: Any = None,
        citizen: Any = None,
        **extra: Any,
    ) -> Any:
        counter["n"] += 1
        unit = unit or UnitFactory(agency_code="000.00.20.H26")
        version = version or ProcedureVersionFactory()
        citizen = citizen or CitizenFactory()
        now = clock.now()
        fields = {
            "code": f"{unit.agency_code}-260115-{counter['n']:04d}",
            "unit": unit,
            "procedure_version": version,
            "procedure": version.procedure,
            "field": version.field,
            "citizen": citizen,
            "citizen_id_number": citizen.id_number,
            "citizen_name_folded": citizen.name_folded,
            "citizen_phone_last4": citizen.phone[-4:],
            "channel": "direct",
            "status": status,
            "received_at": now - timedelta(days=3),
            "due_at": now + timedelta(days=2),
        }
        fields.update(extra)
        return Dossier.objects.create(**fields)

    return _make


@pytest.fixture
def make_ticket(db):
    from motcua.queueing.models import Service, Ticket

    counter = {"n": 0}

    def _make(*, finished: bool = True, officer: Any = None, office: Any = None) -> Any:
        counter["n"] += 1
        office = office or OfficeFactory()
        service, _ = Service.objects.get_or_create(
            office=office, code="A", defaults={"name": "Hộ tịch"}
        )
        now = clock.now()
        return Ticket.objects.create(
            office=office,
            service=service,
            service_date=now.date(),
            number=counter["n"],
            display=f"A{counter['n']:03d}",
            method="staff",
            status="done" if finished else "waiting",
            issued_at=now - timedelta(minutes=30),
            waiting_since=now - timedelta(minutes=30),
            finished_at=now if finished else None,
            officer=officer or UserFactory(),
        )

    return _make


@pytest.fixture
def editor(db):
    from motcua.org.models import Role, StaffRole

    user = UserFactory(username="bientap", full_name="Lê Văn Biên")
    StaffRole.objects.create(user=user, unit=UnitFactory(), role=Role.MANAGER)
    return user


@pytest.fixture
def published(db):
    from motcua.portal.models import Announcement

    return Announcement.objects.create(
        title="Thông báo lịch tiếp dân",
        slug="thong-bao-lich-tiep-dan",
        body="<p>Bộ phận một cửa làm việc cả sáng thứ Bảy.</p>",
        summary="Bộ phận một cửa làm việc cả sáng thứ Bảy.",
        published_at=clock.now() - timedelta(hours=1),
    )


FROZEN = datetime(2026, 3, 10, 9, 30)
