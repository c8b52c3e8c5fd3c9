"""Twenty officials take cash at the same moment over real connections: receipt numbers gapless."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from payments_helpers import receive

from motcua.payments import services
from motcua.payments.models import Method, Receipt

N = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_officials_issue_gapless_unique_receipt_numbers(ward):
    from factories import StaffRoleFactory, UserFactory
    from motcua.org.models import Role

    officials = []
    for i in range(N):
        user = UserFactory(username=f"thungan{i}")
        StaffRoleFactory(user=user, unit=ward.unit, role=Role.RECEPTION)
        officials.append(user)
    payments = [
        services.payment_create(dossier=receive(ward, i=i), method=Method.CASH, actor=officials[i])
        for i in range(N)
    ]
    barrier = threading.Barrier(N)
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            receipt = services.payment_confirm(payment=payments[i], actor=officials[i])
            with lock:
                numbers.append(receipt.number)
        except BaseException as exc:  # collected and asserted below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(numbers) == list(range(1, N + 1))
    stored = list(Receipt.objects.order_by("number").values_list("series_id", "number"))
    assert stored == [(ward.series.pk, n) for n in range(1, N + 1)]
