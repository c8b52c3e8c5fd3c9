"""Cached figures that go stale without a stampede.

`cache.get_or_set` lets every request that misses recompute at once: with a 0.5 s aggregate
and 50 visitors that is 25 s of database work each time the key expires. Here an expired
value keeps being served while one request (the one that wins `cache.add` on a lock key)
recomputes it.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

T = TypeVar("T")


def cached_figure(key: str, compute: Callable[[], T], *, fresh_for: int) -> T:
    """The value under `key`, recomputed by one caller at a time once older than `fresh_for` s."""
    entry = cache.get(key)
    if entry is not None:
        value, fresh_until = entry
        if fresh_until > time.time() or not cache.add(f"{key}:refreshing", 1, 60):
            return value  # fresh, or another caller is already refreshing it
    elif not cache.add(f"{key}:refreshing", 1, 60):
        # Nothing to serve yet and another caller computes it: wait for its value (single
        # flight on a cold key) rather than compute it again, then compute it if none came.
        deadline = time.monotonic() + FILL_WAIT
        while time.monotonic() < deadline:
            time.sleep(0.02)
            entry = cache.get(key)
            if entry is not None:
                return entry[0]  # type: ignore[no-any-return]
    try:
        value = compute()
        # Kept well past freshness so that the stale value is there to serve during a refresh.
        cache.set(key, (value, time.time() + fresh_for), fresh_for * 12)
    finally:
        cache.delete(f"{key}:refreshing")
    return value


# Public pages that are the same for every anonymous visitor, kept whole in the shared cache
# (settings.CACHES["shared"]: Redis when REDIS_URL is set, else the database table also used by
# rate limits; never one process's memory alone). Each page group has a version token: a change
# of its data (signals in portal.apps) writes a new token, so every copy is dropped at once, in
# every process. `ttl` bounds what no signal sees (figures recomputed on a timer, dates).
#
# Each process also keeps the pages it served in memory (at most LOCAL_PAGES of them), under
# the same version token, so that a hit costs no read of the page itself; and it trusts the
# version token it last read for PAGE_VERSION_MEMO seconds (outside a transaction only): a
# change made by another process shows within that second, one made by this process at once.
PAGE_VERSION = "page-version:{group}"
PAGE_VERSION_MEMO = 1.0
LOCAL_PAGES = 256
# A request that misses while another renders the same page waits this long for its copy
# (single flight: a cold page is rendered once, not by every request in flight).
FILL_WAIT = 5.0

_versions: dict[tuple[str, str], tuple[str, float]] = {}
# (store, page key without version) -> (version, fresh until (monotonic), content type, body)
_pages: dict[str, tuple[str, float, str, bytes]] = {}
_fill_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def shared_cache() -> Any:
    from django.core.cache import caches

    return caches["shared"]


def _where() -> str:
    """Which shared store the local copies belong to (tests swap it with override_settings)."""
    from django.conf import settings

    conf: dict[str, Any] = dict(settings.CACHES.get("shared") or {})  # type: ignore[call-overload]
    return f"{conf.get('BACKEND')}|{conf.get('LOCATION')}|{conf.get('KEY_PREFIX')}"


def _memo_allowed() -> bool:
    """The version memo is used outside transactions only (inside one, e.g. a test's, the
    shared table's rows may be rolled back under it)."""
    from django.db import connection

    return not connection.in_atomic_block


def page_version(group: str) -> str:
    memo = _memo_allowed()
    slot = (_where(), group)
    if memo:
        known = _versions.get(slot)
        if known is not None and known[1] > time.monotonic():
            return known[0]
    cache_ = shared_cache()
    token = cache_.get(PAGE_VERSION.format(group=group))
    if token is None:
        token = uuid.uuid4().hex
        if not cache_.add(PAGE_VERSION.format(group=group), token, None):
            token = cache_.get(PAGE_VERSION.format(group=group)) or token
    if memo:
        _versions[slot] = (str(token), time.monotonic() + PAGE_VERSION_MEMO)
    return str(token)


def bump_pages(*groups: str) -> None:
    """Drop every cached copy of these page groups (after the current transaction commits)."""
    from django.db import transaction

    def bump() -> None:
        where = _where()
        for group in groups:
            token = uuid.uuid4().hex
            shared_cache().set(PAGE_VERSION.format(group=group), token, None)
            _versions[(where, group)] = (token, time.monotonic() + PAGE_VERSION_MEMO)

    transaction.on_commit(bump)


def forget_local_pages() -> None:
    """Forget this process's copies and version memo (the shared store is untouched)."""
    with _guard:
        _versions.clear()
        _pages.clear()


def _personal(request: HttpRequest) -> bool:
    """A request whose page may differ from another visitor's: logged in (session), pending
    messages, an htmx fragment, or not a plain read."""
    from django.conf import settings

    return (
        request.method not in ("GET", "HEAD")
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or "messages" in request.COOKIES
        or "HX-Request" in request.headers
        or bool(getattr(getattr(request, "user", None), "is_authenticated", False))
    )


_CSRF_SLOT = b"@@motcua-csrf@@"
_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")([A-Za-z0-9]+)(")')
_TOKENISH = re.compile(rb"[A-Za-z0-9]{64}")


