"""Stale-while-refresh cached figures: one caller recomputes, the others get the stale value."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from motcua.core import cache as figures


@pytest.fixture(autouse=True)
def _clean():
    cache.clear()
    yield
    cache.clear()


def test_fresh_value_is_computed_once():
    calls = []
    for _ in range(3):
        assert figures.cached_figure("k", lambda: calls.append(1) or len(calls), fresh_for=60) == 1
    assert calls == [1]


def test_stale_value_is_served_while_another_caller_refreshes(monkeypatch):
    figures.cached_figure("k", lambda: "old", fresh_for=60)
    now = figures.time.time()
    monkeypatch.setattr(figures.time, "time", lambda: now + 120)  # past freshness
    cache.add("k:refreshing", 1, 60)  # someone else is refreshing
    assert figures.cached_figure("k", lambda: "new", fresh_for=60) == "old"
    cache.delete("k:refreshing")
    assert figures.cached_figure("k", lambda: "new", fresh_for=60) == "new"
    assert cache.get("k:refreshing") is None


def test_a_failed_refresh_releases_the_lock():
    def boom() -> str:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        figures.cached_figure("k", boom, fresh_for=60)
    assert cache.get("k:refreshing") is None
