"""Rows for the KPI tests: dossiers with known outcomes, ratings, tickets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from factories import (
    CitizenFactory,
    OfficeFactory,
    ProcedureVersionFactory,
    UnitFactory,
    UserFactory,
)
from motcua.core import clock


@pytest.fixture
def kpi_data(db) -> dict[str, Any]:
    """Two units; unit A: 3 resolved (2 on time, 1 late), 4 ratings (3 satisfied); unit B: 1 on time."""
    from motcua.dossiers.models import Dossier
    from motcua.portal.models import ServiceRating
    from motcua.queueing.models import BlockedAttempt, Service, Ticket

    now = clock.now()
    a = UnitFactory(name="Phường Hà Đông", agency_code="000.00.61.H26")
    b = UnitFactory(name="Phường Dương Nội", agency_code="000.00.62.H26")
    officer = UserFactory(full_name="Phạm Minh Chuyên")
    version = ProcedureVersionFactory(name="Đăng ký khai sinh")
    made: list[Any] = []

    def dossier(unit: Any, n: int, timeliness: str, status: int = 10, due_delta: int = -1) -> Any:
        citizen = CitizenFactory()
        d = Dossier.objects.create(
            code=f"{unit.agency_code}-261101-{n:04d}",
            unit=unit,
            procedure_version=version,
            procedure=version.procedure,
            field=version.field,
            citizen=citizen,
            citizen_id_number=citizen.id_number,
            citizen_name_folded=citizen.name_folded,
            citizen_phone_last4=citizen.phone[-4:],
            channel="online" if n == 1 else "direct",
            status=status,
            received_at=now - timedelta(days=5),
            accepted_at=now - timedelta(days=5),
            due_at=now + timedelta(days=due_delta),
            result_ready_at=now - timedelta(days=1) if timeliness else None,
            result_timeliness=timeliness,
            holder=officer,
        )
        made.append(d)
        return d

    dossier(a, 1, "early")
    dossier(a, 2, "on_time")
    dossier(a, 3, "late")
    dossier(b, 1, "on_time")
    overdue = dossier(a, 4, "", status=4, due_delta=-2)  # processing, past due
    dossier(a, 5, "", status=4, due_delta=3)  # processing, within time

    for i, level in enumerate(["very_satisfied", "satisfied", "satisfied", "dissatisfied"]):
        ServiceRating.objects.create(
            dossier=made[i] if i < 3 else made[3],
            unit=a if i < 3 else b,
            officer=officer,
            procedure_version=version,
            field=version.field,
            level=level,
            channel="qr",
            created_at=now - timedelta(hours=i + 1),
        )

    office = OfficeFactory(unit=a)
    service = Service.objects.create(office=office, code="A", name="Hộ tịch")
    for i, (wait_min, serve_min, status) in enumerate(
        [(10, 5, "done"), (20, 15, "done"), (30, 0, "no_show")]
    ):
        issued = now - timedelta(hours=2)
        Ticket.objects.create(
            office=office,
            service=service,
            service_date=now.date(),
            number=i + 1,
            display=f"A{i + 1:03d}",
            citizen=CitizenFactory(),
            method="face",
            status=status,
            issued_at=issued,
            waiting_since=issued,
            called_at=issued + timedelta(minutes=wait_min),
            started_at=issued + timedelta(minutes=wait_min) if status == "done" else None,
            finished_at=issued + timedelta(minutes=wait_min + serve_min)
            if status == "done"
            else None,
            officer=officer,
        )
    BlockedAttempt.objects.create(
        office=office, service=service, reason="duplicate", method="face", at=now
    )
    return {"a": a, "b": b, "officer": officer, "overdue": overdue}
