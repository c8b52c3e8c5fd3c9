"""Twenty officials receive at the same moment over real connections: distinct, consecutive codes."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from dossiers_helpers import vn

from motcua.core import clock
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import dossier_act, dossier_receive

N = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_receipts_get_gapless_codes(office):
    barrier = threading.Barrier(N)
    codes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            d = dossier_receive(
                procedure_code="1.001193",
                channel="direct",
                citizen={
                    "id_number": f"0010850{i:05d}",
                    "full_name": f"Trần Thị Bình {i}",
                    "date_of_birth": "1985-01-01",
                },
                unit=office.ward,
                actor=office.tiepnhan,
                received_at=vn(2026, 3, 10, 9, 0),
            )
            with lock:
                codes.append(d.code)
        except BaseException as exc:  # collected and asserted below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    expected = [f"000.00.20.H26-260310-{n:04d}" for n in range(1, N + 1)]
    assert sorted(codes) == expected
    assert sorted(Dossier.objects.values_list("code", flat=True)) == expected


@pytest.mark.django_db(transaction=True)
def test_two_officials_acting_at_once_move_the_dossier_once(office):
    d = dossier_receive(
        procedure_code="1.001193",
        channel="direct",
        citizen={
            "id_number": "001085099999",
            "full_name": "Lê Văn Cường",
            "date_of_birth": "1985-01-01",
        },
        unit=office.ward,
        actor=office.tiepnhan,
        received_at=vn(2026, 3, 10, 9, 0),
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(actor) -> None:
        try:
            barrier.wait(timeout=30)
            with clock.frozen(vn(2026, 3, 10, 10, 0)):
                dossier_act(dossier=d, action="withdraw", actor=actor, reason="Công dân xin rút")
            result = "ok"
        except Exception as exc:
            result = getattr(exc, "code", repr(exc))
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=work, args=(office.tiepnhan,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["invalid_transition", "ok"]
    assert d.events.filter(action="withdraw").count() == 1