def _without_csrf(request: HttpRequest, content: bytes) -> bytes | None:
    """The page with this visitor's CSRF token replaced by a slot; None when the token (or its
    secret) shows up anywhere else, so that the page is not kept."""
    secret = request.META.get("CSRF_COOKIE")
    if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE") and "CSRF_COOKIE" not in request.META:
        return content
    content = _CSRF_INPUT.sub(lambda m: m.group(1) + _CSRF_SLOT + m.group(3), content)
    if secret:
        from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]

        for match in _TOKENISH.finditer(content):
            if _unmask_cipher_token(match.group().decode()) == secret:
                return None
        if secret.encode() in content:
            return None
    return content


def _local_get(slot: str, version: str) -> tuple[str, bytes] | None:
    """This process's copy of the page for `version`, while fresh."""
    entry = _pages.get(slot)
    if entry is None or entry[0] != version or entry[1] <= time.monotonic():
        return None
    return entry[2], entry[3]


def _local_stale(slot: str) -> tuple[str, bytes] | None:
    """This process's last copy of the page whatever its age or version (served to requests
    that come while one request renders the new one)."""
    entry = _pages.get(slot)
    return (entry[2], entry[3]) if entry is not None else None


def _local_put(
    slot: str, version: str, content_type: str, content: bytes, made_at: float, ttl: int
) -> None:
    left = made_at + ttl - time.time()
    if left <= 0 or not _memo_allowed():
        return
    with _guard:
        if slot not in _pages and len(_pages) >= LOCAL_PAGES:  # rare query strings: afresh
            _pages.clear()
        _pages[slot] = (version, time.monotonic() + left, content_type, content)


def _shared_get(cache_: Any, key: str, slot: str, version: str, ttl: int) -> Any:
    hit = cache_.get(key)
    if hit is None:
        return None
    content_type, content = hit[0], hit[1]
    made_at = hit[2] if len(hit) > 2 else time.time()
    _local_put(slot, version, content_type, content, made_at, ttl)
    return content_type, content


def _release_connection() -> None:
    """Give the database connection back (to the pool) before waiting for another request."""
    from django.db import connection

    if not connection.in_atomic_block:
        connection.close()


# The ASGI lane (portal.asgi_pages) serves kept pages without Django's request handling. It
# learns each page's headers from a response Django gave an anonymous visitor: the response
# carries LANE_HEADER (group, slot, secure) when the lane is installed; the lane strips it.
LANE_HEADER = "X-Motcua-Shared-Page"
lane = {"active": False}


def _slot(group: str, digest: str) -> str:
    return f"{_where()}|{group}|{digest}"


def _mark(request: HttpRequest, response: HttpResponse, group: str, digest: str) -> HttpResponse:
    if lane["active"]:
        response[LANE_HEADER] = f"{group}|{digest}|{int(request.is_secure())}"
    return response


def lane_page(group: str, digest: str) -> tuple[str, bytes] | None:
    """The page this process holds while both it and the memo of its group's version are
    fresh (no I/O: when either ran out, Django's path reads the shared store again)."""
    known = _versions.get((_where(), group))
    if known is None or known[1] <= time.monotonic():
        return None
    return _local_get(_slot(group, digest), known[0])


