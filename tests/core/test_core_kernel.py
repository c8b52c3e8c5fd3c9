"""Gapless counters, clock freezing, Vietnamese folding."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from django.db import connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from motcua.core import clock
from motcua.core.models import Sequence
from motcua.core.services import sequence_next
from motcua.core.text import fold


def test_fold_strips_vietnamese_diacritics_and_d_bar():
    assert fold("Nguyễn  Văn Đức") == "nguyen van duc"
    assert fold("ĐĂNG KÝ KHAI SINH") == "dang ky khai sinh"


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


def test_frozen_clock_is_vietnam_time():
    with clock.frozen(datetime(2026, 2, 13, 9, 0)):
        assert clock.now().isoformat() == "2026-02-13T09:00:00+07:00"
    assert clock.now().tzinfo is not None


@pytest.mark.django_db(transaction=True)
def test_sequence_requires_a_transaction():
    with pytest.raises(RuntimeError):
        sequence_next(key="x")


@pytest.mark.django_db
def test_rolled_back_number_is_reused_so_numbers_stay_gapless():
    with transaction.atomic():
        assert sequence_next(key="k") == 1
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        sequence_next(key="k")
        1 / 0  # noqa: B018
    with transaction.atomic():
        assert sequence_next(key="k") == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_get_distinct_consecutive_numbers():
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(12)

    def worker() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                results.append(sequence_next(key="concurrent"))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == list(range(1, 13))
    assert Sequence.objects.get(key="concurrent").value == 12
