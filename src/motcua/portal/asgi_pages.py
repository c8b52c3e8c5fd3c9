"""The cached public pages served before Django's request handling (an ASGI layer).

A public page kept by `core.cache.shared_page` (home, statistics, the procedure list) costs
~1 ms of Django's middleware, plus Django's ASGI handler (a thread per request, the request
signals): most of a hit's time. This layer answers an anonymous visitor's plain GET of such a
page from the process's memory, doing only the per-visitor parts itself:

- the visit is counted and the anonymous visitor cookie given exactly as `portal_page` does
  (`portal.visitors`), in a worker thread (the counters may be in Redis or the database);
- the visitor's own CSRF token is put in the form(s), and the CSRF cookie sent, exactly as
  Django's `get_token` and CsrfViewMiddleware do (a new secret when the cookie is missing or
  malformed);
- gzip like the project's CompressionMiddleware when the browser accepts it.

Everything else comes from a response Django itself gave an anonymous visitor for the same
path, host and scheme (the headers: security headers, CSP, Vary, Content-Language), learned
from the `core.cache.LANE_HEADER` marker that `shared_page` adds while this layer is installed
(stripped before it leaves). The layer passes the request on to Django, which then renders or
refreshes as usual, whenever anything is not plainly the same: another method, a query string,
a session or messages cookie, an htmx request, CSRF in sessions, a page or version memo that
ran out (core.cache.PAGE_VERSION_MEMO, 1 s), or headers not learnt yet. Usage, in asgi.py:

    application = CachedPagesASGI(BodyLimitASGI(django_application))
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from motcua.core import cache as pages

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]

_MARKER = pages.LANE_HEADER.lower().encode()
_DROP = {b"set-cookie", b"content-length", _MARKER}
_GZIP = re.compile(r"\bgzip\b")


class _Learnt:
    __slots__ = ("group", "digest", "secure", "headers")

    def __init__(self, group: str, digest: str, secure: bool, headers: list[tuple[bytes, bytes]]):
        self.group, self.digest, self.secure, self.headers = group, digest, secure, headers


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value)
    return b""


class CachedPagesASGI:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.learnt: dict[tuple[str, bytes, str, bytes], _Learnt] = {}
        pages.lane["active"] = True

    def _key(self, scope: Scope) -> tuple[str, bytes, str, bytes]:
        forwarded = _header(scope, b"x-forwarded-proto")
        if forwarded:
            # As TrustedProxyMiddleware: the header of a peer that is not a trusted proxy is
            # dropped (else a direct client's "https" would reuse the proxy's learnt answer).
            from motcua.web.proxy import _parse, _trusted, trusted_networks

            client = scope.get("client")
            if trusted_networks() and not _trusted(_parse(client[0] if client else "")):
                forwarded = b""
        return (
            scope.get("path", ""),
            _header(scope, b"host"),
            scope.get("scheme", "http"),
            forwarded,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (
            scope.get("method") != "GET"
            or scope.get("query_string")
            or _header(scope, b"hx-request")
        ):
            # Still through _learning(None): a kept page with a query string (the procedure
            # list's filters) carries the marker too, which never leaves this layer.
            await self.app(scope, receive, self._learning(None, send))
            return
        from django.conf import settings
        from django.http.cookie import parse_cookie

        cookies = parse_cookie(_header(scope, b"cookie").decode("latin-1"))
        if (
            settings.SESSION_COOKIE_NAME in cookies
            or "messages" in cookies
            or getattr(settings, "CSRF_USE_SESSIONS", False)
        ):
            await self.app(scope, receive, self._learning(None, send))
            return
        key = self._key(scope)
        learnt = self.learnt.get(key)
        page = pages.lane_page(learnt.group, learnt.digest) if learnt else None
        if learnt is None or page is None:
            await self.app(scope, receive, self._learning(key, send))
            return
        loop = asyncio.get_running_loop()
        cookie_headers, token = await loop.run_in_executor(
            None, _visitor, cookies, learnt.secure, pages.csrf_slot_needed(page[1])
        )
        body = pages.csrf_slot_fill(page[1], token) if token else page[1]
        headers = list(learnt.headers)
        if _GZIP.search(_header(scope, b"accept-encoding").decode("latin-1")) and len(body) >= 200:
            from django.utils.text import compress_string

            from motcua.web.middleware import CompressionMiddleware

            packed = compress_string(body, max_random_bytes=CompressionMiddleware.max_random_bytes)
            if len(packed) < len(body):
                body = packed
                headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        headers.extend(cookie_headers)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _learning(self, key: tuple[str, bytes, str, bytes] | None, send: Send) -> Send:
        """`send` that strips the marker, and learns the headers of a marked page (`key`)."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                marker = next((v for k, v in headers if k.lower() == _MARKER), None)
                if marker is not None:
                    headers = [(k, v) for k, v in headers if k.lower() != _MARKER]
                    message = {**message, "headers": headers}
                    encoded = any(
                        k.lower() == b"content-encoding" for k, _v in headers
                    )  # learnt from a plain answer only: the lane adds gzip itself
                    if key is not None and message.get("status") == 200 and not encoded:
                        group, digest, secure = bytes(marker).decode().split("|")
                        kept = [(k, v) for k, v in headers if k.lower() not in _DROP]
                        if len(self.learnt) > 64:
                            self.learnt.clear()
                        self.learnt[key] = _Learnt(group, digest, secure == "1", kept)
            await send(message)

        return wrapped


def _visitor(
    cookies: dict[str, str], secure: bool, needs_token: bool
) -> tuple[list[tuple[bytes, bytes]], str]:
    """The per-visitor part of a lane answer (in a worker thread): the visit counted, the
    visitor and CSRF cookies as Django would set them, the visitor's masked CSRF token."""
    from django.conf import settings
    from django.db import connection
    from django.http import HttpRequest, HttpResponse

    from motcua.portal import visitors

    request = HttpRequest()
    request.method = "GET"
    request.COOKIES = cookies
    request.is_secure = lambda: secure  # type: ignore[method-assign]
    response = HttpResponse()
    try:
        visitors.visit_touch(request)
    finally:
        if not connection.in_atomic_block:
            connection.close()  # a flush may have used the database: back to the pool
    visitors.set_cookie(request, response)
    token = ""
    if needs_token:
        from django.middleware.csrf import (  # type: ignore[attr-defined]
            InvalidTokenFormat,
            _check_token_format,
            _get_new_csrf_string,
            _mask_cipher_secret,
            _unmask_cipher_token,
        )

        secret = cookies.get(settings.CSRF_COOKIE_NAME) or ""
        try:
            _check_token_format(secret)
            if len(secret) != 32:
                secret = _unmask_cipher_token(secret)
        except InvalidTokenFormat:
            secret = ""
        if not secret:
            secret = _get_new_csrf_string()
        token = _mask_cipher_secret(secret)
        # As CsrfViewMiddleware does whenever a page used the token (it renews the expiry).
        response.set_cookie(
            settings.CSRF_COOKIE_NAME,
            secret,
            max_age=settings.CSRF_COOKIE_AGE,
            domain=settings.CSRF_COOKIE_DOMAIN,
            path=settings.CSRF_COOKIE_PATH,
            secure=settings.CSRF_COOKIE_SECURE,
            httponly=settings.CSRF_COOKIE_HTTPONLY,
            samesite=settings.CSRF_COOKIE_SAMESITE,
        )
    cookie_headers = [
        (b"set-cookie", c.output(header="").strip().encode("latin-1"))
        for c in response.cookies.values()
    ]
    return cookie_headers, token
