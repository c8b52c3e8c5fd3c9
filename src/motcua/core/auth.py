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


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.hash(token), revoked=False, expires_at__gt=clock.now())
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        request.user = row.user
        return row.user


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
