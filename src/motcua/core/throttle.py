"""Limits shared by every server process: per-client counts, code locks, login spraying.

Counts live in the `ratelimit` cache (settings.CACHES): Redis when REDIS_URL is set, else a
database table, never one process's memory, so two workers see the same counts. One action
counts once per client whatever door it comes through (the portal page and the API share the
group name).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import pickle
from collections.abc import Iterator, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from motcua.core.errors import DomainError, RateLimited

# A code (dossier, booking) is locked for an hour after this many wrong verifiers, whoever
# sends them: spreading guesses over many addresses does not help.
CODE_FAILURES = 5
CODE_LOCK_SECONDS = 3600


class CodeLocked(RateLimited):
    code = "code_locked"
    message = (
        "Mã này đã bị tạm khóa 1 giờ vì thông tin xác minh bị nhập sai nhiều lần. "
        "Vui lòng thử lại sau hoặc liên hệ bộ phận một cửa."
    )


class TooManyLoginFailures(RateLimited):
    code = "login_rate_limited"
    message = "Đăng nhập sai quá nhiều lần từ địa chỉ mạng này. Vui lòng thử lại sau."


def ratelimit_cache() -> Any:
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def limited(request: HttpRequest, group: str, rate: str, *, increment: bool = True) -> bool:
    """django-ratelimit per client address on the shared cache (False when limits are off)."""
    from django_ratelimit.core import is_ratelimited

    return is_ratelimited(request, group=group, key="ip", rate=rate, increment=increment)


def first_limited(request: HttpRequest, limits: Sequence[tuple[str, str]]) -> str | None:
    """Count this request in several per-client windows (group, rate) at once; the first group
    over its limit, or None.

    The same counts as `limited(request, group, rate)` for each group in turn, stopping at the
    first one over its limit (a later group is then not counted): the same keys and windows as
    django-ratelimit, so both ways count together. What differs is the cost (a check-in counts
    two windows): on the database cache one transaction with one read of every window and one
    write (8 statements before), on Redis one round trip (4 before).
    """
    return count_and_peek(request, limits)[0]


def count_and_peek(
    request: HttpRequest, limits: Sequence[tuple[str, str]], peek: Sequence[str] = ()
) -> tuple[str | None, list[Any]]:
    """`first_limited`, and the values of the cache keys `peek` (as `cache.get` gives them, None
    when missing or expired) read in the same round trip (the database cache: the same read
    of the rows; Redis: the same pipeline). Limits off: (None, [None, ...]), nothing read."""
    if not getattr(settings, "RATELIMIT_ENABLE", True) or not limits:
        return None, [None] * len(peek)
    from django.core.cache.backends.redis import RedisCache
    from django_ratelimit import ALL
    from django_ratelimit.core import (  # the package's own key and window (no public API)
        EXPIRATION_FUDGE,
        _get_ip,
        _get_window,
        _make_cache_key,
        _split_rate,
    )

    value = _get_ip(request)
    windows = []
    for group, rate in limits:
        limit, period = _split_rate(rate)
        key = _make_cache_key(group, _get_window(value, period), rate, value, ALL)
        windows.append((key, limit, period + EXPIRATION_FUDGE))
    cache = ratelimit_cache()
    if isinstance(cache, SharedDatabaseCache):
        counts, peeked = cache.count_windows(windows, peek)
    elif isinstance(cache, RedisCache):
        counts, peeked = _redis_count_windows(cache, windows, peek)
    else:
        over = next((g for g, rate in limits if limited(request, g, rate)), None)
        return over, [cache.get(key) for key in peek]
    for (group, _rate), (_key, limit, _timeout), count in zip(
        limits, windows, counts, strict=False
    ):
        if count > limit:
            return group, peeked
    return None, peeked


def _redis_count_windows(
    cache: Any, windows: list[tuple[str, int, int]], peek: Sequence[str] = ()
) -> tuple[list[int], list[Any]]:
    """Each window counted in one pipeline (SET NX opens it with its expiry, INCR counts), the
    `peek` keys read after them (GET, decoded as `cache.get`); the windows after the first one
    over its limit are counted back (a rare second round trip)."""
    client = cache._cache.get_client(write=True)
    keys = [cache.make_and_validate_key(key) for key, _limit, _timeout in windows]
    pipe = client.pipeline(transaction=False)
    for made, (_key, _limit, timeout) in zip(keys, windows, strict=True):
        pipe.set(made, 0, ex=timeout, nx=True)
        pipe.incr(made)
    for key in peek:
        pipe.get(cache.make_and_validate_key(key))
    results = pipe.execute()
    counted = results[: 2 * len(keys)]
    peeked = [
        None if raw is None else cache._cache._serializer.loads(raw)
        for raw in results[2 * len(keys) :]
    ]
    counts = [int(c) for c in counted[1::2]]
    for i, (count, (_key, limit, _timeout)) in enumerate(zip(counts, windows, strict=True)):
        if count > limit:
            if keys[i + 1 :]:
                undo = client.pipeline(transaction=False)
                for made in keys[i + 1 :]:
                    undo.decr(made)
                undo.execute()
            return counts[: i + 1], peeked
    return counts, peeked


def public_lookup_limited(request: HttpRequest) -> bool:
    """One count per client for a dossier lookup, through the portal page or the API alike."""
    per_minute = int(settings.MOTCUA.get("PUBLIC_LOOKUP_PER_MINUTE", 20))
    return limited(request, "dossier.lookup", f"{per_minute}/m")


def public_lookup_count(request: HttpRequest, scope: str, code: str) -> tuple[bool, int | None]:
    """`public_lookup_limited` and the code's wrong-verifier count (for `verifier_guard(...,
    failures=)`) in one round trip to the shared store (limits off: (False, None))."""
    per_minute = int(settings.MOTCUA.get("PUBLIC_LOOKUP_PER_MINUTE", 20))
    peek = [_code_key(scope, code)] if (code or "").strip() else []
    over, peeked = count_and_peek(request, [("dossier.lookup", f"{per_minute}/m")], peek)
    return over is not None, (peeked[0] or 0) if peeked else None


def _code_key(scope: str, code: str) -> str:
    """The cache key of a code's wrong-verifier count: the code as typed is user text (any
    length, spaces, control characters), so the key holds a digest of its normal form."""
    normal = (code or "").strip().upper()
    digest = hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"code-fail:{scope}:{digest}"


@contextlib.contextmanager
def verifier_guard(
    scope: str, code: str, *, mismatch: set[str], failures: int | None = None
) -> Iterator[None]:
    """Refuse a locked code; count a wrong verifier (a DomainError whose code is in `mismatch`).

    The count is keyed on the code, not the client, and is written in the shared cache outside
    any database transaction of the caller (call this outside `transaction.atomic`).
    `failures`: the code's count as the caller just read it with its rate limit
    (`public_lookup_count`), instead of reading it again.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True) or not (code or "").strip():
        yield  # no code, nothing to lock (a ticket rating is verified by its token)
        return
    cache = ratelimit_cache()
    key = _code_key(scope, code)
    if ((cache.get(key) or 0) if failures is None else failures) >= CODE_FAILURES:
        raise CodeLocked()
    try:
        yield
    except DomainError as exc:
        if exc.code in mismatch:
            cache.add(key, 0, CODE_LOCK_SECONDS)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, CODE_LOCK_SECONDS)
        raise


def login_spray_check(request: HttpRequest) -> None:
    """Refuse a login attempt from an address with too many recent failures (any usernames)."""
    from django_ratelimit.core import get_usage

    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return
    usage = get_usage(
        request, group="auth.failures", key="ip", rate=settings.LOGIN_FAILURES_PER_ADDRESS
    )
    if usage is not None and usage["count"] >= usage["limit"]:
        raise TooManyLoginFailures()


def login_failed(request: HttpRequest) -> None:
    """Count one failed login for the client's address."""
    limited(request, "auth.failures", settings.LOGIN_FAILURES_PER_ADDRESS, increment=True)


def axes_lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes lockout: JSON `{"code","message"}` for the API, the lockout page otherwise."""
    from django.shortcuts import render

    message = "Đăng nhập sai quá nhiều lần, tài khoản tạm khóa. Vui lòng thử lại sau 15 phút."
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"code": "locked_out", "message": message}, status=429)
    return render(request, "web/error.html", {"message": message}, status=429)


class SharedDatabaseCache(DatabaseCache):
    """Django's database cache with an atomic `incr` that keeps the key's expiry.

    `BaseCache.incr` reads, adds and writes back with the default timeout: two processes
    counting at once lose increments, and a one-hour rate window would restart after five
    minutes. Here the row is locked (FOR UPDATE on PostgreSQL; SQLite takes the database write
    lock at BEGIN) and only the value is rewritten.
    """

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        """Most adds find the key alive (a rate window already open): one read, not Django's
        count-the-table-then-select-then-write; only a new or expired key takes the long way."""
        if self.has_key(key, version=version):
            return False
        return super().add(key, value, timeout, version)

    def _expires(self, connection: Any, raw: Any) -> Any:
        expression = models.Expression(output_field=models.DateTimeField())
        for converter in connection.ops.get_db_converters(
            expression
        ) + expression.get_db_converters(connection):
            raw = converter(raw, expression, connection)
        return raw

    def _decode(self, connection: Any, raw: Any) -> Any:
        raw = connection.ops.process_clob(raw)
        return pickle.loads(base64.b64decode(raw.encode()))  # noqa: S301 (our own rows)

    def _encode(self, value: int) -> str:
        return base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")

    def count_windows(
        self, windows: list[tuple[str, int, int]], peek: Sequence[str] = ()
    ) -> tuple[list[int], list[Any]]:
        """Count one hit in each rate window (key, limit, timeout), in order, stopping after the
        first one over its limit; the counts of the windows counted, and the values of the keys
        `peek` (as `get` gives them: None when missing or expired) from the same read.

        One transaction: one read of every window (locked) and peeked key, one write of the
        open windows; a window not open yet (once a minute per client) is opened first, in its
        own transaction (`add` with 0, which culls the table when full), and the read is made
        again; one that closed or was culled in between goes through `add` or, when another
        request opened it meanwhile, `incr`.

        Deadlocks: the rows are locked in key order (`ORDER BY cache_key … FOR UPDATE`; a scan
        gives them in the order of their last update), and no row is created while others are
        held (a window opened after the read would be locked out of that order). PostgreSQL
        found two requests deadlocked both ways, one answered 503, under 16 kiosks at once.
        """
        from django.db import connections, router, transaction

        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)  # type: ignore[attr-defined]
        made = [self.make_and_validate_key(key) for key, _limit, _timeout in windows]
        peeks = [self.make_and_validate_key(key) for key in peek]
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        marks = ", ".join(["%s"] * (len(made) + len(peeks)))
        read = (
            f"SELECT cache_key, value, expires FROM {table} "  # noqa: S608 (quoted name)
            f"WHERE cache_key IN ({marks}) ORDER BY cache_key{lock}"
        )
        # Inside a caller's transaction (none today: the kiosk counts before its own, the
        # lookup has none) the windows are counted as before, a missing one opened under the
        # locks already taken: keep rate limits out of other transactions.
        if lock and not connection.in_atomic_block:
            with transaction.atomic(using=db):
                with connection.cursor() as cursor:
                    cursor.execute(read, made + peeks)
                    rows = {r[0]: (r[1], r[2]) for r in cursor.fetchall()}
                missing = [w for w, k in zip(windows, made, strict=True) if k not in rows]
                if not missing:
                    return self._count_locked(connection, windows, made, peeks, rows)
            # The locks are let go before a window is opened (its own transaction; False:
            # another request opened it meanwhile), then every row is read again in order.
            for key, _limit, timeout in missing:
                self.add(key, 0, timeout)
        with transaction.atomic(using=db):
            with connection.cursor() as cursor:
                cursor.execute(read, made + peeks)
                rows = {r[0]: (r[1], r[2]) for r in cursor.fetchall()}
            return self._count_locked(connection, windows, made, peeks, rows)

    def _count_locked(
        self,
        connection: Any,
        windows: list[tuple[str, int, int]],
        made: list[str],
        peeks: list[str],
        rows: dict[str, tuple[Any, Any]],
    ) -> tuple[list[int], list[Any]]:
        """`count_windows` inside its transaction, the rows read (and locked)."""
        table = connection.ops.quote_name(self._table)  # type: ignore[attr-defined]
        counts: list[int] = []
        now = timezone.now()
        peeked: list[Any] = []
        expired: list[str] = []
        for cache_key in peeks:
            row = rows.get(cache_key)
            if row is None or self._expires(connection, row[1]) < now:
                peeked.append(None)
                if row is not None:
                    expired.append(cache_key)  # as `get` does
            else:
                peeked.append(self._decode(connection, row[0]))
        updates: list[tuple[str, str]] = []
        for (key, limit, timeout), cache_key in zip(windows, made, strict=True):
            row = rows.get(cache_key)
            if row is not None and self._expires(connection, row[1]) >= now:
                count = self._decode(connection, row[0]) + 1
                updates.append((cache_key, self._encode(count)))
            elif self.add(key, 1, timeout):
                count = 1
            else:
                try:
                    count = self.incr(key)
                except ValueError:  # culled (a full table) between the add and the count
                    self.set(key, 1, timeout)
                    count = 1
            counts.append(count)
            if count > limit:
                break
        if updates:
            with connection.cursor() as cursor:
                cases = " ".join(["WHEN %s THEN %s"] * len(updates))
                marks = ", ".join(["%s"] * len(updates))
                cursor.execute(
                    f"UPDATE {table} SET value = CASE cache_key {cases} END "  # noqa: S608
                    f"WHERE cache_key IN ({marks})",
                    [p for pair in updates for p in pair] + [k for k, _v in updates],
                )
        if expired:
            self._base_delete_many(expired)  # type: ignore[attr-defined]
        return counts, peeked

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        from django.db import connections, router, transaction

        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)  # type: ignore[attr-defined]
        made = self.make_and_validate_key(key, version=version)
        with transaction.atomic(using=db):
            with connection.cursor() as cursor:
                lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
                # The table name is the cache's LOCATION from settings, quoted; the key is a
                # parameter. Value and expiry come with the lock: one read, not two.
                sql = f"SELECT value, expires FROM {table} WHERE cache_key = %s{lock}"  # noqa: S608
                cursor.execute(sql, [made])
                row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            if self._expires(connection, row[1]) < timezone.now():
                raise ValueError(f"Key '{key}' not found")  # expired: as Django's get() sees it
            value = self._decode(connection, row[0]) + delta
            encoded = self._encode(value)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET value = %s WHERE cache_key = %s",  # noqa: S608
                    [encoded, made],
                )
        return int(value)
