"""Anonymous visitors: a random cookie, its keyed hash, the visit counter and "online now".

Nothing personal is kept: no IP address, no user agent. The cookie is a random token; only a
keyed hash of it is used (in the cache, and as the "one rating per visitor" key).

Visits are counted in the cache and added to a per-day `VisitCount` row in batches (the Huey
periodic task, and a throttled flush when the counter is read), so a page view never writes to
one hot row. With the default per-process LocMem cache each process flushes its own pending
count; with Redis (REDIS_URL) all processes share the counters. Either way every visit reaches
the database once: the flush takes a lock, reads the pending number and subtracts exactly that
number, so visits counted meanwhile stay pending for the next flush.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Sum
from django.http import HttpRequest, HttpResponse

from motcua.core import clock
from motcua.portal.models import VisitCount

COOKIE = "mc_vid"
COOKIE_AGE = 365 * 24 * 3600
VISIT_GAP = 30 * 60  # a page view after 30 minutes of silence is a new visit
ONLINE_WINDOW_MINUTES = 5
FLUSH_EVERY = 60  # seconds between flushes triggered by a read
_PENDING = "portal:visits:pending:{day}"
_SEEN = "portal:visits:seen:{vid}"
_LAST_BUCKET = "portal:online:last:{vid}"
_BUCKET = "portal:online:bucket:{bucket}"
_FLUSH_LOCK = "portal:visits:flush-lock"
_FLUSH_RECENT = "portal:visits:flushed-recently"


def visitor_hash(token: str) -> str:
    """Keyed hash of the visitor cookie (the raw token is never stored)."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"visitor:{token}".encode(), hashlib.sha256
    ).hexdigest()[:40]


def visitor_id(request: HttpRequest) -> str:
    """The visitor's hash, creating a new cookie token for this request when there is none."""
    cached = getattr(request, "_portal_visitor", None)
    if cached:
        return cached
    token = request.COOKIES.get(COOKIE, "")
    if not (token and 20 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()):
        token = secrets.token_urlsafe(24)
        request._portal_new_token = token  # type: ignore[attr-defined]
    vid = visitor_hash(token)
    request._portal_visitor = vid  # type: ignore[attr-defined]
    return vid


def set_cookie(request: HttpRequest, response: HttpResponse) -> None:
    token = getattr(request, "_portal_new_token", None)
    if token:
        response.set_cookie(
            COOKIE,
            token,
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )


def _incr(key: str, delta: int, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key, delta)
    except ValueError:  # expired between add and incr
        cache.set(key, delta, timeout=timeout)
        return delta


def _bucket(now: Any = None) -> int:
    now = now or clock.now()
    return int(now.timestamp() // 60)


def visit_touch(request: HttpRequest) -> None:
    """Record a page view: a new visit after a silence, and the visitor as online now."""
    vid = visitor_id(request)
    today = clock.today()
    if cache.add(_SEEN.format(vid=vid), 1, timeout=VISIT_GAP):
        _incr(_PENDING.format(day=today.isoformat()), 1, timeout=3 * 24 * 3600)
        # With a per-process cache only this process can flush its counts: at most once a
        # minute per process, whichever page it serves (the Huey task covers Redis).
        flush_if_due()
    else:
        cache.touch(_SEEN.format(vid=vid), VISIT_GAP)
    # Online now: each visitor is counted in the minute bucket of their latest request only,
    # so the sum of the last 5 buckets counts distinct visitors.
    bucket = _bucket()
    last_key = _LAST_BUCKET.format(vid=vid)
    ttl = (ONLINE_WINDOW_MINUTES + 1) * 60
    previous = cache.get(last_key)
    if previous == bucket:
        return
    cache.set(last_key, bucket, timeout=ttl)
    _incr(_BUCKET.format(bucket=bucket), 1, timeout=ttl + 60)
    if previous is not None and bucket - previous < ONLINE_WINDOW_MINUTES + 1:
        with contextlib.suppress(ValueError):  # that bucket may have expired already
            cache.decr(_BUCKET.format(bucket=previous), 1)


def online_now() -> int:
    """Distinct visitors seen in the last 5 minutes."""
    bucket = _bucket()
    keys = [_BUCKET.format(bucket=b) for b in range(bucket - ONLINE_WINDOW_MINUTES + 1, bucket + 1)]
    return max(0, sum(int(v) for v in cache.get_many(keys).values()))


def visits_flush() -> int:
    """Move pending visit counts from the cache to the per-day rows; returns the number moved."""
    if not cache.add(_FLUSH_LOCK, 1, timeout=30):
        return 0  # another process is flushing the same (shared) counters
    moved = 0
    try:
        today = clock.today()
        for day in (today - timedelta(days=2), today - timedelta(days=1), today):
            key = _PENDING.format(day=day.isoformat())
            pending = int(cache.get(key) or 0)
            if pending <= 0:
                continue
            cache.decr(key, pending)
            try:
                _visit_add(day=day, count=pending)
            except Exception:
                _incr(key, pending, timeout=3 * 24 * 3600)  # keep them for the next flush
                raise
            moved += pending
    finally:
        cache.delete(_FLUSH_LOCK)
    return moved


@transaction.atomic
def _visit_add(*, day: date, count: int) -> None:
    updated = VisitCount.objects.filter(day=day).update(count=F("count") + count)
    if not updated:
        row, created = VisitCount.objects.select_for_update().get_or_create(
            day=day, defaults={"count": count}
        )
        if not created:
            VisitCount.objects.filter(pk=row.pk).update(count=F("count") + count)


def pending_visits() -> int:
    today = clock.today()
    keys = [_PENDING.format(day=(today - timedelta(days=d)).isoformat()) for d in range(3)]
    return sum(int(v) for v in cache.get_many(keys).values())


def flush_if_due() -> int:
    """Flush unless this cache was flushed less than a minute ago."""
    if cache.add(_FLUSH_RECENT, 1, timeout=FLUSH_EVERY):
        return visits_flush()
    return 0


def visitor_counts() -> dict[str, int]:
    """Total visits (database + this cache's pending) and visitors online now."""
    flush_if_due()
    stored = VisitCount.objects.aggregate(total=Sum("count"))["total"] or 0
    today = (
        VisitCount.objects.filter(day=clock.today()).values_list("count", flat=True).first() or 0
    )
    pending = pending_visits()
    pending_today = int(cache.get(_PENDING.format(day=clock.today().isoformat())) or 0)
    return {
        "total": int(stored) + pending,
        "today": int(today) + pending_today,
        "online": online_now(),
    }
