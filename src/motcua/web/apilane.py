"""The API lane: chosen JSON API routes answered in front of Django's request handling (ASGI).

A check-in or a call-next spends about half its server time in Django's request handling: the
middleware stack and Django's ASGI handler, which runs every sync view of a worker on one
thread, so that at 16 concurrent clients requests queue behind each other. `ApiLane` wraps the
ASGI application and answers the routes registered below itself:

- the view is the same: by default the django-ninja operation Django would resolve the path to
  (auth, parameters, `Idempotency-Key`, response schema, `{"code","message"}` errors, all as
  ninja runs them), called with a real `ASGIRequest` built from the same scope and body;
- it runs in the lane's thread pool (`MOTCUA_API_LANE_THREADS`, 4), so requests of one worker
  run side by side (PostgreSQL benefits; on SQLite writers wait on the lock as before);
- around the view, what the middleware would give this request: REMOTE_ADDR from the trusted
  proxy rule (`web.proxy.TrustedProxyMiddleware` itself), the language activated, an anonymous
  user and an empty session, then Django's `request_started` / `request_finished` signals in
  the worker thread (connections closed or returned to the pool exactly as after a Django
  request, so none is left in a transaction);
- the headers the middleware adds (security headers, CSP, Vary, Content-Language, ...) are
  learnt from a real Django answer of the same route (and the same http/https): the first
  request of a route in each process goes through Django with a flag in its scope, and the
  API's `lane_marker` decorator (motcua.api) names the view's own headers in a marker header,
  which this layer strips. Everything else of Django's answer is the middleware's: kept in its
  order, given again with this answer's Content-Length, Vary and gzip (as CompressionMiddleware
  does: bodies of 200 bytes or more, when the client accepts it). Nothing to keep in step.

It steps aside (Django answers, the request untouched, its body replayed) whenever it could not
be sure to answer identically: the lane switched off (`MOTCUA_API_LANE=0`), a middleware list or
setting it was not written for, headers not learnt yet, a session cookie (session auth and CSRF
semantics) or a malformed CSRF cookie (Django would replace it), a host outside ALLOWED_HOSTS,
plain http under SECURE_SSL_REDIRECT, a `root_path`, a query string (or a query parameter the
route did not declare), a NUL or lone surrogate in the path or query (ApiRequestMiddleware's
422), a request body Django could not read. Bodies over the cap never get here: `BodyLimitASGI`
sits in front (a chunked body cut at the cap looks like a disconnect: nothing is answered, as
with Django).

Registering a route
-------------------
Add a `Route` to `ROUTES` below (or call `register(Route(...))` before the first request, e.g.
from an AppConfig.ready())::

    Route("POST", "api/v1/kiosk/check-in")
    Route("POST", "api/v1/counters/<counter_id>/call-next")
    Route("GET", "api/v1/public/dossiers/<code>", query=("verify",))
    Route("GET", "api/v1/things/<code>", handler=my_view)   # a plain function instead of ninja

- `method`: one HTTP method; `path`: Django `path()` syntax without the leading slash, the same
  pattern as the ninja operation's (ninja paths `{x}` become `<x>`: a string; ninja validates
  and converts it, as through Django). Keyword arguments go to the view as Django passes them.
- `handler=None` (the default): the ninja operation. At first use the lane resolves a matching
  path through Django's URL resolver and uses the view found there (ninja's PathView, which
  dispatches on the method and runs `Operation.run`); if the resolver gives other arguments
  than the route's pattern, or an async view, the route stays with Django.
- `handler=fn`: `fn(request, **kwargs) -> HttpResponse` run the same way (its exceptions go to
  the NinjaAPI's exception handlers, as an operation's would). The learnt headers then come
  from a Django answer of that route too, so Django must serve the same route (normally the
  ninja operation `fn` mirrors), and that operation must carry the marker (every operation of
  `motcua.api.api` does).
- `query`: the query parameters the route reads; any other (a campaign's `cd=`, which sets a
  cookie in Django) sends the request to Django. `()` (default): no query string at all.
- A view answered here must not stream, must not touch `request.session` or set cookies
  other than through its response, and must not depend on `request.resolver_match`: what the
  middleware would have put on the request is listed above and in `_prepare`.

Usage, in asgi.py (innermost, so that the body limit and the other lanes come first)::

    application = BoardFastLane(CachedPagesASGI(BodyLimitASGI(ApiLane(django_application))))
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
import tempfile
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# The scope key that asks the API's marker decorator to name the view's own headers, and the
# marker header it answers with (never leaves this layer).
SCOPE_FLAG = "motcua.api_lane"
MARKER = "X-Motcua-Api-Lane"
_MARKER = MARKER.lower().encode()
_GZIP_MIN = 200  # CompressionMiddleware (GZipMiddleware) leaves shorter bodies alone


def enabled_by_environment() -> bool:
    return os.environ.get("MOTCUA_API_LANE", "1") != "0"


@dataclass
class Route:
    """One route the lane answers (see the module docstring)."""

    method: str
    path: str
    handler: Callable[..., Any] | None = None
    query: tuple[str, ...] = ()
    # Filled at first use: Django's matcher for `path`, the view to call, or None (stay away).
    pattern: Any = field(default=None, repr=False)
    view: Any = field(default=None, repr=False)
    checked: bool = field(default=False, repr=False)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


ROUTES: list[Route] = [
    Route("POST", "api/v1/kiosk/check-in"),
    Route("POST", "api/v1/counters/<counter_id>/call-next"),
    Route("POST", "api/v1/counters/<counter_id>/tickets/current/<action>"),
]


def register(route: Route) -> None:
    """Add a route (before the first request; a route of the same method and path is replaced)."""
    ROUTES[:] = [r for r in ROUTES if r.key != route.key] + [route]


def lane_marker(run: Callable[..., Any]) -> Callable[..., Any]:
    """A ninja "view" decorator (motcua.api adds it to every operation): on a request the lane
    is learning from, name the headers of the view's own answer in the marker header."""
    import functools

    @functools.wraps(run)
    def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
        response = run(request, *args, **kwargs)
        scope = getattr(request, "scope", None)
        if isinstance(scope, dict) and scope.get(SCOPE_FLAG) and hasattr(response, "headers"):
            response[MARKER] = ",".join(k.lower() for k in response.headers) or "-"
        return response

    return wrapper


