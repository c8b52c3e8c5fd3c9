"""The board snapshot answered in front of Django (ASGI), from memory while the event feed is live.

`GET /api/v1/queue/{office}/board` is polled by every display board. `BoardFastLane` wraps the
ASGI application and answers it itself, with the same bytes as the Django view
(`queueing.api.board`, which stays the reference and serves WSGI): the same body, ETag,
Cache-Control, 304 on `If-None-Match`, the headers the middleware adds (security headers,
Content-Security-Policy, Vary, Content-Language) and gzip when the client accepts it. Anything
it is not sure to answer identically goes to Django untouched: other methods (HEAD answers 405
there), a query string, a body, a session cookie or a malformed CSRF cookie (Django would set
or delete a cookie), a host outside ALLOWED_HOSTS, plain http under SECURE_SSL_REDIRECT, an
office it has not resolved yet (an unknown office gets Django's 404 `{"code","message"}`), a
middleware list or setting it was not written for (`_config`: then it steps aside entirely).

Freshness. The board's body is built from the database (`selectors.board_build`) and kept per
process. The process's event listener (`broker`: PostgreSQL LISTEN, Redis pub/sub, or on SQLite
alone a poll every `broker.POLL_S` plus same-process wake-ups at commit) is started at first use
and held while boards are asked for; every signal it receives bumps a counter of the office
(`_signal`). A kept board is answered without any SQL while (1) the listener is listening in
the same session as when the board's build began, (2) no signal for its office (or for all
offices) arrived since the build began, (3) no office, counter or service row changed in this
process (`lookups.generation`), and (4) it is younger than `selectors.BOARD_FRESH_S` (5 s) and
of today, as the view requires. Otherwise the request waits for a build (one per office at a
time, in a worker thread, begun after the request arrived or with the same counters), or, while
the listener is not listening (not started yet, reconnecting, lost), does what the view does:
one read of the office's newest event id, and a build when it moved.

The guarantee: a board answered for a request shows every event committed before the request
began, except those committed less than the feed's delivery delay before it (the time from a
commit to its signal reaching this process: a NOTIFY or Redis message, well under a
millisecond on one machine; up to `broker.POLL_S` = 0.25 s for another process's write on
SQLite without Redis; on a silently broken listener connection, until the connection is seen
broken). A build begins only after the counters it is checked against were read, so a signal
arriving during a build makes the next request build again. Two cases are bounded by
BOARD_FRESH_S instead, as with the view: a change that writes no event (an admin edit of a
ticket) and a Redis publish that failed (the event is stored; the subscriber saw nothing).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

PATH = re.compile(r"/api/v1/queue/([A-Za-z0-9_.~-]{1,40})/board")
HOLD_S = 300.0  # the listener is held this long after the last board request
NEXT_COUNT = 5

# The middleware the lane mirrors, in order (settings.MIDDLEWARE). Another list: the lane steps
# aside, so that a new middleware can never make the two answers differ.
MIDDLEWARE = (
    "motcua.web.proxy.TrustedProxyMiddleware",
    "motcua.web.bodylimit.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "motcua.web.middleware.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "motcua.web.middleware.ApiRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "motcua.web.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "motcua.web.middleware.CurrentUnitMiddleware",
    "motcua.campaigns.tracking.CampaignLinkMiddleware",
    "axes.middleware.AxesMiddleware",
)


def enabled_by_environment() -> bool:
    return os.environ.get("MOTCUA_BOARD_FASTLANE", "1") != "0"


def mirrored(lane: str, *, extra: bool = False) -> bool:
    """Whether the settings are those a lane in front of Django was written for (this lane
    and web.apilane): the MIDDLEWARE list above and none of the settings they do not mirror
    (`extra`: a lane's own). Otherwise the lane steps aside entirely, saying why in the log."""
    from django.conf import settings

    if tuple(settings.MIDDLEWARE) != MIDDLEWARE:
        log.warning("%s off: MIDDLEWARE is not the list it mirrors", lane)
        return False
    if (
        len(settings.LANGUAGES) != 1
        or settings.DISALLOWED_USER_AGENTS
        or settings.PREPEND_WWW
        or settings.CSRF_USE_SESSIONS
        or settings.FORCE_SCRIPT_NAME
        or extra
    ):
        log.warning("%s off: a setting it does not mirror", lane)
        return False
    return True


@dataclass(frozen=True)
class _Config:
    """What the middleware adds to the board's answer, computed once from the settings."""

    before_length: tuple[tuple[bytes, bytes], ...]  # CSP, X-Frame-Options (after Cache-Control)
    language: bytes
    sts: bytes | None
    after: tuple[tuple[bytes, bytes], ...]  # X-Content-Type-Options, Referrer-Policy, COOP
    session_cookie: str
    csrf_cookie: str
    proxy_header: tuple[str, str] | None  # SECURE_PROXY_SSL_HEADER
    redirect_http: bool  # SECURE_SSL_REDIRECT (the board's path is never exempt: checked)
    allowed_hosts: tuple[str, ...]


def _config() -> _Config | None:
    """The lane's view of the settings, or None when it must step aside."""
    from django.conf import settings
    from django.http import HttpRequest, HttpResponse
    from django.middleware.clickjacking import XFrameOptionsMiddleware
    from django.utils import translation

    from motcua.web.middleware import ContentSecurityPolicyMiddleware

    if not mirrored("board fast lane", extra=settings.USE_X_FORWARDED_HOST):
        return None
    path = "api/v1/queue/x/board"
    if settings.SECURE_SSL_REDIRECT and any(
        re.search(p, path) for p in settings.SECURE_REDIRECT_EXEMPT
    ):
        return None
    # Content-Security-Policy exactly as the middleware builds it (the same process, the same
    # directive order), for an answer that is not a PDF.
    from dataclasses import asdict

    from csp.utils import build_policy

    csp_mw = ContentSecurityPolicyMiddleware(lambda r: HttpResponse())
    request, response = HttpRequest(), HttpResponse()
    request.path_info = "/" + path
    before: list[tuple[bytes, bytes]] = []
    for report_only, name, key in (
        (False, b"Content-Security-Policy", "CONTENT_SECURITY_POLICY"),
        (True, b"Content-Security-Policy-Report-Only", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
    ):
        parts = csp_mw.get_policy_parts(request, response, report_only=report_only)
        value = build_policy(**asdict(parts), report_only=report_only)
        prefixes = (getattr(settings, key, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
        if value and not ("/" + path).startswith(tuple(prefixes)):
            before.append((name, value.encode("latin1")))
    xfo = XFrameOptionsMiddleware(lambda r: HttpResponse()).get_xframe_options_value(
        request, response
    )
    before.append((b"X-Frame-Options", xfo.encode("latin1")))
    sts = None
    if settings.SECURE_HSTS_SECONDS:
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        sts = value.encode("latin1")
    after: list[tuple[bytes, bytes]] = []
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        after.append((b"X-Content-Type-Options", b"nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        joined = ",".join(
            [v.strip() for v in policy.split(",")] if isinstance(policy, str) else policy
        )
        after.append((b"Referrer-Policy", joined.encode("latin1")))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        after.append(
            (b"Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode())
        )
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return _Config(
        before_length=tuple(before),
        language=translation.get_supported_language_variant(settings.LANGUAGE_CODE).encode(),
        sts=sts,
        after=tuple(after),
        session_cookie=settings.SESSION_COOKIE_NAME,
        csrf_cookie=settings.CSRF_COOKIE_NAME,
        proxy_header=settings.SECURE_PROXY_SSL_HEADER,
        redirect_http=bool(settings.SECURE_SSL_REDIRECT),
        allowed_hosts=tuple(hosts),
    )


@dataclass(frozen=True)
class _Entry:
    """A built board and the feed's state when its build began."""

    build: Any  # selectors.BoardBuild
    etag: bytes
    mark: tuple[int, int, int, int]  # (listener session, office signals, all signals, generation)


class BoardFastLane:
    """ASGI wrapper: answers the board snapshot, hands everything else to `app`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._config: _Config | None | bool = False  # False: not decided yet
        self._lock = threading.Lock()
        self._signals: dict[int, int] = {}
        self._all = 0
        self._entries: dict[int, _Entry] = {}
        self._inflight: dict[int, tuple[tuple[int, int, int, int], asyncio.Future[_Entry]]] = {}
        self._hosts: dict[str, bool] = {}
        self._held_at = 0.0
        self._executor: ThreadPoolExecutor | None = None
        # How requests were answered: memory, build, read (listener not listening), django.
        self.stats: Counter[str] = Counter()

    # ------------------------------------------------------------ signals from the broker

    def _signal(self, office_id: int | None, _event_id: int | None) -> None:
        with self._lock:
            if office_id is None:
                self._all += 1
            else:
                self._signals[office_id] = self._signals.get(office_id, 0) + 1

    def _mark(self, office_id: int) -> tuple[int, int, int, int]:
        broker, lookups = _modules()[1:3]
        with self._lock:
            return (
                broker.listening(),
                self._signals.get(office_id, 0),
                self._all,
                lookups.generation(),
            )

    # ------------------------------------------------------------ ASGI

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        match = PATH.fullmatch(scope["path"])
        if match is None or scope.get("query_string") or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        config = self._config
        if config is False:
            config = self._config = _config() if enabled_by_environment() else None
            if config is not None:
                from motcua.queueing import broker

                broker.add_hook(self._signal)
        if not isinstance(config, _Config):
            await self.app(scope, receive, send)
            return
        try:
            answered = await self._answer(config, match.group(1), scope, send)
        except Exception:  # the reference answers instead (nothing was sent)
            log.warning("board fast lane failed; Django answers", exc_info=True)
            answered = False
        if not answered:
            self.stats["django"] += 1
            await self.app(scope, receive, send)

    async def _answer(self, config: _Config, text: str, scope: dict, send: Any) -> bool:
        clock, broker, lookups, selectors = _modules()

        meta: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin1")
            if name in ("content-length", "transfer-encoding"):
                return False  # a body: Django decides what it means
            key = "HTTP_" + name.upper().replace("-", "_")
            value = raw_value.decode("latin1")
            meta[key] = f"{meta[key]},{value}" if key in meta else value
        if not self._request_plain(config, meta):
            return False
        secure = self._secure(config, scope, meta)
        if config.redirect_http and not secure:
            return False
        host = meta.get("HTTP_HOST")
        if host is None or not self._host_allowed(config, host):
            return False
        office = lookups.office_remembered(text)
        if office is None:
            office = await self._run(lambda: _resolve(text))
            if office is None:
                return False  # Django answers its 404 {"code","message"}
        now_mono = time.monotonic()
        if now_mono - self._held_at > 10.0:  # start the listener / keep it while boards ask
            self._held_at = now_mono
            broker.hold(HOLD_S)
        entry = self._entries.get(office.pk)
        now = clock.now()
        live = broker.listening()
        if (
            entry is not None
            and live
            and entry.mark == self._mark(office.pk)
            and selectors.board_fresh(entry.build[1], now)
        ):
            self.stats["memory"] += 1
        elif live:
            entry = await self._build(office)
            now = clock.now()
            self.stats["build"] += 1
        else:
            entry = await self._read(office)
            now = clock.now()
            self.stats["read"] += 1
        await self._send(config, entry, now, secure, meta, send)
        return True

    @staticmethod
    def _request_plain(config: _Config, meta: dict[str, str]) -> bool:
        """No cookie that would make Django set or delete one (or read a session)."""
        cookie = meta.get("HTTP_COOKIE")
        if not cookie:
            return True
        from django.http.cookie import parse_cookie
        from django.middleware.csrf import (  # type: ignore[attr-defined]
            InvalidTokenFormat,
            _check_token_format,
        )

        cookies = parse_cookie(cookie)
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
    def _secure(config: _Config, scope: dict, meta: dict[str, str]) -> bool:
        """`request.is_secure()` after TrustedProxyMiddleware, as SecurityMiddleware sees it."""
        if config.proxy_header:
            header, secure_value = config.proxy_header
            value = meta.get(header)
            if value is not None and header == "HTTP_X_FORWARDED_PROTO":
                from motcua.web.proxy import _parse, _trusted, trusted_networks

                client = scope.get("client")
                peer = client[0] if client else ""
                if trusted_networks() and not _trusted(_parse(peer)):
                    value = None  # dropped by TrustedProxyMiddleware
            if value is not None:
                return value.split(",", 1)[0].strip() == secure_value
        return scope.get("scheme") == "https"

    def _host_allowed(self, config: _Config, host: str) -> bool:
        known = self._hosts.get(host)
        if known is None:
            from django.http.request import split_domain_port, validate_host

            domain, _port = split_domain_port(host)
            known = bool(domain and validate_host(domain, list(config.allowed_hosts)))
            if len(self._hosts) < 256:
                self._hosts[host] = known
        return known

    # ------------------------------------------------------------ builds (worker threads)

    def _run(self, fn: Any) -> asyncio.Future[Any]:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="board-lane")
        return asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def _build(self, office: Any) -> _Entry:
        """A build begun after this request arrived, or one with the same marks (shared)."""
        mark = self._mark(office.pk)
        inflight = self._inflight.get(office.pk)
        if inflight is not None and inflight[0] == mark:
            return await asyncio.shield(inflight[1])

        def build() -> _Entry:
            from motcua.core import clock
            from motcua.queueing import broker, selectors

            try:
                hit = selectors.board_build(office=office, next_count=NEXT_COUNT, now=clock.now())
            finally:
                broker.close_idle_connection()
            return _Entry(hit, selectors.board_etag(office.pk, hit).encode(), mark)

        future = self._run(build)
        self._inflight[office.pk] = (mark, future)
        try:
            entry = await asyncio.shield(future)
        finally:
            if self._inflight.get(office.pk, (None, None))[1] is future:
                del self._inflight[office.pk]
        if mark[0]:
            self._entries[office.pk] = entry
        return entry

    async def _read(self, office: Any) -> _Entry:
        """The listener is not listening: what the view does (one read, a build if it moved)."""

        def read() -> _Entry:
            from motcua.core import clock
            from motcua.queueing import broker, selectors

            try:
                now = clock.now()
                newest = selectors.newest_event_id(office.pk)
                hit = selectors._BOARDS.get((office.pk, NEXT_COUNT))
                if not (
                    hit is not None and hit[0] == newest and selectors.board_fresh(hit[1], now)
                ):
                    hit = selectors.board_build(
                        office=office, next_count=NEXT_COUNT, now=now, newest=newest
                    )
            finally:
                broker.close_idle_connection()
            return _Entry(hit, selectors.board_etag(office.pk, hit).encode(), (0, 0, 0, 0))

        return await self._run(read)  # type: ignore[no-any-return]

    # ------------------------------------------------------------ the answer

    async def _send(
        self,
        config: _Config,
        entry: _Entry,
        now: Any,
        secure: bool,
        meta: dict[str, str],
        send: Any,
    ) -> None:
        """Status, headers (in the order Django's middleware leaves them) and body."""
        selectors = _modules()[3]
        etag = entry.etag
        if etag.decode() in meta.get("HTTP_IF_NONE_MATCH", ""):
            status, body, ctype = 304, b"", b"text/html; charset=utf-8"
        else:
            status, ctype = 200, b"application/json"
            body = selectors.board_bytes(entry.build, now)
        vary = b"Accept-Language, Cookie"
        encoding = None
        if len(body) >= 200:
            vary += b", Accept-Encoding"
            from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
            from django.utils.text import compress_string

            if re_accepts_gzip.search(meta.get("HTTP_ACCEPT_ENCODING", "")):
                packed = compress_string(body, max_random_bytes=GZipMiddleware.max_random_bytes)
                if len(packed) < len(body):
                    body, encoding = packed, b"gzip"
        headers = [
            (b"Content-Type", ctype),
            (b"ETag", etag),
            (b"Cache-Control", b"no-cache"),
            *config.before_length,
            (b"Content-Length", str(len(body)).encode()),
            (b"Vary", vary),
            (b"Content-Language", config.language),
        ]
        if encoding:
            headers.append((b"Content-Encoding", encoding))
        if secure and config.sts:
            headers.append((b"Strict-Transport-Security", config.sts))
        headers.extend(config.after)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _resolve(text: str) -> Any:
    """The office as `api.resolve_office` finds it (remembered per process), or None."""
    from motcua.core.schemas import DB_INT_MAX
    from motcua.core.text import ascii_digits
    from motcua.queueing import broker, lookups

    if ascii_digits(text) and int(text) > DB_INT_MAX:
        return None
    try:
        return lookups.office(text)
    finally:
        broker.close_idle_connection()


_MODULES: tuple[Any, Any, Any, Any] | None = None


def _modules() -> tuple[Any, Any, Any, Any]:
    """clock, broker, lookups, selectors (imported once Django is set up)."""
    global _MODULES
    if _MODULES is None:
        from motcua.core import clock
        from motcua.queueing import broker, lookups, selectors

        _MODULES = (clock, broker, lookups, selectors)
    return _MODULES
