"""Cached figures that go stale without a stampede.

`cache.get_or_set` lets every request that misses recompute at once: with a 0.5 s aggregate
and 50 visitors that is 25 s of database work each time the key expires. Here an expired
value keeps being served while one request (the one that wins `cache.add` on a lock key)
recomputes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")


def cached_figure(key: str, compute: Callable[[], T], *, fresh_for: int) -> T:
    """The value under `key`, recomputed by one caller at a time once older than `fresh_for` s."""
    entry = cache.get(key)
    if entry is not None:
        value, fresh_until = entry
        if fresh_until > time.time() or not cache.add(f"{key}:refreshing", 1, 60):
            return value  # fresh, or another caller is already refreshing it
    try:
        value = compute()
        # Kept well past freshness so that the stale value is there to serve during a refresh.
        cache.set(key, (value, time.time() + fresh_for), fresh_for * 12)
    finally:
        cache.delete(f"{key}:refreshing")
    return value