# ---------------------------------------------------------------- settings the lane mirrors


@dataclass(frozen=True)
class _Config:
    session_cookie: str
    csrf_cookie: str
    language: str
    redirect_http: bool
    threads: int
    sqlite_keep_s: float


def _config() -> _Config | None:
    """The lane's view of the settings, or None when it must step aside entirely."""
    from django.conf import settings
    from django.utils import translation

    from motcua.queueing.fastlane import mirrored

    atomic = getattr(settings, "ATOMIC_REQUESTS", False) or any(
        db.get("ATOMIC_REQUESTS") for db in settings.DATABASES.values()
    )
    if not mirrored("API lane", extra=atomic):
        return None
    return _Config(
        session_cookie=settings.SESSION_COOKIE_NAME,
        csrf_cookie=settings.CSRF_COOKIE_NAME,
        language=translation.get_supported_language_variant(settings.LANGUAGE_CODE),
        redirect_http=bool(settings.SECURE_SSL_REDIRECT),
        threads=max(1, int(os.environ.get("MOTCUA_API_LANE_THREADS", "4"))),
        sqlite_keep_s=float(os.environ.get("MOTCUA_API_LANE_SQLITE_KEEP_S", "60")),
    )


# ---------------------------------------------------------------- learnt headers


@dataclass(frozen=True)
class _Learnt:
    """The middleware's part of a Django answer: its headers in order (Content-Length and Vary
    as slots), Vary's tokens without Accept-Encoding, where gzip's Content-Encoding goes."""

    headers: tuple[tuple[bytes, bytes], ...]
    vary: tuple[str, ...]
    encoding_at: int  # index in `headers` before which Content-Encoding is put


