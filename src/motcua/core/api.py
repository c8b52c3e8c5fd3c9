"""Token issue for staff API clients; the public proof-of-work challenge."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from motcua.core.errors import DomainError
from motcua.core.schemas import InputSchema
from motcua.core.services import api_token_issue

router = Router(tags=["auth"])


class TokenIn(InputSchema):
    username: str = Field(max_length=150)  # org.User.username
    password: str = Field(max_length=256)


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"


class ErrorOut(Schema):
    code: str
    message: str


class LoginFailed(DomainError):
    code = "invalid_credentials"
    status = 401
    message = "Tên đăng nhập hoặc mật khẩu không đúng."


class LockedOut(DomainError):
    code = "locked_out"
    status = 429
    message = "Đăng nhập sai quá nhiều lần, tài khoản tạm khóa. Vui lòng thử lại sau 15 phút."


@router.post("/auth/token", response={200: TokenOut, 401: ErrorOut, 429: ErrorOut}, auth=None)
def token(request: HttpRequest, payload: TokenIn) -> TokenOut:
    """Exchange a staff username and password for a bearer token (failures are throttled)."""
    from axes.handlers.proxy import AxesProxyHandler
    from django.contrib.auth.signals import user_logged_in

    from motcua.core.throttle import login_failed, login_spray_check

    credentials = {"username": payload.username}
    login_spray_check(request)  # many usernames tried from one address
    if not AxesProxyHandler.is_allowed(request, credentials):
        raise LockedOut()
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        login_failed(request)
        raise LockedOut()
    if user is None or not user.is_active:
        login_failed(request)
        raise LoginFailed()
    # What login() would signal: django-axes resets this username's failure count on it
    # (AXES_RESET_ON_SUCCESS), so a later typo does not lock out after earlier old failures.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return TokenOut(token=api_token_issue(user=user))


class ChallengeOut(Schema):
    algorithm: str
    challenge: str
    maxnumber: int
    salt: str
    signature: str


@router.get(
    "/public/challenge",
    response=ChallengeOut,
    auth=None,
    tags=["portal"],
    url_name="public_challenge",
)
def public_challenge(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    """A proof-of-work challenge; anonymous bookings, submissions and comments send its solution.

    Find `number` with SHA-256(salt + number) == challenge (0 <= number <= maxnumber), then send
    base64(JSON {algorithm, challenge, number, salt, signature}) in the `X-Altcha` header (API)
    or the `altcha` form field (pages). A solution is accepted once."""
    from motcua.core.challenge import challenge_create

    response["Cache-Control"] = "no-store"
    return challenge_create()
