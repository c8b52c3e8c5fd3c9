"""Proof-of-work challenge that replaces the image captcha (ALTCHA-style, self-hosted).

Everyone can pass it, sighted or not: the browser finds a number, no puzzle is shown. The
server signs each challenge (HMAC over the challenge hash; the salt carries its expiry), so
it stores nothing when issuing one. A solution is accepted once: it is recorded as used in
the shared `ratelimit` cache until the challenge expires, so replaying it fails in every
server process. The work (on average half of `CHALLENGE_MAX_NUMBER` SHA-256 hashes) is a
second or so in a browser; together with the per-address limits it makes scripted bursts of
bookings and comments expensive.

Format (the one the ALTCHA widget speaks, so either solver works):
  challenge: {"algorithm": "SHA-256", "challenge": hex, "maxnumber": n, "salt": s, "signature": hex}
  solution:  base64(JSON {"algorithm", "challenge", "number", "salt", "signature"})
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any
from urllib.parse import parse_qs

from django import forms
from django.conf import settings
from django.http import HttpRequest

from motcua.core import clock
from motcua.core.errors import DomainError

ALGORITHM = "SHA-256"
FIELD_NAME = "altcha"
HEADER_NAME = "X-Altcha"


class ChallengeError(DomainError):
    status = 403


class ChallengeRequired(ChallengeError):
    code = "challenge_required"
    message = (
        "Thiếu mã xác minh chống gửi tự động. Vui lòng bật JavaScript trên trình duyệt "
        "(trình duyệt sẽ tự xác minh, không cần nhập gì) rồi gửi lại."
    )


class ChallengeInvalid(ChallengeError):
    code = "challenge_invalid"
    message = "Mã xác minh chống gửi tự động không hợp lệ. Vui lòng tải lại trang và gửi lại."


class ChallengeExpired(ChallengeError):
    code = "challenge_expired"
    message = "Mã xác minh chống gửi tự động đã hết hạn. Vui lòng gửi lại."


class ChallengeUsed(ChallengeError):
    code = "challenge_used"
    message = "Mã xác minh chống gửi tự động đã được dùng. Vui lòng gửi lại."


def _conf(name: str, default: int) -> int:
    return int(settings.MOTCUA.get(name, default))


def _key() -> bytes:
    # A key of its own, derived from SECRET_KEY: a signature is useless for anything else.
    return hashlib.sha256(b"motcua.challenge:" + settings.SECRET_KEY.encode()).digest()


def _sign(challenge: str) -> str:
    return hmac.new(_key(), challenge.encode(), hashlib.sha256).hexdigest()


def _hash(salt: str, number: int) -> str:
    return hashlib.sha256(f"{salt}{number}".encode()).hexdigest()


def challenge_create() -> dict[str, Any]:
    """A new signed challenge (nothing stored until a solution is used)."""
    max_number = _conf("CHALLENGE_MAX_NUMBER", 200_000)
    expires = int(clock.now().timestamp()) + _conf("CHALLENGE_TTL_SECONDS", 1800)
    salt = f"{secrets.token_hex(12)}?expires={expires}"
    challenge = _hash(salt, secrets.randbelow(max_number + 1))
    return {
        "algorithm": ALGORITHM,
        "challenge": challenge,
        "maxnumber": max_number,
        "salt": salt,
        "signature": _sign(challenge),
    }


def challenge_solve(challenge: dict[str, Any]) -> str:
    """The solution of a challenge as the browser sends it (for tests and scripted clients)."""
    for number in range(int(challenge["maxnumber"]) + 1):
        if _hash(challenge["salt"], number) == challenge["challenge"]:
            body = {k: challenge[k] for k in ("algorithm", "challenge", "salt", "signature")}
            return base64.b64encode(json.dumps({**body, "number": number}).encode()).decode()
    raise ValueError("no solution")


def challenge_verify(solution: str | None) -> None:
    """Accept a solution once; raise ChallengeRequired/Invalid/Expired/Used otherwise."""
    if not solution or not solution.strip():
        raise ChallengeRequired()
    try:
        data = json.loads(base64.b64decode(solution.strip(), validate=True))
        salt, challenge = str(data["salt"]), str(data["challenge"])
        number, signature = int(data["number"]), str(data["signature"])
        algorithm = str(data.get("algorithm", ALGORITHM))
        expires = int(parse_qs(salt.partition("?")[2]).get("expires", ["0"])[0])
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ChallengeInvalid() from None
    if (
        algorithm != ALGORITHM
        or number < 0
        or not hmac.compare_digest(_sign(challenge), signature)
        or not hmac.compare_digest(_hash(salt, number), challenge)
    ):
        raise ChallengeInvalid()
    remaining = expires - int(clock.now().timestamp())
    if remaining <= 0:
        raise ChallengeExpired()
    from motcua.core.throttle import ratelimit_cache

    # add() is atomic on Redis and on the database cache: of two concurrent uses, one wins.
    if not ratelimit_cache().add(f"challenge:used:{challenge}", 1, timeout=remaining + 60):
        raise ChallengeUsed()


def challenge_check_request(request: HttpRequest, body_value: str | None = None) -> None:
    """API callers: staff (bearer token or back-office session) pass; anonymous ones solve.

    The solution comes in the `X-Altcha` header (or a body field, when the schema has one)."""
    from motcua.core.auth import staff_auth

    if getattr(getattr(request, "auth", None), "pk", None) or staff_auth(request):
        return
    challenge_verify(request.headers.get(HEADER_NAME) or body_value)


class ChallengeField(forms.CharField):
    """Hidden form field filled by web/static/web/challenge.js; verified (and used up) on clean."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Xác minh chống gửi tự động")
        kwargs.setdefault("required", False)  # "missing" gets its own clear message below
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        try:
            challenge_verify(value)
        except ChallengeError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return str(value)