def csrf_slot_needed(content: bytes) -> bool:
    return _CSRF_SLOT in content


def csrf_slot_fill(content: bytes, token: str) -> bytes:
    return content.replace(_CSRF_SLOT, token.encode()) if _CSRF_SLOT in content else content


def _serve(request: HttpRequest, content_type: str, content: bytes) -> HttpResponse:
    if _CSRF_SLOT in content:  # this visitor's own token in the form(s)
        from django.middleware.csrf import get_token

        content = content.replace(_CSRF_SLOT, get_token(request).encode())
    return HttpResponse(content, content_type=content_type)


def shared_page(
    group: str, *, ttl: int, params: frozenset[str] = frozenset()
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Serve an anonymous visitor's page from the shared cache (query keys limited to `params`).

    Only a plain 200 page is kept, and only when rendering it set no cookie and used no CSRF
    token: a page carrying something of one visitor's is never given to another.

    Single flight: a missing or expired page is rendered by one request at a time (one thread
    per process, and one process through a lock key in the shared store). Requests that come
    meanwhile get this process's previous copy when it has one (at most the render's duration
    older than the new one), else wait for the new copy (at most FILL_WAIT seconds, holding no
    database connection), then render it themselves if it did not come.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if _personal(request) or not set(request.GET) <= params:
                return view(request, *args, **kwargs)
            digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
            version = page_version(group)
            # "page2": (content type, body, made at); older code kept "page" as 2-tuples.
            # Never read each other's entries (two releases side by side in a deploy).
            key = f"page2:{group}:{version}:{digest}"
            slot = _slot(group, digest)
            found = _local_get(slot, version) if _memo_allowed() else None
            if found is not None:
                return _mark(request, _serve(request, *found), group, digest)
            cache_ = shared_cache()
            found = _shared_get(cache_, key, slot, version, ttl)
            if found is not None:
                return _mark(request, _serve(request, *found), group, digest)
            with _guard:
                fill = _fill_locks.setdefault(key, threading.Lock())
            if not fill.acquire(blocking=False):  # another thread of this process renders it
                stale = _local_stale(slot) if _memo_allowed() else None
                if stale is not None:
                    return _serve(request, *stale)
                _release_connection()
                if fill.acquire(timeout=FILL_WAIT):
                    fill.release()
                found = _local_get(slot, version) if _memo_allowed() else None
                found = found or _shared_get(cache_, key, slot, version, ttl)
                return _serve(request, *found) if found else view(request, *args, **kwargs)
            try:
                lock_key = f"{key}:filling"
                mine = bool(cache_.add(lock_key, 1, 30))
                if not mine:  # another process renders it
                    stale = _local_stale(slot) if _memo_allowed() else None
                    if stale is not None:
                        return _serve(request, *stale)
                    _release_connection()
                    deadline = time.monotonic() + FILL_WAIT
                    while found is None and time.monotonic() < deadline:
                        time.sleep(0.02)
                        found = _shared_get(cache_, key, slot, version, ttl)
                    _release_connection()
                    if found is not None:
                        return _serve(request, *found)
                try:
                    return _fill(request, view, args, kwargs, cache_, key, slot, version, ttl)
                finally:
                    if mine:
                        cache_.delete(lock_key)
            finally:
                fill.release()
                with _guard:
                    if _fill_locks.get(key) is fill and not fill.locked():
                        del _fill_locks[key]

        return wrapper

    return decorate


def _fill(
    request: HttpRequest,
    view: Callable[..., HttpResponse],
    args: Any,
    kwargs: Any,
    cache_: Any,
    key: str,
    slot: str,
    version: str,
    ttl: int,
) -> HttpResponse:
    response = view(request, *args, **kwargs)
    if response.status_code == 200 and not response.streaming and not response.cookies:
        content = _without_csrf(request, response.content)
        if content is not None:
            made_at = time.time()
            cache_.set(key, (response["Content-Type"], content, made_at), ttl)
            _local_put(slot, version, response["Content-Type"], content, made_at, ttl)
    return response
