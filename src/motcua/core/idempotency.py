"""`Idempotency-Key` for creating API calls: a retry gets the first answer, never a second record.

Usage on a django-ninja operation (below the router decorator)::

    @router.post("/dossiers", ...)
    @idempotent("dossiers.create", status=201)
    def dossier_create(request, payload): ...

Without the header the operation runs as before. With it, the operation runs inside one
transaction that also stores the key, the request's fingerprint and the rendered answer, so
"record created" and "key stored" commit together or not at all (a kill -9 between the commit
and the answer leaves both; the retry replays the stored answer). The same key with another
body answers 422 `idempotency_key_reused`. A refused call (a `DomainError`) stores no key, so
the client may correct the request and retry with the same key. Keys are scoped by the client
(the authenticated user, or the network address of an anonymous caller) and the endpoint, and
deleted after `MOTCUA["IDEMPOTENCY_KEY_TTL_HOURS"]` by a periodic job.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.http.response import HttpResponseBase
from ninja import Status
from ninja.responses import NinjaJSONEncoder

from motcua.core import clock
from motcua.core.errors import DomainError, ValidationFailed
from motcua.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
JSON_TYPE = "application/json; charset=utf-8"


class KeyReused(ValidationFailed):
    code = "idempotency_key_reused"
    message = (
        "Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác: "
        "mỗi yêu cầu mới cần một khóa mới."
    )


class KeyInvalid(ValidationFailed):
    code = "idempotency_key_invalid"
    message = "Khóa Idempotency-Key không hợp lệ (1–255 ký tự ASCII in được)."


def client_identity(request: HttpRequest) -> str:
    """Who the key belongs to: the authenticated official, else the caller's network address."""
    for candidate in (getattr(request, "auth", None), getattr(request, "user", None)):
        pk = getattr(candidate, "pk", None)
        if pk and getattr(candidate, "is_authenticated", False):
            return f"user:{pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '') or 'unknown'}"


def _fingerprint(request: HttpRequest, kwargs: dict[str, Any]) -> str:
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    try:
        digest.update(request.body)
    except RawPostDataException:  # a multipart body already streamed: hash what was parsed
        digest.update(repr(sorted(kwargs.items())).encode())
    return digest.hexdigest()


def _render(result: Any, *, status: int, out: Any) -> HttpResponseBase:
    if isinstance(result, HttpResponseBase):
        return result
    if isinstance(result, Status):
        status, result = result.status_code, result.value
    if result is None:
        return HttpResponse(status=status)
    if out is not None:
        result = out.model_validate(result).model_dump()
    return HttpResponse(
        json.dumps(result, cls=NinjaJSONEncoder), status=status, content_type=JSON_TYPE
    )


def _replay(row: IdempotencyKey, fingerprint: str) -> HttpResponse:
    if row.fingerprint != fingerprint:
        raise KeyReused()
    response = HttpResponse(row.body, status=row.status, content_type=row.content_type or None)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(
    endpoint: str, *, status: int = 200, out: Any = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make a ninja operation honour the `Idempotency-Key` header (see the module docstring).

    `status` is the operation's status when it returns a bare body; `out` the response schema
    the body is rendered through (as ninja would).
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER)
            if key is None:
                return func(request, *args, **kwargs)
            if not (1 <= len(key) <= 255 and key.isascii() and key.isprintable()):
                raise KeyInvalid()
            scope = {"client": client_identity(request), "endpoint": endpoint, "key": key}
            fingerprint = _fingerprint(request, kwargs)
            refused: DomainError | None = None
            with transaction.atomic():
                row = IdempotencyKey.objects.select_for_update().filter(**scope).first()
                if row is not None:
                    return _replay(row, fingerprint)
                try:
                    with transaction.atomic():
                        row = IdempotencyKey.objects.create(
                            **scope, fingerprint=fingerprint, created_at=clock.now()
                        )
                except IntegrityError:
                    # The same key committed meanwhile (PostgreSQL waited on the unique index).
                    return _replay(IdempotencyKey.objects.get(**scope), fingerprint)
                try:
                    response = _render(func(request, *args, **kwargs), status=status, out=out)
                except DomainError as exc:
                    # Refused: no key kept, but what the call wrote outside its own transaction
                    # (access logs of a face search) commits as it would without a key.
                    row.delete()
                    refused = exc
                else:
                    if 200 <= response.status_code < 300 and not response.streaming:
                        row.status = response.status_code
                        row.content_type = response.get("Content-Type", "")
                        row.body = response.content.decode()  # type: ignore[attr-defined]
                        row.save(update_fields=["status", "content_type", "body"])
                    else:
                        row.delete()
                    return response
            raise refused

        # ninja resolves string annotations in the function's module: hand it resolved ones.
        wrapper.__signature__ = inspect.signature(func, eval_str=True)  # type: ignore[attr-defined]
        return wrapper

    return decorate


def idempotency_keys_expire(*, now: Any = None) -> int:
    """Delete keys older than MOTCUA["IDEMPOTENCY_KEY_TTL_HOURS"] (24 by default); returns how many."""
    hours = int(settings.MOTCUA.get("IDEMPOTENCY_KEY_TTL_HOURS", 24))
    cutoff = (now or clock.now()) - timedelta(hours=hours)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
