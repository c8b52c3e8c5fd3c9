"""Authentication of the API: bearer tokens, and back-office sessions with a CSRF token on writes.

A logged-in session is a cookie the browser sends by itself, so a write made with it counts only
with a valid CSRF token (the `X-CSRFToken` header, as Django checks it for forms). Without one,
an operation that needs an official answers 403 `csrf_failed`, and an operation open to everyone
(kiosk check-in, bookings, ratings, online submission) runs as an anonymous caller, never as the
session's user (`ApiSessionCsrfMiddleware` in web/middleware.py). Bearer tokens need no CSRF
token: a browser never adds one by itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.core.models import ApiToken

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FLAG = "_motcua_session_csrf_failed"


class CsrfFailed(DomainError):
    code = "csrf_failed"
    status = 403
    message = (
        "Yêu cầu ghi dữ liệu bằng phiên đăng nhập thiếu mã chống giả mạo (CSRF) hợp lệ: "
        "gửi kèm tiêu đề X-CSRFToken, hoặc dùng mã truy cập Bearer."
    )


def session_csrf_failed(request: HttpRequest) -> bool:
    """True when a write comes with a logged-in session and without a valid CSRF token.

    Computed once per request (the middleware may have replaced `request.user` since).
    """
    cached = getattr(request, _FLAG, None)
    if cached is not None:
        return bool(cached)
    failed = False
    if request.method not in SAFE_METHODS:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            failed = check_csrf(request) is not None
    setattr(request, _FLAG, failed)
    return failed


def drop_session_without_csrf(request: HttpRequest) -> None:
    """A write without a CSRF token does not act as the session's user (see module doc)."""
    if session_csrf_failed(request):
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()


def _token_user(digest: str) -> Any:
    """The user of a live token (not revoked, not expired), read at every request so that
    revocation and expiry count at once; one plain SQL statement (the ORM's compile of this
    join cost more than running it, on every API call)."""
    from django.db import connection

    from motcua.core.rawsql import columns, instance, prepared_cursor

    User = get_user_model()
    q = connection.ops.quote_name
    expires = ApiToken._meta.get_field("expires_at").get_db_prep_value(
        clock.now(), connection, prepared=False
    )
    with prepared_cursor() as cur:
        cur.execute(
            f"SELECT {columns(User, 'u')} FROM {q(ApiToken._meta.db_table)} t "  # noqa: S608
            f"JOIN {q(User._meta.db_table)} u ON u.id = t.user_id "
            "WHERE t.digest = %s AND t.revoked = %s AND t.expires_at > %s",
            [digest, False, expires],
        )
        row = cur.fetchone()
    return instance(User, row) if row is not None else None


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = _token_user(ApiToken.hash(token))
        if user is None or not user.is_active:
            return None
        request.user = user
        return user


class SessionOrToken(TokenAuth):
    """A bearer token, or a logged-in back-office session (pages calling the API) that sends
    the CSRF token on writes."""

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization"):
            user = super().__call__(request)
            if user:
                return user
        if session_csrf_failed(request):
            raise CsrfFailed()
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


token_auth = TokenAuth()
staff_auth = SessionOrToken()