def _learn(headers: list[tuple[bytes, bytes]], view_names: set[bytes]) -> _Learnt | None:
    kept: list[tuple[bytes, bytes]] = []
    vary: list[str] = []
    encoding_at = -1
    after_language = -1
    for name, value in headers:
        low = name.lower()
        if low in view_names:
            continue
        if low == b"set-cookie":
            return None  # Django gave this request a cookie: never answered here
        if low == b"content-encoding":
            encoding_at = len(kept)
            continue
        if low == b"vary":
            vary = [
                t.strip()
                for t in value.decode("latin-1").split(",")
                if t.strip() and t.strip().lower() != "accept-encoding"
            ]
        kept.append((name, value))
        if low in (b"content-language", b"vary"):
            after_language = len(kept)
    if encoding_at < 0:
        # GZipMiddleware runs after LocaleMiddleware and SessionMiddleware (Vary,
        # Content-Language), before SecurityMiddleware: its header goes right after theirs.
        encoding_at = after_language if after_language >= 0 else len(kept)
    return _Learnt(tuple(kept), tuple(vary), encoding_at)


@functools.cache
def _gzip_rules() -> tuple[Any, Callable[..., bytes], int]:
    """CompressionMiddleware's rules, imported once (not at every answer; after Django's
    set-up, which importing this module does not need)."""
    from django.middleware.gzip import re_accepts_gzip
    from django.utils.text import compress_string

    from motcua.web.middleware import CompressionMiddleware

    return re_accepts_gzip, compress_string, CompressionMiddleware.max_random_bytes


