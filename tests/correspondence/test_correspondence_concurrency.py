"""Twenty clerks issue documents at the same moment over real connections: numbers gapless, unique.

Runs on SQLite by default and on PostgreSQL with DATABASE_URL (`make test` both ways).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from motcua.correspondence import services
from motcua.correspondence.models import Dispatch, Document

N = 20


def _race(work) -> list[BaseException]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(N)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:  # collected and asserted by the caller
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


@pytest.mark.django_db(transaction=True)
def test_twenty_clerks_get_gapless_unique_numbers(two_wards):
    w = two_wards

    def work(i: int) -> None:
        services.document_create(
            unit=w.a,
            actor=w.a_reception if i % 2 else w.a_leader,
            doc_type="CV" if i % 3 else "QD",
            summary=f"Văn bản thử số {i}",
            signer_name="Nguyễn Văn Hùng",
        )

    assert _race(work) == []
    numbers = sorted(Document.objects.filter(unit=w.a).values_list("number", flat=True))
    assert numbers == list(range(1, N + 1))


@pytest.mark.django_db(transaction=True)
def test_twenty_documents_arrive_and_are_registered_at_once_gapless(two_wards):
    w = two_wards
    incoming = []
    for i in range(N):
        doc = services.document_create(
            unit=w.a, actor=w.a_reception, doc_type="TB", summary=f"Thông báo {i}", signer_name="A"
        )
        [dispatch] = services.document_send(document=doc, to=[w.b.code], actor=w.a_reception)
        incoming.append(dispatch.incoming)

    def work(i: int) -> None:
        services.incoming_register(
            document=incoming[i], actor=w.b_reception if i % 2 else w.b_leader
        )

    assert _race(work) == []
    numbers = sorted(
        Document.objects.filter(unit=w.b, direction="in").values_list("number", flat=True)
    )
    assert numbers == list(range(1, N + 1))
    assert set(Dispatch.objects.values_list("state", flat=True)) == {"registered"}
