"""Bearer-token authentication for the staff API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from motcua.core import clock
from motcua.core.models import ApiToken


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
    """Accept a logged-in back-office session (pages calling the API) or a bearer token."""

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return super().__call__(request)


token_auth = TokenAuth()
staff_auth = SessionOrToken()