def _compose(
    learnt: _Learnt, response: Any, accept_encoding: str
) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The answer's headers and body: the view's headers, then the middleware's as learnt,
    with this body's Content-Length, Vary and gzip (CompressionMiddleware's rules)."""
    re_accepts_gzip, compress_string, max_random_bytes = _gzip_rules()
    body: bytes = response.content
    view = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in response.items()]
    present = {k.lower() for k, _v in view}
    vary = list(learnt.vary)
    for name, value in view:
        if name.lower() == b"vary":  # a view's own Vary: the middleware patches it
            vary = [t.strip() for t in value.decode("latin-1").split(",") if t.strip()] + [
                t for t in vary if t.lower() not in value.decode("latin-1").lower()
            ]
    encoding = None
    if len(body) >= _GZIP_MIN and b"content-encoding" not in present:
        if "accept-encoding" not in {t.lower() for t in vary} and "*" not in vary:
            vary.append("Accept-Encoding")
        if re_accepts_gzip.search(accept_encoding):
            packed = compress_string(body, max_random_bytes=max_random_bytes)
            if len(packed) < len(body):
                body, encoding = packed, b"gzip"
    if encoding and b"etag" in present:
        view = [
            (k, re.sub(rb"^\s*(W/)?", b"W/", v) if k.lower() == b"etag" else v) for k, v in view
        ]
    out = [
        (k, ", ".join(vary).encode("latin-1")) if k.lower() == b"vary" else (k, v) for k, v in view
    ]
    for index, (name, value) in enumerate(learnt.headers):
        if encoding and index == learnt.encoding_at:
            out.append((b"Content-Encoding", encoding))
        low = name.lower()
        if low in present:
            continue  # the middleware leaves a header the view set (setdefault)
        if low == b"content-length":
            value = str(len(body)).encode()
        elif low == b"vary":
            value = ", ".join(vary).encode("latin-1")
        out.append((name, value))
    if encoding and learnt.encoding_at >= len(learnt.headers):
        out.append((b"Content-Encoding", encoding))
    for cookie in response.cookies.values():
        out.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
    return out, body


# ---------------------------------------------------------------- the ASGI layer


def _header(scope: Scope, name: bytes) -> bytes:
    """A request header as Django reads it: a repeated header's values joined with "," (as
    ASGIRequest builds META), e.g. two Cookie or Accept-Encoding lines."""
    return b",".join(bytes(value) for key, value in scope.get("headers") or () if key == name)


class _Aside(Exception):
    """The request goes to Django (nothing of it has run here)."""


class ApiLane:
    """ASGI wrapper: answers the registered API routes, hands everything else to `app`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._config: _Config | None | bool = False  # False: not decided yet
        self._learnt: dict[tuple[str, bool], _Learnt] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._methods: set[str] = set()
        self.stats: dict[str, int] = {"lane": 0, "django": 0, "learn": 0}

    def _setup(self) -> _Config | None:
        config = self._config
        if config is False:
            config = _config() if enabled_by_environment() else None
            if config is not None:
                from django.urls.resolvers import RoutePattern

                for route in ROUTES:
                    if route.pattern is None:
                        route.pattern = RoutePattern(route.path, is_endpoint=True)
                self._methods = {r.method for r in ROUTES}
                self._executor = ThreadPoolExecutor(
                    max_workers=config.threads, thread_name_prefix="api-lane"
                )
            self._config = config
        return config if isinstance(config, _Config) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self._config is not False and not self._methods):
            await self.app(scope, receive, send)
            return
        config = self._setup()
        if config is None or scope.get("method") not in self._methods:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        route: Route | None = None
        kwargs: dict[str, Any] = {}
        for candidate in ROUTES:
            if candidate.method == scope["method"] and path.startswith("/"):
                if candidate.pattern is None:  # registered after the lane's first request
                    from django.urls.resolvers import RoutePattern

                    candidate.pattern = RoutePattern(candidate.path, is_endpoint=True)
                match = candidate.pattern.match(path[1:])
                if match is not None and not match[0]:
                    route, kwargs = candidate, match[2]
                    break
        if route is None:
            await self.app(scope, receive, send)
            return
        if scope.get("root_path") or not self._plain(config, route, scope):
            self.stats["django"] += 1
            await self.app(scope, receive, send)
            return
        body_file = await self._read_body(receive)
        if body_file is None:
            return  # the client went away (or BodyLimitASGI cut the body): as with Django
        try:
            await self._answer(config, route, kwargs, scope, body_file, receive, send)
        finally:
            body_file.close()

    async def _answer(
        self,
        config: _Config,
        route: Route,
        kwargs: dict[str, Any],
        scope: Scope,
        body_file: Any,
        receive: Receive,
        send: Send,
    ) -> None:
        replay = self._replay(body_file, receive)
        try:
            request, secure = self._request(config, scope, body_file)
            if not route.checked:
                await self._run(self._check_route, route, request.path, kwargs)
            if route.view is None:
                raise _Aside
            learnt = self._learnt.get((route.key, secure))
            if learnt is None:
                self.stats["learn"] += 1
                await self.app(
                    {**scope, SCOPE_FLAG: route.key}, replay, self._learning(route, secure, send)
                )
                return
            result = await self._run(self._serve, route, request, kwargs)
        except _Aside:
            self.stats["django"] += 1
            await self.app(scope, replay, self._stripping(send))
            return
        if result is None:  # the view did not run (ninja's 405): Django answers
            self.stats["django"] += 1
            await self.app(scope, replay, self._stripping(send))
            return
        self.stats["lane"] += 1
        response = result
        headers, body = _compose(
            learnt, response, _header(scope, b"accept-encoding").decode("latin-1")
        )
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})

    # ------------------------------------------------------------ before anything runs

    @staticmethod
    def _plain(config: _Config, route: Route, scope: Scope) -> bool:
        """No query parameter the route does not read; no cookie that would make Django read a
        session or set a cookie."""
        query = scope.get("query_string") or b""
        if query:
            if not route.query:
                return False
            from urllib.parse import parse_qsl

            names = {k for k, _v in parse_qsl(query.decode("latin-1"), keep_blank_values=True)}
            if not names <= set(route.query):
                return False
        cookie = _header(scope, b"cookie")
        if not cookie:
            return True
        from django.http.cookie import parse_cookie
        from django.middleware.csrf import (  # type: ignore[attr-defined]
            InvalidTokenFormat,
            _check_token_format,
        )

        cookies = parse_cookie(cookie.decode("latin-1"))
        if config.session_cookie in cookies:
            return False
        token = cookies.get(config.csrf_cookie)
        if token is not None:
            try:
                _check_token_format(token)
            except InvalidTokenFormat:
                return False
        return True

    @staticmethod
    async def _read_body(receive: Receive) -> Any:
        """The body as Django's ASGIHandler.read_body spools it; None on a disconnect."""
        from django.conf import settings

        body_file = tempfile.SpooledTemporaryFile(  # noqa: SIM115  (handed to the request)
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b"
        )
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body_file.close()
                return None
            if "body" in message:
                body_file.write(message["body"])
            if not message.get("more_body", False):
                break
        body_file.seek(0)
        return body_file

    @staticmethod
    def _replay(body_file: Any, receive: Receive) -> Receive:
        """`receive` for Django after the lane read the body: the same body again, then the
        connection's own messages (a disconnect)."""
        done = False

        async def replay() -> Message:
            nonlocal done
            if done:
                return await receive()
            done = True
            body_file.seek(0)
            return {"type": "http.request", "body": body_file.read(), "more_body": False}

        return replay

    @staticmethod
    def _request(config: _Config, scope: Scope, body_file: Any) -> tuple[Any, bool]:
        """The ASGIRequest Django would build, with REMOTE_ADDR as TrustedProxyMiddleware sets
        it; _Aside when Django would answer from its middleware (host, redirect, NUL)."""
        from django.core.exceptions import DisallowedHost
        from django.core.handlers.asgi import ASGIRequest

        from motcua.core.text import unstorable
        from motcua.web.proxy import TrustedProxyMiddleware

        try:
            request = ASGIRequest(scope, body_file)
        except Exception:  # UnicodeDecodeError, RequestDataTooBig: Django's own answers
            raise _Aside from None
        TrustedProxyMiddleware(lambda r: None)(request)  # type: ignore[arg-type,return-value]
        try:
            request.get_host()
        except DisallowedHost:
            raise _Aside from None
        secure = request.is_secure()
        if config.redirect_http and not secure:
            raise _Aside
        texts = [request.path, *request.GET.keys()]
        texts += [v for values in request.GET.lists() for v in values[1]]
        if any(unstorable(t) for t in texts):
            raise _Aside
        return request, secure

    # ------------------------------------------------------------ worker threads

    def _run(self, fn: Any, *args: Any) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    @staticmethod
    def _check_route(route: Route, path: str, kwargs: dict[str, Any]) -> None:
        """At first use: the view Django resolves this path to, if it is the route's."""
        import inspect

        from django.urls import Resolver404, resolve

        try:
            match = resolve(path)
        except Resolver404:
            match = None
        if match is None or match.kwargs != kwargs or match.args:
            log.warning("API lane: %s is not what Django resolves; Django answers it", route.key)
        elif inspect.iscoroutinefunction(match.func):
            log.warning("API lane: %s resolves to an async view; Django answers it", route.key)
        else:
            route.view = route.handler or match.func
        route.checked = True

    def _serve(self, route: Route, request: Any, kwargs: dict[str, Any]) -> Any:
        """Run the view as Django's handler would (in a worker thread); None if it did not run."""
        from django.core import signals
        from django.http.response import HttpResponseNotAllowed

        signals.request_started.send(sender=self.__class__, scope=request.scope)
        response = None
        aside = False
        try:
            _prepare(request)
            try:
                response = route.view(request, **kwargs)
            except Exception as exc:  # a plain handler's error: the API's handlers, as ninja
                from motcua.api import api

                response = api.on_exception(request, exc)
            if response.streaming:
                raise RuntimeError(f"API lane: {route.key} answered a stream")
            if isinstance(response, HttpResponseNotAllowed):
                aside = True  # ninja's 405, before anything ran: ApiRequestMiddleware's JSON
                return None
            if response.status_code >= 400:  # as Django's handler logs them (django.request)
                from django.utils.log import log_response

                log_response(
                    "%s: %s", response.reason_phrase, request.path,
                    response=response, request=request,
                )  # fmt: skip
            return response
        finally:
            _keep_sqlite(self._config.sqlite_keep_s if isinstance(self._config, _Config) else 0)
            closers = response if response is not None else _Closer()
            if not aside:  # (the body is replayed to Django: kept open)
                closers._resource_closers.append(request.close)
            closers.close()  # request_finished: connections closed or back to the pool

    # ------------------------------------------------------------ learning from Django

    def _learning(self, route: Route, secure: bool, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                marker = next((v for k, v in headers if k.lower() == _MARKER), None)
                if marker is not None:
                    headers = [(k, v) for k, v in headers if k.lower() != _MARKER]
                    message = {**message, "headers": headers}
                    view_names = {n.encode() for n in bytes(marker).decode().split(",")}
                    view_names.add(b"content-type")
                    learnt = _learn(headers, view_names)
                    if learnt is not None and message.get("status", 500) < 500:
                        with self._lock:
                            self._learnt[(route.key, secure)] = learnt
            await send(message)

        return wrapped

    @staticmethod
    def _stripping(send: Send) -> Send:
        """`send` for Django's answers: the marker never leaves (it is only added on a flagged
        scope, this is insurance)."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers") or ()
                if any(k.lower() == _MARKER for k, _v in headers):
                    message = {
                        **message,
                        "headers": [(k, v) for k, v in headers if k.lower() != _MARKER],
                    }
            await send(message)

        return wrapped


class _Closer:
    """Sends request_finished when the view gave no response (as HttpResponse.close does)."""

    def __init__(self) -> None:
        self._resource_closers: list[Callable[[], None]] = []

    def close(self) -> None:
        import contextlib

        from django.core import signals

        for closer in self._resource_closers:
            with contextlib.suppress(Exception):  # as HttpResponseBase.close
                closer()
        signals.request_finished.send(sender=ApiLane)


def _prepare(request: Any) -> None:
    """What the middleware puts on a request without a session cookie, for the view."""
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.utils import translation

    language = translation.get_supported_language_variant(settings.LANGUAGE_CODE)
    translation.activate(language)  # LocaleMiddleware (one language: checked in _config)
    request.LANGUAGE_CODE = language
    request.session = _session_store()(None)  # SessionMiddleware: no cookie, an empty session
    request.user = AnonymousUser()  # AuthenticationMiddleware without a session
    request.current_unit = None  # CurrentUnitMiddleware for an anonymous request


def _keep_sqlite(keep_s: float) -> None:
    """A lane thread keeps its SQLite connection open between requests for `keep_s` seconds.

    Opening one costs ~2-3 ms of CPU here (SQLite reads the whole schema again, the PRAGMAs,
    Django's functions): a third of a check-in. The thread lives on in the pool, so its
    connection is kept as Django keeps one under CONN_MAX_AGE: `request_finished` (just after)
    still closes it when it is unusable, out of autocommit or past its age, and it is never in
    a transaction between requests (`close_if_unusable_or_obsolete`). Only when CONN_MAX_AGE is
    0 (the default); PostgreSQL's connections go back to the pool as after a Django request.
    """
    if keep_s <= 0:
        return
    import time

    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if (
            conn.vendor == "sqlite"
            and conn.connection is not None
            and conn.settings_dict.get("CONN_MAX_AGE") == 0
            and conn.close_at is not None
            and conn.close_at != getattr(conn, "_lane_keep_until", None)
        ):
            conn.close_at = conn._lane_keep_until = time.monotonic() + keep_s  # type: ignore[attr-defined]


_STORE: Any = None


def _session_store() -> Any:
    global _STORE
    if _STORE is None:
        from importlib import import_module

        from django.conf import settings

        _STORE = import_module(settings.SESSION_ENGINE).SessionStore
    return _STORE
