"""Cached figures that go stale without a stampede.

`cache.get_or_set` lets every request that misses recompute at once: with a 0.5 s aggregate
and 50 visitors that is 25 s of database work each time the key expires. Here an expired
value keeps being served while one request (the one that wins `cache.add` on a lock key)
recomputes it.
"""

from __future__ import annotations

import hashlib
import re
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
    try:
        value = compute()
        # Kept well past freshness so that the stale value is there to serve during a refresh.
        cache.set(key, (value, time.time() + fresh_for), fresh_for * 12)
    finally:
        cache.delete(f"{key}:refreshing")
    return value


# Public pages that are the same for every anonymous visitor, kept whole in the shared cache
# (settings.CACHES["shared"]: Redis when REDIS_URL is set, else the database table also used by
# rate limits; never one process's memory). Each page group has a version token: a change of
# its data (signals in portal.apps) writes a new token, so every copy is dropped at once, in
# every process. `ttl` bounds what no signal sees (figures recomputed on a timer, dates).
PAGE_VERSION = "page-version:{group}"


def shared_cache() -> Any:
    from django.core.cache import caches

    return caches["shared"]


def page_version(group: str) -> str:
    cache_ = shared_cache()
    token = cache_.get(PAGE_VERSION.format(group=group))
    if token is None:
        token = uuid.uuid4().hex
        if not cache_.add(PAGE_VERSION.format(group=group), token, None):
            token = cache_.get(PAGE_VERSION.format(group=group)) or token
    return str(token)


def bump_pages(*groups: str) -> None:
    """Drop every cached copy of these page groups (after the current transaction commits)."""
    from django.db import transaction

    def bump() -> None:
        for group in groups:
            shared_cache().set(PAGE_VERSION.format(group=group), uuid.uuid4().hex, None)

    transaction.on_commit(bump)


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


def shared_page(
    group: str, *, ttl: int, params: frozenset[str] = frozenset()
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Serve an anonymous visitor's page from the shared cache (query keys limited to `params`).

    Only a plain 200 page is kept, and only when rendering it set no cookie and used no CSRF
    token: a page carrying something of one visitor's is never given to another.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if _personal(request) or not set(request.GET) <= params:
                return view(request, *args, **kwargs)
            digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
            key = f"page:{group}:{page_version(group)}:{digest}"
            cache_ = shared_cache()
            hit = cache_.get(key)
            if hit is not None:
                content_type, content = hit
                if _CSRF_SLOT in content:  # this visitor's own token in the form(s)
                    from django.middleware.csrf import get_token

                    content = content.replace(_CSRF_SLOT, get_token(request).encode())
                return HttpResponse(content, content_type=content_type)
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming and not response.cookies:
                content = _without_csrf(request, response.content)
                if content is not None:
                    cache_.set(key, (response["Content-Type"], content), ttl)
            return response

        return wrapper

    return decorate
